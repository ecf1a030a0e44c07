"""The app's header: Textual's, with a title that repaints its row instead of laying out
the screen when it changes."""

from __future__ import annotations

from contextlib import suppress

from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.events import Mount
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class OneRowTitle(HeaderTitle):
    """The title fills the header's one row whatever it says (``width: 100%``, no wrap), so
    a new title ("· modified" at the first key typed in an opened file) needs a repaint only:
    ``Static.update`` lays out the whole screen, ~100 ms with a grid of graded cells."""

    def update(self, content: VisualType = "", *, layout: bool = False) -> None:
        super().update(content, layout=False)


class AppHeader(Header):
    """``Header`` with a ``OneRowTitle``, whose title lands only while the header is there."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield OneRowTitle() if type(widget) is HeaderTitle else widget

    def _on_mount(self, event: Mount) -> None:
        """Header's own, but a title that comes once the header is being removed is let be:
        mounted just after the first frame (widgets/stand_ins.py), the header can go with an
        app that quits at once, before its first title (a watcher called later) lands, and
        Header's raised NoMatches for the title it had already taken away."""
        event.prevent_default()  # not Header's: this one instead
        Widget._on_mount(self, event)

        async def set_title() -> None:
            with suppress(NoScreen, NoMatches):
                self.query_one(HeaderTitle).update(self.format_title())

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
