"""A repaint draws only the rows that changed, not every row of every widget they touch.

Textual's partial update takes the box around all changed regions and asks every widget
overlapping that box for all of its rows. Eight streaming cells change a row or two each per
tick, spread over the grid: the box is the grid, so each tick drew the whole screen's widgets
(the screen, the columns, the cells, the text areas: ~500 rows) to show ~20. Here each widget
is asked only for its rows among those that changed; the rest of the update is Textual's own.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


def _runs(rows: list[int]) -> Iterable[tuple[int, int]]:
    """Sorted rows as (first, end) runs of consecutive rows."""
    start = prev = rows[0]
    for y in rows[1:]:
        if y != prev + 1:
            yield start, prev + 1
            start = y
        prev = y
    yield start, prev + 1


class RowCompositor(Compositor):
    """A compositor whose partial updates render only the changed rows of each widget."""

    _rows: list[int] | None = None  # the rows of the partial update being rendered

    def render_partial_update(self) -> ChopsUpdate | None:
        if not self._dirty_regions:
            return None
        self._rows = sorted({y for y, _, _ in self._regions_to_spans(self._dirty_regions)})
        try:
            return super().render_partial_update()
        finally:
            self._rows = None

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        rows = self._rows
        if rows is None or crop is None or not rows:
            yield from super()._get_renders(crop)
            return
        overlaps = crop.overlaps
        for widget, (region, clip) in self.visible_widgets.items():
            if not overlaps(clip):
                continue
            shown = region.intersection(clip)
            if not (shown.width and shown.height):
                continue
            # the widget's rows among the changed ones, in runs: one render_lines per run
            mine = rows[bisect_left(rows, shown.y) : bisect_left(rows, shown.bottom)]
            if not mine:
                continue
            for first, end in _runs(mine):
                part = Region(shown.x, first, shown.width, end - first)
                crop_in_widget = Region(
                    shown.x - region.x, first - region.y, shown.width, end - first
                )
                yield part, part, widget.render_lines(crop_in_widget)
