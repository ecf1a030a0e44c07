"""A past run read back from the store, as a front end reopens it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playground.core.model import CellResult
from playground.core.plan import RunPlan


@dataclass
class RecordedRun:
    """``run``: the run's row as ``Store.get_run`` gives it (id, status, created_at, plan,
    messages, source...); ``plan``: the plan rebuilt; ``results``: its cells in order;
    ``ratings``: response id -> ``{score, note, scale}`` for the rated ones."""

    run: dict[str, Any]
    plan: RunPlan
    results: list[CellResult]
    ratings: dict[Any, dict[str, Any]] = field(default_factory=dict)
