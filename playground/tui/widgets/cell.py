"""One result in the grid: a header, the streamed answer, the error, the figures.

The answer is shown exactly as received (line breaks, tags, marks, whitespace) in a read-only
text area; Markdown rendering is a toggle (``m`` on the cell, ``M`` for every cell).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Self

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region, Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Markdown, Static, TextArea

from playground.render.figures import cell_label, figures, rating_label
from playground.tui.widgets.relayout import update_static

if TYPE_CHECKING:
    from playground.core.model import Cell, CellResult


def cell_figures(result: CellResult) -> str:
    """The figures line, the same as `playground run` prints."""
    return figures(result)


def _repaint(widget: Widget, region: Region) -> None:
    """Repaint these rows of the widget (relative to its content) and nothing else.

    ``Widget.refresh`` also drops the widget's computed styles and sizes, which a row of new
    text or a new subtitle leaves as they were: each tick recomputed them for every cell."""
    widget._set_dirty(region)
    widget._repaint_required = True
    widget.check_idle()


class AnswerText(TextArea, can_focus=False):
    """The answer as plain text, exactly as received: appends are cheap (only the visible
    lines are drawn), long unbroken text folds, and every character stays reachable."""

    DEFAULT_CSS = """
    AnswerText { height: 1fr; border: none; padding: 0; background: transparent; }
    AnswerText:focus { border: none; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(
            "",
            read_only=True,
            show_cursor=False,
            highlight_cursor_line=False,
            soft_wrap=True,
            compact=True,
            **kw,
        )
        self._appending = False

    def append(self, text: str) -> None:
        """Add streamed text at the end; only the lines it changes are drawn again.

        ``TextArea.insert`` is an edit: it moves the cursor (scrolling it into view, clearing
        the app's mouse selection), forgets every rendered line and repaints the whole area,
        8 cells x ~20 lines on every tick though a tick's few characters change one line."""
        if not text:
            return
        if not self.soft_wrap or not self.size:
            self._insert(text)  # before the first layout: TextArea's own way
        else:
            self._append_lines(self.document.end, text)
        if self.is_anchored and self.scroll_y < self.max_scroll_y:  # following the end (a
            self.scroll_end(animate=False, immediate=True)  # layout would do it; none runs now)

    def _insert(self, text: str) -> None:
        with self.prevent(TextArea.Changed):  # not an edit: the screen's editor hears those
            self.insert(text, self.document.end, maintain_selection_offset=True)
        self.history.clear()  # a stream is not an edit to undo: keep no copies of it

    def _append_lines(self, end: tuple[int, int], text: str) -> None:
        """The document and its wrapping grow at the end; the rendered lines above the first
        section whose text changed stay cached, and only the changed rows are repainted."""
        wrapped = self.wrapped_document
        row = end[0]
        before = wrapped.get_sections(row)
        result = self.document.replace_range(end, end, text)
        wrapped.wrap_range(end, end, result.end_location)
        after = wrapped.get_sections(row)
        same = next(
            (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
            min(len(before), len(after)),
        )
        first = wrapped._line_index_to_offsets[row][0] + same  # first wrapped row changed
        cache = self._line_cache  # keyed by (size, scroll_x, wrapped row, ...)
        for key in [k for k in cache.keys() if k[2] >= first]:  # noqa: SIM118 (no __iter__)
            cache.discard(key)
        self._appending = True
        try:
            self._refresh_size()
        finally:
            self._appending = False
        top = max(0, first - int(self.scroll_y))
        bottom = min(self.size.height, wrapped.height - int(self.scroll_y))
        if top < bottom:
            _repaint(self, Region(0, top, self.size.width, bottom - top))

    def _refresh_size(self) -> None:
        """Text that grows changes only this area's scroll range, not the screen's layout.

        TextArea sets ``virtual_size``, a reactive that lays out the whole screen (every
        widget's region, then a repaint of whatever moved) on each append: 8 streaming cells
        did that several times per frame. The area's box is fixed by the grid, so only its
        scrollbar needs the new height (showing the scrollbar still lays out, once).
        """
        if not self.soft_wrap or not self.size:  # not laid out yet: TextArea's own way
            super()._refresh_size()
            return
        size = Size(0, self.wrapped_document.height)
        if size != self.virtual_size:
            self.set_reactive(TextArea.virtual_size, size)
            self._scroll_update(size)  # scrollbar: shown or not, its range, the scroll clamp
            if not self._appending:  # an append repaints the rows it changed
                self.refresh()

    def show(self, text: str) -> None:
        """Replace the whole text (a past run, or a fresh start)."""
        with self.prevent(TextArea.Changed):
            self.load_text(text)
        self.refresh()  # TextArea repaints only if the height changed (or the cursor moved)


EVAL_KEYS = (
    "case_next",
    "case_prev",
    "open_case",
    "stability",
)  # the screen says when there are no cases

_STATUS_MARK = {
    "pending": "○",
    "batch": "◷",  # pending in a provider's batch job (`playground batches collect`)
    "queued": "◌",
    "running": "●",
    "ok": "✓",
    "error": "✗",
    "cancelled": "■",
    "interrupted": "■",
}
_STATUS_CLASSES = frozenset(f"-{s}" for s in _STATUS_MARK)
# classes that style the cell's own border and nothing inside it (no rule reaches a child
# through them): a change of these restyles the cell alone
_BORDER_CLASSES = _STATUS_CLASSES | {"-eval-pass", "-eval-fail", "-readonly"}


class ResultCell(Vertical, can_focus=True):
    """Focusable; keys act on its result (rate, copy, inspect, diff, re-run, promote)."""

    DEFAULT_CSS = """
    ResultCell {
        height: 1fr;
        min-height: 4;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        border-subtitle-align: right;
        padding: 0 1;
        background: $surface;
        &:focus { border: round $primary; border-title-color: $primary; background-tint: $foreground 3%; }
        &.-running { border-title-color: $primary; }
        &.-queued { border-title-color: $text-muted; }
        &.-batch { border-title-color: $accent; }
        &.-ok { border-title-color: $success; }
        &.-error { border: round $error 70%; border-title-color: $error; }
        &.-cancelled { border-title-color: $warning; }
        &.-readonly { border: round $panel; }
    }
    ResultCell > .cell-body { height: 1fr; scrollbar-size-vertical: 1; }
    ResultCell > .cell-md-body { display: none; }
    ResultCell.-markdown > .cell-md-body { display: block; }
    ResultCell.-markdown > AnswerText { display: none; }
    ResultCell > .cell-md-body > Markdown { margin: 0; padding: 0; background: transparent; }
    ResultCell > .cell-reasoning { color: $text-muted; text-style: italic; max-height: 2; display: none; }
    ResultCell > .cell-reasoning.-shown { display: block; }
    ResultCell > .cell-error { color: $text-error; display: none; height: auto; max-height: 5; }
    ResultCell > .cell-error.-shown { display: block; }
    ResultCell > .cell-notice { color: $text-warning; display: none; height: 1; }
    ResultCell > .cell-notice.-shown { display: block; }
    ResultCell > .cell-figures { color: $text-muted; height: auto; max-height: 3; }
    ResultCell.-rated > .cell-figures { color: $text-accent; }
    /* graded: the answer's scrollbar is always there, so a case's answer neither narrows the
       text (a re-wrap) nor lays out the screen to show its scrollbar (three layouts of the
       whole grid when the first verdicts land) */
    ResultCell.-graded > AnswerText {
        overflow-y: scroll;
        scrollbar-background: transparent;  /* an answer with nothing to scroll shows none */
        scrollbar-background-hover: transparent;
        scrollbar-background-active: transparent;
    }
    ResultCell.-graded > .cell-figures { min-height: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "cell('rate')", "Rate"),
        Binding("c", "cell('copy')", "Copy"),
        Binding("i", "cell('inspect')", "Inspect"),
        Binding("d", "cell('diff')", "Diff"),
        Binding("x,ctrl+shift+r", "cell('rerun')", "Re-run", key_display="x"),
        Binding("p", "cell('promote')", "Promote"),
        Binding("z", "cell('zoom')", "Zoom"),
        Binding("t", "cell('pin')", "Pin test", show=False),
        Binding("a", "cell('stability')", "Stability", show=False),
        Binding("v", "cell('compare')", "Compare", show=False),
        Binding("m", "toggle_markdown", "Markdown"),
        Binding("M", "cell('markdown_all')", "Markdown all", show=False),
        Binding("right_square_bracket", "cell('case_next')", "Next case", show=False),
        Binding("left_square_bracket", "cell('case_prev')", "Prev case", show=False),
        Binding("o", "cell('open_case')", "Open case", show=False),
        # arrows and h/j/k/l move between cells; Shift+arrows and PgUp/PgDn scroll this one
        Binding("up,k", "move(0, -1)", "Move", show=False),
        Binding("down,j", "move(0, 1)", show=False),
        Binding("left,h", "move(-1, 0)", show=False),
        Binding("right,l", "move(1, 0)", show=False),
        *(Binding(str(n), f"column({n})", show=False) for n in range(1, 10)),
        Binding("shift+up", "scroll_body('up')", show=False),
        Binding("shift+down", "scroll_body('down')", show=False),
        Binding("pageup", "scroll_body('page_up')", show=False),
        Binding("pagedown", "scroll_body('page_down')", show=False),
        Binding("home", "scroll_body('home')", show=False),
        Binding("end", "scroll_body('end')", show=False),
    ]

    _bottom_row_only = False  # see set_subtitle
    _classes_to_set: frozenset[str] | None = None  # see classes_at_once

    class MoveRequested(Message):
        """Arrows, h/j/k/l or a column number: the grid, which knows the layout, moves focus."""

        def __init__(
            self, cell: ResultCell, *, dx: int = 0, dy: int = 0, column: int | None = None
        ) -> None:
            super().__init__()
            self.cell = cell
            self.dx = dx
            self.dy = dy
            self.column = column

    class ActionRequested(Message):
        """The user asked for an action on this cell; the screen carries it out."""

        def __init__(self, cell: ResultCell, action: str) -> None:
            super().__init__()
            self.cell = cell
            self.action = action

    def __init__(
        self, cell: Cell, *, repeats: int = 1, markdown: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="-markdown" if markdown else "")
        self.cell = cell
        self.result: CellResult | None = None
        self.batch_state: str | None = None  # the job's state, for a cell waiting in a batch
        self._repeats = repeats
        self.border_title = cell_label(cell, repeats)
        self._label = self.border_title
        self._pending: list[str] = []
        self._reasoning = ""
        self._shown: list[str] = []  # the answer's text on screen (flushed), in pieces
        self._md_stale = False  # the Markdown view lags the text (it catches up when shown)
        self.rating: str | None = None
        self.notice = ""
        self.ended = False  # the end of this cell's latest run has been shown
        self._has_text = False
        # held, not queried: a query matches CSS against the subtree, ~1 ms a time on a loaded
        # machine, and a tick of verdicts asks for these in every cell
        self._reasoning_line = Static("", classes="cell-reasoning", markup=False)
        self._answer = AnswerText(classes="cell-body")
        self._notice_line = Static("", classes="cell-notice", markup=False)
        self._error_line = Static("", classes="cell-error", markup=False)
        self._figures_line = Static("waiting…", classes="cell-figures", markup=False)

    def compose(self) -> ComposeResult:
        # not a tab stop of its own: one Tab per cell; the cell's keys scroll it
        yield self._reasoning_line
        yield self._answer
        if self.markdown_on:
            with VerticalScroll(classes="cell-md-body", can_focus=False):
                yield Markdown("", classes="cell-md")
        yield self._notice_line
        yield self._error_line
        yield self._figures_line

    @property
    def markdown_on(self) -> bool:
        return self.has_class("-markdown")

    @property
    def answer(self) -> AnswerText:
        """The answer exactly as received (the view unless Markdown is on)."""
        return self._answer

    @property
    def body(self) -> Widget:
        """What scrolls: the plain answer, or its Markdown rendering."""
        if self.markdown_on:
            return self.query_one(".cell-md-body", VerticalScroll)
        return self.answer

    @property
    def shown_text(self) -> str:
        """The answer's text on screen now (partial while streaming)."""
        return "".join(self._shown)

    @property
    def text(self) -> str:
        """What the cell shows as its answer (partial while streaming)."""
        if self.result is not None:
            return self.result.output
        return ""

    async def set_markdown(self, on: bool) -> None:
        """Show the answer as rendered Markdown, or exactly as received."""
        if on == self.markdown_on:
            return
        if on and not self.query(".cell-md-body"):
            await self.mount(
                VerticalScroll(
                    Markdown("", classes="cell-md"), classes="cell-md-body", can_focus=False
                ),
                after=self.answer,
            )
            self._md_stale = True
        self.set_class(on, "-markdown")
        if on and self._md_stale:
            await self._render_markdown()

    async def _render_markdown(self) -> None:
        self._md_stale = False
        text = self.shown_text
        if not text and self.ended and self.result is not None and self.result.status == "ok":
            text = "*(no output)*"
        await self.query_one(".cell-md", Markdown).update(text)

    async def action_toggle_markdown(self) -> None:
        await self.set_markdown(not self.markdown_on)

    def on_resize(self) -> None:
        """Keep the temperature in the title: drop the provider when the cell is narrow."""
        label = cell_label(self.cell, self._repeats, width=self.size.width - 8)
        if label != self._label:
            self._label = label
            mark = next((m for s, m in _STATUS_MARK.items() if self.has_class(f"-{s}")), "")
            self.border_title = f"{mark} {label}".strip()

    @property
    def border_classes(self) -> frozenset[str]:
        """The cell's classes, including those set inside ``classes_at_once`` (not yet
        applied)."""
        return self.classes if self._classes_to_set is None else self._classes_to_set

    @contextmanager
    def classes_at_once(self) -> Iterator[None]:
        """The border classes set inside are applied together at the end: one restyle of
        the cell instead of one per change (a graded case's answer changes the status, the
        read-only mark and the verdict: each restyle matches and sets every rule, ~2 ms)."""
        self._classes_to_set = self.classes
        try:
            yield
        finally:
            classes, self._classes_to_set = self._classes_to_set, None
            self.set_border_classes(classes)

    def set_border_classes(self, classes: frozenset[str]) -> None:
        """Replace the cell's classes; when only border classes change (status, verdict),
        restyle the cell alone. A class change restyles the whole subtree, the text area, its
        parts and scrollbars: 5-30 ms a cell at load ~10, for each cell's first verdict."""
        if self._classes_to_set is not None:
            self._classes_to_set = classes
            return
        current = self.classes
        changed = current ^ classes
        if not changed:
            return
        if not changed <= _BORDER_CLASSES:
            self.set_classes(classes)
            return
        self.remove_class(*(current - classes), update=False)
        self.add_class(*(classes - current), update=False)
        self.app.stylesheet.update_nodes([self], animate=True)

    def _set_status(self, status: str) -> None:
        self.set_border_classes((self.border_classes - _STATUS_CLASSES) | {f"-{status}"})
        self.border_title = f"{_STATUS_MARK.get(status, '')} {self._label}"
        if self.has_focus:
            self.refresh_bindings()  # the footer offers what this state allows

    # -- streaming ------------------------------------------------------------------------
    async def begin(self, result: CellResult) -> None:
        """A (re-)run of this cell starts: clear what was there."""
        self.result = result
        self.ended = False
        self._has_text = False
        self._pending.clear()
        self._reasoning = ""
        self._shown.clear()
        self.remove_class("-readonly", "-rated")
        self.rating = None
        self._set_status("running")
        self._error_line.remove_class("-shown")
        self._reasoning_line.remove_class("-shown")
        self.set_notice("")
        update_static(self._figures_line, "waiting for the first token…")
        self.answer.placeholder = ""
        self.answer.show("")
        self.answer.anchor(False)
        if self.query(".cell-md-body"):
            await self.query_one(".cell-md", Markdown).update("")
            self.query_one(".cell-md-body", VerticalScroll).anchor(False)

    def action_scroll_body(self, how: str) -> None:
        getattr(self.body, f"scroll_{how}")(animate=False)

    def set_queued(self, reason: str) -> None:
        """Waiting for a concurrency slot: nothing sent yet, so no clock is running."""
        self._set_status("queued")
        update_static(self._figures_line, reason)

    def set_sending(self) -> None:
        self._set_status("running")
        update_static(self._figures_line, "waiting for the first token…")

    def feed(self, text: str, reasoning: bool = False) -> None:
        """Queue a delta; the grid flushes queued text a few times a second."""
        if reasoning:
            self._reasoning += text
        else:
            self._pending.append(text)

    @property
    def dirty(self) -> bool:
        return bool(self._pending) or bool(self._reasoning)

    async def flush(self) -> None:
        if self._reasoning:
            shown = self._reasoning[-300:].replace("\n", " ")
            static = self._reasoning_line
            static.update(f"thinking… {shown}")
            static.add_class("-shown")
            self._reasoning = ""
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._shown.append(text)
            if not self._has_text:
                self._has_text = True
                update_static(self._figures_line, "")
            self.answer.append(text)
            if self.markdown_on:
                await self.query_one(".cell-md", Markdown).append(text)
            else:
                self._md_stale = True
            body = self.body
            if not body.is_anchored and body.max_scroll_y > 0:
                body.anchor()  # follow the end once the answer outgrows the cell (not before:
                # an anchored short answer would sit at the bottom)
            if self.result is not None and self.result.status == "running":
                # the border, not a Static: Static.update asks for a layout of the whole screen
                self.set_subtitle(f"streaming… {len(self.result.output)} chars")

    def set_subtitle(self, subtitle: str) -> None:
        """Set the border's subtitle, repainting the bottom border row only (setting it
        repaints the whole cell: its text area's every row, on every tick)."""
        self._bottom_row_only = True
        try:
            self.border_subtitle = subtitle
        finally:
            self._bottom_row_only = False

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if self._bottom_row_only and not (regions or layout or recompose) and self.region:
            left, top = self.content_offset  # regions are relative to the content, inside
            width, height = self.region.size  # the border
            _repaint(self, Region(-left, height - 1 - top, width, 1))
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def set_notice(self, text: str) -> None:
        """A transient line (retrying, falling back); empty hides it."""
        if text == self.notice:
            return
        self.notice = text
        notice = self._notice_line
        notice.update(text, layout=False)  # one line high: showing it is the layout
        notice.set_class(bool(text), "-shown")

    async def finish(self, result: CellResult) -> None:
        """The cell ended (ok, error or cancelled): final text, error and figures."""
        self.result = result
        await self.flush()
        self._show_end(result)
        if not self.shown_text and result.status == "ok":
            self.answer.placeholder = "(no output)"
            if self.markdown_on:
                await self._render_markdown()
        for body in (self.answer, *self.query(".cell-md-body")):
            if body.is_anchored:  # done: back to the start, where answers are compared
                body.anchor(False)
                body.scroll_home(animate=False, immediate=True)

    def _show_end(self, result: CellResult, notice: str = "") -> None:
        self.ended = True
        self.border_subtitle = ""
        self._set_status("batch" if self.waiting_in_batch else result.status)
        # why the first choice failed stays in view once a fallback model has answered
        fell_back = result.fallback_used and self.notice.startswith("falling back to")
        if fell_back and not notice:
            notice = self.notice.replace("falling back to", "fell back to", 1)
        self.set_notice(notice)
        error = self._error_line
        if result.error and result.status != "ok":
            mark = "✗" if result.status == "error" else "■"
            update_static(error, f"{mark} {result.error}")  # the next case's error: a repaint
            error.add_class("-shown")
        else:
            error.remove_class("-shown")
        self._update_figures(shrink=not notice)  # an eval's case: the line never shrinks

    @property
    def waiting_in_batch(self) -> bool:
        return (
            self.result is not None
            and self.result.status == "pending"
            and bool(self.result.batch_id)
        )

    def _update_figures(self, *, shrink: bool = True) -> None:
        if self.result is None:
            return
        if self.waiting_in_batch:
            state = f" · {self.batch_state}" if self.batch_state else ""
            line = f"◷ at the provider: batch {self.result.batch_id}{state}"
        else:
            line = cell_figures(self.result) or self.result.status
        if self.rating:
            line += f" · rated {self.rating}"
        figures = self._figures_line
        if str(figures.content) != line:
            update_static(figures, line, shrink=shrink)  # a layout only if it folds anew

    async def show_result(
        self,
        result: CellResult,
        *,
        readonly: bool = True,
        batch_state: str | None = None,
        notice: str = "",
    ) -> None:
        """Show a finished result at once (a past run from the store); a cell still waiting
        in a batch job shows ◷ and the job's state. ``notice``: the line above the figures
        (an eval's case)."""
        self.result = result
        self.batch_state = batch_state
        self._shown = [result.output]
        if self.answer.text != result.output:  # the same answer for another case: no reload
            self.answer.show(result.output)
        self.answer.placeholder = "" if result.output or result.status != "ok" else "(no output)"
        self._show_end(result, notice)
        if self.markdown_on:
            await self._render_markdown()
        else:
            self._md_stale = True
        mark = frozenset({"-readonly"})
        classes = self.border_classes
        self.set_border_classes(classes | mark if readonly else classes - mark)

    def set_rating(self, score: int, note: str | None, scale: str | None = None) -> None:
        self.rating = rating_label(score, scale) + (f" “{note}”" if note else "")
        self.add_class("-rated")
        self._update_figures()

    def action_cell(self, action: str) -> None:
        self.post_message(self.ActionRequested(self, action))

    def action_move(self, dx: int, dy: int) -> None:
        if not self.is_maximized:
            self.post_message(self.MoveRequested(self, dx=dx, dy=dy))

    def action_column(self, number: int) -> None:
        if not self.is_maximized:
            self.post_message(self.MoveRequested(self, column=number - 1))

    @property
    def is_maximized(self) -> bool:
        return self.screen.maximized is self

    def check_action(self, action: str, parameters: tuple[Any, ...]) -> bool | None:
        """The footer follows the cell: judging needs a finished answer (no Rate while it
        streams); re-run needs one that started."""
        if (
            action == "cell"
            and parameters
            and parameters[0] not in ("zoom", "markdown_all", *EVAL_KEYS)
        ):
            if parameters[0] == "rerun":
                return self.result is not None
            return self.result is not None and self.ended
        return True
