"""A variable's value as typed: ``@path`` is that file's text, ``@@text`` the literal ``@text``.

One rule for the command line (``--var NAME=@notes.txt``) and the TUI's variable fields, so a
value means the same wherever it is typed.
"""

from __future__ import annotations

import os
from pathlib import Path


class VarFileError(ValueError):
    """The file a value names cannot be read; one line, naming the path as typed."""


def read_var_value(value: str, base: str | Path | None = None) -> str:
    """The text ``value`` stands for. A relative path is read from ``base`` (default: the
    current folder); the file must be UTF-8 text."""
    if value.startswith("@@"):
        return value[1:]
    if not value.startswith("@"):
        return value
    path = value[1:]
    full = os.path.join(base, os.path.expanduser(path)) if base is not None else path
    try:
        with open(full, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise VarFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise VarFileError(f"{path} is not valid UTF-8 text (offset {exc.start})") from None
