"""Judge one cell: good/bad or 1–5 stars, with an optional note. Two keys: '+' then Enter."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from playground.core.plan import CellResult
from playground.tui.screens.diff import cell_label

GOOD, BAD = 1, -1


def score_label(score: int | None) -> str:
    if score is None:
        return "none yet"
    if score == GOOD:
        return "good (+1)"
    if score == BAD:
        return "bad (−1)"
    return "★" * score + "☆" * (5 - score) + f" ({score}/5)"


class ScoreChoice(Static, can_focus=True):
    """Shows the chosen score; focusable so shift+tab can come back to re-choose."""

    DEFAULT_CSS = """
    ScoreChoice {
        height: 1;
        padding: 0 1;
    }
    ScoreChoice:focus {
        background: $boost;
        text-style: bold;
    }
    """


class RateScreen(ModalScreen[tuple[int, str | None] | None]):
    """+/g good, -/b bad, 1–5 stars; the note takes any text; Enter saves, Escape cancels."""

    AUTO_FOCUS = "ScoreChoice"

    DEFAULT_CSS = """
    RateScreen {
        align: center middle;
    }
    RateScreen #rate-box {
        width: 64;
        max-width: 100%;
        height: auto;
        border: round $primary;
        border-title-color: $text;
        background: $surface;
        padding: 0 1;
    }
    RateScreen .rate-help {
        color: $text-muted;
        padding: 0 1;
    }
    RateScreen #rate-error {
        color: $text-error;
        padding: 0 1;
        height: auto;
    }
    RateScreen #rate-error.-empty {
        display: none;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,g", "score(1)", "Good"),
        Binding("minus,b", "score(-1)", "Bad"),
        Binding("1", "score(1, True)", "1–5 stars", key_display="1–5"),
        Binding("2", "score(2, True)", show=False),
        Binding("3", "score(3, True)", show=False),
        Binding("4", "score(4, True)", show=False),
        Binding("5", "score(5, True)", show=False),
        Binding("enter", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, result: CellResult) -> None:
        super().__init__()
        self.result = result
        self.score: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="rate-box") as box:
            box.border_title = f"Rate: {cell_label(self.result)}"
            yield Static(
                "+ good  − bad  1–5 stars · note optional · Enter saves",
                classes="rate-help",
                markup=False,
            )
            yield ScoreChoice(Content(f"score: {score_label(None)}"), id="rate-score")
            yield Input(placeholder="note (optional)", id="rate-note")
            yield Static(id="rate-error", classes="-empty", markup=False)
        yield Footer()

    def action_score(self, value: int, stars: bool = False) -> None:
        # "1" means one star, while "+" is good (+1): both are stored as 1, told apart by label
        self.score = value
        label = score_label(value) if not (stars and value == 1) else "★☆☆☆☆ (1/5)"
        self.query_one("#rate-score", ScoreChoice).update(Content(f"score: {label}"))
        self._error("")
        self.query_one("#rate-note", Input).focus()

    def action_save(self) -> None:
        if self.score is None:
            self._error("choose a score first: + or − for good/bad, or 1–5 stars")
            self.query_one("#rate-score").focus()
            return
        note = self.query_one("#rate-note", Input).value.strip() or None
        self.dismiss((self.score, note))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, message: str) -> None:
        error = self.query_one("#rate-error", Static)
        error.update(Content(message))
        error.set_class(not message, "-empty")
