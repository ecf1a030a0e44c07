"""Recording an eval: one run per eval, and each case × cell's verdict.

``EvalRecorder`` stands between the runner and the store during an eval (``playground eval``
and the TUI's Ctrl+R): the runner runs one small plan per case, and every case's cells join
the same run (cell indexes continue where the last case's ended), so ``history``, ``show`` and
``compare`` see an eval as one run. Judge and paraphrase calls (plans with an ``eval_role``)
go to a second run, the eval's helper run. The verdicts go to ``eval_results`` (migration
m007), linked to the responses they graded; reading them back is store/evals.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from playground.core.model import CellFinished, RunFinished
from playground.core.secrets import redact_output, redact_text
from playground.store.stamps import iso

RESULT_BATCH = 200  # graded results written to the store per transaction


class EvalRecorder:
    """The runner's Recorder (and ResponseCache) for an eval: per-case plans, one run (plus
    one for judges)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.session_id: Any = None
        self.runs: dict[str, int | None] = {"main": None, "helper": None}
        self._next: dict[int, int] = {}  # run id -> the next free cell index
        self._hit_latency: dict[str, float | None] = {}  # cache key -> the original's latency
        self.original_latency: dict[int, float | None] = {}  # id(CellResult) -> that latency
        self.error: str | None = None  # the first write that failed (the eval goes on)
        self.pending: list[dict[str, Any]] = []  # graded results not written yet

    @property
    def run_id(self) -> int | None:
        return self.runs["main"]

    @property
    def helper_run_id(self) -> int | None:
        return self.runs["helper"]

    def start_run(self, plan: Any, cells: Any, messages: Any) -> tuple[Any, Any, list[Any]]:
        which = "helper" if getattr(plan, "eval_role", None) else "main"
        run_id = self.runs[which]
        if run_id is None:
            session_id, run_id, ids = self.store.start_run(plan, cells, messages)
            self.session_id = session_id
            if run_id is not None:
                self.runs[which] = int(run_id)
                self._next[int(run_id)] = max((c.index for c in cells), default=-1) + 1
            return session_id, run_id, ids
        return self.session_id, run_id, self._add_cells(run_id, cells)

    def _add_cells(self, run_id: int, cells: list[Any]) -> list[Any]:
        """Pending responses for a later case's cells, in the same run."""
        offset = self._next[run_id]
        self._next[run_id] = offset + len(cells)
        return self.store.add_cells(run_id, cells, offset)

    # A cached answer's own latency is the store's (a millisecond); a ``latency`` assertion
    # grades the call that produced the answer, so the original's is kept for it.

    def lookup_cache_many(self, keys: list[str]) -> dict[str, dict[str, Any] | None]:
        hits = self.store.lookup_cache_many(keys)
        for key, hit in hits.items():
            if hit is not None:
                self._hit_latency[key] = hit.get("latency_ms")
        return hits

    def on_event(self, event: Any, cache_key: str | None = None) -> None:
        match event:
            case RunFinished():  # one case's plan ended; the run goes on
                return
            case CellFinished(result=result) if result.cached and cache_key is not None:
                self.original_latency[id(result)] = self._hit_latency.pop(cache_key, None)
        self.store.on_event(event, cache_key)

    def stream_to(self, response_id: Any) -> Literal[False] | None:
        return self.store.stream_to(response_id)

    async def settled(self) -> None:
        """A case's plan ended: nothing to wait for. Its cells are part of the eval's one run;
        the writer thread writes them as they end, as it does any run's (within
        ``FINISH_DELAY``), and ``close`` flushes the rest. Waiting for each case's own commit
        cost a thread hop and a commit per case, ~15% of an eval's CPU; a failed write still
        surfaces, at the next event (``on_event`` raises it)."""

    def original_figures(self, result: Any) -> float | None:
        """The latency of the call a cached result's answer came from (None: not cached)."""
        return self.original_latency.pop(id(result), None)

    def finish(self) -> None:
        """Mark the eval's runs done and write what is buffered."""
        for run_id in self.runs.values():
            if run_id is not None:
                self.store.on_event(RunFinished(run_id, ()))
        self.store.flush()

    # -- what both front ends record: each case's verdicts, then what the eval ran from ------

    def add_case(self, run: Any) -> None:
        """One graded case (its results on the original prompt and on each variation);
        written ``RESULT_BATCH`` at a time."""
        self.pending.extend(r.to_json() for r in run.original)
        for _, varied in run.varied:
            self.pending.extend(r.to_json() for r in varied)
        if len(self.pending) >= RESULT_BATCH:
            self.write_results()

    def write_results(self) -> None:
        """The buffered results into the eval's run (dropped when nothing records a run)."""
        if self.pending and self.run_id is not None:
            try:
                add_results(self.store, self.run_id, self.pending)
            except Exception as exc:  # the eval goes on; its report says so
                self._failed(exc)
        self.pending.clear()

    def close(self) -> None:
        """After the last case: the results written, the runs marked done. A failure is kept
        in ``error``, not raised."""
        self.write_results()
        try:
            self.finish()
        except Exception as exc:
            self._failed(exc)

    def save(self, prompt: Any, suite: Any, summary: Any, **meta: Any) -> None:
        """The eval's row (``eval_runs``): the prompt file, tests and cases it ran from, its
        judge run, its summary, and ``meta`` (perturb, baseline_of, label...)."""
        if self.run_id is None:
            return
        try:
            save_eval(
                self.store,
                self.run_id,
                prompt_name=getattr(prompt, "name", None),
                prompt_version=getattr(prompt, "version", None),
                prompt_hash=prompt_hash(prompt),
                prompt_path=str(prompt.path) if getattr(prompt, "path", None) else None,
                tests_path=str(suite.path) if suite.path else None,
                cases_path=str(suite.dataset) if suite.dataset else None,
                judge_run_id=self.helper_run_id,
                summary=summary,
                **meta,
            )
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self.error = self.error or " ".join(str(exc).split())


