"""When background updates (streamed text, verdicts) reach the screen: never between a key
and its echo.

Streamed text and eval verdicts are queued and drawn a few times a second, all in one tick.
A tick costs a frame that redraws every cell; a key typed just after it waits for that frame
and then for Textual's frame clock (60 fps; a frame longer than 1/60 s skips a beat). So while
the user types, the updates run right after each key's echo has been drawn instead, when the
next key is furthest away; the clock still runs them if keys keep coming for longer than
``MAX_WAIT_S``, so nothing stalls.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from textual.timer import Timer
from textual.widget import Widget

Job = Callable[[], Awaitable[None]]

HZ = 8  # the updates reach the screen this often while nobody types
TYPING_S = 0.3  # a key this recent: the updates wait for the next echo
MAX_WAIT_S = 0.3  # ... but never longer than this
MIN_GAP_S = 0.09  # and not again this soon after the last updates


class Pacer:
    """Runs its jobs on one clock for the whole screen, and just after each key's echo."""

    def __init__(self, owner: Widget) -> None:
        self._owner = owner
        self._jobs: list[Job] = []
        self._timer: Timer | None = None
        self._last_key = float("-inf")
        self._last_run = float("-inf")
        self._after_echo = False
        self._running = False

    def add(self, job: Job) -> None:
        if job not in self._jobs:
            self._jobs.append(job)
        if self._timer is None:
            self._timer = self._owner.set_interval(1 / HZ, self._tick)

    def discard(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        if not self._jobs and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def typed(self) -> None:
        """A key was typed: the updates wait until its echo is on screen (not more often
        than ``MIN_GAP_S``: a burst of keys does not redraw the cells after each one)."""
        self._last_key = now = time.monotonic()
        if self._jobs and not self._after_echo and now - self._last_run >= MIN_GAP_S:
            self._after_echo = True
            self._owner.call_after_refresh(self._after_refresh)

    def _after_refresh(self) -> None:
        # the screen runs this callback in its own task: the jobs go to the owner's, so the
        # screen stays free to draw the next key between two cells' updates
        self._after_echo = False
        self._owner.call_later(self.run)

    async def _tick(self) -> None:
        now = time.monotonic()
        if now - self._last_key < TYPING_S and now - self._last_run < MAX_WAIT_S:
            return  # typing: the next echo brings the updates
        await self.run()

    async def run(self) -> None:
        """Run every job now (unless they are running: the clock and an echo may meet)."""
        if self._running:
            return
        self._running = True
        self._last_run = time.monotonic()
        try:
            for job in list(self._jobs):
                await job()
        finally:
            self._running = False
