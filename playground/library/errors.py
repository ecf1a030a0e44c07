"""The library's one error type: a one-line message naming the file (and line when known)."""

from __future__ import annotations

from pathlib import Path


class LibraryError(Exception):
    """Bad prompt file, bad name or a refused write; ``str()`` is one line for the user."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line
        self.reason = message
