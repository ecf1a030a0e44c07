"""Evaluations in the store, read back: an eval's row, its verdicts (for eval's report, show,
export, compare and the TUI), and how often the judge agrees with the ratings given.

Recording an eval is store/eval_recording.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

PAGE = 500


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
