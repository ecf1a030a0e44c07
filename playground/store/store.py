"""The session store: one SQLite file (WAL) that the TUI and CLI commands share.

Use::

    store = Store.open(settings.db_path())     # checks, migrates, marks dead cells interrupted
    store.new_session(source="tui")            # once per TUI launch / CLI invocation (optional:
                                               # a run without one starts an "api" session)
    runner = Runner(settings, recorder=store)  # the store is the runner's Recorder and cache
    store.list_runs("otters"); store.load_run(7)   # a past run: metadata, plan, CellResults
    store.get_response(42); store.rate(42, +1, "crisp"); store.usage_stats("openai:gpt-4.1")
    store.close()                              # waits until everything recorded is written

Reads and the few direct writes (sessions, a run's first rows, ratings) are synchronous and
short, on one connection shared by threads under a lock. Recording a run's progress happens on
a writer thread of its own (recording.py, writer.py); ``busy`` says when another process holds
the database's write lock and those writes wait.
"""

from __future__ import annotations

import json
import os
import sqlite3
from _thread import RLock  # threading's RLock, without importing threading

from playground.core.secrets import redact_output, secret_values
from playground.store.migrations import MIGRATIONS_TABLE, applied, known_names, migrate
from playground.store.opening import StoreError, connect, inspect_existing
from playground.store.stamps import iso, parse_iso

# `playground history` reads the store and must start about as fast as `--help` (bench_store
# part 2, target < 1.5×): typing, dataclasses and core.model (the recording half) load only
# when a run starts or a run is loaded.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any, Literal

    from playground.core.estimate import UsageStats
    from playground.core.model import Cell, RunEvent
    from playground.core.plan import RunPlan
    from playground.core.template import Message
    from playground.store.loaded import RecordedRun
    from playground.store.recording import Recording

INTERRUPTED = "interrupted: the playground stopped before this cell finished"
USAGE_WINDOW = 50  # recent responses used to calibrate estimates
THUMBS, STARS = "thumbs", "stars"  # rating scales: -1/+1, or 1..5
JSON_COLUMNS = ("template", "variables", "models", "temperatures", "params", "messages")


