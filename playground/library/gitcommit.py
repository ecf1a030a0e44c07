"""`promote --commit`: a git commit of just the promoted files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from playground.library.errors import LibraryError


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=30
        )
    except FileNotFoundError:
        raise LibraryError("git is not installed") from None


def repo_root(folder: Path) -> Path | None:
    """The work tree holding ``folder``, or None when it is not in a git repository."""
    folder = Path(folder)
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    proc = _git(folder, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.strip())


def commit_files(paths: list[Path], message: str) -> str:
    """Commit exactly ``paths`` (other staged or changed files are left alone); the new sha."""
    if not paths:
        raise LibraryError("nothing to commit")
    root = repo_root(Path(paths[0]).parent)
    if root is None:
        raise LibraryError(f"{Path(paths[0]).parent} is not in a git repository")
    rel = [str(Path(p).resolve().relative_to(root.resolve())) for p in paths]
    add = _git(root, "add", "--", *rel)
    if add.returncode != 0:
        raise LibraryError(f"git add failed: {_last_line(add.stderr)}")
    commit = _git(root, "commit", "--only", "-m", message, "--", *rel)
    if commit.returncode != 0:
        raise LibraryError(f"git commit failed: {_last_line(commit.stderr or commit.stdout)}")
    return _git(root, "rev-parse", "HEAD").stdout.strip()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"
