"""This run against the previous run of the same prompt (``v`` on the grid): totals, per model
whether the change in pass rate is beyond chance, and per cell what changed (pass/fail,
tokens, cost, latency) with the word diff of the selected cell. The figures come from
``core/evals/compare`` (the same as ``playground compare``)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from playground.render.compare import change_figures, change_place, model_verdict
from playground.tui.widgets.diff_view import DiffView


def cell_line(change: Any) -> str:
    """'case 2 · gpt-a t=0 #1 · BROKE · +3/-5 words · tokens +2 · cost – · latency -40 ms'."""
    verdict = {"fixed": " · FIXED", "broke": " · BROKE", "same": ""}.get(change.verdict or "", "")
    if change.verdict == "same":
        verdict = " · ✓ still passes" if change.b.get("passed") else " · ✗ still fails"
    return f"{change_place(change.key)}{verdict} · {change_figures(change)}"


def totals_lines(doc: dict[str, Any]) -> list[str]:
    """The totals of both runs, then the paired verdict per model."""
    ta, tb = doc["totals"]["a"], doc["totals"]["b"]

    def fmt(v: Any) -> str:
        return "–" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)

    rows = [("cells", "cells")]
    if doc["evals"]:
        rows.append(("passed", "passed"))
    rows += [
        ("output tokens", "output_tokens"),
        ("cost $", "cost_usd"),
        ("mean latency ms", "mean_latency_ms"),
    ]
    lines = [f"{name:<16} {fmt(ta[k]):>10} → {fmt(tb[k])}" for name, k in rows]
    if doc["only_a"] or doc["only_b"]:
        lines.append(f"{doc['only_a']} cell(s) only in run A, {doc['only_b']} only in run B")
    lines += [model_verdict(m) for m in doc["models"]]
    return lines


def compare_runs(store: Any, run_a: Any, run_b: Any) -> tuple[dict[str, Any], list[Any]]:
    """(the summary doc, the matched cell changes) of two recorded runs."""
    from playground.core.evals.compare import match_cells, paired_by_model, totals
    from playground.store.evals import comparison_rows

    rows_a, eval_a = comparison_rows(store, run_a)
    rows_b, eval_b = comparison_rows(store, run_b)
    evals = eval_a and eval_b
    changes, only_a, only_b = match_cells(rows_a, rows_b, evals)
    doc = {
        "run_a": run_a,
        "run_b": run_b,
        "evals": evals,
        "only_a": only_a,
        "only_b": only_b,
        "totals": {"a": totals(rows_a), "b": totals(rows_b)},
        "models": paired_by_model(changes),
    }
    return doc, changes


class CompareRunsScreen(Screen[None]):
    """Totals and paired verdicts above, the changed cells in a list, the selected cell's
    word diff below."""

    DEFAULT_CSS = """
    CompareRunsScreen #cmp-totals { height: auto; padding: 0 1; color: $text-secondary; }
    CompareRunsScreen OptionList { height: auto; max-height: 10; }
    CompareRunsScreen #cmp-diff { height: 1fr; border-top: hkey $panel; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,v,q", "close", "Close")]

    def __init__(self, doc: dict[str, Any], changes: list[Any]) -> None:
        super().__init__()
        self.doc = doc
        # what changed first: broken, then fixed, then the rest by how much the text moved
        order = {"broke": 0, "fixed": 1}
        self.changes = sorted(
            changes, key=lambda c: (order.get(c.verdict or "", 2), -(c.inserted + c.deleted))
        )

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            f"run {self.doc['run_a']} → run {self.doc['run_b']}\n"
            + "\n".join(totals_lines(self.doc)),
            id="cmp-totals",
            markup=False,
        )
        yield OptionList(
            *[Option(cell_line(c), id=str(i)) for i, c in enumerate(self.changes)],
            id="cmp-cells",
        )
        with VerticalScroll(id="cmp-diff"):
            first = self.changes[0] if self.changes else None
            yield DiffView(
                (first.a.get("output") or "") if first else "",
                (first.b.get("output") or "") if first else "",
                id="cmp-view",
            )
        yield Footer()

    def on_mount(self) -> None:
        self._sub_title = self.app.sub_title
        self.app.sub_title = f"compare run {self.doc['run_a']} → run {self.doc['run_b']}"
        self.query_one(OptionList).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        change = self.changes[int(event.option.id or 0)]
        self.query_one(DiffView).set_texts(
            change.a.get("output") or "", change.b.get("output") or ""
        )

    def action_close(self) -> None:
        self.app.sub_title = self._sub_title
        self.dismiss(None)

    @property
    def plain(self) -> str:
        lines = totals_lines(self.doc) + [cell_line(c) for c in self.changes]
        return "\n".join(lines)
