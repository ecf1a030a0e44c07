"""The store's writer thread: every recording write happens here, never on the event loop.

The recorder notes what changed (cheap, from the loop): text pieces as they stream, columns
when something happens, a finished cell, a finished run. This thread takes what was noted
about every ``FLUSH_INTERVAL`` while cells stream (at once when a cell or run ends, or someone
flushes), hides known keys in the text that arrived since its last look, and commits it all in
one transaction on its own connection. A write that meets another process's lock is kept and
tried again until it lands (``busy`` is true meanwhile, and ``on_busy`` is told); any other
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

from playground.core.model import CellDelta
from playground.core.secrets import StreamRedactor

FLUSH_INTERVAL = 0.5  # seconds: well inside the "at least once a second" promise
FINISH_DELAY = 0.1  # cells ending together share one commit
BUSY_TIMEOUT_MS = 1000  # one attempt's wait for another process's lock, then "busy" and retry
RETRY_MAX_S = 1.0
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


class Writer:
    """One thread and one connection that write what the recorder notes."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._cond = threading.Condition()
        self._columns: dict[Rid, Columns] = {}  # response id -> columns to set
        self._finals: dict[Rid, Thunk] = {}  # response id -> its final columns, made here
        self._runs: dict[int, tuple[str, str]] = {}  # run id -> (status, finished_at)
        self._pieces: dict[Rid, list[Any]] = {}  # live cells' unread deltas and usage
        self._streams: dict[Rid, tuple[StreamRedactor, StreamRedactor]] = {}  # writer's own
        self._unwritten: tuple[dict[Rid, Columns], dict[int, tuple[str, str]]] | None = None
        self._taken = 0  # cycles that took what was noted; _written: cycles that landed
        self._written = 0
        self._urgent = False  # a cell or run ended, or someone flushes: write soon
        self._idle = False  # the thread sleeps until something is noted
        self._flushers = 0
        self._closing = False
        self._thread: threading.Thread | None = None
        self.busy = False  # another process holds the database's write lock: writes wait
        self.on_busy: Callable[[bool], None] | None = None  # told from the writer thread
        self.error: str | None = None  # a write that failed for another reason

    # -- noting (any thread; the event loop's calls return at once) ------------------------------
    def stream(self, rid: Rid, secrets: list[str]) -> list[Any]:
        """A live cell: the list its CellDelta and CellUsage events are appended to."""
        pieces: list[Any] = []
        with self._cond:
            self._pieces[rid] = pieces
            self._streams[rid] = (StreamRedactor(secrets), StreamRedactor(secrets))
            self._wake_idle()
        self._start()
        return pieces

    def note(self, rid: Rid, **columns: Any) -> None:
        with self._cond:
            self._columns.setdefault(rid, {}).update(columns)
            self._wake_idle()
        self._start()

    def finish(self, rid: Rid, final: Thunk) -> None:
        """The cell ended: ``final()`` (called on the writer thread) gives its columns."""
        with self._cond:
            self._finals[rid] = final
            self._hurry()
        self._start()

    def run_done(self, run_id: int, status: str, finished_at: str) -> None:
        with self._cond:
            self._runs[run_id] = (status, finished_at)
            self._hurry()
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
    def _hurry(self) -> None:
        """Write soon (called holding the lock); a writer already hurrying is not woken again
        (each wake-up is a thread switch: cells ending together would cost one each)."""
        if not self._urgent:
            self._urgent = True
            self._cond.notify_all()

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
                self._cond.notify_all()
            return
        retry = 0.05
        try:
            while True:
                with self._cond:
                    tick = None  # while anything is live or noted: a look every FLUSH_INTERVAL
                    while not (self._urgent or self._closing):
                        self._idle = not (self._pieces or self._columns or self._unwritten)
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
                        end = time.monotonic() + FINISH_DELAY
                        while not (self._closing or self._flushers):
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
                    live = list(self._pieces.items())
                    for rid in finals:
                        self._pieces.pop(rid, None)
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
                self._cond.notify_all()

    def _made(
        self,
        live: list[tuple[Rid, list[Any]]],
        columns: dict[Rid, Columns],
        finals: dict[Rid, Thunk],
    ) -> dict[Rid, Columns]:
        """What one cycle writes: streamed text, noted columns, then finished cells' columns
        (JSON and redaction made here, off the loop)."""
        updates = self._take_text(live)
        for rid, cols in columns.items():
            updates.setdefault(rid, {}).update(cols)
        for rid, final in finals.items():
            self._streams.pop(rid, None)
            updates.setdefault(rid, {}).update(final())
        for cols in updates.values():
            for name, value in cols.items():
                if callable(value):
                    cols[name] = value()
        return updates

    def _take_text(self, live: list[tuple[Rid, list[Any]]]) -> dict[Rid, Columns]:
        """What streamed since the last look: the new text added to each live cell's redacted
        text, and the usage the cell reports now."""
        updates: dict[Rid, Columns] = {}
        for rid, pieces in live:
            if not pieces:
                continue
            taken = pieces[:]  # appends go on at the end meanwhile: they stay for next time
            del pieces[: len(taken)]
            output, reasoning = self._streams[rid]
            text: list[str] = []
            thought: list[str] = []
            usage = None
            for event in taken:
                if type(event) is CellDelta:
                    (thought if event.reasoning else text).append(event.text)
                else:
                    usage = event.result
            cols: Columns = {}
            if usage is not None:
                cols.update({name: getattr(usage, name) for name in USAGE_FIELDS})
            if text:
                output.feed("".join(text))
                cols["output"] = output.text()
            if thought:
                reasoning.feed("".join(thought))
                cols["reasoning"] = reasoning.text()
            updates[rid] = cols
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
        try:
            conn.execute("BEGIN IMMEDIATE")
            for rid, cols in updates.items():
                if not cols:
                    continue
                conn.execute(
                    f"UPDATE responses SET {', '.join(f'{n} = ?' for n in cols)} WHERE id = ?",
                    [*cols.values(), rid],
                )
            for run_id, (status, finished_at) in runs.items():
                conn.execute(
                    "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                    (status, finished_at, run_id),
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
            self._cond.notify_all()
        if self.on_busy is not None:
            with contextlib.suppress(Exception):  # a display problem must not stop the writes
                self.on_busy(busy)


def _is_lock(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)
