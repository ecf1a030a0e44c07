"""One result in the grid: a header, the streamed Markdown answer, the error, the figures."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Markdown, Static

from playground.core.figures import figures, rating_label

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

    from playground.core.plan import Cell, CellResult


def cell_label(cell: Cell, repeats: int = 1, *, width: int | None = None) -> str:
    """model · t=0.7 (#2 when repeated). Within ``width`` the temperature and sample always
    stay (they tell the rows apart): the provider goes first, then the model is shortened."""
    t = "default" if cell.temperature is None else f"{cell.temperature:g}"
    suffix = f" · t={t}{' #' + str(cell.sample) if repeats > 1 else ''}"
    model = cell.model
    if width is not None and len(model) + len(suffix) > width:
        model = model.split(":", 1)[-1]
        room = width - len(suffix)
        if len(model) > room:
            model = model[: max(1, room - 1)] + "…"
    return f"{model}{suffix}"


def cell_figures(result: CellResult) -> str:
    """The figures line, the same as `playground run` prints."""
    return figures(result)


async def _stop_stream(stream: MarkdownStream) -> None:
    """Stop a Markdown stream, even one whose task never got to run.

    Textual's ``MarkdownStream.stop`` cancels its task and awaits it; a task cancelled before
    its first step re-raises CancelledError into the caller (and loses queued text).
    """
    pending = list(stream._pending)
    try:
        await stream.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        stream._stopped = True
        if pending:
            await stream.markdown_widget.append("".join(pending))


_STATUS_MARK = {
    "pending": "○",
    "queued": "◌",
    "running": "●",
    "ok": "✓",
    "error": "✗",
    "cancelled": "■",
    "interrupted": "■",
}


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
        &.-ok { border-title-color: $success; }
        &.-error { border: round $error 70%; border-title-color: $error; }
        &.-cancelled { border-title-color: $warning; }
        &.-readonly { border: round $panel; }
    }
    ResultCell > .cell-body { height: 1fr; scrollbar-size-vertical: 1; }
    ResultCell > .cell-body > Markdown { margin: 0; padding: 0; background: transparent; }
    ResultCell .cell-reasoning { color: $text-muted; text-style: italic; max-height: 2; display: none; }
    ResultCell .cell-reasoning.-shown { display: block; }
    ResultCell > .cell-error { color: $text-error; display: none; height: auto; max-height: 5; }
    ResultCell > .cell-error.-shown { display: block; }
    ResultCell > .cell-notice { color: $text-warning; display: none; height: 1; }
    ResultCell > .cell-notice.-shown { display: block; }
    ResultCell > .cell-figures { color: $text-muted; height: auto; max-height: 3; }
    ResultCell.-rated > .cell-figures { color: $text-accent; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "cell('rate')", "Rate"),
        Binding("c", "cell('copy')", "Copy"),
        Binding("i", "cell('inspect')", "Inspect"),
        Binding("d", "cell('diff')", "Diff"),
        Binding("x,ctrl+shift+r", "cell('rerun')", "Re-run", key_display="x"),
        Binding("p", "cell('promote')", "Promote"),
        Binding("z", "cell('zoom')", "Zoom"),
        Binding("up", "scroll_body('up')", show=False),
        Binding("down", "scroll_body('down')", show=False),
        Binding("pageup", "scroll_body('page_up')", show=False),
        Binding("pagedown", "scroll_body('page_down')", show=False),
        Binding("home", "scroll_body('home')", show=False),
        Binding("end", "scroll_body('end')", show=False),
    ]

    class ActionRequested(Message):
        """The user asked for an action on this cell; the screen carries it out."""

        def __init__(self, cell: ResultCell, action: str) -> None:
            super().__init__()
            self.cell = cell
            self.action = action

    def __init__(self, cell: Cell, *, repeats: int = 1, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cell = cell
        self.result: CellResult | None = None
        self._repeats = repeats
        self.border_title = cell_label(cell, repeats)
        self._label = self.border_title
        self._pending: list[str] = []
        self._reasoning = ""
        self._stream: MarkdownStream | None = None
        self.rating: str | None = None
        self.notice = ""
        self.ended = False  # the end of this cell's latest run has been shown
        self._has_text = False

    def compose(self) -> ComposeResult:
        # not a tab stop of its own: one Tab per cell; the cell's arrow keys scroll it
        with VerticalScroll(classes="cell-body", can_focus=False):
            yield Static("", classes="cell-reasoning")
            yield Markdown("", classes="cell-md")
        yield Static("", classes="cell-notice", markup=False)
        yield Static("", classes="cell-error", markup=False)
        yield Static("waiting…", classes="cell-figures", markup=False)

    @property
    def markdown(self) -> Markdown:
        return self.query_one(".cell-md", Markdown)

    @property
    def text(self) -> str:
        """What the cell shows as its answer (partial while streaming)."""
        if self.result is not None:
            return self.result.output
        return ""

    def on_resize(self) -> None:
        """Keep the temperature in the title: drop the provider when the cell is narrow."""
        label = cell_label(self.cell, self._repeats, width=self.size.width - 8)
        if label != self._label:
            self._label = label
            mark = next((m for s, m in _STATUS_MARK.items() if self.has_class(f"-{s}")), "")
            self.border_title = f"{mark} {label}".strip()

    def _set_status(self, status: str) -> None:
        for s in _STATUS_MARK:
            self.remove_class(f"-{s}")
        self.add_class(f"-{status}")
        self.border_title = f"{_STATUS_MARK.get(status, '')} {self._label}"

    # -- streaming ------------------------------------------------------------------------
    async def begin(self, result: CellResult) -> None:
        """A (re-)run of this cell starts: clear what was there."""
        self.result = result
        self.ended = False
        self._has_text = False
        self._pending.clear()
        self._reasoning = ""
        self.remove_class("-readonly", "-rated")
        self.rating = None
        self._set_status("running")
        self.query_one(".cell-error", Static).remove_class("-shown")
        self.query_one(".cell-reasoning", Static).remove_class("-shown")
        self.set_notice("")
        self.query_one(".cell-figures", Static).update("waiting for the first token…")
        if self.markdown.source:
            await self.markdown.update("")
        self.query_one(".cell-body", VerticalScroll).anchor(False)
        self._stream = None  # made on the first text, so a cell that fails at once has none

    def action_scroll_body(self, how: str) -> None:
        body = self.query_one(".cell-body", VerticalScroll)
        getattr(body, f"scroll_{how}")(animate=False)

    def set_queued(self, reason: str) -> None:
        """Waiting for a concurrency slot: nothing sent yet, so no clock is running."""
        self._set_status("queued")
        self.query_one(".cell-figures", Static).update(reason)

    def set_sending(self) -> None:
        self._set_status("running")
        self.query_one(".cell-figures", Static).update("waiting for the first token…")

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
            static = self.query_one(".cell-reasoning", Static)
            static.update(f"thinking… {shown}")
            static.add_class("-shown")
            self._reasoning = ""
        if self._pending:
            if self._stream is None:
                self._stream = Markdown.get_stream(self.markdown)
            text = "".join(self._pending)
            self._pending.clear()
            if not self._has_text:
                self._has_text = True
                self.query_one(".cell-figures", Static).update("")
            await self._stream.write(text)
            body = self.query_one(".cell-body", VerticalScroll)
            if not body.is_anchored and body.max_scroll_y > 0:
                body.anchor()  # follow the end once the answer outgrows the cell (not before:
                # an anchored short answer would sit at the bottom)
            if self.result is not None and self.result.status == "running":
                # the border, not a Static: Static.update asks for a layout of the whole screen
                self.border_subtitle = f"streaming… {len(self.result.output)} chars"

    def set_notice(self, text: str) -> None:
        """A transient line (retrying, falling back); empty hides it."""
        self.notice = text
        notice = self.query_one(".cell-notice", Static)
        notice.update(text)
        notice.set_class(bool(text), "-shown")

    async def finish(self, result: CellResult) -> None:
        """The cell ended (ok, error or cancelled): final text, error and figures."""
        self.result = result
        await self.flush()
        if self._stream is not None:
            await _stop_stream(self._stream)
            self._stream = None
        if not result.output and result.status == "ok":
            await self.markdown.update("*(no output)*")
        body = self.query_one(".cell-body", VerticalScroll)
        if body.is_anchored:  # done: back to the start, where answers are compared
            body.anchor(False)
            body.scroll_home(animate=False, immediate=True)
        self._show_end(result)

    def _show_end(self, result: CellResult) -> None:
        self.ended = True
        self.border_subtitle = ""
        self._set_status(result.status)
        # why the first choice failed stays in view once a fallback model has answered
        fell_back = result.fallback_used and self.notice.startswith("falling back to")
        self.set_notice(
            self.notice.replace("falling back to", "fell back to", 1) if fell_back else ""
        )
        error = self.query_one(".cell-error", Static)
        if result.error and result.status != "ok":
            error.update(f"✗ {result.error}" if result.status == "error" else f"■ {result.error}")
            error.add_class("-shown")
        else:
            error.remove_class("-shown")
        self._update_figures()

    def _update_figures(self) -> None:
        if self.result is None:
            return
        line = cell_figures(self.result) or self.result.status
        if self.rating:
            line += f" · rated {self.rating}"
        self.query_one(".cell-figures", Static).update(line)

    async def show_result(self, result: CellResult, *, readonly: bool = True) -> None:
        """Show a finished result at once (a past run from the store)."""
        self.result = result
        await self.markdown.update(result.output or "*(no output)*")
        self._show_end(result)
        self.set_class(readonly, "-readonly")

    def set_rating(self, score: int, note: str | None, scale: str | None = None) -> None:
        self.rating = rating_label(score, scale) + (f" “{note}”" if note else "")
        self.add_class("-rated")
        self._update_figures()

    def action_cell(self, action: str) -> None:
        self.post_message(self.ActionRequested(self, action))

    def check_action(self, action: str, parameters: tuple[Any, ...]) -> bool | None:
        if action == "cell" and parameters and parameters[0] != "zoom":
            return self.result is not None
        return True
