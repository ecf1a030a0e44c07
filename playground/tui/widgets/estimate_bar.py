"""The live estimate: prompt tokens per model, the matrix's input cost and worst case."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Static

from playground.render.figures import format_cost

if TYPE_CHECKING:
    from playground.core.estimate import PlanEstimate


def summarize(estimate: PlanEstimate, budget: float | None) -> tuple[str, bool]:
    """(one line, over budget?) from a plan's estimate.

    Most important first, since a narrow terminal cuts the end: the budget warning, the
    money, empty variables, then the tokens per model.
    """
    per_model = {
        model: f"{_short(model)} {'' if cell.exact else '≈'}{cell.input_tokens} tok"
        for model, cell in estimate.by_model().items()
    }
    tokens_part = " · ".join(per_model.values()) or "no models selected"
    parts: list[str] = []
    n = len(estimate.cells)
    worst = estimate.max_cost_usd
    count = len(estimate.unpriced)
    money_part = f"{n} call{'s' if n != 1 else ''}"
    if estimate.input_cost_usd is None and worst is None:
        money_part += " · unpriced"
    else:
        money_part += f" · in {format_cost(estimate.input_cost_usd)} · worst {format_cost(worst)}"
        expected = estimate.expected_cost_usd
        if expected is not None:
            money_part += f" · expected {format_cost(expected)}"
        if count:
            money_part += f" (+{count} unpriced model{'s' if count != 1 else ''})"
    over = budget is not None and worst is not None and worst > budget
    if over:
        parts.append(f"⚠ over budget {format_cost(budget)}")
    parts.append(money_part)
    missing = estimate.missing_variables
    if missing:
        parts.append("empty: " + ", ".join(missing))
    parts.append(tokens_part)
    if budget is not None and not over:
        parts.append(f"budget {format_cost(budget)}")
    return "  │  ".join(parts), over


def _short(model: str) -> str:
    return model.split(":", 1)[1] if ":" in model else model


class EstimateBar(Static):
    """One line under the editor; a warning colour when the worst case is over budget."""

    DEFAULT_CSS = """
    EstimateBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
        text-overflow: ellipsis;
        text-wrap: nowrap;
        &.-over { background: $warning 30%; color: $text-warning; text-style: bold; }
        &.-error { color: $text-error; }
    }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__("estimating…", markup=False, **kw)
        self.over_budget = False
        self.line = "estimating…"

    def show_estimate(self, estimate: PlanEstimate, budget: float | None) -> None:
        line, self.over_budget = summarize(estimate, budget)
        self.set_class(self.over_budget, "-over")
        self.remove_class("-error")
        if line != self.line:
            self.line = line
            # one line in the column's width: a new text needs a repaint, not a layout of
            # the screen (which would land between two keystrokes)
            self.update(line, layout=False)

    def show_problem(self, message: str) -> None:
        """The prompt cannot be estimated (bad temperature list, template syntax...)."""
        self.line = message
        self.over_budget = False
        self.remove_class("-over")
        self.add_class("-error")
        self.update(message)
