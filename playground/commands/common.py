"""What every command shares: the parser pieces (one-line usage errors, the common options),
settings loading and one-line errors. `playground.cli` builds its parsers from these; nothing
here imports the cli module, so there is no import cycle."""

from __future__ import annotations

import argparse
import sys

from playground.commands.settings import fail as fail
from playground.commands.settings import load_settings_or_fail as load_settings_or_fail

TYPE_CHECKING = False  # no typing at run time: bench_store part 2 (history ≤ 1.5× --help)
if TYPE_CHECKING:
    from typing import Any, NoReturn


COMMON_FLAGS = ("--config", "--db", "--prompts-dir")


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line (``playground: run: ...``), exit 2.

    Sub-parsers made from it are of the same class, so nested commands inherit this.
    """

    command: str | None = None  # the command, for errors the top parser raises

    def error(self, message: str) -> NoReturn:
        words = self.prog.split()[1:] or ([self.command] if self.command else [])
        where = "".join(f"{w}: " for w in words)
        text = " ".join(message.split())
        self.exit(2, f"playground: {where}{text}\n")


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options every command (and the TUI) understands."""
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: workspace playground.toml)"
    )
    parser.add_argument(
        "--db", metavar="PATH", help="session database (default: workspace sessions/playground.db)"
    )
    parser.add_argument(
        "--prompts-dir", metavar="PATH", help="prompt files folder (default: workspace prompts/)"
    )


def not_utf8_arg(text: str) -> str | None:
    """Why an argument is not text (bytes that are not UTF-8 reach Python as surrogates)."""
    for i, ch in enumerate(text):
        if "\udc80" <= ch <= "\udcff":
            offset = len(text[:i].encode("utf-8", "surrogateescape"))
            return f"not UTF-8 text (byte 0x{ord(ch) - 0xDC00:02x} at offset {offset})"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not UTF-8 text"
    return None


class UsageError(Exception):
    """Bad usage or bad input: printed as one line, exit 2."""


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


def open_recorder(settings: Any, *, required: bool = False) -> Any:
    """The session store as the runner's recorder, with a new "cli" session for this command.

    A database that is not ours, is newer, or cannot be written: one line, exit 2.
    """
    from playground.store import Store, StoreError

    try:
        store = Store.open(settings.db_path())
        store.add_provider_keys({n: p.api_key_env for n, p in settings.providers.items()})
        store.new_session(source="cli", label=" ".join(sys.argv[1:2]) or None)
    except StoreError as exc:
        fail(str(exc))
    except Exception as exc:  # sqlite3.Error after opening (disk full, locked for too long)
        fail(f"{settings.db_path()}: {' '.join(str(exc).split())}")

    def say_busy(busy: bool) -> None:  # told from the store's writer thread
        if busy:
            print(
                f"playground: {store.path}: database busy (another process holds its lock); "
                "results are kept and written when it frees",
                file=sys.stderr,
            )

    store.on_busy = say_busy
    return store
