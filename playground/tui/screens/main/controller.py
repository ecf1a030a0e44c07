"""Runs and the cells that show them: which run owns which cell, cancel, re-run.

Plain Python, no Textual: a cell is anything with the ``CellView`` methods, so tests drive a
real runner against loopback servers with plain objects standing in for the grid.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from playground.core.model import Cell, CellResult
    from playground.core.plan import RunPlan
    from playground.core.runner import RunHandle, Runner


class CellView(Protocol):
    """What the controller needs of a cell on screen."""

    cell: Cell

    @property
    def is_attached(self) -> bool: ...

    async def begin(self, result: CellResult) -> None: ...

    def feed(self, text: str, reasoning: bool = False) -> None: ...

    async def finish(self, result: CellResult) -> None: ...

    def set_queued(self, reason: str) -> None: ...

    def set_sending(self) -> None: ...

    def set_notice(self, text: str) -> None: ...


V = TypeVar("V", bound=CellView)


class RunController(Generic[V]):
    """Starts runs, routes their events to the cells that show them, cancels and re-runs.

    A cell belongs to the latest run started for it: a re-run takes one cell from the run that
    made it, and the older run's later events for that cell are dropped.
    """

    def __init__(self, runner: Callable[[], Runner]) -> None:
        self._runner = runner  # called when first needed: the runner loads httpx
        self.handles: list[RunHandle] = []  # runs whose events are being shown
        self._owner: dict[V, tuple[RunHandle, int]] = {}
        self._plans: dict[V, RunPlan] = {}
        self.latest: RunHandle | None = None  # the run started last (what "export run" takes)

    # -- ownership ----------------------------------------------------------------------------
    def start(self, plan: RunPlan) -> RunHandle:
        """Start a run (raises what the runner raises for a plan it cannot run)."""
        return self._runner().start(plan)

    def adopt(self, handle: RunHandle, views: dict[int, V], plan: RunPlan) -> None:
        """These cells show this run now; cells no longer on screen are forgotten."""
        self.latest = handle
        for index, view in views.items():
            self._owner[view] = (handle, index)
            self._plans[view] = plan
        self._owner = {v: o for v, o in self._owner.items() if v.is_attached}
        self._plans = {v: p for v, p in self._plans.items() if v.is_attached}

    def show_plan(self, view: V, plan: RunPlan) -> None:
        """A cell shows a past result of this plan (no run owns it)."""
        self._plans[view] = plan

    def plan_of(self, view: V) -> RunPlan | None:
        """The plan that made what the cell shows."""
        return self._plans.get(view)

    def running(self, view: V) -> bool:
        owner = self._owner.get(view)
        return owner is not None and not owner[0].finished

    @property
    def busy(self) -> bool:
        return bool(self.handles)

    # -- cancel -------------------------------------------------------------------------------
    def cancel_cell(self, view: V) -> bool:
        """Cancel this cell if its run is still going; True when there was something to stop."""
        owner = self._owner.get(view)
        if owner is None or owner[0].finished:
            return False
        owner[0].cancel(owner[1])
        return True

    def cancel_all(self) -> bool:
        """Cancel every run being shown; True when there was one."""
        for handle in self.handles:
            handle.cancel()
        return bool(self.handles)

    async def cancel_all_and_wait(self, timeout: float = 3.0) -> None:
        """Cancel every run and let their cells show it, before the grid changes."""
        running = list(self.handles)
        for handle in running:
            handle.cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(h in self.handles for h in running) and loop.time() < deadline:
            await asyncio.sleep(0.01)

    # -- re-run -------------------------------------------------------------------------------
    @staticmethod
    def rerun_plan(view: CellView, base: RunPlan) -> RunPlan:
        """The plan for one cell again: its model and temperature, once, never from the cache."""
        return replace(
            base,
            models=[view.cell.model],
            temperatures=[view.cell.temperature],
            repeats=1,
            use_cache=False,
        )

    def rerun(self, view: V, base: RunPlan) -> RunHandle:
        """Run this cell again in place; a run still going in it is cancelled first."""
        plan = self.rerun_plan(view, base)
        self.cancel_cell(view)
        handle = self.start(plan)
        self._owner[view] = (handle, 0)
        self._plans[view] = plan
        return handle

    # -- events -------------------------------------------------------------------------------
    async def consume(self, handle: RunHandle, views: dict[int, V]) -> None:
        """Show the run's events in its cells until it ends."""
        # imported here, not at the top: the events module loads the template engine, which
        # would otherwise delay the app's first frame
        from playground.core.model import (
            CellDelta,
            CellFailed,
            CellFallback,
            CellFinished,
            CellQueued,
            CellRetry,
            CellSending,
            CellStarted,
        )

        self.handles.append(handle)
        try:
            async for event in handle.events():
                cell = getattr(event, "cell", None)
                view = views.get(cell.index) if cell is not None else None
                if view is None or not view.is_attached:
                    continue  # run-level events, or a grid replaced by a newer run
                if self._owner.get(view, (handle, 0))[0] is not handle:
                    continue  # this cell was re-run since: the newer run owns it
                match event:
                    case CellDelta(text=text, reasoning=reasoning):
                        view.feed(text, reasoning)
                    case CellStarted(result=result):
                        await view.begin(result)
                    case CellFinished(result=result) | CellFailed(result=result):
                        await view.finish(result)
                    case CellQueued(reason=reason):
                        view.set_queued(reason)
                    case CellSending():
                        view.set_sending()
                    case CellRetry(attempt=attempt, wait_s=wait_s, reason=reason):
                        view.set_notice(f"retry {attempt} in {wait_s:.1f} s: {reason}")
                    case CellFallback(model=model, reason=reason):
                        view.set_notice(f"falling back to {model}: {reason}")
        finally:
            self.handles.remove(handle)
