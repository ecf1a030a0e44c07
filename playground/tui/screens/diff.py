"""Two cells' answers compared word by word (or line by line), deletions red, additions green;
inline, or side by side in two columns (``b``, remembered)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from playground.core.model import CellResult
from playground.render.figures import result_label
from playground.tui.widgets.diff_view import DiffView, SideBySideView


class DiffScreen(Screen[None]):
    """Left is the base, right the other cell: what right removed is struck red, what it added green."""

    DEFAULT_CSS = """
    DiffScreen {
        background: $background;
    }
    DiffScreen #diff-heads {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    DiffScreen .diff-head {
        width: 1fr;
        height: auto;
    }
    DiffScreen #diff-left {
        color: $text-error;
    }
    DiffScreen #diff-right {
        color: $text-success;
    }
    DiffScreen #diff-summary {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    DiffScreen #diff-body {
        height: 1fr;
        border: round $primary 50%;
    }
    DiffScreen #diff-body:focus {
        border: round $primary;
    }
    DiffScreen #diff-sides { display: none; }
    DiffScreen.-sides #diff-sides { display: block; }
    DiffScreen.-sides #diff-view { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("w", "toggle_mode", "Word/line"),
        Binding("s", "swap", "Swap sides"),
        Binding("b", "toggle_sides", "Side by side"),
    ]

    def __init__(self, left: CellResult, right: CellResult) -> None:
        super().__init__()
        self.left = left
        self.right = right

    def compose(self) -> ComposeResult:
        with Horizontal(id="diff-heads"):
            yield Static(id="diff-left", classes="diff-head", markup=False)
            yield Static(id="diff-right", classes="diff-head", markup=False)
        yield Static(id="diff-summary", markup=False)
        with VerticalScroll(id="diff-body"):
            yield DiffView(self.left.output, self.right.output, id="diff-view")
            yield SideBySideView(self.left.output, self.right.output, id="diff-sides")
        yield Footer()

    def on_mount(self) -> None:
        state = getattr(self.app, "state", None)
        self.set_class(bool(state and state.diff_sides), "-sides")
        self._refresh_heads()
        self.query_one("#diff-body").focus()

    @property
    def view(self) -> DiffView:
        return self.query_one("#diff-view", DiffView)

    @property
    def sides(self) -> SideBySideView:
        return self.query_one("#diff-sides", SideBySideView)

    def _refresh_heads(self) -> None:
        self.query_one("#diff-left", Static).update(Content(f"− {result_label(self.left)}"))
        self.query_one("#diff-right", Static).update(Content(f"+ {result_label(self.right)}"))
        view = self.view
        st = view.stats
        unit = "word" if view.mode == "word" else "line"
        if st.identical:
            text = f"identical outputs ({view.mode} mode)"
        else:
            text = (
                f"{view.mode} mode: +{st.inserted} {unit}{'s' * (st.inserted != 1)}, "
                f"−{st.deleted} {unit}{'s' * (st.deleted != 1)}, {st.equal} unchanged"
            )
        self.query_one("#diff-summary", Static).update(Content(text))

    def action_toggle_mode(self) -> None:
        self.view.toggle_mode()
        self.sides.set_texts(self.left.output, self.right.output, words=self.view.mode == "word")
        self._refresh_heads()

    def action_swap(self) -> None:
        self.left, self.right = self.right, self.left
        self.view.set_texts(self.left.output, self.right.output)
        self.sides.set_texts(self.left.output, self.right.output)
        self._refresh_heads()

    def action_toggle_sides(self) -> None:
        """Inline (one text, changes interleaved) or side by side (two columns); remembered."""
        self.toggle_class("-sides")
        remember = getattr(self.app, "remember", None)
        if remember is not None:
            remember(diff_sides=self.has_class("-sides"))

    def action_close(self) -> None:
        self.dismiss(None)
