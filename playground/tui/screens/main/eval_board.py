"""What an eval run in the TUI has produced so far, in plain Python (no Textual).

The engine (``core/evals``) runs and grades the cases; this keeps, per grid cell, each case's
graded result so a cell can show its badge and step through its cases, and the engine's own
``Tally`` for the summary rows (pass rate, Wilson interval, cost) and the fragility rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playground.core.evals.engine import CaseResult, CaseRun
    from playground.core.evals.variations import Variation
    from playground.core.plan import RunPlan


@dataclass
class CellCases:
    """One grid cell (model × temperature × sample) across the cases, in case order."""

    results: dict[int, CaseResult] = field(default_factory=dict)  # case number -> result
    shown: int | None = None  # the case the user stepped to (None: the first failing one)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results.values())

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def numbers(self) -> list[int]:
        return sorted(self.results)

    def current(self) -> CaseResult | None:
        """The case the cell shows: the one stepped to, else the first failure, else the
        first case."""
        if not self.results:
            return None
        if self.shown in self.results:
            return self.results[self.shown]
        failing = [n for n in self.numbers if not self.results[n].passed]
        return self.results[failing[0] if failing else self.numbers[0]]

    def step(self, delta: int) -> CaseResult | None:
        """Move to the next (+1) or previous (-1) case that has a result (wrapping)."""
        numbers = self.numbers
        if not numbers:
            return None
        now = self.current()
        at = numbers.index(now.case.number) if now is not None else 0
        self.shown = numbers[(at + delta) % len(numbers)]
        return self.results[self.shown]


class EvalBoard:
    """Every graded result of one eval in the TUI, by grid cell, and the engine's tally."""

    def __init__(
        self, plan: RunPlan, total_cases: int, variations: list[Variation] | None = None
    ) -> None:
        from playground.core.evals.report import Tally

        self.plan = plan
        self.total_cases = total_cases
        self.variations = list(variations or [])
        self.tally = Tally([(m, t) for m in plan.models for t in plan.temperatures], plan.repeats)
        self.cells: dict[int, CellCases] = {c.index: CellCases() for c in plan.cells()}
        self.finished = False
        self.run_id: Any = None

    def add(self, run: CaseRun) -> set[int]:
        """A case finished on every cell: record it; the grid cells whose badge changed."""
        self.tally.add(run)
        changed = set()
        for result in run.original:
            self.cells.setdefault(result.cell.index, CellCases()).results[result.case.number] = (
                result
            )
            changed.add(result.cell.index)
        return changed

    @property
    def cases_done(self) -> int:
        return self.tally.cases

    def summary(self) -> list[dict[str, Any]]:
        """The summary rows, exactly as ``playground eval --json`` gives them."""
        return self.tally.summary()

    def fragility(self) -> list[dict[str, Any]]:
        return self.tally.fragility_rows()

    def slot(self, model: str, temperature: float | None) -> list[int]:
        """The grid cells (sample order) of one model × temperature."""
        return [
            c.index for c in self.plan.cells() if c.model == model and c.temperature == temperature
        ]


def badge(passed: int, total: int) -> str:
    """'✓ 10/10' when every case passed, '◑ 7/10' when most did, '✗ 3/10' otherwise."""
    if total == 0:
        return ""
    mark = "✓" if passed == total else "◑" if passed * 2 > total else "✗"
    return f"{mark} {passed}/{total}"


def failure_reasons(result: CaseResult) -> list[str]:
    """Each failed assertion and why ('icontains: does not contain "bat"'); judge verdicts
    carry the judge's reason. An error (could not be evaluated, call failed) comes first."""
    lines = []
    if result.error:
        lines.append(f"error: {result.error}")
    for outcome in result.outcomes:
        if not outcome.passed and outcome.error is None:
            lines.append(f"{outcome.type}: {outcome.reason}")
    return lines
