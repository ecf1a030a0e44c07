"""Judge one cell: good/bad or 1–5 stars, with an optional note. Two keys: '+' then Enter."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from playground.core.model import CellResult
from playground.render.figures import result_label

GOOD, BAD = 1, -1
THUMBS, STARS = "thumbs", "stars"  # the store's rating scales
# keys that choose a score while the score line has the focus: (score, stars?)
SCORE_KEYS = {"plus": (GOOD, False), "g": (GOOD, False), "minus": (BAD, False), "b": (BAD, False)}
SCORE_KEYS.update({str(n): (n, True) for n in range(1, 6)})


class Rating(tuple):
    """(score, note) as before, plus ``.scale`` ("thumbs" or "stars"): good (+1) and one star
    are both 1 and only the scale tells them apart. Still unpacks and compares as a pair."""

    scale: str

    def __new__(cls, score: int, note: str | None, scale: str) -> Rating:
        self = super().__new__(cls, (score, note))
        self.scale = scale
        return self


def score_label(score: int | None, scale: str | None = None) -> str:
    if score is None:
        return "none yet"
    if scale == THUMBS or (scale is None and score == BAD):
        return "good (+1)" if score == GOOD else "bad (−1)"
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

    typing_note = False  # a score was chosen: printable keys now belong to the note

    def on_focus(self) -> None:
        self.typing_note = False  # back here (shift+tab) to choose again

    def on_key(self, event: events.Key) -> None:
        """Handle keys here, in arrival order, not via the focus move to the note: in a real
        terminal the note's first letters arrive before that move and were lost (or, for g, b
        and digits, taken as a new score)."""
        screen = self.screen
        if not isinstance(screen, RateScreen):
            return
        if self.typing_note and event.is_printable and event.character:
            screen.query_one("#rate-note", Input).insert_text_at_cursor(event.character)
        elif not self.typing_note and event.key in SCORE_KEYS:
            screen.action_score(*SCORE_KEYS[event.key])
        else:
            return
        event.stop()
        event.prevent_default()


class RateScreen(ModalScreen[Rating | None]):
    """+/g good, -/b bad, 1–5 stars; the note takes any text; Enter saves, Escape cancels.
    Dismisses with a Rating: (score, note) with ``.scale``."""

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
        Binding("1", "score(1, True)", "stars", key_display="1–5"),
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
        self.scale: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="rate-box") as box:
            box.border_title = f"Rate: {result_label(self.result)}"
            yield Static(
                "+ good  − bad  1–5 stars · note optional · Enter saves",
                classes="rate-help",
                markup=False,
            )
            yield ScoreChoice(Content(f"score: {score_label(None)}"), id="rate-score")
            yield Input(placeholder="note (optional)", id="rate-note", select_on_focus=False)
            yield Static(id="rate-error", classes="-empty", markup=False)
        yield Footer()

    def action_score(self, value: int, stars: bool = False) -> None:
        self.score = value
        self.scale = STARS if stars else THUMBS
        label = score_label(value, self.scale)
        choice = self.query_one("#rate-score", ScoreChoice)
        choice.update(Content(f"score: {label}"))
        choice.typing_note = True
        self._error("")
        self.query_one("#rate-note", Input).focus()

    def action_save(self) -> None:
        # Enter is a priority binding, so it can overtake note keys still queued at the score
        # line or the note: save once both have handled what came before it.
        choice = self.query_one("#rate-score", ScoreChoice)
        note = self.query_one("#rate-note", Input)
        choice.call_later(note.call_later, self._save)

    def _save(self) -> None:
        if not self.is_current:  # Enter pressed twice: already dismissed
            return
        if self.score is None or self.scale is None:
            self._error("choose a score first: + or − for good/bad, or 1–5 stars")
            self.query_one("#rate-score").focus()
            return
        note = self.query_one("#rate-note", Input).value.strip() or None
        self.dismiss(Rating(self.score, note, self.scale))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, message: str) -> None:
        error = self.query_one("#rate-error", Static)
        error.update(Content(message))
        error.set_class(not message, "-empty")
