"""Files written whole: an atomic replace, an exclusive create, and an flock on a folder.

A crash or a second writer never leaves half a file: promote creates each NAME/vN.prompt with
``create_exclusive`` under ``folder_lock`` and replaces NAME.prompt with ``atomic_write``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


def _tmp_for(target: Path) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")


def _write_tmp(target: Path, text: str) -> Path:
    tmp = _tmp_for(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def atomic_write(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` all at once (temp file, then os.replace)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_tmp(target, text)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def create_exclusive(target: Path, text: str) -> None:
    """Create ``target`` whole, or raise FileExistsError if it already exists."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_tmp(target, text)
    try:
        try:
            os.link(tmp, target)  # atomic, and fails if the name is taken
        except FileExistsError:
            raise
        except OSError:  # no hard links here: exclusive create, then write
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive flock on the versions folder itself (no lock file left behind)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no flock: the exclusive version create still keeps every version
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
