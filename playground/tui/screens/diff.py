"""Two cells' answers compared word by word (or line by line), deletions red, additions green."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from playground.core.model import CellResult
from playground.tui.widgets.diff_view import DiffView


def cell_label(result: CellResult) -> str:
    """'openai:gpt-4.1-mini · t=0.7' (+ sample and fallback when they matter)."""
    cell = result.cell
    temp = "t=default" if cell.temperature is None else f"t={cell.temperature:g}"
    label = f"{cell.model} · {temp}"
    if cell.sample > 1:
        label += f" · #{cell.sample}"
    if result.fallback_used:
        label += f" (answered by {result.fallback_used})"
    return label


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
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("w", "toggle_mode", "Word/line"),
        Binding("s", "swap", "Swap sides"),
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
        yield Footer()

    def on_mount(self) -> None:
        self._refresh_heads()
        self.query_one("#diff-body").focus()

    @property
    def view(self) -> DiffView:
        return self.query_one("#diff-view", DiffView)

    def _refresh_heads(self) -> None:
        self.query_one("#diff-left", Static).update(Content(f"− {cell_label(self.left)}"))
        self.query_one("#diff-right", Static).update(Content(f"+ {cell_label(self.right)}"))
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
        self._refresh_heads()

    def action_swap(self) -> None:
        self.left, self.right = self.right, self.left
        self.view.set_texts(self.left.output, self.right.output)
        self._refresh_heads()

    def action_close(self) -> None:
        self.dismiss(None)
