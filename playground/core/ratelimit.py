"""Requests and tokens per minute, per provider (``[providers.X] rpm`` / ``tpm``).

A provider's cells ask ``ProviderPace.acquire(tokens)`` before they send: over the last
minute at most ``rpm`` requests and ``tpm`` tokens (the prompt's count plus ``max_tokens``,
which is what providers count against the limit) are let through; the rest wait their turn,
in order. A 429 pauses the whole provider (``back_off``) for the wait the server asked for, so
the other cells do not walk into the same limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

WINDOW_S = 60.0


class ProviderPace:
    """One provider's limits and its recent sends."""

    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window: float | None = None,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.clock = clock
        self.sleep = sleep
        self.window = WINDOW_S if window is None else window
        self.sent: deque[tuple[float, int]] = deque()  # (when, tokens) inside the window
        self.tokens = 0
        self.paused_until = 0.0
        self._lock: asyncio.Lock | None = None

    @property
    def limited(self) -> bool:
        return bool(self.rpm or self.tpm)

    def back_off(self, seconds: float) -> None:
        """A 429: nobody sends to this provider for ``seconds``."""
        self.paused_until = max(self.paused_until, self.clock() + max(0.0, seconds))

    async def wait_if_paused(self) -> None:
        while (left := self.paused_until - self.clock()) > 0:
            await self.sleep(left)

    def _forget_old(self, now: float) -> None:
        while self.sent and self.sent[0][0] <= now - self.window:
            self.tokens -= self.sent.popleft()[1]

    def _wait_for(self, now: float, tokens: int) -> float:
        """Seconds until a send of ``tokens`` fits (0: now)."""
        wait = max(0.0, self.paused_until - now)
        if self.rpm and len(self.sent) >= self.rpm:
            wait = max(wait, self.sent[len(self.sent) - self.rpm][0] + self.window - now)
        if self.tpm and self.sent and self.tokens + tokens > self.tpm:
            # wait until enough of the oldest sends leave the window (a send larger than the
            # whole limit goes alone, once the window is empty)
            freed = self.tokens + tokens - self.tpm
            for when, n in self.sent:
                freed -= n
                if freed <= 0:
                    wait = max(wait, when + self.window - now)
                    break
            else:
                wait = max(wait, self.sent[-1][0] + self.window - now)
        return wait

    async def acquire(self, tokens: int = 0) -> float:
        """Wait for a turn to send ``tokens``; returns how long it waited."""
        if not self.limited:
            start = self.clock()
            await self.wait_if_paused()
            return self.clock() - start
        if self._lock is None:
            self._lock = asyncio.Lock()
        start = self.clock()
        async with self._lock:  # first come, first served
            while True:
                now = self.clock()
                self._forget_old(now)
                wait = self._wait_for(now, tokens)
                if wait <= 0:
                    self.sent.append((now, tokens))
                    self.tokens += tokens
                    return now - start
                await self.sleep(wait)
