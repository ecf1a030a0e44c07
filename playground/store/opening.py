"""Opening a session database safely: refuse what is not ours before writing a single byte."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from playground.store.migrations import MIGRATIONS_TABLE, known_names


class StoreError(Exception):
    """The store cannot be used; the message is one line naming the database path."""


def inspect_existing(path: Path) -> None:
    """Raise StoreError when ``path`` holds something other than a playground database we
    can use (not SQLite, someone else's tables, or a newer playground's schema). Read-only."""
    if path.is_dir():
        raise StoreError(f"{path}: is a folder, not a database file (pass --db FILE)")
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        return  # a new database (connect() says if its folder cannot be made)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size == 0:
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if header != b"SQLite format 3\x00":
        raise StoreError(f"{path}: not a playground database (not SQLite); left untouched")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open: {exc}") from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return
        if MIGRATIONS_TABLE not in tables:
            raise StoreError(
                f"{path}: not a playground database (it holds other tables); left untouched"
            )
        names = [r[0] for r in conn.execute(f"SELECT name FROM [{MIGRATIONS_TABLE}]")]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a playground database ({exc}); left untouched") from None
    finally:
        conn.close()
    unknown = [n for n in names if n not in set(known_names())]
    if unknown:
        raise StoreError(
            f"{path}: written by a newer playground (schema {unknown[-1]}); upgrade playground "
            "or pass another --db"
        )


def connect(path: Path) -> sqlite3.Connection:
    """A read-write connection: WAL, a busy timeout, autocommit (we BEGIN ourselves)."""
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{path}: cannot create its folder: {exc.strerror or exc} (pass --db PATH)"
            ) from None
    try:
        conn = sqlite3.connect(
            str(path), timeout=5.0, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open: {exc} (pass --db PATH)") from None
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"cannot use WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: safe against kill -9
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"{path}: cannot write: {exc} (pass --db PATH)") from None
    return conn
