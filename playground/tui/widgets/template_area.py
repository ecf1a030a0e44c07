"""The text area of a prompt's messages: ``{{variables}}`` and Markdown headings marked.

Its own module so that the editor and its turns (loaded with the first turn) both import it
without importing each other."""

from __future__ import annotations

import re

from playground.tui.widgets.prose_area import ProseArea

_VAR = re.compile(r"\{\{[^}]*\}\}")
_HEADING = re.compile(r"^#{1,6} ")


class TemplateArea(ProseArea):
    """A ProseArea that marks ``{{variables}}`` and Markdown headings with a regex.

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
