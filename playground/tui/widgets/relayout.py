"""Static text that changes without laying out the screen when its height stays the same.

``Static.update`` asks for a layout of the whole screen: every result cell's region is
computed again and whatever moved redrawn, 30-50 ms a time on a loaded machine. A figures
line or a summary that changes its words but not its number of lines needs a repaint only.
"""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


def update_static(static: Static, content: VisualType, *, shrink: bool = True) -> None:
    """Show ``content``; lay out only if it takes another number of lines at this width.

    ``shrink=False``: fewer lines keep the box as it is (a blank line at its end) until the
    next layout, for text that changes often, like a graded cell's figures per case."""
    width = static.content_size.width
    if not width:  # hidden or not laid out yet: the layout that shows it measures it
        static.update(content)
        return
    # Textual's Widget passes its RenderStyles here too (typed RulesMap, read the same way)
    before = static.visual.get_height(static.styles, width)  # type: ignore[arg-type]
    static.update(content, layout=False)
    after = static.visual.get_height(static.styles, width)  # type: ignore[arg-type]
    room = max(before, static.content_size.height)  # what it shows now (grown, not shrunk)
    if after > room or (shrink and after < before):
        static.refresh(layout=True)
