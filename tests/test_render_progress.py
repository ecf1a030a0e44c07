"""render.progress.RunProgress: what the CLI's live table and the TUI's cells say while a run
streams, driven by the runner's events and a clock the test turns by hand."""

from __future__ import annotations

from playground.core.model import (
    Cell,
    CellDelta,
    CellQueued,
    CellResult,
    CellRetry,
    CellSending,
    CellStarted,
)
from playground.render.progress import RunProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_silence_grows_until_data_arrives_and_a_retry_wait_is_not_silence() -> None:
    clock = Clock()
    progress = RunProgress(clock)
    cell = Cell(0, "m", 0.0)
    result = CellResult(cell, status="running")
    progress.update(CellStarted(cell, result))
    clock.now += 1.9
    assert progress.silence(result) == ""  # a short pause is normal
    clock.now += 0.2
    assert progress.silence(result) == "no data for 2 s"
    clock.now += 10
    assert progress.silence(result) == "no data for 12 s"
    progress.update(CellDelta(cell, "hello"))
    assert progress.silence(result) == "" and progress.chars[0] == 5
    progress.update(CellRetry(cell, 1, 5.0, "HTTP 503"))
    clock.now += 6  # 5 s of those were the retry's wait
    assert progress.silence(result) == ""
    clock.now += 2
    assert progress.silence(result) == "no data for 3 s"
    result.status = "error"
    assert progress.silence(result) == ""  # an ended cell says its error instead


def test_a_queued_cell_is_waiting_not_silent() -> None:
    clock = Clock()
    progress = RunProgress(clock)
    cell = Cell(1, "m", 0.7)
    result = CellResult(cell, status="running")
    progress.update(CellStarted(cell, result))
    progress.update(CellQueued(cell, "openai: 1 at a time"))
    clock.now += 30
    assert progress.status(result) == "queued" and progress.silence(result) == ""
    progress.update(CellSending(cell))
    assert progress.status(result) == "running"
    clock.now += 3
    assert progress.silence(result) == "no data for 3 s"
