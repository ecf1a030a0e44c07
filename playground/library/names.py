"""Prompt names and where they live: NAME.prompt is current, NAME/vN.prompt every version."""

from __future__ import annotations

import re
from pathlib import Path

from playground.library.errors import LibraryError

SUFFIX = ".prompt"
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.prompt")
MAX_SEGMENT = 100  # NAME.prompt and its temporary twin stay under every file system's limit


def check_name(name: str) -> str:
    """The name itself if it is a plain slug inside the prompts folder; LibraryError otherwise."""
    if name.endswith(SUFFIX):
        name = name[: -len(SUFFIX)]
    if not name:
        raise LibraryError("a prompt name cannot be empty")
    segments = name.split("/")
    for seg in segments:
        if seg in ("", ".", ".."):
            raise LibraryError(
                f"prompt name {name!r} would escape the prompts folder "
                "(use letters, digits, -, _ and / for folders)"
            )
        if not _SEGMENT.fullmatch(seg):
            raise LibraryError(
                f"prompt name {name!r} has characters other than letters, digits, -, _ and /"
            )
        if len(seg) > MAX_SEGMENT:
            raise LibraryError(
                f"prompt name {name[:40]!r}… is too long: each part between / is at most "
                f"{MAX_SEGMENT} characters"
            )
    if _VERSION_FILE.fullmatch(segments[-1] + SUFFIX):
        raise LibraryError(f"prompt name {name!r} looks like a version file (vN); pick another")
    return name


def current_path(prompts_dir: Path, name: str) -> Path:
    path = Path(prompts_dir) / (check_name(name) + SUFFIX)
    _check_inside(Path(prompts_dir), path)
    return path


def _check_inside(root: Path, path: Path) -> None:
    """Refuse a path that a symlinked folder would carry outside the prompts folder."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise LibraryError(f"{path} is outside the prompts folder {root}") from None


def versions_dir(prompts_dir: Path, name: str) -> Path:
    path = Path(prompts_dir) / check_name(name)
    _check_inside(Path(prompts_dir), path)
    return path


def version_path(prompts_dir: Path, name: str, version: int) -> Path:
    return versions_dir(prompts_dir, name) / f"v{version}{SUFFIX}"


def list_versions(prompts_dir: Path, name: str) -> list[int]:
    """Version numbers kept for NAME, ascending."""
    folder = versions_dir(prompts_dir, name)
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        m = _VERSION_FILE.fullmatch(child.name)
        if m and child.is_file():
            found.append(int(m.group(1)))
    return sorted(found)


def version_of_path(path: Path) -> int | None:
    m = _VERSION_FILE.fullmatch(path.name)
    return int(m.group(1)) if m else None


def name_of_path(path: Path, prompts_dir: Path | None) -> str:
    """NAME for a file: its path under the prompts folder without .prompt (or the stem)."""
    path = Path(path)
    version = version_of_path(path)
    target = path.parent if version is not None else path.with_suffix("")
    if prompts_dir is not None:
        try:
            rel = target.resolve().relative_to(Path(prompts_dir).resolve())
            if rel.parts:
                return rel.as_posix()
        except ValueError:
            pass
    return target.name
