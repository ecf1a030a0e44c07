"""`playground compare RUN_A RUN_B`: what changed between two runs or evals, cell by cell.

Exit 0 when it could compare (a regression is shown, not an exit code: ``eval --baseline``
is the gate), 2 for an unknown run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from playground.commands.common import command_parser, fail, load_settings_or_fail
from playground.render.compare import change_figures, change_place, model_verdict

DIFF_CHARS = 600  # of each changed cell's diff in the text report


def add_parser(sub: Any, name: str) -> None:
    parser = command_parser(sub, name, "compare two runs or evals cell by cell")
    parser.add_argument("run_a", metavar="RUN_A", help="the earlier run (or eval) id")
    parser.add_argument("run_b", metavar="RUN_B", help="the later run (or eval) id")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--format", choices=["text", "md"], default="text")
    parser.set_defaults(func=compare_command)


def load_rows(store: Any, run_id: Any) -> tuple[list[dict[str, Any]], bool]:
    """A run's cells as dicts (with verdicts when it is an eval): (rows, is_eval)."""
    from playground.store.evals import comparison_rows

    return comparison_rows(store, run_id)


def compare_command(args: argparse.Namespace) -> int:
    from playground.commands.common import open_recorder
    from playground.core.evals.compare import match_cells, paired_by_model, totals

    settings = load_settings_or_fail(args)
    store = open_recorder(settings)
    try:
        for which in (args.run_a, args.run_b):
            if store.get_run(which) is None:
                fail(f"no run {which} (see: playground history)")
        rows_a, eval_a = load_rows(store, args.run_a)
        rows_b, eval_b = load_rows(store, args.run_b)
        evals = eval_a and eval_b
        changes, only_a, only_b = match_cells(rows_a, rows_b, evals)
        models = paired_by_model(changes, cost_per_cell(settings, store, args.run_b))
        doc = {
            "run_a": int(args.run_a),
            "run_b": int(args.run_b),
            "evals": evals,
            "cells": [c.to_json() for c in changes],
            "only_a": only_a,
            "only_b": only_b,
            "totals": {"a": totals(rows_a), "b": totals(rows_b)},
            "models": models,
        }
    finally:
        store.close()
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print_report(doc, changes, markdown=args.format == "md")
    return 0


def cost_per_cell(settings: Any, store: Any, run_id: Any) -> dict[str, float | None]:
    """What one more cell of each model would cost, from the estimator (expected, else worst)."""
    from playground.core.estimate import estimate_plan

    run = store.get_run(run_id)
    if run is None:
        return {}
    try:
        plan = store.plan_from_run(run)
        plan.repeats = 1
        plan.temperatures = plan.temperatures[:1]
        estimate = estimate_plan(settings, plan, store)
    except Exception:  # a run whose template no longer renders: no cost figure
        return {}
    return estimate.cell_cost_by_model()


def _spans_text(spans: list[Any], markdown: bool) -> str:
    out = []
    for s in spans:
        text = s.text
        if s.op == "equal":
            out.append(text)
        elif s.op == "delete":
            out.append(f"~~{text.strip()}~~ " if markdown else f"[-{text.strip()}-] ")
        else:
            out.append(f"**{text.strip()}** " if markdown else f"{{+{text.strip()}+}} ")
    joined = " ".join("".join(out).split())
    return joined if len(joined) <= DIFF_CHARS else joined[: DIFF_CHARS - 1] + "…"


def print_report(doc: dict[str, Any], changes: list[Any], markdown: bool) -> None:

    out = sys.stdout
    h = "## " if markdown else ""
    out.write(f"{h}compare run {doc['run_a']} → run {doc['run_b']}\n\n")
    ta, tb = doc["totals"]["a"], doc["totals"]["b"]
    rows = [("cells", ta["cells"], tb["cells"])]
    if doc["evals"]:
        rows.append(("passed", ta["passed"], tb["passed"]))
    rows += [
        ("output tokens", ta["output_tokens"], tb["output_tokens"]),
        ("cost", ta["cost_usd"], tb["cost_usd"]),
        ("mean latency ms", ta["mean_latency_ms"], tb["mean_latency_ms"]),
    ]
    if markdown:
        out.write("| | A | B |\n|---|---|---|\n")
        for name, a, b in rows:
            out.write(f"| {name} | {_fmt(a)} | {_fmt(b)} |\n")
    else:
        for name, a, b in rows:
            out.write(f"  {name:<16} {_fmt(a):>12} → {_fmt(b)}\n")
    if doc["only_a"] or doc["only_b"]:
        out.write(f"\n{doc['only_a']} cell(s) only in A, {doc['only_b']} only in B\n")
    if doc["models"]:
        out.write(f"\n{'### ' if markdown else ''}pass rate, paired\n")
        for m in doc["models"]:
            out.write(("- " if markdown else "  ") + model_verdict(m) + "\n")
    changed = [c for c in changes if c.inserted or c.deleted or c.verdict in ("fixed", "broke")]
    out.write(f"\n{'### ' if markdown else ''}{len(changed)} of {len(changes)} cells changed\n")
    for c in changed:
        where = change_place(c.key)
        verdict = {"fixed": " · FIXED", "broke": " · BROKE"}.get(c.verdict or "", "")
        out.write(f"\n{'- **' if markdown else ''}{where}{verdict}{'**' if markdown else ''}\n")
        out.write(f"  {change_figures(c)}\n  {_spans_text(c.spans, markdown)}\n")


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
