"""The runner's Recorder: rows written as a run happens, streamed text flushed periodically.

The runner's ``CellResult`` (carried by CellStarted) is live: it holds the text and usage so
far. So the store declines the per-chunk events (``wants_deltas = False``): while a cell is
live a timer on the running event loop copies every live cell that changed, every
``FLUSH_INTERVAL`` seconds. A finished cell is committed within ``FINISH_DELAY`` (cells ending
together share one transaction). So ``kill -9`` loses at most half a second of a stream, and
streaming costs the store nothing per chunk. A run's cache questions are one query
(``lookup_cache_many``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time

from playground.core.secrets import REDACTED, redact_text, secret_values

TYPE_CHECKING = False  # not importing typing keeps `playground history` quick to start
if TYPE_CHECKING:
    from typing import Any

    from playground.core.plan import Cell, CellResult, RunPlan

FLUSH_INTERVAL = 0.5  # seconds: well inside the "at least once a second" promise
FINISH_DELAY = 0.1  # a finished cell is committed this soon (cells ending together: one commit)

# CellResult field -> responses column, written when a cell ends
FINAL_FIELDS = (
    "status",
    "output",
    "reasoning",
    "error",
    "finish_reason",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "usage_source",
    "estimated_input_tokens",
    "cost_usd",
    "ttft_ms",
    "latency_ms",
    "model_used",
    "fallback_used",
    "attempts",
    "raw_response",
    "batch_id",
)
CACHE_FIELDS = (
    "output",
    "reasoning",
    "finish_reason",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "usage_source",
    "ttft_ms",
    "latency_ms",
)


_second: tuple[int, str] = (-1, "")  # the last whole second formatted: cells share a second


def iso(ts: float | None = None) -> str:
    """UTC ISO-8601 with milliseconds: sorts as text, reads as a date."""
    global _second
    ts = time.time() if ts is None else ts
    whole, text = _second  # one tuple: safe against another thread replacing it
    if whole != int(ts):  # gmtime + strftime cost microseconds; ~72 calls per 24-cell run
        whole = int(ts)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second = (whole, text)
    return f"{text}.{int(ts % 1 * 1000):03d}Z"


class RecorderMixin:
    """start_run / lookup_cache / on_event over ``self.conn`` (see store.Store)."""

    # The runner need not send CellDelta / CellUsage here: the live CellResult seen at
    # CellStarted holds the text and usage, and a timer copies it while cells are live.
    wants_deltas = False

    conn: sqlite3.Connection
    lock: Any  # an RLock
    path: Any
    session_id: int | None

    def _init_recorder(self) -> None:
        self._secret_names: set[str] = set()
        self._secrets: list[str] = secret_values(self._secret_names)
        self._cell_ids: dict[int, int] = {}  # id(Cell) -> response id
        self._run_cells: dict[int, list[Any]] = {}  # run id -> its Cell objects (kept alive)
        self._live: dict[int, Any] = {}  # response id -> the runner's live CellResult
        self._written: dict[int, tuple[Any, ...]] = {}  # response id -> what the db has
        self._updates: dict[int, dict[str, Any]] = {}  # response id -> columns to set
        self._requests: dict[int, Any] = {}  # response id -> the request recorded at start
        self._runs_done: dict[int, str] = {}  # run id -> finished_at, written by the next flush
        self._delta_type: Any = None  # events' classes, learned by name (no engine import)
        self._usage_type: Any = None
        self._timer_due = 0.0
        self._hits: dict[str, int] = {}  # cache key -> the response that answered
        self._last_flush = time.monotonic()
        self._timer: Any = None
        self._deferred_error: str | None = None
        self.redactions = 0

    # -- secrets ---------------------------------------------------------------------------
    def add_secret_envs(self, names: Any) -> None:
        """Also treat these environment variables (providers' api_key_env) as secrets."""
        self._secret_names.update(n for n in names if n)
        self._secrets = secret_values(self._secret_names)

    def _clean(self, text: str | None) -> str | None:
        """Prompts, variables and outputs: the values of keys in the environment hidden
        (only those: a model may well write text that merely looks like a key)."""
        if not text:
            return text
        for secret in self._secrets:
            if secret in text:
                self.redactions += 1
                text = text.replace(secret, REDACTED)
        return text

    def _clean_meta(self, text: str | None) -> str | None:
        """Requests and errors: also key shapes, bearer tokens and URL passwords."""
        if not text:
            return text
        return redact_text(text, self._secrets)

    # -- sessions --------------------------------------------------------------------------
    def new_session(self, source: str = "cli", label: str | None = None) -> int:
        """Start a session (one per CLI invocation or TUI launch); later runs belong to it."""
        import socket

        from playground import __version__

        with self.lock:
            cur = self.conn.execute(
                "INSERT INTO sessions (created_at, source, label, pid, host, cwd, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    iso(),
                    source,
                    label,
                    os.getpid(),
                    socket.gethostname(),
                    os.getcwd(),
                    __version__,
                ),
            )
            self.session_id = int(cur.lastrowid or 0)
        return self.session_id

    # -- Recorder protocol -----------------------------------------------------------------
    def start_run(self, plan: RunPlan, cells: list[Cell]) -> tuple[Any, Any, list[Any]]:
        """Insert the run and one pending response per cell in one transaction."""
        if self.session_id is None:
            self.new_session(source="api")
        if self._timer is not None and self._timer_loop.is_closed():  # a finished asyncio.run
            self._timer = None
        try:
            messages = plan.render()
        except Exception:  # the runner rendered it already; be lenient here
            messages = []
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        prompt = "\n\n".join(m.content for m in messages if m.role != "system")
        row = (
            self.session_id,
            iso(),
            "running",
            self._clean(json.dumps(plan.template.to_dict(), ensure_ascii=False)),
            self._clean(json.dumps(plan.variables, ensure_ascii=False, default=str)),
            json.dumps(plan.models),
            json.dumps(plan.temperatures),
            json.dumps(plan.params()),
            plan.repeats,
            int(plan.use_cache),
            plan.prompt_name,
            plan.prompt_version,
            self._clean(system),
            self._clean(prompt),
            self._clean(
                json.dumps(
                    [{"role": m.role, "content": m.content} for m in messages], ensure_ascii=False
                )
            ),
        )
        try:
            run_id, ids = self._insert_run(row, cells)
        except sqlite3.Error as exc:  # the run goes on unrecorded; the runner reports it
            self._deferred_error = f"{self.path}: {' '.join(str(exc).split())}"
            return self.session_id, None, [None] * len(cells)
        for cell, rid in zip(cells, ids, strict=True):
            self._cell_ids[id(cell)] = int(rid or 0)
        self._run_cells[int(run_id or 0)] = list(cells)
        return self.session_id, run_id, ids

    def _insert_run(self, row: tuple[Any, ...], cells: list[Cell]) -> tuple[int, list[int]]:
        with self.lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                run_id = conn.execute(
                    "INSERT INTO runs (session_id, created_at, status, template, variables, "
                    "models, temperatures, params, repeats, use_cache, prompt_name, "
                    "prompt_version, system, prompt, messages) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                ).lastrowid
                conn.executemany(
                    "INSERT INTO responses (run_id, cell_index, model, temperature, "
                    "sample, provider, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                    [
                        (
                            run_id,
                            cell.index,
                            cell.model,
                            cell.temperature,
                            cell.sample,
                            cell.model.partition(":")[0],
                        )
                        for cell in cells
                    ],
                )
                by_index = dict(
                    conn.execute(
                        "SELECT cell_index, id FROM responses WHERE run_id = ?", (run_id,)
                    ).fetchall()
                )
                ids = [by_index[cell.index] for cell in cells]
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return int(run_id or 0), [int(i or 0) for i in ids]

    def lookup_cache(self, key: str) -> dict[str, Any] | None:
        """The newest ok answer with this key (an original before a copy); errors never count."""
        with self.lock:
            cur = self.conn.execute(
                f"SELECT id, {', '.join(CACHE_FIELDS)} FROM responses "
                "WHERE cache_key = ? AND status = 'ok' ORDER BY cached, id DESC LIMIT 1",
                (key,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        self._hits[key] = row[0]
        return self._hit(row[1:])

    @staticmethod
    def _hit(row: tuple[Any, ...]) -> dict[str, Any]:
        hit = dict(zip(CACHE_FIELDS, row, strict=True))
        hit["reasoning"] = hit["reasoning"] or ""
        hit["cached_input_tokens"] = hit["cached_input_tokens"] or 0
        hit["cache_write_tokens"] = hit["cache_write_tokens"] or 0
        return hit

    def lookup_cache_many(self, keys: list[str]) -> dict[str, dict[str, Any] | None]:
        """lookup_cache for a whole run's cells in one query per 500 keys: key -> hit or None."""
        found: dict[str, dict[str, Any] | None] = dict.fromkeys(keys)
        unique = list(found)
        columns = ", ".join(CACHE_FIELDS)
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            values = ", ".join("(?)" for _ in chunk)
            with self.lock:
                rows = self.conn.execute(
                    f"SELECT id, cache_key, {columns} FROM responses WHERE id IN ("
                    "SELECT (SELECT id FROM responses WHERE cache_key = k.column1 "
                    "AND status = 'ok' ORDER BY cached, id DESC LIMIT 1) "
                    f"FROM (VALUES {values}) AS k)",
                    chunk,
                ).fetchall()
            for row in rows:
                self._hits[row[1]] = row[0]
                found[row[1]] = self._hit(row[2:])
        return found

    def on_event(self, event: Any, cache_key: str | None = None) -> None:
        """Record one RunEvent (deltas, if sent, cost a check); a cell's end is committed
        within FINISH_DELAY."""
        cls = type(event)
        if cls is self._delta_type or cls is self._usage_type:
            # the hot path, per chunk: the runner's CellResult (seen at CellStarted) already
            # holds the text and usage; make sure a flush will copy it within the interval
            if self._timer is None:
                self._arm(FLUSH_INTERVAL)
            return
        kind = cls.__name__
        if kind == "CellDelta":
            self._delta_type = cls
            self.on_event(event, cache_key)
        elif kind == "CellUsage":
            self._usage_type = cls
            self.on_event(event, cache_key)
        elif kind == "CellStarted":
            self._started(event.result)
        elif kind == "CellRetry":
            rid = self._cell_ids.get(id(event.cell))
            if rid is not None:
                self._update(rid, attempts=event.attempt + 1)
        elif kind == "CellFallback":
            rid = self._cell_ids.get(id(event.cell))
            if rid is not None:
                self._update(rid, fallback_used=event.model)
        elif kind in ("CellFinished", "CellFailed", "CellPending"):
            self._finished(event.result, cache_key)
        elif kind == "RunFinished":
            if event.run_id is not None:
                self._runs_done[int(event.run_id)] = iso()
            self.flush()
            self._run_finished(event.run_id)
        if self._deferred_error is not None:  # a timer flush failed: the runner reports it
            message, self._deferred_error = self._deferred_error, None  # (this event is kept)
            raise RuntimeError(message)

    # -- writing ---------------------------------------------------------------------------
    def _update(self, rid: Any, **columns: Any) -> None:
        if rid is None:
            return
        self._updates.setdefault(int(rid), {}).update(columns)
        self._arm(FLUSH_INTERVAL)

    def _started(self, r: CellResult) -> None:
        if r.id is not None:
            self._live[int(r.id)] = r
        request = None
        if r.request is not None:
            request = self._clean_meta(json.dumps(r.request, ensure_ascii=False, default=str))
            if r.id is not None:
                self._requests[int(r.id)] = r.request
        self._update(
            r.id,
            status="running" if r.status in ("pending", "running") else r.status,
            started_at=iso(r.started_at),
            model_used=r.model_used,
            request=request,
            provider=(r.request or {}).get("provider"),
        )

    def _finished(self, r: CellResult, cache_key: str | None) -> None:
        if r.id is None:
            return
        rid = int(r.id)
        self._live.pop(rid, None)
        self._written.pop(rid, None)
        columns = self._updates.pop(rid, {})  # keeps the start's request if not yet written
        for name in FINAL_FIELDS:
            columns[name] = getattr(r, name)
        for name in ("output", "reasoning"):
            columns[name] = self._clean(columns[name]) or ""
        columns["error"] = self._clean_meta(columns["error"]) or None
        columns["raw_response"] = self._clean_meta(columns["raw_response"]) or None
        if r.request is not None and r.request is not self._requests.pop(rid, None):
            # a fallback model answered: its request differs from the one recorded at start
            columns["request"] = self._clean_meta(
                json.dumps(r.request, ensure_ascii=False, default=str)
            )
            columns["provider"] = r.request.get("provider")
        columns["cached"] = int(bool(r.cached))
        columns["cache_key"] = cache_key
        if r.cached and cache_key:
            columns["cached_from"] = self._hits.get(cache_key)
        columns["started_at"] = iso(r.started_at) if r.started_at else None
        columns["ended_at"] = iso(r.ended_at) if r.ended_at else iso()
        self._updates[rid] = columns
        # committed within FINISH_DELAY: cells ending together share one transaction
        self._arm(FINISH_DELAY)

    def _arm(self, delay: float) -> None:
        """Make sure a flush happens within ``delay`` seconds, even if the stream stalls
        (a timer on the running loop; with no loop, flush when that much time has passed)."""
        now = time.monotonic()
        if self._timer is not None and self._timer_due <= now + delay:
            return
        try:
            import asyncio

            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to wake us: flush now if it is due
            if now - self._last_flush >= delay:
                self.flush()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(delay, self._timer_flush)
        self._timer_due = now + delay
        self._timer_loop = loop

    def _timer_flush(self) -> None:
        self._timer = None
        try:
            self.flush()
        except Exception as exc:  # reported on the next event, which the runner catches
            self._deferred_error = f"{self.path}: {' '.join(str(exc).split())}"
        if self._live:  # cells still streaming (their deltas may not come here): keep copying
            self._arm(FLUSH_INTERVAL)

    def flush(self) -> None:
        """Copy live cells that changed, and pending column updates, in one transaction."""
        self._last_flush = time.monotonic()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        updates, self._updates = self._updates, {}
        written = {}
        for rid, r in self._live.items():
            state = (len(r.output), len(r.reasoning), r.input_tokens, r.output_tokens)
            if self._written.get(rid) == state:
                continue
            written[rid] = state
            updates.setdefault(rid, {}).update(
                output=self._clean(r.output) or "",
                reasoning=self._clean(r.reasoning) or "",
                input_tokens=r.input_tokens,
                output_tokens=r.output_tokens,
                cached_input_tokens=r.cached_input_tokens,
                cache_write_tokens=r.cache_write_tokens,
                usage_source=r.usage_source,
            )
        runs_done, self._runs_done = self._runs_done, {}
        if not updates and not runs_done:
            return
        with self.lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                for rid, columns in updates.items():
                    names = list(columns)
                    conn.execute(
                        f"UPDATE responses SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                        [*columns.values(), rid],
                    )
                for run_id, finished_at in runs_done.items():
                    conn.execute(
                        "UPDATE runs SET status = 'done', finished_at = ? WHERE id = ?",
                        (finished_at, run_id),
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self._written.update(written)

    def _run_finished(self, run_id: Any) -> None:
        if run_id is None:
            return
        for cell in self._run_cells.pop(int(run_id), []):
            self._cell_ids.pop(id(cell), None)
