"""NAME.prompt as found on disk: its text, the version it names, whether that version holds it
byte for byte, and the input schema its author wrote (promote keeps those types)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.library.errors import LibraryError
from playground.library.names import current_path, list_versions, version_path
from playground.library.promptfile import parse_prompt_text


def current_schema(prompts_dir: Path | str, name: str) -> Any:
    """NAME.prompt's input schema as its author wrote it (None when there is none or the
    file does not load): a promote keeps those types and optional marks."""
    try:
        text = read_if_exists(current_path(Path(prompts_dir), name))
        return None if text is None else parse_prompt_text(text).schema
    except Exception:  # unreadable or broken: promote reports that on its own
        return None


def read_if_exists(path: Path) -> str | None:
    """A prompt file's text (None when absent); one that is not UTF-8 is a LibraryError."""
    from playground.library.loading import read_utf8

    try:
        return read_utf8(path)
    except FileNotFoundError:
        return None


def _current_version(prompts_dir: Path, name: str, current: str | None) -> int | None:
    if current is None:
        return None
    try:
        return parse_prompt_text(current, path=current_path(prompts_dir, name)).version
    except LibraryError:
        return None


@dataclass
class CurrentState:
    """NAME.prompt as found: its text, the version it says it is, and whether it is that."""

    text: str | None
    version: int | None
    recorded: bool  # byte for byte the NAME/vN.prompt it names (or there is no file)


def current_state(prompts_dir: Path | str, name: str) -> CurrentState:
    """Whether NAME.prompt is a version we keep, or has text kept nowhere else."""
    prompts_dir = Path(prompts_dir)
    text = read_if_exists(current_path(prompts_dir, name))
    version = _current_version(prompts_dir, name, text)
    if text is None:
        return CurrentState(None, None, True)
    if version and read_if_exists(version_path(prompts_dir, name, version)) == text:
        return CurrentState(text, version, True)
    versions = list_versions(prompts_dir, name)
    if versions and read_if_exists(version_path(prompts_dir, name, versions[-1])) == text:
        return CurrentState(text, versions[-1], True)  # e.g. a file kept byte for byte
    return CurrentState(text, version, False)


def current_label(name: str, state: CurrentState) -> str:
    """How a diff names NAME.prompt: its version, or what it is when it is not one."""
    if state.recorded:
        return f"{name} v{state.version}"
    if state.version:
        return f"{name} (current, edited since v{state.version})"
    return f"{name} (current, not a version)"
