"""Ask for one line of text (a file path, a number) from the palette."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class AskPathScreen(ModalScreen[str | None]):
    """One input; Enter gives its text, Escape gives None."""

    DEFAULT_CSS = """
    AskPathScreen { align: center middle; }
    AskPathScreen > Vertical {
        width: 80; max-width: 95%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    AskPathScreen Label { width: 100%; margin-bottom: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, question: str, value: str = "", placeholder: str = "path/to/cases.csv"
    ) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