def prompt_hash(prompt: Any) -> str | None:
    """sha256 of the prompt file's text (None: no prompt file)."""
    raw = getattr(prompt, "raw", None)
    return None if raw is None else hashlib.sha256(raw.encode("utf-8")).hexdigest()


def save_eval(store: Any, run_id: int, **meta: Any) -> None:
    """Record (or update) what an eval run was run from, and its summary."""
    columns = {k: v for k, v in meta.items()}
    if "summary" in columns and not isinstance(columns["summary"], str):
        columns["summary"] = json.dumps(columns["summary"], ensure_ascii=False)
    with store.lock:
        exists = store.conn.execute(
            "SELECT 1 FROM eval_runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if exists:
            if columns:
                names = list(columns)
                store.conn.execute(
                    f"UPDATE eval_runs SET {', '.join(f'{n} = ?' for n in names)} WHERE run_id = ?",
                    [*columns.values(), run_id],
                )
        else:
            columns = {"run_id": run_id, "created_at": iso(), **columns}
            names = list(columns)
            store.conn.execute(
                f"INSERT INTO eval_runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                list(columns.values()),
            )


def add_results(store: Any, run_id: int, results: list[dict[str, Any]]) -> None:
    """Write graded results (``CaseResult.to_json()`` dicts) in one transaction."""
    if not results:
        return
    secrets = store.secrets

    def clean(text: str) -> str:
        return redact_output(text, secrets)

    rows = [
        (
            run_id,
            r["response_id"],
            r["case"],
            r["model"],
            r["temperature"],
            r["sample"],
            r["description"],
            clean(json.dumps(r["vars"], ensure_ascii=False, default=str)),
            int(bool(r["passed"])),
            r["score"],
            redact_text(r["error"], secrets) if r["error"] else r["error"],
            clean(json.dumps(r["assertions"], ensure_ascii=False, default=str)),
            r.get("variation"),
            r.get("variation_kind"),
        )
        for r in results
    ]
    with store.lock:
        conn = store.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO eval_results (run_id, response_id, case_index, model, temperature, "
                "sample, description, vars, passed, score, error, assertions, variation, "
                "variation_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
