"""Finding and loading prompt files by name or path, and listing the prompts folder."""

from __future__ import annotations

from pathlib import Path

from playground.library.errors import LibraryError
from playground.library.names import SUFFIX, check_name, current_path, version_of_path, version_path
from playground.library.promptfile import PromptFile, parse_prompt_text


def not_utf8(exc: UnicodeDecodeError) -> str:
    """Why a file's bytes are not text, with the first bad byte and its offset."""
    bad = bytes(exc.object[exc.start : exc.start + 1])
    return f"not UTF-8 text (byte 0x{bad.hex()} at offset {exc.start})"


def read_utf8(path: Path) -> str:
    """The file's text; bytes that are not UTF-8 are a one-line LibraryError naming it.

    OSError (missing file, a folder) is left to the caller, which knows what it was after.
    """
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LibraryError(not_utf8(exc), path) from None


def resolve(path_or_name: str | Path, prompts_dir: Path | None = None) -> Path:
    """A path as given when it names a file (or ends in .prompt); else NAME under prompts_dir."""
    text = str(path_or_name)
    as_path = Path(text)
    if isinstance(path_or_name, Path) or as_path.is_file() or prompts_dir is None:
        return as_path
    if text.endswith(SUFFIX) and (as_path.parent != Path(".") or as_path.exists()):
        return as_path
    return current_path(prompts_dir, check_name(text))


def load_prompt(
    path_or_name: str | Path, prompts_dir: Path | None = None, *, version: int | None = None
) -> PromptFile:
    """Load a prompt file (a path, or NAME in prompts_dir; ``version`` picks NAME/vN.prompt)."""
    if version is not None:
        if prompts_dir is None:
            raise LibraryError("a version needs the prompts folder")
        path = version_path(prompts_dir, check_name(str(path_or_name)), version)
    else:
        path = resolve(path_or_name, prompts_dir)
    try:
        text = read_utf8(path)
    except FileNotFoundError:
        what = f"{path_or_name} v{version}" if version is not None else str(path_or_name)
        raise LibraryError(f"no prompt {what} (looked for {path})") from None
    except IsADirectoryError:
        raise LibraryError("is a folder, not a prompt file", path) from None
    except OSError as exc:
        raise LibraryError(f"cannot read: {exc.strerror or exc}", path) from None
    return parse_prompt_text(text, path=path, prompts_dir=prompts_dir)


def _is_version_file(path: Path, root: Path) -> bool:
    return version_of_path(path) is not None and path.parent != root


def list_prompts(prompts_dir: Path | str) -> list[PromptFile]:
    """Every current prompt under the folder (version files left out), sorted by name.

    A file that does not load is skipped here; ``list_problems`` says why.
    """
    return [pf for pf in _scan(Path(prompts_dir))[0]]


def list_problems(prompts_dir: Path | str) -> list[str]:
    """One line per prompt file in the folder that does not load."""
    return _scan(Path(prompts_dir))[1]


def _scan(root: Path) -> tuple[list[PromptFile], list[str]]:
    if not root.is_dir():
        return [], []
    found: list[PromptFile] = []
    problems: list[str] = []
    for path in sorted(root.rglob("*" + SUFFIX)):
        if not path.is_file() or _is_version_file(path, root) or path.name.startswith("_"):
            continue  # versions, and Dotprompt partials (`_name.prompt`), are not prompts
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        try:
            found.append(load_prompt(path, root))
        except LibraryError as exc:
            problems.append(str(exc))
    found.sort(key=lambda pf: pf.name)
    return found, problems
