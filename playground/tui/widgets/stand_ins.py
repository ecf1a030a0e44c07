"""Stand-ins for the first frame: plain ``Static`` rows that look like the header and the
footer's bar, swapped for the real widgets just after the first frame (issue 16).

Textual's ``Header`` (five widget classes, four nodes) and ``Footer`` (a node per key) cost
the first frame ~40 M instructions of ~1,280 M; a ``Static`` is already loaded and is one
node. The header's stand-in draws the same row (icon, centred title); the footer's is its
empty bar, the keys come with the real footer a frame later. Neither takes focus or keys.
Styles: playground.tcss (``#header-stand-in``, ``#footer-stand-in``).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Static

ICON = "▶"
# Textual's Header: the icon's cell (width 8, padding 0 1), the clock's space (width 10)
_ICON_WIDTH, _CLOCK_WIDTH = 8, 10


def header_line(title: str, width: int, icon: str = ICON) -> str:
    """The header's one row as text: the icon left, the title centred between the icon's
    cell and the clock's space, as ``Header`` lays them out."""
    left = f" {icon}".ljust(_ICON_WIDTH)
    room = max(0, width - _ICON_WIDTH - _CLOCK_WIDTH)
    if cell_len(title) > room:
        return left  # a narrow terminal: the real header's ellipsis comes a frame later
    pad = (room - cell_len(title)) // 2
    return left + " " * pad + title


def header_stand_in(title: str, width: int) -> Static:
    return Static(header_line(title, width), id="header-stand-in", markup=False)


def footer_stand_in() -> Static:
    return Static("", id="footer-stand-in")
