"""The light vocabulary every layer shares: a cell, its result, the run's events, and what the
runner needs from a store (``Recorder``) and from a response cache (``ResponseCache``).

No heavy imports here (no dotpromptz, httpx or textual): the store, the CLI's quick commands
and the TUI read these types without loading the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from playground.core.plan import RunPlan
    from playground.core.template import Message


@dataclass(frozen=True)
class Cell:
    """One call in the matrix. ``index`` is its position; ``sample`` counts from 1."""

    index: int
    model: str
    temperature: float | None
    sample: int = 1


@dataclass
class CellResult:
    """Everything measured about one cell; the JSON contract's fields plus a few more."""

    cell: Cell
    id: int | str | None = None  # the response id in the store
    # pending | running | ok | error | cancelled | interrupted; pending with a batch_id: the
    # cell waits in a provider's batch job (`playground batches collect` fills it in)
    status: str = "pending"
    output: str = ""
    reasoning: str = ""
    error: str | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    usage_source: str | None = None  # provider | estimate
    estimated_input_tokens: int | None = None  # our own count, kept to calibrate estimates
    cost_usd: float | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None
    cached: bool = False
    model_used: str | None = None  # differs from cell.model when a fallback answered
    fallback_used: str | None = None
    attempts: int = 0
    request: dict[str, Any] | None = None  # the wire request, no secrets
    raw_response: str = ""  # the answering attempt's response as it came (capped), for inspect
    started_at: float | None = None
    ended_at: float | None = None
    batch_id: str | None = None  # the provider's batch job this cell waits in (or came from)

    @property
    def done(self) -> bool:
        return self.status in ("ok", "error", "cancelled", "interrupted")

    @property
    def tokens_per_s(self) -> float | None:
        if not self.output_tokens or self.latency_ms is None:
            return None
        span = self.latency_ms - (self.ttft_ms or 0)
        return self.output_tokens / (span / 1000) if span > 0 else None

    @classmethod
    def from_dict(cls, data: dict[str, Any], index: int = 0) -> CellResult:
        """A result from a store row (or ``to_json()``): the cell from cell_index (or index),
        model, temperature and sample; every other field by name, None meaning "not set".
        Times that are not numbers (the store's ISO stamps) are left unset."""
        cell = Cell(
            int(data.get("cell_index", data.get("index", index)) or index),
            data.get("model") or "?",
            data.get("temperature"),
            int(data.get("sample") or 1),
        )
        result = cls(cell=cell)
        for f in fields(cls):
            value = data.get(f.name)
            if f.name == "cell" or value is None:
                continue
            if f.name in ("started_at", "ended_at") and not isinstance(value, (int, float)):
                continue
            setattr(result, f.name, bool(value) if f.name == "cached" else value)
        return result

    def to_json(self) -> dict[str, Any]:
        """The cell object of `playground run --json` (DESIGN.md)."""
        return {
            "id": self.id,
            "model": self.cell.model,
            "temperature": self.cell.temperature,
            "sample": self.cell.sample,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "usage_source": self.usage_source,
            "cost_usd": self.cost_usd,
            "ttft_ms": _round(self.ttft_ms),
            "latency_ms": _round(self.latency_ms),
            "tokens_per_s": _round(self.tokens_per_s),
            "finish_reason": self.finish_reason,
            "cached": self.cached,
            "model_used": self.model_used,
            "fallback_used": self.fallback_used,
            "reasoning": self.reasoning or None,
            "batch_id": self.batch_id,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


# -- the run's events ------------------------------------------------------------------------
# Every event about one cell names it (``cell``) and its response id in the store
# (``response_id``; None when nothing records the run), so consumers key by the id.


@dataclass(frozen=True, slots=True)
class CellResultEvent:
    """An event that carries the cell's live result (its response id is the result's id).
    Consumers match the concrete classes below; this base only holds the shared shape."""

    cell: Cell
    result: CellResult

    @property
    def response_id(self) -> int | str | None:
        return self.result.id


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: int | str | None
    session_id: int | str | None
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class CellStarted(CellResultEvent):
    """The cell began; ``result`` is the live result the runner fills as the cell goes."""


@dataclass(frozen=True, slots=True)
class CellQueued:
    """The cell waits for a free slot (its provider's ``max_concurrency`` or the global
    limit); nothing is sent yet. Followed by CellSending when it gets one."""

    cell: Cell
    reason: str
    response_id: int | str | None = None


@dataclass(frozen=True, slots=True)
class CellSending:
    """A queued cell got its slot: its request is being sent."""

    cell: Cell
    response_id: int | str | None = None


@dataclass(frozen=True, slots=True)
class CellDelta:
    cell: Cell
    text: str
    reasoning: bool = False
    response_id: int | str | None = None


@dataclass(frozen=True, slots=True)
class CellUsage(CellResultEvent):
    """The provider reported token usage (and cost) for the cell so far."""


@dataclass(frozen=True, slots=True)
class CellRetry:
    cell: Cell
    attempt: int
    wait_s: float
    reason: str
    response_id: int | str | None = None


@dataclass(frozen=True, slots=True)
class CellFallback:
    cell: Cell
    model: str
    reason: str
    response_id: int | str | None = None


@dataclass(frozen=True, slots=True)
class CellFinished(CellResultEvent):
    """The cell ended ok."""


@dataclass(frozen=True, slots=True)
class CellFailed(CellResultEvent):
    """The cell ended with an error or was cancelled; result keeps the partial text."""


@dataclass(frozen=True, slots=True)
class CellPending(CellResultEvent):
    """The cell was handed to its provider's batch API: it waits there (``result.batch_id``)
    until `playground batches collect` fills it in."""


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


# -- what the runner needs from a store --------------------------------------------------------


class Recorder(Protocol):
    """Records a run as it happens. Calls come from the event loop and must return at once
    (a store queues the work for its own writer thread)."""

    def start_run(
        self, plan: RunPlan, cells: Sequence[Cell], messages: Sequence[Message]
    ) -> tuple[Any, Any, list[Any]]:
        """Record the run (its rendered ``messages`` as sent); return (session_id, run_id,
        one response id per cell)."""
        ...

    def on_event(self, event: RunEvent, cache_key: str | None = None) -> None:
        """Record one event; ``cache_key`` identifies the cell's call (see core.cache).
        Raises when an earlier write failed for good, so the runner can report it."""
        ...

    def stream_to(self, response_id: int | str | None) -> Literal[False] | None:
        """Where a started cell's per-chunk events (CellDelta, CellUsage) go. False: nowhere
        (the recorder reads the cell's live result, the ``CellStarted`` event's, itself: no
        call per chunk); None: to ``on_event`` like the rest."""
        ...

    async def settled(self) -> None:
        """Return once what was recorded so far is written, or the database turns out busy
        (the writes then go on in the background); raise if a write failed."""
        ...


@runtime_checkable
class ResponseCache(Protocol):
    """Answers a call seen before: finished ok responses by cache key."""

    def lookup_cache_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """key -> the newest ok answer with that key (CellResult fields by name), or None."""
        ...
