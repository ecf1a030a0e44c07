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
class RunFinished:
    run_id: int | str | None
    results: tuple[CellResult, ...]


RunEvent = (
    RunStarted
    | CellStarted
    | CellDelta
    | CellUsage
    | CellRetry
    | CellFallback
    | CellFinished
    | CellFailed
    | RunFinished
)
