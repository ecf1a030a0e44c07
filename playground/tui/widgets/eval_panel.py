"""The strip under the grid while cases run: a summary row per model × temperature (pass
rate, its 95% Wilson interval, cost) and, for the focused cell, which case it shows and why
that case failed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from playground.tui.widgets.relayout import update_static

if TYPE_CHECKING:
    from playground.core.evals.engine import CaseResult


def summary_text(summary: list[dict[str, Any]], done: int, total: int, agreement: str = "") -> Text:
    """The summary rows as a small aligned table (the figures ``eval --json`` prints)."""
    from playground.core.evals.report import fmt_pct, fmt_temp
    from playground.render.figures import format_cost

    out = Text()
    head = f"cases {done}/{total}" + (" (running)" if done < total else "")
    out.append(head, style="bold")
    if agreement:
        out.append(f" · {agreement}", style="italic")
    rows = []
    for row in summary:
        cost = format_cost(row["cost_usd"]) if row.get("cost_usd") is not None else "cost –"
        k = row.get("pass_k")
        rows.append(
            (
                row["model"],
                f"t={fmt_temp(row['temperature'])}",
                f"{row['passed']}/{row['total']}",
                fmt_pct(row["pass_rate"]),
                f"95% CI {fmt_pct(row['ci_low'])}–{fmt_pct(row['ci_high'])}",
                f"pass^{row['k']} {fmt_pct(k)}" if k is not None else "",
                cost,
                f"{row['errors']} errors" if row.get("errors") else "",
                row,
            )
        )
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(8)]
    for r in rows:
        row = r[8]
        style = "green" if row["total"] and row["passed"] == row["total"] else "red"
        out.append("\n")
        cells = [c.ljust(w) for c, w in zip(r[:8], widths, strict=True) if w]
        out.append("  ".join(cells[:2]) + "  ")
        out.append("  ".join(cells[2:4]), style=style if row["total"] else "")
        out.append("  " + "  ".join(cells[4:]).rstrip())
    return out


def case_text(result: CaseResult | None, total: int) -> Text:
    """The focused cell's case: its number, description and variables, then each failed
    assertion and why (a judge's verdict with its reason)."""
    from playground.tui.screens.main.eval_board import failure_reasons

    out = Text()
    if result is None:
        return out
    case = result.case
    out.append(f"case {case.number}/{total}", style="bold")
    if case.description:
        out.append(f" “{case.description}”")
    if case.vars:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in case.vars.items())
        out.append(f"  {shown}", style="dim")
    if result.passed:
        out.append("  ✓ passed", style="green")
        return out
    out.append("  ✗ failed", style="red")
    for line in failure_reasons(result):
        out.append(f"\n  ✗ {line}")
    return out


def _short(value: Any, limit: int = 24) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EvalPanel(Static):
    """Hidden until cases run; then the summary rows and the focused cell's case."""

    DEFAULT_CSS = """
    EvalPanel {
        display: none;
        height: auto;
        max-height: 12;
        padding: 0 1;
        border-top: hkey $panel;
        background: $surface;
    }
    EvalPanel.-shown { display: block; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__("", markup=False, **kw)
        self.summary = Text()
        self.case = Text()

    def show_summary(self, text: Text) -> None:
        self.summary = text
        self._refresh()

    def show_case(self, text: Text) -> None:
        self.case = text
        self._refresh()

    def _refresh(self) -> None:
        self.add_class("-shown")
        out = self.summary.copy()
        if self.case:
            out.append("\n")
            out.append_text(self.case)
        update_static(self, out)  # a new count or case of the same height: a repaint

    @property
    def plain(self) -> str:
        """What the panel says, as plain text (for tests and the clipboard)."""
        out = self.summary.plain
        return out + ("\n" + self.case.plain if self.case else "")
