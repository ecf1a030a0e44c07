"""Evaluations in the store: one run per eval, and each case × cell's verdict.

``EvalRecorder`` stands between the runner and the store during ``playground eval``: the
runner runs one small plan per case, and every case's cells join the same run (cell indexes
continue where the last case's ended), so ``history``, ``show`` and ``compare`` see an eval
as one run. Judge and paraphrase calls (plans with an ``eval_role``) go to a second run, the
eval's helper run. The verdicts go to ``eval_results`` (migration m007), linked to the
responses they graded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from playground.core.model import CellFinished, RunFinished
from playground.core.secrets import redact_output, redact_text
from playground.store.stamps import iso

PAGE = 500
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

    def stream_to(self, response_id: Any) -> list[Any] | None:
        return self.store.stream_to(response_id)

    async def settled(self) -> None:
        await self.store.settled()

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


def get_eval(store: Any, run_id: Any) -> dict[str, Any] | None:
    """The eval_runs row of a run (summary parsed), or None when the run is not an eval."""
    rows = store._rows("SELECT * FROM eval_runs WHERE run_id = ?", (_int(run_id),))
    if not rows:
        return None
    row = rows[0]
    row["summary"] = json.loads(row["summary"]) if row.get("summary") else None
    return row


def iter_results(
    store: Any, run_id: Any, *, variations: bool | None = None, failed_only: bool = False
) -> Iterator[dict[str, Any]]:
    """A run's results in case order (each original before its variations), with the
    response's output, status and figures; read a page at a time."""
    where = ["e.run_id = ?"]
    if variations is False:
        where.append("e.variation IS NULL")
    elif variations is True:
        where.append("e.variation IS NOT NULL")
    if failed_only:
        where.append("e.passed = 0")
    sql = (
        "SELECT e.*, r.output, r.status, r.cached, r.cell_index, r.input_tokens, "
        "r.output_tokens, r.cost_usd, r.latency_ms FROM eval_results e "
        "LEFT JOIN responses r ON r.id = e.response_id "
        f"WHERE {' AND '.join(where)} "
        "ORDER BY e.case_index, e.variation IS NOT NULL, e.variation, e.id LIMIT ? OFFSET ?"
    )
    offset = 0
    while True:
        rows = store._rows(sql, (_int(run_id), PAGE, offset))
        for row in rows:
            yield _result(row)
        if len(rows) < PAGE:
            return
        offset += PAGE


def _result(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "case": row["case_index"],
        "description": row["description"],
        "vars": json.loads(row["vars"]) if row.get("vars") else {},
        "model": row["model"],
        "temperature": row["temperature"],
        "sample": row["sample"],
        "response_id": row["response_id"],
        "passed": bool(row["passed"]),
        "score": row["score"],
        "error": row["error"],
        "assertions": json.loads(row["assertions"]) if row.get("assertions") else [],
        "status": row.get("status") or "error",
        "cached": bool(row.get("cached")),
        "output": row.get("output") or "",
        "variation": row.get("variation"),
        "variation_kind": row.get("variation_kind"),
        "cell_index": row.get("cell_index"),
        "input_tokens": row.get("input_tokens"),
        "output_tokens": row.get("output_tokens"),
        "cost_usd": row.get("cost_usd"),
        "latency_ms": row.get("latency_ms"),
    }


def attach_verdicts(store: Any, run_id: Any, rows: list[dict[str, Any]]) -> None:
    """Give each response row of an eval run its verdict under "eval" (case, passed, score,
    error, assertions, variation), for show and export; rows of other runs are untouched."""
    found = store._rows(
        "SELECT response_id, case_index, passed, score, error, assertions, variation "
        "FROM eval_results WHERE run_id = ? AND response_id IS NOT NULL",
        (_int(run_id),),
    )
    by_response = {r["response_id"]: r for r in found}
    for row in rows:
        v = by_response.get(row.get("id"))
        if v is not None:
            row["eval"] = {
                "case": v["case_index"],
                "passed": bool(v["passed"]),
                "score": v["score"],
                "error": v["error"],
                "assertions": json.loads(v["assertions"]) if v["assertions"] else [],
                "variation": v["variation"],
            }


