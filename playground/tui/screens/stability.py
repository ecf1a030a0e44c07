"""The stability view of one slot (model × temperature across its repeats): how many of its
outputs agree, the modal answer, the odd ones out one key away (``n``), and against the other
columns whether a difference in pass rate is real (a paired test on the shared samples), with
how many more samples would decide it, what they would cost, and ``m`` to run them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

PREVIEW_CHARS = 1200  # of an answer shown here (the cell has it all)


@dataclass
class ColumnTest:
    """This slot against another column on their shared samples (exact McNemar)."""

    other: str  # "lo-anthropic:claude-b t=0"
    pairs: int
    passed_here: int
    passed_there: int
    p_value: float
    verdict: str  # better | worse | no difference | undecided (this slot against the other)
    more: int | None  # more paired samples that would decide it
    more_cost: float | None  # what they would cost (both sides), from the estimator

    def line(self) -> str:
        from playground.render.figures import format_cost

        head = (
            f"vs {self.other}: {self.passed_here}/{self.pairs} here, "
            f"{self.passed_there}/{self.pairs} there, p={self.p_value:.3g}: {self.verdict}"
        )
        if self.verdict == "undecided" and self.more:
            cost = f" (≈{format_cost(self.more_cost)})" if self.more_cost is not None else ""
            head += f"; ~{self.more} more samples would tell{cost}"
        return head


class StabilityScreen(ModalScreen[int | None]):
    """Dismisses with how many more samples to run (``m``), else None."""

    DEFAULT_CSS = """
    StabilityScreen { align: center middle; }
    StabilityScreen > Vertical {
        width: 100; max-width: 98%; height: auto; max-height: 94%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    StabilityScreen #stab-head { text-style: bold; height: auto; }
    StabilityScreen #stab-body { height: auto; max-height: 24; }
    StabilityScreen #stab-tests { height: auto; color: $text-secondary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,a", "close", "Close"),
        Binding("n", "next_odd", "Next odd one"),
        Binding("m", "more", "Run more samples"),
    ]

    def __init__(
        self,
        title: str,
        outputs: list[str],
        labels: list[str] | None = None,
        tests: list[ColumnTest] | None = None,
        graded: bool = False,
    ) -> None:
        from playground.core.evals.grouping import group_outputs

        super().__init__()
        self.title_text = title
        self.outputs = outputs
        self.labels = labels or [f"#{i + 1}" for i in range(len(outputs))]
        self.stability = group_outputs(outputs)
        self.tests = tests or []
        self.graded = graded  # cases ran (so a missing comparison means a single column)
        self.odd = self.stability.odd_ones()
        self.showing: int | None = None  # the odd one shown (an index into outputs)

    @property
    def more_samples(self) -> int | None:
        """The largest number of more samples any undecided comparison asks for."""
        wanted = [t.more for t in self.tests if t.verdict == "undecided" and t.more]
        return max(wanted) if wanted else None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.head_text(), id="stab-head", markup=False)
            with VerticalScroll(id="stab-body"):
                yield Static(self.body_text(), id="stab-answer", markup=False)
            yield Static(self.tests_text(), id="stab-tests", markup=False)
        yield Footer()

    def head_text(self) -> Text:
        s = self.stability
        out = Text(f"{self.title_text} · ")
        style = "green" if s.agree == s.total else "yellow"
        out.append(s.label(), style=style)
        if s.groups:
            out.append(f" · {len(s.groups)} group{'s' * (len(s.groups) != 1)}", style="dim")
        return out

    def body_text(self) -> Text:
        s = self.stability
        out = Text()
        if not s.groups:
            out.append("no answers in this slot yet")
            return out
        if self.showing is None:
            group = s.groups[0]
            members = ", ".join(self.labels[i] for i in group.members)
            out.append(f"modal answer ({members}, {group.how}):\n", style="bold")
            out.append(_preview(self.outputs[group.representative]))
        else:
            i = self.showing
            number = s.group_of(i)
            out.append(
                f"odd one out {self.labels[i]} (group {number + 1} of {len(s.groups)}):\n",
                style="bold yellow",
            )
            out.append(_preview(self.outputs[i]))
        if self.odd:
            names = ", ".join(self.labels[i] for i in self.odd)
            out.append(f"\n\nodd ones out: {names} (n shows the next)", style="dim")
        return out

    def tests_text(self) -> Text:
        out = Text()
        if not self.tests:
            if self.graded:
                why = "add another model or temperature to compare pass rates"
            else:
                why = "run the prompt's test cases (Ctrl+R) to compare pass rates"
            out.append(f"between columns: {why}", style="dim")
            return out
        out.append("against the other columns, paired on shared samples:\n", style="bold")
        out.append("\n".join(t.line() for t in self.tests))
        if self.more_samples:
            out.append(f"\nm runs {self.more_samples} more samples", style="bold")
        return out

    def action_next_odd(self) -> None:
        if not self.odd:
            self.notify("every answer agrees: no odd one out", timeout=2)
            return
        if self.showing is None:
            self.showing = self.odd[0]
        else:
            at = self.odd.index(self.showing) + 1
            self.showing = self.odd[at] if at < len(self.odd) else None
        self.query_one("#stab-answer", Static).update(self.body_text())

    def action_more(self) -> None:
        if not self.more_samples:
            self.notify("no undecided comparison to run more samples for", timeout=3)
            return
        self.dismiss(self.more_samples)

    def action_close(self) -> None:
        self.dismiss(None)

    @property
    def plain(self) -> str:
        return "\n".join(t.plain for t in (self.head_text(), self.body_text(), self.tests_text()))


def _preview(text: str) -> str:
    if not text:
        return "(no output)"
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def column_tests(
    board: Any, model: str, temperature: float | None, unit_cost: Any = None
) -> list[ColumnTest]:
    """This slot against every other column (same temperature, another model; same model,
    another temperature) on the (case, sample) pairs both graded."""
    from playground.core.evals.report import fmt_temp
    from playground.core.evals.stats import mcnemar, samples_needed

    def verdicts(m: str, t: float | None) -> dict[tuple[int, int], bool]:
        out = {}
        for index in board.slot(m, t):
            for number, result in board.cells[index].results.items():
                out[(number, result.cell.sample)] = bool(result.passed)
        return out

    here = verdicts(model, temperature)
    tests = []
    others = [(m, temperature) for m in board.plan.models if m != model]
    others += [(model, t) for t in board.plan.temperatures if t != temperature]
    for m, t in others:
        there = verdicts(m, t)
        pairs = [(there[k], here[k]) for k in here if k in there]  # A = the other, B = here
        if not pairs:
            continue
        test = mcnemar(pairs)
        more = samples_needed(test)
        if test.significant:
            verdict = "better" if test.direction > 0 else "worse"
        else:
            verdict = "no difference" if test.discordant == 0 else "undecided"
        cost = None
        if more and unit_cost is not None:
            a, b = unit_cost(model, temperature), unit_cost(m, t)
            cost = more * (a + b) if a is not None and b is not None else None
        tests.append(
            ColumnTest(
                f"{m} t={fmt_temp(t)}",
                test.pairs,
                sum(p[1] for p in pairs),
                sum(p[0] for p in pairs),
                test.p_value,
                verdict,
                more or None,
                cost,
            )
        )
    return tests
