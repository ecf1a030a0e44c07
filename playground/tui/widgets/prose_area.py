"""The TextArea that holds typed prose (the messages, the variables' values), set up once."""

from __future__ import annotations

from textual.widgets import TextArea


class ProseArea(TextArea):
    """Text that wraps, no line numbers or cursor-line band, and Tab moves on to the next
    field rather than typing a tab (a prompt's form is filled field by field)."""

    def __init__(
        self,
        text: str = "",
        *,
        name: str | None = None,
        id: str | None = None,
        placeholder: str = "",
        compact: bool = False,
    ) -> None:
        super().__init__(
            text,
            name=name,
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=placeholder,
            highlight_cursor_line=False,
            compact=compact,
        )

    def set_text(self, text: str) -> None:
        """Replace the text as one edit (Ctrl+Z brings the old back); the cursor goes to the
        end."""
        if text != self.text:
            self.replace(text, (0, 0), self.document.end)
        self.move_cursor(self.document.end)
