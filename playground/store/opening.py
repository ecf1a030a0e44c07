"""Opening a session database safely: refuse what is not ours before writing a single byte."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time

from playground.store.migrations import MIGRATIONS_TABLE, known_names


class StoreError(Exception):
    """The store cannot be used; the message is one line naming the database path."""


def _uri(path: str) -> str:
    """A read-only SQLite URI (no urllib: keeps `playground history` quick to start)."""
    quoted = os.path.abspath(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{quoted}?mode=ro"


def inspect_existing(path: str) -> None:
    """Raise StoreError when ``path`` holds something other than a playground database we
    can use (not SQLite, someone else's tables, or a newer playground's schema). Read-only."""
    if os.path.isdir(path):
        raise StoreError(f"{path}: is a folder, not a database file (pass --db FILE)")
    try:
        size = os.stat(path).st_size
    except (FileNotFoundError, NotADirectoryError):
        return  # a new database (connect() says if its folder cannot be made)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size == 0:
        return
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if header != b"SQLite format 3\x00":
        raise StoreError(f"{path}: not a playground database (not SQLite); left untouched")
    try:
        conn = sqlite3.connect(_uri(path), uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open: {exc}") from None
    try:
        objects = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
        tables = {name for kind, name in objects if kind == "table"}
        if not tables:
            if objects or conn.execute("PRAGMA user_version").fetchone()[0]:
                raise StoreError(
                    f"{path}: not a playground database (another app's schema); left untouched"
                )
            return
        if MIGRATIONS_TABLE not in tables:
            raise StoreError(
                f"{path}: not a playground database (it holds other tables); left untouched"
            )
        names = [r[0] for r in conn.execute(f"SELECT name FROM [{MIGRATIONS_TABLE}]")]
    except sqlite3.DatabaseError as exc:
        if "unable to open" in str(exc) and not os.access(os.path.dirname(path) or ".", os.W_OK):
            # WAL needs its -shm file beside the database: a read-only folder cannot hold it
            raise StoreError(
                f"{path}: cannot open: its folder is read-only (pass --db PATH)"
            ) from None
        raise StoreError(f"{path}: not a playground database ({exc}); left untouched") from None
    finally:
        conn.close()
    unknown = [n for n in names if n not in set(known_names())]
    if unknown:
        raise StoreError(
            f"{path}: written by a newer playground (schema {unknown[-1]}); upgrade playground "
            "or pass another --db"
        )


def connect(path: str) -> sqlite3.Connection:
    """A read-write connection: WAL, a busy timeout, autocommit (we BEGIN ourselves)."""
    if not os.path.exists(path):
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{path}: cannot create its folder: {exc.strerror or exc} (pass --db PATH)"
            ) from None
        ignore_in_git(folder)
    try:
        conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open: {exc} (pass --db PATH)") from None
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: safe against kill -9
        conn.execute("PRAGMA foreign_keys = ON")
        # a statement's scratch tables (the writer's UPDATE … FROM VALUES) stay in memory:
        # 0.73 -> 0.63 ms for a run's 24 final rows (bench_store part 3, in place)
        conn.execute("PRAGMA temp_store = MEMORY")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"{path}: cannot write: {exc} (pass --db PATH)") from None
    return conn


def _use_wal(conn: sqlite3.Connection, patience_s: float = 5.0) -> None:
    """Switch to WAL, waiting out another process that is creating the same database.

    Switching needs an exclusive lock, and SQLite answers "database is locked" at once,
    without its busy handler, when another connection opened the file in the same instant
    (seen about once in 450 concurrent first opens); so wait and try again here.
    """
    deadline = time.monotonic() + patience_s
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"cannot use WAL mode (got {mode})")


def ignore_in_git(folder: str) -> None:
    """A workspace's ``sessions/`` holds every prompt and answer: keep it out of git (the
    folder gets a .gitignore of its own, unless it has one)."""
    if os.path.basename(folder) != "sessions":
        return
    ignore = os.path.join(folder, ".gitignore")
    if os.path.exists(ignore):
        return
    with contextlib.suppress(OSError), open(ignore, "x", encoding="utf-8") as fh:
        fh.write("# Prompt Playground's sessions and UI state: prompts and outputs, not code\n*\n")
