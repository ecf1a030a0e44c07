"""A recorded run as a shareable document: Markdown, one JSON object, or JSON lines.

Used by ``playground show`` / ``playground export`` and usable by the TUI. Nothing secret is in
a run (requests are stored without keys), so an export is safe to paste.
"""

from __future__ import annotations

import json
from typing import Any

from playground.render.figures import cost_summary, format_total

RUN_KEYS = (
    "id",
    "session_id",
    "created_at",
    "finished_at",
    "status",
    "source",
    "plan",
    "messages",
)


def cell_keys() -> tuple[str, ...]:
    """An exported cell's keys: its place in the matrix, every CellResult field but the raw
    response (long: `inspect` shows it), and what only the store knows (cached_from, rating)."""
    from dataclasses import fields

    from playground.core.model import CellResult

    skip = ("cell", "id", "raw_response")
    return (
        *("id", "model", "temperature", "sample"),
        *(f.name for f in fields(CellResult) if f.name not in skip),
        *("cached_from", "rating"),
    )


def cell_json(row: dict[str, Any]) -> dict[str, Any]:
    """A response as `run --json` shows a cell, plus what the store knows besides."""
    out = {k: row.get(k) for k in cell_keys()}
    out["cached"] = bool(out["cached"])
    out["reasoning"] = out["reasoning"] or None
    for key in ("ttft_ms", "latency_ms"):
        value = out[key]
        if value is not None:
            out[key] = round(value, 1)
    from playground.core.model import CellResult

    speed = CellResult.from_dict(row).tokens_per_s  # the engine's own reckoning, as run --json
    out["tokens_per_s"] = None if speed is None else round(speed, 1)
    if row.get("eval") is not None:  # a cell of an eval: its verdict (store/evals.py)
        out["eval"] = row["eval"]
    return out


def run_json(run: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    doc = {k: run.get(k) for k in RUN_KEYS}
    doc["cells"] = [cell_json(r) for r in rows]
    return doc


def run_jsonl(run: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """One line per cell, each standing alone: run id, rendered messages and the cell."""
    lines = []
    for r in rows:
        line = {"run_id": run["id"], "messages": run.get("messages"), **cell_json(r)}
        lines.append(json.dumps(line, ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else "")


def recorded_cell(row: dict[str, Any]) -> tuple[Any, str, str]:
    """A store row as the engine's CellResult, with its label and figures line in the words
    `run` prints (render.figures), the status first and the rating last."""
    from playground.core.model import CellResult
    from playground.render.figures import cell_label, figures

    result = CellResult.from_dict(row)
    return result, cell_label(result.cell), figures(result, status=True, rating=row.get("rating"))


def _fence(text: str) -> str:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def rows_total(rows: list[dict[str, Any]]) -> str:
    """A recorded run's cost in the one wording (see render.figures.format_total)."""
    total, unpriced = cost_summary(
        (r.get("cost_usd"), r.get("input_tokens") is not None or r.get("output_tokens") is not None)
        for r in rows
    )
    return format_total(total, unpriced)


def formatted(run: dict[str, Any], rows: list[dict[str, Any]], fmt: str) -> str:
    """A run as an export file's text: ``md``, ``json`` or ``jsonl``."""
    import json

    if fmt == "json":
        return json.dumps(run_json(run, rows), ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return run_jsonl(run, rows)
    return run_markdown(run, rows)


def recorded(store: Any, run_id: Any) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """A run's row and its responses as show and export print them (an eval's cells carry
    their verdicts); None when the store has no such run."""
    from playground.store.evals import attach_verdicts

    run = store.get_run(run_id)
    if run is None:
        return None
    rows = store.responses_for_run(run_id)
    attach_verdicts(store, run_id, rows)
    return run, rows


def export_text(store: Any, run_id: Any, fmt: str) -> str:
    """What ``playground export RUN_ID --format FMT`` writes; LookupError when the store has
    no such run."""
    found = recorded(store, run_id)
    if found is None:
        raise LookupError(f"no run {run_id}")
    return formatted(*found, fmt)


def run_markdown(run: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    plan = run.get("plan") or {}
    total = rows_total(rows)
    ok = sum(1 for r in rows if r.get("status") == "ok")
    out = [
        f"# Run {run['id']}",
        "",
        f"- when: {run.get('created_at')}",
        f"- models: {', '.join(dict.fromkeys(plan.get('models') or []))}",
        f"- temperatures: {', '.join('default' if t is None else f'{t:g}' for t in plan.get('temperatures') or [])}",
        f"- cells: {len(rows)} ({ok} ok) · total {total}",
    ]
    params = {k: v for k, v in (plan.get("params") or {}).items() if v not in (None, [])}
    if params:
        out.append("- params: " + ", ".join(f"{k}={v}" for k, v in params.items()))
    if plan.get("prompt_name"):
        version = f" v{plan['prompt_version']}" if plan.get("prompt_version") else ""
        out.append(f"- prompt file: {plan['prompt_name']}{version}")
    if plan.get("variables"):
        out.append("- variables: " + json.dumps(plan["variables"], ensure_ascii=False))
    out += ["", "## Prompt", ""]
    for m in run.get("messages") or []:
        fence = _fence(m["content"])
        out += [f"**{m['role']}**", "", f"{fence}text", m["content"], fence, ""]
    for r in rows:
        _, label, line = recorded_cell(r)
        out += [f"## {label}", "", f"*{line}*", ""]
        if r.get("output"):
            out += [r["output"].rstrip(), ""]
        if r.get("error"):
            out += [f"> ✗ {r['error']}", ""]
        if r.get("eval"):
            from playground.store.evals import verdict_line

            out += [f"> {verdict_line(r['eval'])}", ""]
        rating = r.get("rating")
        if rating and rating.get("note"):
            out += [f"> rating note: {rating['note']}", ""]
    return "\n".join(out).rstrip() + "\n"
