"""`[providers.X] rpm` / `tpm`: sends paced per provider, and a 429 holds the whole provider."""

from __future__ import annotations

import time

import pytest
from loopback import LoopbackServer, RecordedRequest, Reply

from playground.config import ConfigError
from playground.core import ratelimit
from playground.core.plan import RunPlan
from playground.core.ratelimit import ProviderPace
from playground.core.runner import Runner
from playground.core.template import PromptTemplate


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_rpm_lets_n_through_per_minute_in_order() -> None:
    t = FakeTime()
    pace = ProviderPace(rpm=2, clock=t.clock, sleep=t.sleep)
    waits = [await pace.acquire() for _ in range(5)]
    assert waits == [0, 0, 60, 0, 60]


async def test_tpm_counts_tokens_and_a_big_send_goes_alone() -> None:
    t = FakeTime()
    pace = ProviderPace(tpm=1000, clock=t.clock, sleep=t.sleep)
    assert await pace.acquire(600) == 0
    t.now = 10
    assert await pace.acquire(300) == 0  # 900 in the window
    assert await pace.acquire(300) == 50  # waits for the 600 (sent at 0) to leave
    t.now = 200
    assert await pace.acquire(5000) == 0  # alone in an empty window
    assert await pace.acquire(1) == 60


async def test_back_off_pauses_every_sender() -> None:
    t = FakeTime()
    pace = ProviderPace(clock=t.clock, sleep=t.sleep)
    pace.back_off(2.5)
    assert await pace.acquire() == 2.5
    await pace.wait_if_paused()
    assert t.now == 2.5


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "true", '"10"'])
def test_config_refuses_a_limit_that_is_not_a_positive_integer(
    loopback: LoopbackServer, value: str
) -> None:
    with pytest.raises(ConfigError, match="rpm"):
        loopback.settings(extra=f"\n[providers.lo-limited]\nkind = \"openai\"\n"
                          f'base_url = "{loopback.base_url}/v1"\nrpm = {value}\n')  # fmt: skip


def plan(n: int, model: str = "lo-openai:m") -> RunPlan:
    return RunPlan(PromptTemplate.from_parts("", "Hi"), models=[model], temperatures=[0.0],
                   repeats=n, max_tokens=50, use_cache=False)  # fmt: skip


async def test_rpm_paces_a_real_run(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "WINDOW_S", 0.6)  # a "minute" of 0.6 s
    settings = loopback.settings(extra="")
    settings.providers["lo-openai"].rpm = 2
    runner = Runner(settings)
    begin = time.monotonic()  # every admission is after this, and every send after its own
    try:
        handle = await runner.run(plan(6))
    finally:
        await runner.aclose()
    assert [r.status for r in handle.results] == ["ok"] * 6
    starts = sorted(r.started for r in loopback.requests)
    # two per "minute": the 3rd and 4th sends a window in at the earliest, the 5th two
    assert starts[2] - begin >= 0.6 and starts[4] - begin >= 1.2, [s - begin for s in starts]


async def test_a_429_backs_off_the_whole_provider(loopback: LoopbackServer) -> None:
    settings = loopback.settings(max_concurrency=2, max_retries=2)
    first: list[RecordedRequest] = []

    def script(rec: RecordedRequest) -> Reply:
        if not first:
            first.append(rec)
            return Reply(status=429, headers={"retry-after": "0.5"})
        return Reply(text="ok", duration=0.1, chunks=2)

    loopback.on_request = script
    runner = Runner(settings)
    try:
        handle = await runner.run(plan(4))
    finally:
        await runner.aclose()
    assert [r.status for r in handle.results] == ["ok"] * 4
    limited = first[0]
    assert limited.ended is not None
    # two slots: the first two cells go at once; the others would take the second's slot
    # when it ends (0.1 s), but the 429 holds the whole provider for its retry-after
    later = sorted(loopback.requests, key=lambda r: r.started)[2:]
    assert len(later) == 3  # the retry and cells 3 and 4
    assert all(r.started - limited.ended >= 0.45 for r in later), [
        r.started - limited.ended for r in later
    ]
