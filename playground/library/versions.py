"""Versions on disk: promote writes NAME/vN.prompt (never rewritten) and then NAME.prompt.

Two promotes at once never lose a version: vN is created with an exclusive hard link from a
complete temp file (so it appears whole or not at all, and a second writer of the same N
gets FileExistsError and takes N+1), and the whole step runs under an flock on the versions
folder so NAME.prompt always ends as the newest version.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playground.core.template import PromptTemplate, TemplateError
from playground.library.errors import LibraryError
from playground.library.names import (
    check_name,
    current_path,
    list_versions,
    version_path,
    versions_dir,
)
from playground.library.promptfile import content_key, parse_prompt_text, render_prompt_file


@dataclass
class Promotion:
    """What a promote did (or, from preview_promotion, would do)."""

    name: str
    version: int  # the version written; when identical, the current one
    next_version: int
    identical: bool
    path: Path  # NAME.prompt
    version_path: Path | None = None
    created: bool = False
    diff: str = ""  # unified, from the current file to the new text
    text: str = ""
    previous_version: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _current_version(prompts_dir: Path, name: str, current: str | None) -> int | None:
    if current is None:
        return None
    try:
        return parse_prompt_text(current, path=current_path(prompts_dir, name)).version
    except LibraryError:
        return None


def _same_content(a: str, b: str) -> bool:
    try:
        return content_key(a) == content_key(b)
    except ValueError:  # a current file dotpromptz cannot parse is never "identical"
        return False


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def preview_promotion(prompts_dir: Path | str, name: str, content_text: str) -> Promotion:
    """What promoting ``content_text`` as NAME would do: the next version, and the diff."""
    prompts_dir = Path(prompts_dir)
    name = check_name(name)
    path = current_path(prompts_dir, name)
    current = _read(path)
    versions = list_versions(prompts_dir, name)
    cur_version = _current_version(prompts_dir, name, current)
    latest = max([*versions, cur_version or 0], default=0)
    identical = current is not None and _same_content(current, content_text)
    diff = ""
    if not identical:
        old_label = f"{name} v{cur_version}" if current is not None else "/dev/null"
        diff = unified_diff(current or "", content_text, old_label, f"{name} v{latest + 1}")
    return Promotion(
        name=name,
        version=(cur_version or latest) if identical else latest + 1,
        next_version=latest + 1,
        identical=identical,
        path=path,
        diff=diff,
        text=content_text,
        previous_version=cur_version,
    )


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
def _locked(folder: Path) -> Iterator[None]:
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


def _verify(text: str, template: PromptTemplate, variables: dict[str, Any]) -> list[str]:
    """Check dotpromptz renders ``text`` to the messages our runner renders; warnings if odd."""
    from playground.library.reference import render_reference

    try:
        ours = template.render(variables)
    except TemplateError:
        return []  # not renderable with these values: nothing was sent to compare against
    try:
        theirs = render_reference(text)
    except Exception as exc:  # dotpromptz refusing our own file is a bug worth a clear line
        raise LibraryError(f"dotpromptz cannot render the file we would write: {exc}") from None
    if theirs == ours:
        return []
    kept = [m for m in ours if m.content.strip()]
    if theirs == kept:
        return ["a message renders empty with these values; Dotprompt leaves it out"]
    raise LibraryError(
        "this template cannot be written so that dotpromptz renders exactly what was sent "
        "(please report it with the template)"
    )


def promote(
    prompts_dir: Path | str,
    name: str,
    *,
    template: PromptTemplate,
    model: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop: list[str] | None = None,
    variables: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    note: str | None = None,
) -> Promotion:
    """Write the next version of NAME (unless identical to the current one) and make it current."""
    prompts_dir = Path(prompts_dir)
    name = check_name(name)
    variables = dict(variables or {})
    fields: dict[str, Any] = {
        "model": model,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "top_p": top_p,
        "seed": seed,
        "stop": stop,
        "variables": variables,
    }
    content = render_prompt_file(template, **fields)
    warnings = _verify(content, template, variables)
    prov = dict(provenance or {})
    prov.setdefault("promoted_at", datetime.now(UTC).isoformat(timespec="seconds"))
    if note:
        prov["note"] = note
    try:
        return _write_next(prompts_dir, name, template, fields, content, prov, warnings)
    except OSError as exc:  # a read-only folder, a full disk: one line, not a traceback
        where = exc.filename or prompts_dir
        raise LibraryError(f"cannot write: {exc.strerror or exc}", where) from None


def _write_next(
    prompts_dir: Path,
    name: str,
    template: PromptTemplate,
    fields: dict[str, Any],
    content: str,
    prov: dict[str, Any],
    warnings: list[str],
) -> Promotion:
    path = current_path(prompts_dir, name)
    with _locked(versions_dir(prompts_dir, name)):
        for _ in range(1000):
            preview = preview_promotion(prompts_dir, name, content)
            if preview.identical:
                preview.warnings = warnings
                return preview
            n = preview.next_version
            text = render_prompt_file(template, **fields, version=n, provenance=prov)
            target = version_path(prompts_dir, name, n)
            try:
                create_exclusive(target, text)
            except FileExistsError:
                continue  # another writer took n: look again
            current = _read(path)
            kept = preview.previous_version
            if (
                current is not None
                and kept
                and _read(version_path(prompts_dir, name, kept)) != current
            ):
                warnings.append(
                    f"{path.name} had edits not kept in v{kept}; v{n} replaces them "
                    "(git has them if the file was committed)"
                )
            atomic_write(path, text)
            old_label = (
                f"{name} v{preview.previous_version}" if current is not None else "/dev/null"
            )
            return Promotion(
                name=name,
                version=n,
                next_version=n,
                identical=False,
                path=path,
                version_path=target,
                created=True,
                diff=unified_diff(current or "", text, old_label, f"{name} v{n}"),
                text=text,
                previous_version=preview.previous_version,
                warnings=warnings,
            )
    raise LibraryError(f"could not find a free version number for {name}")
