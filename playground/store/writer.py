"""The store's writer thread: every recording write happens here, never on the event loop.

The recorder notes what changed (cheap, from the loop): a live cell (its result, which the
runner grows: nothing is noted per chunk), columns when something happens, a finished cell, a
finished run. This thread looks every
``FLUSH_INTERVAL`` while cells stream (an end noted meanwhile lands with the next look: it
does not wake the thread), and soon after cells or runs end when nothing streams
(``FINISH_DELAY`` after the last of cells ending one after another, at most ``FLUSH_INTERVAL``
after the first; at once when someone flushes, as a run's end does): for each live cell that
grew it reads the text so far from the cell's live result (the runner's own string: no
per-chunk work here) and hides known keys in what was added since its last look, and it
commits everything in a few statements of one transaction on its own connection. So a ``kill -9`` loses at most ``FLUSH_INTERVAL`` of a
stream, or of a finished cell. A write that meets another process's lock is kept and tried
again until it lands (``busy`` is true meanwhile, and ``on_busy`` is told); any other
failure is kept in ``error`` for the recorder to report.
"""

from __future__ import annotations

import atexit
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from playground.core.secrets import StreamRedactor

FLUSH_INTERVAL = 0.5  # seconds: well inside the "at least once a second" promise
FINISH_DELAY = 0.1  # a cell or run ended: wait this long for the next one to end too...
# ...but no longer than FLUSH_INTERVAL after the first: cells that end one after another share
# one commit, and a finished cell still reaches the database within half a second
BUSY_TIMEOUT_MS = 1000  # one attempt's wait for another process's lock, then "busy" and retry
RETRY_MAX_S = 1.0
MAX_VARIABLES = 999  # parameters in one statement: SQLite's smallest default limit
# CellResult fields that are the usage columns of a live cell
USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "usage_source",
)

Columns = dict[str, Any]
Rid = int | str  # a response id, as the run events carry it
Thunk = Callable[[], Columns]


class GrowingText:
    """One text of a live cell (its output or reasoning) as the runner grows it: each look
    hides keys only in what was added since the last one (StreamRedactor). A text that changed
    other than at its end (the runner hides a key it echoed when the cell ends) starts over."""

    __slots__ = ("redactor", "secrets", "seen")

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets
        self.seen = ""
        self.redactor: StreamRedactor | None = None  # made at the first text (most have none)

    def take(self, text: str) -> str | None:
        """The whole text so far, keys hidden; None when it has not changed since last time."""
        seen = self.seen
        if text == seen:  # (the same object, or lengths that differ: no compare)
            return None
        if self.redactor is not None and text.startswith(seen):  # one compare in C: no copy
            self.redactor.feed(text[len(seen) :])
        else:
            self.redactor = StreamRedactor(self.secrets)
            self.redactor.feed(text)
        self.seen = text
        return self.redactor.text()


class LiveCell:
    """What the writer keeps of a streaming cell: its live result (read, never written), its
    two texts and the usage it last wrote."""

    __slots__ = ("output", "reasoning", "result", "usage")

    def __init__(self, result: Any, secrets: list[str]) -> None:
        self.result = result
        self.output = GrowingText(secrets)
        self.reasoning = GrowingText(secrets)
        self.usage: tuple[Any, ...] | None = None

    def take(self) -> Columns | None:
        """The columns that changed since the last look (the runner grows its strings: a text
        that is the same object has not changed, a longer one is compared by its new part)."""
        r = self.result
        cols: Columns = {}
        usage = tuple(getattr(r, name) for name in USAGE_FIELDS)
        if usage != self.usage:
            self.usage = usage
            cols.update(zip(USAGE_FIELDS, usage, strict=True))
        text = self.output.take(r.output or "")
        if text is not None:
            cols["output"] = text
        text = self.reasoning.take(r.reasoning or "")
        if text is not None:
            cols["reasoning"] = text
        return cols


