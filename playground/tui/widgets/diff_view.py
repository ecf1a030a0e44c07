"""A widget showing the difference between two texts, coloured with the theme's success/error."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from playground.core.diff import DiffStats, Row, Span, line_diff, side_by_side, stats, word_diff

Mode = Literal["word", "line"]

_CLASS = {"insert": "diff--insert", "delete": "diff--delete", "equal": "diff--equal"}
_MARK = {"insert": "+ ", "delete": "- ", "equal": "  "}


class DiffColours(Widget):
    """What the diff views share: inserted text green, deleted red (the theme's success and
    error), said once here; each view adds its own marks on top."""

    DEFAULT_CSS = """
    DiffColours {
        height: auto;
        padding: 0 1;
    }
    DiffColours > .diff--insert {
        color: $text-success;
        background: $success 20%;
    }
    DiffColours > .diff--delete {
        color: $text-error;
        background: $error 20%;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"diff--insert", "diff--delete", "diff--equal"}


class DiffView(DiffColours):
    """Word mode interleaves both sides inline; line mode lists lines with +/- marks."""

    DEFAULT_CSS = """
    DiffView > .diff--delete {
        text-style: strike;
    }
    DiffView.-line > .diff--delete {
        text-style: none;
    }
    """

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


class SideBySideView(DiffColours):
    """Both answers in two columns, line against line (difflib's alignment); what the left
    lost is marked red on the left, what the right gained green on the right. Long lines fold
    within their column, so every character of both answers is on screen somewhere."""

    DEFAULT_CSS = """
    SideBySideView > .diff--filler {
        color: $text-disabled;
        background: $panel 40%;
    }
    SideBySideView > .diff--rule {
        color: $text-muted;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"diff--filler", "diff--rule"}
    RULE = " │ "

    def __init__(self, left: str, right: str, *, words: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.left, self.right, self.words = left, right, words
        self._rows: list[Row] | None = None
        self._lines: tuple[int, list[Content]] | None = None  # (width, lines) drawn last

    @property
    def rows(self) -> list[Row]:
        """The aligned rows (computed once per pair of texts and mode)."""
        if self._rows is None:
            self._rows = side_by_side(self.left, self.right, words=self.words)
        return self._rows

    def set_texts(self, left: str, right: str, *, words: bool | None = None) -> None:
        self.left, self.right = left, right
        if words is not None:
            self.words = words
        self._rows = self._lines = None
        self.refresh(layout=True)

    def column_lines(self, width: int) -> list[tuple[list[Content], list[Content]]]:
        """Each row folded into its two columns of ``width`` cells (a missing side: None)."""
        styles = {op: self.get_visual_style(cls) for op, cls in _CLASS.items()}
        folded = []
        for pair in self.rows:
            sides: list[list[Content]] = []
            for spans in pair:
                if spans is None:
                    sides.append([])
                    continue
                text = Content.assemble(*_marked(spans, styles))
                sides.append(text.wrap(width) if text.cell_length else [Content("")])
            folded.append((sides[0], sides[1]))
        return folded

    def _draw(self, width: int) -> list[Content]:
        if self._lines is not None and self._lines[0] == width:
            return self._lines[1]
        column = max(4, (width - len(self.RULE)) // 2)
        filler = Content.styled("╱" * column, self.get_visual_style("diff--filler"))
        rule = Content.styled(self.RULE, self.get_visual_style("diff--rule"))
        lines: list[Content] = []
        for (row_left, row_right), pair in zip(self.column_lines(column), self.rows, strict=True):
            for k in range(max(len(row_left), len(row_right), 1)):
                cells = []
                for side, spans in ((row_left, pair[0]), (row_right, pair[1])):
                    if spans is None:
                        cells.append(filler)
                    elif k < len(side):
                        cells.append(side[k].extend_right(column - side[k].cell_length))
                    else:
                        cells.append(Content(" " * column))
                lines.append(Content.assemble(cells[0], rule, cells[1]))
        self._lines = (width, lines)
        return lines

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self._draw(width)) if self.left or self.right else 1

    def render(self) -> Content:
        if not self.left and not self.right:
            return Content("(both outputs are empty)")
        return Content("\n").join(self._draw(self.content_size.width))


def _marked(spans: list[Span], styles: dict[str, Any]) -> list[tuple[str, Any]]:
    """Spans as styled parts; a changed word is marked without the space before it."""
    parts: list[tuple[str, Any]] = []
    for span in spans:
        word = span.text.lstrip() if span.op != "equal" else span.text
        if len(word) < len(span.text):
            parts.append((span.text[: len(span.text) - len(word)], styles["equal"]))
        parts.append((word, styles[span.op]))
    return parts


class UnifiedDiffView(DiffColours):
    """A unified diff (``+``/``-`` lines), coloured like DiffView; for file-to-file previews."""

    DEFAULT_CSS = """
    UnifiedDiffView > .diff--hunk {
        color: $text-muted;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"diff--hunk"}

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
