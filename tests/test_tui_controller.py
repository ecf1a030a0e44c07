"""The main screen's run controller, driven without Pilot: a real runner against loopback
servers, plain objects standing in for the grid's cells."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from loopback import LoopbackServer, Reply

from playground.core.model import Cell, CellResult
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.tui.screens.main.controller import RunController


@dataclass(eq=False)
class FakeCell:
    """What a cell on screen would show: its status, text and notices."""

    cell: Cell
    is_attached: bool = True
    status: str = "new"
    text: str = ""
    notices: list[str] = field(default_factory=list)
    result: CellResult | None = None

    async def begin(self, result: CellResult) -> None:
        self.status, self.text, self.result = "running", "", result

    def feed(self, text: str, reasoning: bool = False) -> None:
        if not reasoning:
            self.text += text

    async def finish(self, result: CellResult) -> None:
        self.status, self.result = result.status, result

    def set_queued(self, reason: str) -> None:
        self.status = "queued"
        self.notices.append(reason)

    def set_sending(self) -> None:
        self.status = "running"

    def set_notice(self, text: str) -> None:
        self.notices.append(text)


def plan(models: list[str], temperatures: list[float | None]) -> RunPlan:
    return RunPlan(
        PromptTemplate.from_parts("", "Say hi"), models=models, temperatures=temperatures
    )


async def start(controller: RunController[Any], p: RunPlan) -> tuple[Any, dict[int, FakeCell]]:
    handle = controller.start(p)
    views = {c.index: FakeCell(c) for c in handle.cells}
    controller.adopt(handle, views, p)
    return handle, views


async def until(predicate: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_run_shows_in_its_cells(loopback: LoopbackServer) -> None:
    runner = Runner(loopback.settings())
    controller: RunController[FakeCell] = RunController(lambda: runner)
    handle, views = await start(controller, plan(["lo-openai:a", "lo-anthropic:b"], [0.0]))
    await controller.consume(handle, views)
    await runner.aclose()
    assert [v.status for v in views.values()] == ["ok", "ok"]
    assert views[0].text.startswith("model=a temperature=0.0:")
    assert views[1].text.startswith("model=b temperature=0.0:")
    assert not controller.busy


async def test_cancel_one_cell_leaves_the_other_running(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply(text="one two three four", stall_after=2), model="a")
    loopback.enqueue(Reply(text="done here", chunks=2), model="b")
    runner = Runner(loopback.settings())
    controller: RunController[FakeCell] = RunController(lambda: runner)
    handle, views = await start(controller, plan(["lo-openai:a", "lo-openai:b"], [0.0]))
    task = asyncio.create_task(controller.consume(handle, views))
    await until(lambda: views[0].text == "one two ")
    assert controller.running(views[0])
    assert controller.cancel_cell(views[0])
    await task
    await runner.aclose()
    assert views[0].status == "cancelled" and views[0].text == "one two "
    assert views[1].status == "ok" and views[1].text == "done here"
    assert not controller.cancel_cell(views[0])  # nothing left to stop


async def test_a_rerun_takes_the_cell_from_the_older_run(loopback: LoopbackServer) -> None:
    """The first run's late events for a re-run cell are dropped: the newer run owns it."""
    loopback.enqueue(Reply(text="old old old old", stall_after=2), model="a")
    loopback.enqueue(Reply(text="fresh answer", chunks=2), model="a")
    runner = Runner(loopback.settings())
    controller: RunController[FakeCell] = RunController(lambda: runner)
    first_plan = plan(["lo-openai:a"], [0.3])
    handle, views = await start(controller, first_plan)
    first = asyncio.create_task(controller.consume(handle, views))
    await until(lambda: views[0].text == "old old ")
    rerun = controller.rerun(views[0], first_plan)
    assert rerun is not handle
    rerun_plan = controller.plan_of(views[0])
    assert rerun_plan is not None and rerun_plan.use_cache is False
    assert rerun_plan.temperatures == [0.3] and rerun_plan.repeats == 1
    await controller.consume(rerun, {0: views[0]})
    await first
    await runner.aclose()
    assert views[0].status == "ok" and views[0].text == "fresh answer"  # not "cancelled"
    assert handle.results[0].status == "cancelled"  # the older run's cell was stopped


async def test_cancel_all_stops_every_run_being_shown(loopback: LoopbackServer) -> None:
    loopback.default = Reply(text="a b c d e f", stall_after=2)
    runner = Runner(loopback.settings())
    controller: RunController[FakeCell] = RunController(lambda: runner)
    handle, views = await start(controller, plan(["lo-openai:a", "lo-gemini:b"], [0.0]))
    task = asyncio.create_task(controller.consume(handle, views))
    await until(lambda: all(v.text == "a b " for v in views.values()))
    await controller.cancel_all_and_wait()
    await task
    await runner.aclose()
    assert [v.status for v in views.values()] == ["cancelled", "cancelled"]
    assert not controller.cancel_all()  # none left


async def test_cells_that_left_the_screen_are_forgotten(loopback: LoopbackServer) -> None:
    runner = Runner(loopback.settings())
    controller: RunController[FakeCell] = RunController(lambda: runner)
    handle, views = await start(controller, plan(["lo-openai:a"], [0.0]))
    await controller.consume(handle, views)
    views[0].is_attached = False  # a newer grid replaced it
    handle2, views2 = await start(controller, plan(["lo-openai:a"], [0.0]))
    assert controller.plan_of(views[0]) is None and controller.plan_of(views2[0]) is not None
    await controller.consume(handle2, views2)
    await runner.aclose()
