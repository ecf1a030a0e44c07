"""Opening the TUI from the command line. (Filled in by the TUI issue.)"""

from __future__ import annotations

import argparse

from playground.commands.common import fail


def open_tui(args: argparse.Namespace) -> int:
    fail("the TUI is not built yet; try `playground run -p 'hello' -m echo`")
