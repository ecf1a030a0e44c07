"""The turns after the first user message (few-shot examples, an assistant prefill): loaded
with the first turn, so a prompt without turns (most) starts without their classes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widgets import Label

from playground.tui.widgets.template_area import TemplateArea

ROLE_LABELS = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool"}


class TurnArea(TemplateArea):
    """A turn's text: as tall as it is (a few lines, then it scrolls). Backspace in an empty
    turn removes it."""

    DEFAULT_CSS = """
    TurnArea { height: auto; min-height: 1; max-height: 8; }
    """

    class RemoveRequested(TextualMessage):
        """Backspace in the empty turn: take it away."""

        def __init__(self, area: TurnArea) -> None:
            super().__init__()
            self.area = area

    def action_delete_left(self) -> None:
        if not self.text and self.selection.is_empty:
            self.post_message(self.RemoveRequested(self))
            return
        super().action_delete_left()


class Turn(Vertical):
    """One turn after the first user message: its role over its text."""

    DEFAULT_CSS = """
    Turn { height: auto; }
    Turn > Label { color: $text-muted; padding: 0 1; height: 1; }
    """

    def __init__(self, role: str, text: str, number: int) -> None:
        super().__init__(classes="turn")
        self.role = role
        self.label = Label(ROLE_LABELS.get(role, role), classes="turn-label")
        self.area = TurnArea(text, id=f"turn-{number}", placeholder=_placeholder(role))

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.area

    def set_role(self, role: str, last: bool) -> None:
        self.role = role
        prefill = "  (prefill: the answer continues it)" if last and role == "assistant" else ""
        self.label.update(ROLE_LABELS.get(role, role) + prefill)
        self.area.placeholder = _placeholder(role)


def _placeholder(role: str) -> str:
    if role == "assistant":
        return "an example answer, or the start of the answer (prefill) when last"
    return "the next user message"