class Writer:
    """One thread and one connection that write what the recorder notes."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._cond = threading.Condition()
        self._columns: dict[Rid, Columns] = {}  # response id -> columns to set
        self._finals: dict[Rid, Thunk] = {}  # response id -> its final columns, made here
        self._runs: dict[int, tuple[str, str]] = {}  # run id -> (status, finished_at)
        self._live: dict[Rid, LiveCell] = {}  # streaming cells
        self._unwritten: tuple[dict[Rid, Columns], dict[int, tuple[str, str]]] | None = None
        self._taken = 0  # cycles that took what was noted; _written: cycles that landed
        self._written = 0
        self._urgent = False  # a cell or run ended, or someone flushes: write soon
        self._hurried = (0.0, 0.0)  # when the first and the latest end since the last cycle came
        self._idle = False  # the thread sleeps until something is noted
        self._flushers = 0
        # (cycle, callback) of when_written: told once that cycle lands or the database is busy
        self._waiters: list[tuple[int, Callable[[], None]]] = []
        self._stopped = False  # the thread has ended (or never could connect)
        self._closing = False
        self._thread: threading.Thread | None = None
        self.busy = False  # another process holds the database's write lock: writes wait
        self.on_busy: Callable[[bool], None] | None = None  # told from the writer thread
        self.error: str | None = None  # a write that failed for another reason

    # -- noting (any thread; the event loop's calls return at once) ------------------------------
    def stream(self, rid: Rid, result: Any, secrets: list[str], columns: Columns) -> None:
        """A live cell whose ``result`` (a CellResult the loop grows) is read at each look, and
        the ``columns`` it starts with."""
        cell = LiveCell(result, secrets)
        with self._cond:
            self._live[rid] = cell
            self._columns.setdefault(rid, {}).update(columns)
            self._wake_idle()
        self._start()

    def note(self, rid: Rid, **columns: Any) -> None:
        with self._cond:
            self._columns.setdefault(rid, {}).update(columns)
            self._wake_idle()
        self._start()

    def finish(self, rid: Rid, final: Thunk) -> None:
        """The cell ended: ``final()`` (called on the writer thread) gives its columns."""
        with self._cond:
            self._finals[rid] = final
            self._ended()
        self._start()

    def run_done(self, run_id: int, status: str, finished_at: str) -> None:
        with self._cond:
            self._runs[run_id] = (status, finished_at)
            self._ended()
        self._start()

    def flush(self, *, until_busy: bool = False, timeout: float | None = None) -> bool:
        """Wait until everything noted so far is in the database (True), or, with
        ``until_busy``, until the database turns out busy (False), or the timeout passes."""
        if self._thread is None or threading.current_thread() is self._thread:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            goal = self._taken + 1  # the next cycle takes everything noted until now
            self._urgent = True
            self._flushers += 1
            self._cond.notify_all()
            try:
                while self._written < goal and self._thread.is_alive():
                    if until_busy and self.busy:
                        return False
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                return True
            finally:
                self._flushers -= 1

    def when_written(self, done: Callable[[], None]) -> bool:
        """``flush(until_busy=True)`` without blocking the caller: ``done()`` is called on the
        writer thread once everything noted so far is in the database, or the database turns
        out busy, or the thread ends. False (and no call) when there is nothing to wait for.
        The event loop awaits a run's record this way, with no thread of its own in between."""
        with self._cond:
            if self._thread is None or self._stopped or self.busy:
                return False
            self._waiters.append((self._taken + 1, done))  # the next cycle takes all noted
            self._urgent = True
            self._flushers += 1
            self._cond.notify_all()
        return True

    def _release(self, written: int | None) -> None:
        """Tell the waiters whose cycle landed (all of them with None); called holding the
        lock."""
        if not self._waiters:
            return
        done = [w for w in self._waiters if written is None or w[0] <= written]
        self._waiters = [w for w in self._waiters if w not in done]
        self._flushers -= len(done)
        for _, callback in done:
            with contextlib.suppress(Exception):  # a waiter's problem must not stop the writes
                callback()

    def close(self) -> None:
        """Write everything noted, however long another process holds the lock; then stop."""
        thread = self._thread
        if thread is None:
            return
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        thread.join()
        self._thread = None
        atexit.unregister(self.close)

    # -- the thread ----------------------------------------------------------------------------
    def _ended(self) -> None:
        """A cell or a run ended (called holding the lock). While cells stream the thread looks
        every FLUSH_INTERVAL anyway: the end lands with its next look, shared with the ends
        around it, and the thread is not woken for it (each wake-up while the loop streams is a
        hand-off of the GIL). Otherwise it is woken to write soon."""
        if not self._live:
            self._hurry()

    def _hurry(self) -> None:
        """Write soon (called holding the lock); a writer already hurrying is not woken again
        (each wake-up is a thread switch: cells ending together would cost one each)."""
        now = time.monotonic()
        if not self._urgent:
            self._urgent = True
            self._hurried = (now, now)
            self._cond.notify_all()
        else:
            self._hurried = (self._hurried[0], now)

    def _wake_idle(self) -> None:
        """A sleeping writer starts its FLUSH_INTERVAL ticks (called holding the lock)."""
        if self._idle:
            self._idle = False
            self._cond.notify_all()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._main, name="playground-store", daemon=True)
            self._thread.start()
            atexit.register(self.close)  # whoever forgot close(): what was noted still lands

    def _main(self) -> None:
        try:
            conn = self._connect()
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except Exception as exc:  # (a StoreError, sqlite3.Error): reported, nothing written
            self.error = " ".join(str(exc).split()) or type(exc).__name__
            with self._cond:
                self._stopped = True
                self._release(None)
                self._cond.notify_all()
            return
        retry = 0.05
        try:
            while True:
                with self._cond:
                    tick = None  # while anything is live or noted: a look every FLUSH_INTERVAL
                    while not (self._urgent or self._closing):
                        self._idle = not (
                            self._live
                            or self._columns
                            or self._finals
                            or self._runs
                            or self._unwritten
                        )
                        if self._idle:
                            self._cond.wait()  # until something is noted
                            continue
                        tick = tick or time.monotonic() + FLUSH_INTERVAL
                        left = tick - time.monotonic()
                        if left <= 0:
                            break
                        self._cond.wait(left)
                    self._idle = False
                    if self._urgent and not self._flushers:  # cells ending together: one commit
                        while not (self._closing or self._flushers):
                            first, latest = self._hurried
                            end = min(latest + FINISH_DELAY, first + FLUSH_INTERVAL)
                            left = end - time.monotonic()
                            if left <= 0:
                                break
                            self._cond.wait(left)
                    self._urgent = False
                    closing = self._closing
                    self._taken += 1
                    cycle = self._taken
                    columns, self._columns = self._columns, {}
                    finals, self._finals = self._finals, {}
                    runs, self._runs = self._runs, {}
                    for rid in finals:
                        self._live.pop(rid, None)
                    live = list(self._live.items())
                try:
                    updates = self._made(live, columns, finals)
                except Exception as exc:  # a bug: said, not a dead thread that writes nothing
                    self.error = f"internal error: {' '.join(repr(exc).split())}"
                    updates = {}
                if self._unwritten is not None:  # what a lock kept out last time goes first
                    old_updates, old_runs = self._unwritten
                    for rid, cols in updates.items():
                        old_updates.setdefault(rid, {}).update(cols)
                    updates, runs = old_updates, old_runs | runs
                    self._unwritten = None
                landed = self._commit(conn, updates, runs)
                if landed:
                    retry = 0.05
                    with self._cond:
                        self._written = cycle
                        self._release(cycle)
                        self._cond.notify_all()
                    if closing:
                        with self._cond:
                            if not (self._columns or self._finals or self._runs):
                                return
                else:
                    self._unwritten = (updates, runs)
                    time.sleep(retry)
                    retry = min(retry * 2, RETRY_MAX_S)
        finally:
            conn.close()
            with self._cond:
                self._stopped = True
                self._release(None)
                self._cond.notify_all()

    def _made(
        self,
        live: list[tuple[Rid, LiveCell]],
        columns: dict[Rid, Columns],
        finals: dict[Rid, Thunk],
    ) -> dict[Rid, Columns]:
        """What one cycle writes: streamed text, noted columns, then finished cells' columns
        (JSON and redaction made here, off the loop)."""
        updates: dict[Rid, Columns] = {}
        for rid, cell in live:  # what streamed since the last look
            cols = cell.take()
            if cols:
                updates[rid] = cols
        lazy = []  # noted columns made here (a request's JSON), unless a final value replaces it
        for rid, cols in columns.items():
            updates.setdefault(rid, {}).update(cols)
            lazy += [(rid, name) for name, value in cols.items() if callable(value)]
        for rid, final in finals.items():
            updates.setdefault(rid, {}).update(final())
        for rid, name in lazy:
            cols = updates[rid]
            if callable(value := cols[name]):
                cols[name] = value()
        return updates

    def _commit(
        self,
        conn: sqlite3.Connection,
        updates: dict[Rid, Columns],
        runs: dict[int, tuple[str, str]],
    ) -> bool:
        """One transaction; False when another process's lock kept it out (try again)."""
        if not updates and not runs:
            return True
        groups: dict[tuple[str, ...], list[list[Any]]] = {}  # rows that set the same columns
        for rid, cols in updates.items():
            if cols:
                groups.setdefault(tuple(cols), []).append([rid, *cols.values()])
        try:
            conn.execute("BEGIN IMMEDIATE")
            for names, rows in groups.items():
                for sql, params in _updates(names, rows):
                    conn.execute(sql, params)
            if runs:
                conn.executemany(
                    "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                    [(status, at, run_id) for run_id, (status, at) in runs.items()],
                )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if _is_lock(exc):
                self._set_busy(True)
                return False
            self.error = " ".join(str(exc).split()) or type(exc).__name__
            return True  # not a lock: retrying would fail the same way; reported instead
        self._set_busy(False)
        return True

    def _set_busy(self, busy: bool) -> None:
        if busy == self.busy:
            return
        self.busy = busy
        with self._cond:
            if busy:
                self._release(None)  # they wait until written or busy: the writes go on
            self._cond.notify_all()
        if self.on_busy is not None:
            with contextlib.suppress(Exception):  # a display problem must not stop the writes
                self.on_busy(busy)


def _updates(names: tuple[str, ...], rows: list[list[Any]]) -> list[tuple[str, list[Any]]]:
    """Statements that give ``rows`` ([id, *values of names]) their columns: one UPDATE ...
    FROM VALUES for many rows (SQLite 3.33+), so a cycle is a few statements, not one per cell
    (each statement lets the event loop's thread and this one trade the GIL)."""
    sets = ", ".join(f"{name} = ?" for name in names)
    if len(rows) == 1 or sqlite3.sqlite_version_info < (3, 33):
        return [(f"UPDATE responses SET {sets} WHERE id = ?", [*row[1:], row[0]]) for row in rows]
    sets = ", ".join(f"{name} = v.column{i}" for i, name in enumerate(names, start=2))
    one = f"({', '.join('?' * (len(names) + 1))})"
    per = max(1, MAX_VARIABLES // (len(names) + 1))
    out = []
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        out.append(
            (
                f"UPDATE responses SET {sets} FROM (VALUES {', '.join([one] * len(chunk))}) AS v "
                "WHERE responses.id = v.column1",
                [value for row in chunk for value in row],
            )
        )
    return out


def _is_lock(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)
