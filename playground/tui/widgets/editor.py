"""The prompt editor: system and user messages, with cheap template highlighting."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, TextArea

_VAR = re.compile(r"\{\{[^}]*\}\}")
_HEADING = re.compile(r"^#{1,6} ")


class TemplateArea(TextArea):
    """A TextArea that marks ``{{variables}}`` and Markdown headings with a regex.

    No tree-sitter needed: prompts are short, so one pass over the text per edit is cheap.
    """

    DEFAULT_CSS = """
    TemplateArea {
        height: 1fr;
        min-height: 3;
        border: none;
        border-left: outer $panel;
        padding: 0 1;
        background: $boost;
        &:focus { border: none; border-left: outer $primary; background-tint: $primary 6%; }
    }
    """

    def __init__(self, text: str = "", *, id: str | None = None, placeholder: str = "") -> None:
        super().__init__(
            text,
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=placeholder,
            highlight_cursor_line=False,
        )

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        highlights = self._highlights
        highlights.clear()
        for row, line in enumerate(self.document.lines):
            if "{{" in line:
                for match in _VAR.finditer(line):
                    highlights[row].append((match.start(), match.end(), "keyword"))
            if line.startswith("#") and _HEADING.match(line):
                highlights[row].append((0, None, "heading"))


class PromptEditor(Vertical):
    """System above user; the user message takes the room."""

    DEFAULT_CSS = """
    PromptEditor { height: 1fr; }
    PromptEditor > Label { color: $text-muted; padding: 0 1; height: 1; }
    PromptEditor > #system { height: 3; max-height: 25%; }
    """

    def __init__(self, system: str = "", user: str = "", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        # held, not queried: the texts stay readable while the screen unmounts (its draft is
        # saved then, after the children are gone)
        self._system_area = TemplateArea(system, id="system", placeholder="optional system message")
        self._user_area = TemplateArea(
            user, id="user", placeholder="Write the prompt; {{name}} makes a variable"
        )

    def compose(self) -> ComposeResult:
        yield Label("System", id="system-label")
        yield self._system_area
        yield Label("User  (ctrl+r runs)", id="user-label")
        yield self._user_area

    @property
    def system_area(self) -> TemplateArea:
        return self._system_area

    @property
    def user_area(self) -> TemplateArea:
        return self._user_area

    @property
    def system(self) -> str:
        return self.system_area.text

    @property
    def user(self) -> str:
        return self.user_area.text

    def set_texts(self, system: str, user: str) -> None:
        """Replace both messages (loading a file or a past run) as one edit each, so Ctrl+Z
        brings back what was there; the cursor goes to the end of the text."""
        for area, text in ((self.system_area, system), (self.user_area, user)):
            if area.text != text:
                area.replace(text, (0, 0), area.document.end)
            area.move_cursor(area.document.end)