def verdict_line(verdict: dict[str, Any]) -> str:
    """'eval case 3: ✗ failed (score 0.5): icontains: does not contain "bat"'."""
    head = f"eval case {verdict['case']}"
    if verdict.get("variation"):
        head += f" ({verdict['variation']})"
    score = verdict.get("score")
    mark = "✓ passed" if verdict["passed"] else "✗ failed"
    line = f"{head}: {mark}" + (f" (score {score:.2g})" if score is not None else "")
    if verdict.get("error"):
        return f"{line}: {verdict['error']}"
    failed = [a for a in verdict.get("assertions") or [] if not a.get("passed")]
    if failed:
        line += ": " + "; ".join(f"{a['type']}: {a['reason']}" for a in failed)
    return line


def judge_agreement(store: Any, run_id: Any = None) -> tuple[int, int]:
    """(agree, rated): on outputs you rated and a judge graded, how often its pass/fail is
    your good/bad ("the judge agrees with you on 9 of 10"). Good is 👍 or 4-5 stars, bad 👎
    or 1-2 stars; 3 stars says neither and is left out. All runs, or one."""
    sql = (
        "SELECT e.assertions, g.score, g.scale FROM eval_results e "
        "JOIN ratings g ON g.response_id = e.response_id WHERE e.assertions LIKE '%judge%'"
    )
    params: tuple[Any, ...] = ()
    if run_id is not None:
        sql += " AND e.run_id = ?"
        params = (_int(run_id),)
    from playground.core.evals.pin import rating_is_good

    agree = rated = 0
    for row in store._rows(sql, params):
        good = rating_is_good(row["score"], row["scale"])
        if good is None:
            continue
        judged = [
            a
            for a in json.loads(row["assertions"] or "[]")
            if a.get("type") in ("judge", "not-judge") and not a.get("error")
        ]
        if not judged:
            continue
        rated += 1
        agree += judged[0]["passed"] == good
    return agree, rated


def comparison_rows(store: Any, run_id: Any) -> tuple[list[dict[str, Any]], bool]:
    """A run's cells as dicts for ``core.evals.compare`` (with verdicts when it is an eval):
    (rows, is_eval)."""
    if get_eval(store, run_id) is not None:
        rows = []
        for r in iter_results(store, run_id, variations=False):
            r["id"] = r["response_id"]
            rows.append(r)
        return rows, True
    rows = store.responses_for_run(run_id)
    for r in rows:
        r["passed"] = None
    return rows, False


def previous_run(store: Any, run_id: Any) -> int | None:
    """The run before this one of the same prompt (the same prompt file's name, else the same
    template), an eval before an eval when there is one; None when there is none."""
    run = store.get_run(run_id)
    if run is None:
        return None
    if run.get("prompt_name"):
        same, value = "u.prompt_name = ?", run["prompt_name"]
    else:
        same = "u.prompt_name IS NULL AND u.template = (SELECT template FROM runs WHERE id = ?)"
        value = _int(run_id)
    rows = store._rows(
        "SELECT u.id, e.run_id IS NOT NULL AS is_eval FROM runs u "
        "LEFT JOIN eval_runs e ON e.run_id = u.id "
        f"WHERE u.id < ? AND {same} ORDER BY u.id DESC LIMIT 200",
        (_int(run_id), value),
    )
    if not rows:
        return None
    if get_eval(store, run_id) is not None:
        evals = [r["id"] for r in rows if r["is_eval"]]
        if evals:
            return int(evals[0])
    return int(rows[0]["id"])


def results_for_response(store: Any, response_id: Any) -> list[dict[str, Any]]:
    """The eval verdicts recorded for one response (for show and export)."""
    rows = store._rows(
        "SELECT e.*, NULL AS output FROM eval_results e WHERE e.response_id = ? ORDER BY e.id",
        (_int(response_id),),
    )
    return [_result(r) for r in rows]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
