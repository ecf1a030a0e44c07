"""A widget showing the difference between two texts, coloured with the theme's success/error."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from playground.core.diff import DiffStats, Span, line_diff, stats, word_diff

Mode = Literal["word", "line"]

_CLASS = {"insert": "diff--insert", "delete": "diff--delete", "equal": "diff--equal"}
_MARK = {"insert": "+ ", "delete": "- ", "equal": "  "}


class DiffView(Widget):
    """Word mode interleaves both sides inline; line mode lists lines with +/- marks."""

    DEFAULT_CSS = """
    DiffView {
        height: auto;
        padding: 0 1;
    }
    DiffView > .diff--insert {
        color: $text-success;
        background: $success 20%;
    }
    DiffView > .diff--delete {
        color: $text-error;
        background: $error 20%;
        text-style: strike;
    }
    DiffView > .diff--equal {
    }
    DiffView.-line > .diff--delete {
        text-style: none;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"diff--insert", "diff--delete", "diff--equal"}

    mode: reactive[Mode] = reactive("word", layout=True)

    def __init__(
        self,
        left: str,
        right: str,
        *,
        mode: Mode = "word",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.left = left
        self.right = right
        self._cache: dict[Mode, list[Span]] = {}
        self.set_reactive(DiffView.mode, mode)
        self.set_class(mode == "line", "-line")

    @property
    def spans(self) -> list[Span]:
        """The diff in the current mode (computed once per mode)."""
        spans = self._cache.get(self.mode)
        if spans is None:
            spans = (
                word_diff(self.left, self.right)
                if self.mode == "word"
                else line_diff(self.left, self.right)
            )
            self._cache[self.mode] = spans
        return spans

    @property
    def stats(self) -> DiffStats:
        return stats(self.spans, lines=self.mode == "line")

    def set_texts(self, left: str, right: str) -> None:
        """Compare two other texts (e.g. the sides swapped)."""
        self.left, self.right = left, right
        self._cache.clear()
        self.refresh(layout=True)

    def watch_mode(self, mode: Mode) -> None:
        self.set_class(mode == "line", "-line")

    def toggle_mode(self) -> None:
        self.mode = "line" if self.mode == "word" else "word"

    def _word_parts(self, styles: dict[str, Any]) -> list[str | tuple[str, Any]]:
        """Changed words highlighted without their leading space; a removed word and the word
        that replaces it are kept apart by a space even when the text had none."""
        parts: list[str | tuple[str, Any]] = []
        previous = "equal"
        for span in self.spans:
            text = span.text
            if span.op == "equal":
                parts.append(text)
            else:
                word = text.lstrip()
                space = text[: len(text) - len(word)]
                if not space and previous not in ("equal", span.op):
                    space = " "
                if space:
                    parts.append(space)
                parts.append((word, styles[span.op]))
            previous = span.op
        return parts

    def render(self) -> Content:
        styles = {op: self.get_visual_style(cls) for op, cls in _CLASS.items()}
        if not self.left and not self.right:
            return Content("(both outputs are empty)")
        if self.mode == "word":
            return Content.assemble(*self._word_parts(styles))
        lines = [Content.styled(_MARK[s.op] + s.text, styles[s.op]) for s in self.spans]
        return Content("\n").join(lines)


class UnifiedDiffView(Widget):
    """A unified diff (``+``/``-`` lines), coloured like DiffView; for file-to-file previews."""

    DEFAULT_CSS = """
    UnifiedDiffView {
        height: auto;
        padding: 0 1;
    }
    UnifiedDiffView > .diff--insert {
        color: $text-success;
        background: $success 20%;
    }
    UnifiedDiffView > .diff--delete {
        color: $text-error;
        background: $error 20%;
    }
    UnifiedDiffView > .diff--equal {
    }
    UnifiedDiffView > .diff--hunk {
        color: $text-muted;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diff--insert",
        "diff--delete",
        "diff--equal",
        "diff--hunk",
    }

    def __init__(
        self, text: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.text = text

    def set_text(self, text: str) -> None:
        self.text = text
        self.refresh(layout=True)

    @staticmethod
    def line_kind(line: str) -> str:
        if line.startswith(("+++", "---", "@@")):
            return "hunk"
        if line.startswith("+"):
            return "insert"
        if line.startswith("-"):
            return "delete"
        return "equal"

    def render(self) -> Content:
        lines = [
            Content.styled(line, self.get_visual_style(f"diff--{self.line_kind(line)}"))
            for line in self.text.splitlines()
        ]
        return Content("\n").join(lines)
