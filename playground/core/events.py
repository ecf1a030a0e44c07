"""What the runner tells its consumers as a run happens: the events live in core.model
(a light module); this name stays for code that imported them from here."""

from playground.core.model import (
    CellDelta,
    CellFailed,
    CellFallback,
    CellFinished,
    CellPending,
    CellQueued,
    CellRetry,
    CellSending,
    CellStarted,
    CellUsage,
    RunEvent,
    RunFinished,
    RunStarted,
)

__all__ = [
    "CellDelta",
    "CellFailed",
    "CellFallback",
    "CellFinished",
    "CellPending",
    "CellQueued",
    "CellRetry",
    "CellSending",
    "CellStarted",
    "CellUsage",
    "RunEvent",
    "RunFinished",
    "RunStarted",
]
