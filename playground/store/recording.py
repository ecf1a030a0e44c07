"""The store's recording half: the runner's Recorder and ResponseCache.

``start_run`` inserts the run and a pending row per cell (one short transaction, before
anything is sent: the response ids go back to the runner). From then on ``on_event`` only
notes what changed for the writer thread (store/writer.py), keyed by response id: a started
cell hands over its live result (the writer reads its text so far at each look), a delta only
raises the cell's "changed" flag, a finished cell hands over its result. So ``kill -9`` loses
at most half a second of a stream, and the event loop never waits for the database. A
run's cache questions are one query (``lookup_cache_many``). ``Store`` loads this module when
its first run starts, so reading the database (``playground history``) stays quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal

from playground.core.cache import HIT_FIELDS
from playground.core.model import (
    Cell,
    CellDelta,
    CellFailed,
    CellFallback,
    CellFinished,
    CellPending,
    CellResult,
    CellRetry,
    CellStarted,
    CellUsage,
    RunEvent,
    RunFinished,
)
from playground.core.secrets import redact_output, redact_response, redact_text
from playground.store.opening import connect
from playground.store.rawpack import pack
from playground.store.stamps import iso
from playground.store.writer import MAX_VARIABLES, USAGE_FIELDS, Writer

if TYPE_CHECKING:
    from playground.core.plan import RunPlan
    from playground.core.template import Message
    from playground.store.store import Store

# CellResult fields that are responses columns of the same name, written when a cell ends
# (the rest are written their own way: the cell, the id, the request as JSON, stamps as text)
FINAL_FIELDS = tuple(
    f.name
    for f in fields(CellResult)
    if f.name not in ("cell", "id", "request", "cached", "started_at", "ended_at")
)
_final_fields = attrgetter(*FINAL_FIELDS)  # a result's FINAL_FIELDS as a tuple, in one call
_PER_CHUNK = (CellDelta, CellUsage)
# json.dumps(value, ensure_ascii=False, default=str) without making an encoder per call
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, default=str)
# what a cache hit holds: the fields it carries onto the new cell, and the original call's
# own figures (an eval grades a cached answer's latency by the call that produced it)
CACHE_COLUMNS = (*HIT_FIELDS, "cache_write_tokens", "ttft_ms", "latency_ms")
Written = tuple[str, tuple[str, ...]]  # a request as stored, and the known keys its text holds


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # (a cancelled wait)
        future.set_result(None)


def _insert_pending(
    conn: sqlite3.Connection, run_id: int, cells: Sequence[Cell], offset: int
) -> list[int]:
    """Insert a pending response per cell of run ``run_id`` (cell indexes from ``offset`` on: an
    eval's later cases); their ids, in the cells' order. Many rows to one INSERT … RETURNING
    (SQLite 3.35+): a 24-cell run's insert 0.15 -> 0.08 ms on the event loop, against one
    statement a row and a SELECT for the ids."""
    rows = [
        (run_id, offset + c.index, c.model, c.temperature, c.sample, c.model.partition(":")[0])
        for c in cells
    ]
    sql = (
        "INSERT INTO responses (run_id, cell_index, model, temperature, sample, provider, "
        "status) VALUES "
    )
    one = "(?, ?, ?, ?, ?, ?, 'pending')"
    found: dict[int, int] = {}  # cell index -> response id
    if sqlite3.sqlite_version_info < (3, 35):
        conn.executemany(sql + one, rows)
        found.update(
            conn.execute("SELECT cell_index, id FROM responses WHERE run_id = ?", (run_id,))
        )
    else:
        per = MAX_VARIABLES // 6  # rows a statement (6 parameters each)
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            found.update(
                conn.execute(
                    sql + ", ".join([one] * len(chunk)) + " RETURNING cell_index, id",
                    [value for row in chunk for value in row],
                ).fetchall()
            )
    return [int(found[row[1]]) for row in rows]


class Recording:
    """Records runs into ``store``'s database: inserts on the store's connection, everything
    after on the writer thread's."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.writer = Writer(lambda: connect(store.path))
        self.writer.on_busy = store._busy_changed
        self._hits: dict[str, int] = {}  # cache key -> the response that answered
        self._live: set[Any] = set()  # response ids the writer follows (it reads their text)
        # response id -> (its live result, the request recorded at start) of a started cell
        self._started_cells: dict[Any, tuple[CellResult, Any]] = {}
        self._open: dict[int, set[Any]] = {}  # run id -> its response ids not yet ended
        # request JSON -> (as stored, the known keys it holds), for the secrets it was looked
        # at with (writer thread only)
        self._cleaned: tuple[list[str], dict[str, Written]] = (self.secrets, {})
        # id of a request dict -> (the dict, as stored): the cells that share it (writer only)
        self._encoded: dict[int, tuple[dict[str, Any], Written]] = {}

    @property
    def secrets(self) -> list[str]:
        return self.store.secrets

    def _clean_meta(self, text: str | None) -> str | None:
        """Requests and errors: also key shapes, bearer tokens and URL passwords."""
        return redact_text(text, self.secrets) if text else text

    def _request_json(self, request: dict[str, Any]) -> str | None:
        """The request as stored (on the writer thread)."""
        return self._request_written(request)[0]

    def _request_keys(self, request: dict[str, Any]) -> tuple[str, ...]:
        """The known keys the request's text holds (a key pasted into a prompt)."""
        return self._request_written(request)[1]

    def _request_written(self, request: dict[str, Any]) -> Written:
        """The request as stored, and the keys it holds. A run's samples send the same request
        (the runner shares one dict between them: encoded once), as do cells repeated later
        (keys are looked for once per distinct text)."""
        if self._cleaned[0] is not self.secrets or len(self._cleaned[1]) > 256:
            self._cleaned = (self.secrets, {})
            self._encoded = {}
        same = self._encoded.get(id(request))
        if same is not None and same[0] is request:  # (the dict kept: its id is not reused)
            return same[1]
        text = _JSON_TEXT.encode(request)
        cleaned = self._cleaned[1]
        written = cleaned.get(text)
        if written is None:
            held = tuple(value for value in self.secrets if value in text)
            written = cleaned[text] = (self._clean_meta(text) or text, held)
        if len(self._encoded) > 64:
            self._encoded = {}
        self._encoded[id(request)] = (request, written)
        return written

    def _body_keys(self, request: dict[str, Any] | None) -> list[str] | None:
        """The known keys a raw response's body can hold: the one its provider is sent and
        those its request holds (a model writes only what it was given); None (all) when the
        store was not told what its provider is sent (on the writer thread)."""
        sent = self.store.sent_keys.get((request or {}).get("provider") or "")
        if sent is None:
            return None
        held = self._request_keys(request) if request is not None else ()
        return [value for value in self.secrets if value in sent or value in held]

    # -- Recorder ------------------------------------------------------------------------------
    def start_run(
        self, plan: RunPlan, cells: Sequence[Cell], messages: Sequence[Message]
    ) -> tuple[Any, Any, list[Any]]:
        """Insert the run and one pending response per cell in one transaction."""
        store = self.store
        if store.session_id is None:
            store.new_session(source="api")
        secrets = self.secrets

        def clean(text: str) -> str:
            return redact_output(text, secrets)

        system = "\n\n".join(m.content for m in messages if m.role == "system")
        prompt = "\n\n".join(m.content for m in messages if m.role != "system")
        row = (
            store.session_id,
            iso(),
            "running",
            clean(json.dumps(plan.template.to_dict(), ensure_ascii=False)),
            clean(_JSON_TEXT.encode(plan.variables)),
            json.dumps(plan.models),
            json.dumps(plan.temperatures),
            json.dumps(plan.params()),
            plan.repeats,
            int(plan.use_cache),
            plan.prompt_name,
            plan.prompt_version,
            clean(system),
            clean(prompt),
            clean(
                json.dumps(
                    [{"role": m.role, "content": m.content} for m in messages], ensure_ascii=False
                )
            ),
        )
        try:
            run_id, ids = self._insert_run(row, cells)
        except sqlite3.Error as exc:  # the run goes on unrecorded; the runner reports it
            self.writer.error = " ".join(str(exc).split())
            return store.session_id, None, [None] * len(cells)
        self._open[run_id] = set(ids)
        return store.session_id, run_id, ids

    def _insert_run(self, row: tuple[Any, ...], cells: Sequence[Cell]) -> tuple[int, list[int]]:
        store = self.store
        with store.lock:
            conn = store.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                run_id = conn.execute(
                    "INSERT INTO runs (session_id, created_at, status, template, variables, "
                    "models, temperatures, params, repeats, use_cache, prompt_name, "
                    "prompt_version, system, prompt, messages) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                ).lastrowid
                ids = _insert_pending(conn, int(run_id or 0), cells, 0)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return int(run_id or 0), ids

    def add_cells(self, run_id: int, cells: Sequence[Cell], offset: int) -> list[int]:
        """Pending responses for more cells of a recorded run (an eval's later cases), their
        indexes from ``offset`` on; their response ids."""
        store = self.store
        with store.lock:
            conn = store.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                ids = _insert_pending(conn, run_id, cells, offset)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self._open.setdefault(run_id, set()).update(ids)
        return ids

    def stream_to(self, response_id: Any) -> Literal[False] | None:
        """False for a started cell: the writer thread follows it from its first request,
        reading its text from the cell's live result, and needs none of its per-chunk events
        (a cell that never streams, a batch cell or a cache hit, is never live)."""
        if response_id in self._live:
            return False
        if response_id not in self._started_cells:
            return None
        self._live.add(response_id)
        result = self._started_cells[response_id][0]
        self.writer.stream(response_id, result, self.secrets, {})
        return False

    def on_event(self, event: RunEvent, cache_key: str | None = None) -> None:
        """Note one event for the writer thread; returns at once. Raises (once) when a write
        failed for a reason other than a lock, so the runner reports it."""
        # Per chunk from another caller than the runner's stream (a cached answer's one delta):
        # nothing for a live cell (the writer reads its live result)
        if isinstance(event, _PER_CHUNK) and event.response_id in self._live:
            return
        match event:
            case CellUsage(result=r) if r.id is not None:  # a cell that is not streaming
                self.writer.note(r.id, **{name: getattr(r, name) for name in USAGE_FIELDS})
            case CellStarted(result=r):
                self._started(r)
            case CellRetry(response_id=rid, attempt=attempt) if rid is not None:
                self.writer.note(rid, attempts=attempt + 1)
            case CellFallback(response_id=rid, model=model) if rid is not None:
                self.writer.note(rid, fallback_used=model)
            case CellFinished(result=r) | CellFailed(result=r) | CellPending(result=r):
                self._finished(r, cache_key)
            case RunFinished(run_id=run_id, results=results) if run_id is not None:
                self._open.pop(int(run_id), None)
                cancelled = any(r.status == "cancelled" for r in results)
                self.writer.run_done(int(run_id), "cancelled" if cancelled else "done", iso())
        if self.writer.error is not None:
            self._raise_error()

    async def settled(self) -> None:
        """Return once what was noted is written, or the database turns out busy (the writes
        then go on in the background); raise if a write failed. The writer thread wakes the
        loop itself (no executor thread in between: one hand-off of the GIL fewer each way)."""
        loop = asyncio.get_running_loop()
        written: asyncio.Future[None] = loop.create_future()

        def done() -> None:  # on the writer thread
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_resolve, written)

        if self.writer.when_written(done):
            await written
        if self.writer.error is not None:
            self._raise_error()

    def _raise_error(self) -> None:
        message, self.writer.error = self.writer.error, None
        raise RuntimeError(f"{self.store.path}: {message}")

    def _started(self, r: CellResult) -> None:
        rid = r.id
        if rid is None:
            return
        request = r.request
        self._started_cells[rid] = (r, request)
        self.writer.note(
            rid,
            status="running" if r.status in ("pending", "running") else r.status,
            started_at=iso(r.started_at),
            model_used=r.model_used,
            request=None if request is None else (lambda: self._request_json(request)),
            provider=(request or {}).get("provider"),
        )

    def _finished(self, r: CellResult, cache_key: str | None) -> None:
        rid = r.id
        if rid is None:
            return
        self._live.discard(rid)
        for cells in self._open.values():
            cells.discard(rid)
        # as it ended, for the writer: a tuple (a sweep's cells end together; each is held until
        # the writer's next look, a dict per cell was most of that)
        ended = _final_fields(r)
        at_start = self._started_cells.pop(rid, (None, None))[1]
        cached_from = self._hits.get(cache_key) if r.cached and cache_key else None
        ended_at = r.ended_at or time.time()

        request, cached, started_at = r.request, r.cached, r.started_at

        def final() -> dict[str, Any]:
            cols = dict(zip(FINAL_FIELDS, ended, strict=True))
            secrets = self.secrets
            cols["output"] = redact_output(cols["output"] or "", secrets)
            cols["reasoning"] = redact_output(cols["reasoning"] or "", secrets)
            cols["error"] = self._clean_meta(cols["error"]) or None
            # the raw response holds the model's text (the headers' secrets are hidden when it is
            # taken): hidden as the output is, once, here, its body searched for the keys it can
            # hold (redact_response); stored compressed (store/rawpack.py)
            if raw := cols.pop("raw_response"):
                body_keys = self._body_keys(request)
                cols["raw_response_zst"] = pack(redact_response(raw, secrets, body_keys))
            else:
                cols["raw_response_zst"] = None
            if request is not None and request is not at_start:
                # a fallback model answered: its request differs from the one at the start
                cols["request"] = self._request_json(request)
                cols["provider"] = request.get("provider")
            cols["cached"] = int(bool(cached))
            cols["cache_key"] = cache_key
            if cached and cache_key:
                cols["cached_from"] = cached_from
            cols["started_at"] = iso(started_at) if started_at else None
            cols["ended_at"] = iso(ended_at)
            return cols

        self.writer.finish(rid, final)

    # -- ResponseCache -------------------------------------------------------------------------
    def lookup_cache_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """The newest ok answer for each key (an original before a copy; errors never count),
        in one query per 500 keys: key -> hit or None."""
        found: dict[str, dict[str, Any] | None] = dict.fromkeys(keys)
        unique = list(found)
        columns = ", ".join(CACHE_COLUMNS)
        store = self.store
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            values = ", ".join("(?)" for _ in chunk)
            with store.lock:
                rows = store.conn.execute(
                    f"SELECT id, cache_key, {columns} FROM responses WHERE id IN ("
                    "SELECT (SELECT id FROM responses WHERE cache_key = k.column1 "
                    "AND status = 'ok' ORDER BY cached, id DESC LIMIT 1) "
                    f"FROM (VALUES {values}) AS k)",
                    chunk,
                ).fetchall()
            for row in rows:
                self._hits[row[1]] = row[0]
                hit = dict(zip(CACHE_COLUMNS, row[2:], strict=True))
                hit["reasoning"] = hit["reasoning"] or ""
                hit["cached_input_tokens"] = hit["cached_input_tokens"] or 0
                hit["cache_write_tokens"] = hit["cache_write_tokens"] or 0
                found[row[1]] = hit
        return found

    # -- the end -------------------------------------------------------------------------------
    def close(self) -> None:
        """Runs still open were stopped (Ctrl-C, the app quit): their unfinished cells and the
        runs are recorded cancelled; then everything noted is written, however long it waits."""
        now = iso()
        for run_id, open_cells in self._open.items():
            for rid in open_cells:
                self.writer.note(rid, status="cancelled", error="cancelled", ended_at=now)
            self.writer.run_done(run_id, "cancelled", now)
        self._open.clear()
        self.writer.close()
