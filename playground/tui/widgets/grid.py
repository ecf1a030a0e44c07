"""The results grid: a column per model, a row per temperature; repeats stack in a slot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Grid, ScrollableContainer, Vertical
from textual.widgets import Static

from playground.tui.widgets.pacer import Pacer

if TYPE_CHECKING:
    from playground.core.model import Cell
    from playground.tui.widgets.cell import ResultCell

MIN_COLUMN = 28
MIN_CELL_HEIGHT = 8  # a border, five lines of answer, the figures


class ResultGrid(ScrollableContainer):
    """Holds the cells of the latest run; scrolls when they do not fit."""

    DEFAULT_CSS = """
    ResultGrid { height: 1fr; scrollbar-size-horizontal: 0; }  /* columns page with the keys */
    ResultGrid > #grid-hint { color: $text-muted; padding: 1 2; }
    ResultGrid > Grid { grid-gutter: 0 0; width: 100%; height: 100%; }
    ResultGrid .slot { height: 1fr; }
    ResultGrid > #grid-pager {
        dock: top; height: 1; padding: 0 1; display: none;
        background: $boost; color: $text-accent;
    }
    ResultGrid > #grid-pager.-shown { display: block; }
    """

    can_focus = False

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.cells: dict[int, ResultCell] = {}
        self._at: dict[tuple[int, int], ResultCell] = {}  # (column, row) -> cell
        self._where: dict[ResultCell, tuple[int, int]] = {}
        self._shape = (0, 0, 1)
        self._per_page = 0  # columns shown at once when they do not all fit (0: they fit)
        self._column_width = MIN_COLUMN
        self.pacer = Pacer(self)  # queued text and verdicts reach the cells on its clock
        self._told: tuple[int, int, int] | None = None  # the grid shape we said overflows
        self._built = False  # a run's cells were asked for: no hint then

    def on_mount(self) -> None:
        # the hint is one widget less to style and draw in the first frame: it comes after
        self.call_after_refresh(self._hint)

    def _hint(self) -> None:
        if not self._built and not self.children:
            self.mount(
                Static(
                    "Ctrl+R runs the prompt: one column per model, one row per temperature.",
                    id="grid-hint",
                )
            )

    async def build(
        self, cells: list[Cell], repeats: int = 1, *, markdown: bool = False
    ) -> dict[int, ResultCell]:
        """Replace the grid with fresh cells for this plan (answers as Markdown or as is)."""
        from playground.tui.widgets.cell import ResultCell  # loads on the first run

        models = list(dict.fromkeys(c.model for c in cells))
        temps = list(dict.fromkeys(c.temperature for c in cells))
        self._built = True
        await self.remove_children()
        grid = Grid(id="grid")
        grid.styles.grid_size_columns = max(1, len(models))
        slots: dict[tuple[str, float | None], list[ResultCell]] = {}
        self.cells = {}
        for c in cells:
            widget = ResultCell(c, repeats=repeats, markdown=markdown, id=f"cell-{c.index}")
            self.cells[c.index] = widget
            slots.setdefault((c.model, c.temperature), []).append(widget)
        await self.mount(Static("", id="grid-pager", markup=False))
        await self.mount(grid)
        self._at, self._where = {}, {}
        for r, t in enumerate(temps):
            for col, m in enumerate(models):
                slot = slots.get((m, t), [])
                for k, widget in enumerate(slot):  # repeats stack inside the slot
                    self._at[(col, r * repeats + k)] = widget
                    self._where[widget] = (col, r * repeats + k)
                await grid.mount(Vertical(*slot, classes="slot"))
        self._shape = (len(models), len(temps), repeats)
        self.fit()
        return self.cells

    # -- moving between cells ----------------------------------------------------------------
    def neighbour(self, cell: ResultCell, dx: int, dy: int) -> ResultCell | None:
        """The cell beside this one (arrows, h/j/k/l), or None at the grid's edge."""
        where = self._where.get(cell)
        if where is None:
            return None
        return self._at.get((where[0] + dx, where[1] + dy))

    def in_column(self, column: int, near: ResultCell | None = None) -> ResultCell | None:
        """The cell in this column (counting from 0), on the row of ``near`` if it has one."""
        row = self._where.get(near, (0, 0))[1] if near is not None else 0
        return self._at.get((column, row)) or self._at.get((column, 0))

    def on_result_cell_move_requested(self, message: ResultCell.MoveRequested) -> None:
        """A cell asked to move the focus: to its neighbour, or to a column."""
        message.stop()
        if message.column is not None:
            target = self.in_column(message.column, message.cell)
        else:
            target = self.neighbour(message.cell, message.dx, message.dy)
        if target is not None:
            target.focus()

    def fit(self) -> None:
        """Fill the space when the cells fit; otherwise give each a minimum and scroll."""
        try:
            grid = self.query_one("#grid", Grid)
        except Exception:
            return
        cols, rows, repeats = self._shape
        width, height = self.size.width, self.size.height
        if cols * MIN_COLUMN > width > 0:  # pages of whole columns, the pager says which
            self._per_page = max(1, width // MIN_COLUMN)
            self._column_width = width // self._per_page
            grid.styles.width = cols * self._column_width
            if self._told != self._shape:  # once per grid: a column off-screen is easy to miss
                self._told = self._shape
                self.notify(
                    f"{cols} models, {self._per_page} fit across: ←/→ or 1–{min(cols, 9)} "
                    "move between the columns (Ctrl+G gives the grid the screen).",
                    timeout=6,
                )
        else:
            self._per_page = 0
            grid.styles.width = "100%"
        for pager in self.query("#grid-pager"):
            pager.set_class(self._per_page > 0, "-shown")
        room = height - (1 if self._per_page else 0)  # the pager line
        scrolled = _scrolled_height(rows * repeats, room)
        grid.styles.height = scrolled or "100%"
        if scrolled:  # rows of a new height: the focused one (else the top one) back in view
            row_height = scrolled // (rows * repeats)
            focused = self._where.get(self.screen.focused)  # type: ignore[call-overload]
            row = focused[1] if focused else int(self.scroll_y) // max(1, row_height)
            self.call_after_refresh(self.scroll_to, y=row * row_height, animate=False)
        self._say_page(0)

    def page_to(self, cell: ResultCell) -> None:
        """Show the page of columns that holds this cell, and say where it is."""
        where = self._where.get(cell)
        if where is None or not self._per_page:
            return
        first = (where[0] // self._per_page) * self._per_page
        self.scroll_to(x=first * self._column_width, animate=False)
        self._say_page(where[0])

    def _say_page(self, column: int) -> None:
        pagers = self.query("#grid-pager").results(Static)
        if not self._per_page:
            return
        cols = self._shape[0]
        first = (column // self._per_page) * self._per_page
        last = min(cols, first + self._per_page)
        where = f"{first + 1}" if last == first + 1 else f"{first + 1}–{last}"
        for pager in pagers:
            pager.update(f"◀ column {where} of {cols} ▶  (←/→ or 1–{min(cols, 9)})")

    def on_resize(self) -> None:
        self.fit()

    # -- the flush clock: deltas reach the cells a few times a second -----------------------
    def start_flushing(self) -> None:
        self.pacer.add(self._flush)

    def stop_flushing(self) -> None:
        self.pacer.discard(self._flush)

    def typed(self) -> None:
        """A key was just typed: its echo reaches the screen before the streamed text."""
        self.pacer.typed()

    async def _flush(self) -> None:
        for cell in list(self.cells.values()):
            if cell.dirty:
                await cell.flush()


def _scrolled_height(rows: int, room: int) -> int | None:
    """The grid's height when its rows do not fit (None: they fit, fill the room). Each row
    gets an equal share of a screenful of whole rows, so the rows in view show their borders."""
    if rows * MIN_CELL_HEIGHT <= room or room <= 0:
        return None
    per_screen = max(1, room // MIN_CELL_HEIGHT)
    return rows * max(MIN_CELL_HEIGHT, room // per_screen)
