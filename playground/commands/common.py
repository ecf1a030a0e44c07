"""What every command shares: settings loading and one-line errors."""

from __future__ import annotations

import argparse
import sys

from playground.cli import add_common

TYPE_CHECKING = False  # not importing typing keeps quick commands quick to start
if TYPE_CHECKING:
    from typing import Any, NoReturn


class UsageError(Exception):
    """Bad usage or bad input: printed as one line, exit 2."""


def fail(message: str, code: int = 2) -> NoReturn:
    print(f"playground: {message}", file=sys.stderr)
    raise SystemExit(code)


SQLITE_MAX_INT = 2**63 - 1  # the largest id or count the session database can hold


def whole_number(text: str, what: str) -> int:
    """A run or response id, or a --limit: a whole number from 1 up to what SQLite holds.
    Anything else is one line and exit 2 (a 23-digit id used to overflow deep in sqlite3)."""
    value = int(text) if text.isascii() and text.isdigit() else 0
    if not 1 <= value <= SQLITE_MAX_INT:
        shown = repr(text) if not (text.isascii() and text.isdigit()) else text
        fail(f"{what} {shown}: expected a whole number from 1 to {SQLITE_MAX_INT}")
    return value


def command_parser(sub: Any, name: str, help: str, **kw: Any) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help, description=help, **kw)
    add_common(parser)
    return parser


def load_settings_or_fail(args: argparse.Namespace) -> Any:
    from playground.config import ConfigError, load_settings

    try:
        return load_settings(args.config, db=args.db, prompts_dir=args.prompts_dir)
    except ConfigError as exc:
        fail(str(exc))


def open_recorder(settings: Any, *, required: bool = False) -> Any:
    """The session store as the runner's recorder, with a new "cli" session for this command.

    A database that is not ours, is newer, or cannot be written: one line, exit 2.
    """
    from playground.store import Store, StoreError

    try:
        store = Store.open(settings.db_path())
        store.add_secret_envs(p.api_key_env for p in settings.providers.values())
        store.new_session(source="cli", label=" ".join(sys.argv[1:2]) or None)
    except StoreError as exc:
        fail(str(exc))
    except Exception as exc:  # sqlite3.Error after opening (disk full, locked for too long)
        fail(f"{settings.db_path()}: {' '.join(str(exc).split())}")
    return store
