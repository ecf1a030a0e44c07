"""The TUI and batch jobs: a past run's cells waiting at the provider show ◷ with the job's
state; the palette's "Collect batches" fills them in."""

from __future__ import annotations

from pathlib import Path

import pytest
from loopback.batch import BatchServer
from tui_main_helpers import all_done, cells_of, isolate, open_store, reopen_the_only_run, wait_for

from playground.core.batch.submit import BatchSink
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.tui.app import make_app


async def test_waiting_cells_show_the_job_and_collect_batches_fills_them(
    batch_server: BatchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(monkeypatch, tmp_path)
    settings = batch_server.settings()
    store = open_store(tmp_path)
    batch_server.polls_to_finish = 0  # the jobs run until the test ends them
    plan = RunPlan(
        template=PromptTemplate.from_parts("", "Name a river."),
        models=["lb-openai:gpt-a", "lb-anthropic:claude-a"],
        temperatures=[0.0],
    )
    runner = Runner(settings, recorder=store)
    sink = BatchSink(settings, store)
    await runner.start(plan, batch=sink).wait()
    await runner.aclose()
    await sink.aclose()
    store.flush()

    app = make_app(settings, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await reopen_the_only_run(pilot, app, 2)
        for cell in cells_of(app):
            assert cell.border_title.startswith("◷")
            assert f"at the provider: batch {cell.result.batch_id} · " in str(
                cell.query_one(".cell-figures").render()
            )
        for job in sink.jobs:
            batch_server.finish(job.job_id)
        app.screen.action_collect_batches()
        await wait_for(
            pilot,
            lambda: all_done(app, 2) and all(c.result.status == "ok" for c in cells_of(app)),
        )
        gpt, claude = cells_of(app)
        assert gpt.border_title.startswith("✓")
        assert gpt.answer.text == "batch answer from gpt-a: Name a river."
        assert claude.answer.text == "batch answer from claude-a: Name a river."