class Store:
    """Sessions, runs, responses and ratings; also the runner's Recorder and ResponseCache."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self.lock = RLock()
        self.session_id: int | None = None
        self._secret_names: set[str] = set()
        self.secrets: list[str] = secret_values()  # known keys' values, longest first
        # provider name -> the known keys it is sent (add_provider_keys); a provider not named
        # here has its raw responses searched for every known key
        self.sent_keys: dict[str, list[str]] = {}
        self._recording: Recording | None = None
        self.busy = False  # another process holds the write lock: recorded writes wait
        self.on_busy: Callable[[bool], None] | None = None  # told from the writer thread

    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) and migrate; refuse, untouched, anything not ours."""
        path = os.path.expanduser(os.fspath(path))
        inspect_existing(path)
        conn = connect(path)
        try:
            names = set(known_names())
            try:
                done = applied(conn)
            except sqlite3.OperationalError:
                done = []
            if set(done) - names:  # a newer playground got here between check and connect
                raise StoreError(f"{path}: written by a newer playground; upgrade playground")
            if set(done) != names:
                migrate(conn)
            # this connection is the event loop's (a run's insert, ratings): it never runs
            # SQLite's WAL checkpoint, 6-9 ms every ~15 runs that landed in a run's insert; the
            # writer thread's connection checkpoints, and the last connection closed does
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            store = cls(conn, path)
            store.mark_interrupted()
        except StoreError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"{path}: {' '.join(str(exc).split())}") from None
        return store

    def close(self) -> None:
        """Write everything recorded (however long another process holds the lock; runs still
        open are recorded cancelled), then close; safe to call twice."""
        if self.conn is None:
            return
        try:
            if self._recording is not None:
                self._recording.close()
                self._recording = None
        finally:
            with self.lock:
                self.conn.close()
                self.conn = None  # type: ignore[assignment]

    # -- secrets ---------------------------------------------------------------------------
    def add_secret_envs(self, names: Any) -> None:
        """Also treat these environment variables (providers' api_key_env) as known keys."""
        self._secret_names.update(n for n in names if n)
        self.secrets = secret_values(self._secret_names)

    def add_provider_keys(self, envs: dict[str, str | None]) -> None:
        """Providers' ``api_key_env`` by provider name: known keys, as ``add_secret_envs``,
        and which one each provider is sent (its raw responses' bodies are searched for that
        key and the keys its request holds, not for every key: redact_response)."""
        self.add_secret_envs(envs.values())
        known = set(self.secrets)
        for provider, name in envs.items():
            value = os.environ.get(name) if name else None
            self.sent_keys[provider] = [value] if value and value in known else []

    # -- sessions --------------------------------------------------------------------------
    def new_session(self, source: str = "cli", label: str | None = None) -> int:
        """Start a session (one per CLI invocation or TUI launch); later runs belong to it."""
        import socket

        from playground import __version__

        with self.lock:
            cur = self.conn.execute(
                "INSERT INTO sessions (created_at, source, label, pid, host, cwd, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (iso(), source, label, os.getpid(), socket.gethostname(), os.getcwd(), __version__),
            )
            self.session_id = int(cur.lastrowid or 0)
        return self.session_id

    # -- recording: the runner's Recorder and ResponseCache (see recording.py) ---------------
    def _recorder(self) -> Recording:
        if self._recording is None:
            from playground.store.recording import Recording

            self._recording = Recording(self)
        return self._recording

    def start_run(
        self, plan: RunPlan, cells: Sequence[Cell], messages: Sequence[Message]
    ) -> tuple[Any, Any, list[Any]]:
        """Record a run about to start; (session id, run id, one response id per cell)."""
        return self._recorder().start_run(plan, cells, messages)

    def on_event(self, event: RunEvent, cache_key: str | None = None) -> None:
        """Note one event of a run (returns at once; the writer thread writes it). After close()
        events are ignored: what closing recorded (cancelled) stands."""
        if self.conn is not None:
            (self._recording or self._recorder()).on_event(event, cache_key)

    def add_cells(self, run_id: int, cells: Sequence[Cell], offset: int) -> list[int]:
        """More cells for a recorded run (an eval's later cases); their response ids."""
        return self._recorder().add_cells(run_id, cells, offset)

    def stream_to(self, response_id: Any) -> Literal[False] | None:
        """False for a started cell: nothing per chunk (the writer reads the live result)."""
        return self._recording.stream_to(response_id) if self._recording else None

    async def settled(self) -> None:
        """Once what was recorded is written (or the database is busy); raises on a failure."""
        if self._recording is not None:
            await self._recording.settled()

    def lookup_cache_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """key -> the newest ok answer with that key (CellResult fields by name), or None."""
        return self._recorder().lookup_cache_many(keys)

    def lookup_cache(self, key: str) -> dict[str, Any] | None:
        return self.lookup_cache_many([key])[key]

    def flush(self) -> None:
        """Wait until everything recorded so far is in the database."""
        if self._recording is not None:
            self._recording.writer.flush()

    def _busy_changed(self, busy: bool) -> None:
        self.busy = busy
        if self.on_busy is not None:
            self.on_busy(busy)

    # -- crash recovery --------------------------------------------------------------------
    def mark_interrupted(self) -> int:
        """Cells a dead process left pending or running become "interrupted" (partial text
        kept). Cells of live processes (another TUI on this database) are left alone."""
        with self.lock:
            rows = self.conn.execute(
                "SELECT r.id, s.id, s.pid, s.host, s.created_at FROM responses r "
                "JOIN runs u ON u.id = r.run_id JOIN sessions s ON s.id = u.session_id "
                "WHERE r.status IN ('pending', 'running') AND r.batch_id IS NULL"
            ).fetchall()  # a cell waiting in a provider's batch job is not interrupted
            runs = self.conn.execute(
                "SELECT u.id, s.id, s.pid, s.host, s.created_at FROM runs u "
                "JOIN sessions s ON s.id = u.session_id WHERE u.status = 'running'"
            ).fetchall()
            if not rows and not runs:
                return 0
            dead = [r[0] for r in rows if not _alive(r[2], r[3], r[4])]
            dead_runs = [r[0] for r in runs if not _alive(r[2], r[3], r[4])]
            if not dead and not dead_runs:
                return 0
            now = iso()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self.conn.executemany(
                    "UPDATE responses SET status = 'interrupted', "
                    "error = COALESCE(error, ?), ended_at = COALESCE(ended_at, ?) "
                    "WHERE id = ? AND status IN ('pending', 'running')",
                    [(INTERRUPTED, now, rid) for rid in dead],
                )
                self.conn.executemany(
                    "UPDATE runs SET status = 'interrupted', finished_at = ? "
                    "WHERE id = ? AND status = 'running'",
                    [(now, rid) for rid in dead_runs],
                )
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        return len(dead)

    # -- reading ---------------------------------------------------------------------------
    def _rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self.lock:
            cur = self.conn.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def get_run(self, run_id: Any) -> dict[str, Any] | None:
        """The run with its plan as ``RunPlan.to_dict()`` under "plan"; None if unknown."""
        rows = self._rows("SELECT * FROM runs WHERE id = ?", (_as_int(run_id),))
        if not rows:
            return None
        run = rows[0]
        for name in JSON_COLUMNS:
            run[name] = json.loads(run[name]) if run.get(name) else None
        params = run.get("params") or {}
        run["plan"] = {
            "template": run["template"] or {"messages": []},
            "variables": run["variables"] or {},
            "models": run["models"] or [],
            "temperatures": run["temperatures"] or [None],
            "params": params,
            "repeats": run.get("repeats") or 1,
            "prompt_name": run.get("prompt_name"),
            "prompt_version": run.get("prompt_version"),
        }
        run["use_cache"] = bool(run.get("use_cache"))
        session = self._rows("SELECT source FROM sessions WHERE id = ?", (run["session_id"],))
        run["source"] = session[0]["source"] if session else None
        return run

    def responses_for_run(self, run_id: Any) -> list[dict[str, Any]]:
        """The run's responses in cell order, each as get_response returns it."""
        rows = self._rows(
            "SELECT r.*, g.score AS rating_score, g.note AS rating_note, g.scale AS rating_scale "
            "FROM responses r "
            "LEFT JOIN ratings g ON g.response_id = r.id WHERE r.run_id = ? ORDER BY r.cell_index",
            (_as_int(run_id),),
        )
        return [_response(row, self.secrets) for row in rows]

    def load_run(self, run_id: Any) -> RecordedRun | None:
        """A past run as a front end reopens it (plan, CellResults, ratings); None if unknown."""
        from playground.core.model import CellResult
        from playground.store.loaded import RecordedRun

        run = self.get_run(run_id)
        if run is None:
            return None
        rows = self.responses_for_run(run_id)
        return RecordedRun(
            run=run,
            plan=plan_from_run(run),
            results=[CellResult.from_dict(r, i) for i, r in enumerate(rows)],
            ratings={r["id"]: r["rating"] for r in rows if r.get("rating")},
        )

    def get_response(self, response_id: Any) -> dict[str, Any] | None:
        """Every response column, "request" parsed, "cached" a bool, plus "rating"."""
        rows = self._rows(
            "SELECT r.*, g.score AS rating_score, g.note AS rating_note, g.scale AS rating_scale "
            "FROM responses r "
            "LEFT JOIN ratings g ON g.response_id = r.id WHERE r.id = ?",
            (_as_int(response_id),),
        )
        return _response(rows[0], self.secrets) if rows else None

    def list_runs(self, query: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Newest first: id, created_at, models, cell_count, cost_usd, snippet (and status,
        session_id, ok_count, failed_count). QUERY matches prompts and outputs (all words)."""
        from playground.store.search import list_runs

        with self.lock:
            return list_runs(self.conn, query, limit)

    def list_sessions(self, limit: int = 20) -> list[dict[str, Any]]:
        """Newest sessions first, with how many runs each holds."""
        return self._rows(
            "SELECT s.id, s.created_at, s.source, s.label, COUNT(u.id) AS run_count "
            "FROM sessions s LEFT JOIN runs u ON u.session_id = s.id "
            "GROUP BY s.id ORDER BY s.id DESC LIMIT ?",
            (int(limit),),
        )

    def runs_for_session(self, session_id: Any) -> list[int]:
        """Run ids of a session, oldest first (to reopen a whole session)."""
        rows = self._rows("SELECT id FROM runs WHERE session_id = ? ORDER BY id", (session_id,))
        return [r["id"] for r in rows]

    def plan_from_run(self, run: dict[str, Any]) -> RunPlan:
        return plan_from_run(run)

    # -- ratings ---------------------------------------------------------------------------
    def rate(
        self, response_id: Any, score: int, note: str | None = None, scale: str | None = None
    ) -> None:
        """Rate a response: "thumbs" -1/+1 (bad/good) or "stars" 1..5; rating again replaces
        it. Without a scale it is inferred: -1 is thumbs, 1..5 stars (so pass "thumbs" for good).
        """
        if isinstance(score, bool) or not isinstance(score, int):
            raise StoreError(f"{self.path}: a rating is -1, +1 or 1..5, got {score!r}")
        if scale is None:
            scale = THUMBS if score == -1 else STARS
        allowed = {THUMBS: (-1, 1), STARS: (1, 2, 3, 4, 5)}.get(scale)
        if allowed is None:
            raise StoreError(f"{self.path}: a rating scale is thumbs or stars, got {scale!r}")
        if score not in allowed:
            raise StoreError(f"{self.path}: a rating is -1, +1 or 1..5, got {score!r} ({scale})")
        rid = _as_int(response_id)
        with self.lock:
            if not self.conn.execute("SELECT 1 FROM responses WHERE id = ?", (rid,)).fetchone():
                raise StoreError(f"{self.path}: no response {response_id}")
            self.conn.execute(
                "INSERT INTO ratings (response_id, score, note, created_at, scale) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(response_id) DO UPDATE SET "
                "score = excluded.score, note = excluded.note, created_at = excluded.created_at, "
                "scale = excluded.scale",
                (rid, score, redact_output(note, self.secrets) if note else None, iso(), scale),
            )

    # -- calibration -----------------------------------------------------------------------
    def usage_stats(self, model_id: str) -> UsageStats | None:
        """How this model's real usage compares with our estimates, over recent ok calls."""
        from playground.core.estimate import UsageStats

        with self.lock:
            rows = self.conn.execute(
                "SELECT input_tokens, output_tokens, estimated_input_tokens FROM responses "
                "WHERE model_used = ? AND usage_source = 'provider' AND status = 'ok' "
                "AND cached = 0 ORDER BY id DESC LIMIT ?",
                (model_id, USAGE_WINDOW),
            ).fetchall()
        if not rows:
            return None
        outputs = [r[1] for r in rows if r[1] is not None]
        pairs = [(r[0], r[2]) for r in rows if r[0] is not None and r[2]]
        ratio = sum(p[0] for p in pairs) / sum(p[1] for p in pairs) if pairs else None
        return UsageStats(
            samples=len(rows),
            avg_output_tokens=sum(outputs) / len(outputs) if outputs else None,
            input_ratio=ratio,
        )

    def schema_version(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self.conn.execute(f"SELECT name FROM [{MIGRATIONS_TABLE}]")]


def plan_from_run(run: dict[str, Any]) -> RunPlan:
    """Rebuild the run's plan (template, variables, models, temperatures, params)."""
    from playground.core.plan import RunPlan
    from playground.core.template import PromptTemplate, history_messages

    plan = run.get("plan") or run
    params = plan.get("params") or {}
    return RunPlan(
        template=PromptTemplate.from_dict(plan.get("template") or {"messages": []}),
        variables=dict(plan.get("variables") or {}),
        models=list(plan.get("models") or []),
        temperatures=list(plan.get("temperatures") or [None]),
        max_tokens=params.get("max_tokens"),
        top_p=params.get("top_p"),
        seed=params.get("seed"),
        stop=list(params.get("stop") or []),
        repeats=int(plan.get("repeats") or 1),
        prompt_name=plan.get("prompt_name"),
        prompt_version=plan.get("prompt_version"),
        history=history_messages(plan.get("history")),
    )


def _response(row: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    """A responses row for show, export and the TUI: its text as redact_output hides it (a
    database written before a key was known), "request" parsed, "cached" a bool, "rating"."""
    for name in ("output", "reasoning"):
        if row.get(name):
            row[name] = redact_output(row[name], secrets)
    packed = row.pop("raw_response_zst", None)
    if packed is not None:
        from playground.store.rawpack import unpack

        row["raw_response"] = unpack(packed)
    score = row.pop("rating_score", None)
    note = row.pop("rating_note", None)
    scale = row.pop("rating_scale", None)  # None: rated before scales were recorded
    row["rating"] = None if score is None else {"score": score, "note": note, "scale": scale}
    row["request"] = json.loads(row["request"]) if row.get("request") else None
    row["cached"] = bool(row.get("cached"))
    return row


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _alive(pid: int | None, host: str | None, since: str | None = None) -> bool:
    """Is the process that owns a session (created at ``since``) still running here?

    A pid is reused (PID 1 in every fresh container): a process that started after the
    session was created is another one, so the session's owner is gone."""
    import socket

    if not pid or host != socket.gethostname():
        return False
    started = _process_start(pid)
    created = parse_iso(since)
    if started is not None and created is not None and started > created + 1.0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _process_start(pid: int) -> float | None:
    """When a process started (Unix time), from /proc on Linux; None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rpartition(")")[2].split()
        ticks = int(fields[19])  # field 22 (starttime), counted after "pid (comm)"
        with open("/proc/stat", encoding="ascii") as fh:
            boot = next(int(line.split()[1]) for line in fh if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
