"""A run's progress for people, from the runner's events: which cells wait for a slot, how much
each has received, and how long a sending cell has heard nothing ("no data for 12 s").

Plain Python (no Rich, no Textual) so the CLI's live table and the TUI's cells say the same.
Feed every event to ``update``; ask ``silence`` whenever you redraw (the silence grows between
events, so a front end redraws on a timer).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from playground.core.model import CellDelta, CellQueued, CellRetry, CellSending, CellStarted

if TYPE_CHECKING:
    from playground.core.model import CellResult, RunEvent

STALL_AFTER_S = 2.0  # a sending cell silent for longer says so


class RunProgress:
    """What the events so far say about each cell (by ``cell.index``)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.chars: dict[int, int] = {}
        self.queued: set[int] = set()  # waiting for a concurrency slot
        self.heard: dict[int, float] = {}  # when it was sent or last had data

    def update(self, event: RunEvent) -> None:
        match event:
            case CellDelta():
                index = event.cell.index
                self.chars[index] = self.chars.get(index, 0) + len(event.text)
                self.heard[index] = self.clock()
            case CellQueued():
                self.queued.add(event.cell.index)
            case CellStarted() | CellSending():
                self.queued.discard(event.cell.index)
                self.heard[event.cell.index] = self.clock()
            case CellRetry():  # waiting on purpose: the silence counts from the next try
                self.heard[event.cell.index] = self.clock() + event.wait_s

    def status(self, r: CellResult) -> str:
        """The cell's status, with "queued" for a running cell still waiting for a slot."""
        return "queued" if r.status == "running" and r.cell.index in self.queued else r.status

    def silence(self, r: CellResult) -> str:
        """ "no data for N s" for a sending cell that has heard nothing for a while, else ""."""
        since = self.heard.get(r.cell.index)
        if r.status != "running" or since is None or r.cell.index in self.queued:
            return ""
        quiet = self.clock() - since
        return f"no data for {int(quiet)} s" if quiet >= STALL_AFTER_S else ""
