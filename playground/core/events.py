"""What the runner tells its consumers (the TUI, the CLI, the store) as a run happens."""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.plan import Cell, CellResult


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: int | str | None
    session_id: int | str | None
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class CellStarted:
    cell: Cell
    result: CellResult


@dataclass(frozen=True, slots=True)
class CellQueued:
    """The cell waits for a free slot (its provider's ``max_concurrency`` or the global
    limit); nothing is sent yet. Followed by CellSending when it gets one."""

    cell: Cell
    reason: str


@dataclass(frozen=True, slots=True)
class CellSending:
    """A queued cell got its slot: its request is being sent."""

    cell: Cell


@dataclass(frozen=True, slots=True)
class CellDelta:
    cell: Cell
    text: str
    reasoning: bool = False


@dataclass(frozen=True, slots=True)
class CellUsage:
    cell: Cell
    result: CellResult


@dataclass(frozen=True, slots=True)
class CellRetry:
    cell: Cell
    attempt: int
    wait_s: float
    reason: str


@dataclass(frozen=True, slots=True)
class CellFallback:
    cell: Cell
    model: str
    reason: str


@dataclass(frozen=True, slots=True)
class CellFinished:
    """The cell ended ok."""

    cell: Cell
    result: CellResult


@dataclass(frozen=True, slots=True)
class CellFailed:
    """The cell ended with an error or was cancelled; result keeps the partial text."""

    cell: Cell
    result: CellResult


@dataclass(frozen=True, slots=True)
class CellPending:
    """The cell was handed to its provider's batch API: it waits there (``result.batch_id``)
    until `playground batches collect` fills it in."""

    cell: Cell
    result: CellResult


@dataclass(frozen=True, slots=True)
class RunFinished:
    run_id: int | str | None
    results: tuple[CellResult, ...]


RunEvent = (
    RunStarted
    | CellStarted
    | CellQueued
    | CellSending
    | CellDelta
    | CellUsage
    | CellRetry
    | CellFallback
    | CellFinished
    | CellFailed
    | CellPending
    | RunFinished
)
