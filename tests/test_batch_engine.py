"""The batch engine in-process: split limits (small, injected), resuming with a new Store on
the same database, downloads that break off, jobs that fail as a whole. Real HTTP to the batch
loopback server (tests/loopback/batch.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopback.batch import BatchServer

from playground.core.batch.collect import Batches
from playground.core.batch.limits import Limits
from playground.core.batch.submit import BatchSink
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.store import Store


def plan(models: list[str], temperatures: int = 1, repeats: int = 1, text: str = "Hi") -> RunPlan:
    return RunPlan(
        template=PromptTemplate.from_parts("", text),
        models=models,
        temperatures=[round(0.1 * i, 1) for i in range(temperatures)],
        repeats=repeats,
        max_tokens=64,
    )


async def submit(
    settings: Any, store: Store, the_plan: RunPlan, limits: dict[str, Limits] | None = None
) -> tuple[Any, BatchSink]:
    runner = Runner(settings, recorder=store)
    sink = BatchSink(settings, store, limits=limits)
    try:
        handle = runner.start(the_plan, batch=sink)
        await handle.wait()
    finally:
        await runner.aclose()
        await sink.aclose()
    store.flush()
    return handle, sink


async def collect_all(settings: Any, store: Store) -> list[Any]:
    manager = Batches(settings, store)
    try:
        return [await manager.collect(job) for job in manager.jobs() if not job.collected]
    finally:
        await manager.aclose()


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store.open(tmp_path / "s.db")
    yield s
    s.close()


async def test_jobs_are_split_at_the_request_limit_one_model_per_openai_file(
    batch_server: BatchServer, store: Store
) -> None:
    settings = batch_server.settings()
    limits = {"openai": Limits(3, 10**9), "anthropic": Limits(4, 10**9)}
    models = [
        "lb-openai:gpt-a",
        "lb-openai:gpt-b",
        "lb-anthropic:claude-a",
        "lb-anthropic:claude-b",
    ]
    handle, sink = await submit(settings, store, plan(models, repeats=5), limits)
    assert all(r.status == "pending" for r in handle.results)
    sizes = sorted((job.provider, job.model or "", job.request_count) for job in sink.jobs)
    assert sizes == [
        ("lb-anthropic", "", 2),
        ("lb-anthropic", "", 4),
        ("lb-anthropic", "", 4),
        ("lb-openai", "lb-openai:gpt-a", 2),
        ("lb-openai", "lb-openai:gpt-a", 3),
        ("lb-openai", "lb-openai:gpt-b", 2),
        ("lb-openai", "lb-openai:gpt-b", 3),
    ]
    for job in sink.jobs:  # what the provider got matches what was recorded
        sent = batch_server.jobs[job.job_id].requests
        assert len(sent) == job.request_count
        if job.provider == "lb-openai":
            assert {r["model"] for r in sent} == {job.model.split(":")[1]}
    ids = [r["custom_id"] for j in batch_server.jobs.values() for r in j.requests]
    assert sorted(ids) == sorted(str(r.id) for r in handle.results)  # each cell exactly once
    reports = await collect_all(settings, store)
    assert sum(r.ok for r in reports) == 20
    assert {row["status"] for row in store.responses_for_run(handle.run_id)} == {"ok"}


async def test_jobs_are_split_at_the_byte_limit_and_an_oversized_request_is_refused(
    batch_server: BatchServer, store: Store
) -> None:
    settings = batch_server.settings()
    # a line of this plan is about 200 bytes: 450 holds two
    handle, sink = await submit(
        settings, store, plan(["lb-openai:gpt-a"], repeats=5), {"openai": Limits(100, 450)}
    )
    assert [j.request_count for j in sink.jobs] == [2, 2, 1]
    assert all(len(batch_server.files[f]) <= 450 for f in batch_server.files)

    big = plan(["lb-anthropic:claude-a", "echo"], text="x" * 2000)
    handle, sink = await submit(settings, store, big, {"anthropic": Limits(100, 1000)})
    claude, echo = handle.results
    assert claude.status == "error" and claude.error.startswith("too large for a batch job")
    assert echo.status == "ok" and sink.jobs == []


async def test_a_new_store_on_the_same_database_picks_the_jobs_up(
    batch_server: BatchServer, tmp_path: Path
) -> None:
    settings = batch_server.settings()
    first = Store.open(tmp_path / "s.db")
    handle, _ = await submit(settings, first, plan(["lb-openai:gpt-a", "lb-anthropic:claude-a"], 2))
    # the submitting process is gone (its session belongs to no live process)
    first.conn.execute("UPDATE sessions SET host = 'a-machine-long-gone'")
    first.close()
    second = Store.open(tmp_path / "s.db")  # marks the dead process's leftovers interrupted
    try:
        rows = second.responses_for_run(handle.run_id)
        assert {r["status"] for r in rows} == {
            "pending"
        }  # not interrupted: they wait at the provider
        reports = await collect_all(settings, second)
        assert [r.ok for r in reports] == [2, 2]
        rows = second.responses_for_run(handle.run_id)
        assert {r["status"] for r in rows} == {"ok"}
        assert all(r["batch_id"] and r["cost_usd"] > 0 for r in rows)
        assert second.get_run(handle.run_id)["status"] == "done"
    finally:
        second.close()


async def test_a_download_that_breaks_off_keeps_the_job_to_collect_again(
    batch_server: BatchServer, store: Store
) -> None:
    settings = batch_server.settings()
    handle, _ = await submit(settings, store, plan(["lb-anthropic:claude-a"], 3))
    batch_server.fail_next = [("results", 500)]
    (report,) = await collect_all(settings, store)
    assert report.problem and "collect again" in report.problem
    assert {r["status"] for r in store.responses_for_run(handle.run_id)} == {"pending"}
    (report,) = await collect_all(settings, store)
    assert report.ok == 3 and report.problem is None
    assert await collect_all(settings, store) == []  # nothing left: collected jobs stay so


async def test_a_job_refused_as_a_whole_makes_each_cell_an_error_saying_why(
    batch_server: BatchServer, store: Store
) -> None:
    settings = batch_server.settings()
    batch_server.refuse_files = True
    handle, sink = await submit(settings, store, plan(["lb-openai:gpt-a"], 2))
    (report,) = await collect_all(settings, store)
    assert report.missing == 2
    rows = store.responses_for_run(handle.run_id)
    assert [r["error"] for r in rows] == [
        "the batch failed: invalid_request: line 1 is refused"
    ] * 2
    assert store.get_response(rows[0]["id"])["batch_id"] == sink.jobs[0].job_id
