"""The app's header: Textual's, with a title that repaints its row instead of laying out
the screen when it changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.visual import VisualType
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class OneRowTitle(HeaderTitle):
    """The title fills the header's one row whatever it says (``width: 100%``, no wrap), so
    a new title ("· modified" at the first key typed in an opened file) needs a repaint only:
    ``Static.update`` lays out the whole screen, ~100 ms with a grid of graded cells."""

    def update(self, content: VisualType = "", *, layout: bool = False) -> None:
        super().update(content, layout=False)


class AppHeader(Header):
    """``Header`` with a ``OneRowTitle``."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield OneRowTitle() if type(widget) is HeaderTitle else widget
