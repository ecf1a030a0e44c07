"""How fragile the prompt is: after a run with N meaning-preserving variations (palette:
"Fragility…"), the flip rate per model × temperature and the variations that flip most, and
the prompt with the sentence whose variations flip most highlighted."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static


def sentence_blame(
    template: Any, variations: list[Any], flips: dict[str, tuple[int, int]]
) -> dict[tuple[int, int, int], tuple[float, int]]:
    """Each sentence's flip rate over the variations that changed it: (flips ÷ comparisons,
    flips), keyed (message index, start, end) in the original template. A sentence that
    variations change without flipping anything scores low even when others flip."""
    from playground.core.evals.variations import changed_sentences

    counts: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0])
    for variation in variations:
        flipped, compared = flips.get(variation.label, (0, 0))
        for span in changed_sentences(template, variation):
            counts[span][0] += flipped
            counts[span][1] += compared
    return {span: (f / n if n else 0.0, f) for span, (f, n) in counts.items() if f}


def flips_by_variation(board: Any) -> dict[str, tuple[int, int]]:
    """(flips, comparisons) per variation label, over every model × temperature."""
    total: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for frag in board.tally.fragility.values():
        per = frag.variations // max(1, len(frag.by_variation))  # each variation, each result
        for label, (_, n) in frag.by_variation.items():
            total[label][0] += n
            total[label][1] += per
    return {label: (f, n) for label, (f, n) in total.items()}


def prompt_text(template: Any, worst: tuple[int, int, int] | None) -> Text:
    """The prompt's messages, the most blamed sentence highlighted."""
    out = Text()
    for i, message in enumerate(template.messages):
        if i:
            out.append("\n")
        out.append(f"{message.role}: ", style="bold")
        content = message.content
        if worst is not None and worst[0] == i:
            _, a, b = worst
            out.append(content[:a])
            out.append(content[a:b], style="bold black on yellow")
            out.append(content[b:])
        else:
            out.append(content)
    return out


class FragilityScreen(Screen[None]):
    """The flip-rate table above, the prompt with its most fragile sentence below."""

    DEFAULT_CSS = """
    FragilityScreen #frag-head { height: auto; padding: 0 1; text-style: bold; }
    FragilityScreen DataTable { height: auto; max-height: 12; }
    FragilityScreen #frag-note { height: auto; padding: 0 1; color: $text-secondary; }
    FragilityScreen #frag-prompt { height: 1fr; padding: 0 1; border-top: hkey $panel; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Close")]

    def __init__(self, board: Any) -> None:
        super().__init__()
        self.board = board
        self.rows = board.fragility()
        flips = flips_by_variation(board)
        self.blame = sentence_blame(board.plan.template, board.variations, flips)
        self.worst = max(self.blame, key=lambda k: (*self.blame[k], -k[0], -k[1]), default=None)

    def compose(self) -> ComposeResult:
        yield Header()
        kinds = sorted({v.kind for v in self.board.variations})
        yield Static(
            f"{len(self.board.variations)} variations ({', '.join(kinds)}) × "
            f"{self.board.total_cases} case{'s' * (self.board.total_cases != 1)}",
            id="frag-head",
            markup=False,
        )
        yield DataTable(id="frag-table", cursor_type="row", zebra_stripes=True)
        yield Static(self.note(), id="frag-note", markup=False)
        with VerticalScroll(id="frag-prompt"):
            yield Static(prompt_text(self.board.plan.template, self.worst), markup=False)
        yield Footer()

    def on_mount(self) -> None:
        from playground.core.evals.report import fmt_pct, fmt_temp

        table = self.query_one(DataTable)
        table.add_columns("model", "temp", "variations", "flip rate", "flips most")
        for row in self.rows:
            worst = ", ".join(f"{w['variation']} ({w['flips']})" for w in row["worst"]) or "none"
            table.add_row(
                row["model"],
                fmt_temp(row["temperature"]),
                str(row["variations"]),
                fmt_pct(row["flip_rate"]),
                worst,
            )
        table.focus()

    def note(self) -> str:
        if self.worst is None:
            return "no variation flipped an answer: the prompt held up"
        i, a, b = self.worst
        sentence = self.board.plan.template.messages[i].content[a:b]
        return f"most fragile sentence (highlighted below): “{sentence}”"

    def action_close(self) -> None:
        self.dismiss(None)

    @property
    def plain(self) -> str:
        from playground.core.evals.report import fragility_lines

        return "\n".join([*fragility_lines(self.rows), self.note()])
