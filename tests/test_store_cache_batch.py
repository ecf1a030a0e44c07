"""The store's per-run economies keep their promises: the cache asked once per run
(Store.lookup_cache_many) answers as one question per cell does; a recorder and a cache given
to the runner separately are each served (every delta reaches the recorder); a store that
stops taking writes mid-stream is reported in store_error while the run goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, Reply

from playground.config import Settings
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "playground.db")
    yield opened
    opened.close()


def plan_for(temps: list[float], repeats: int = 1) -> RunPlan:
    return RunPlan(
        PromptTemplate.from_parts("", "Tell me about otters."),
        models=["lo-openai:m"],
        temperatures=temps,
        repeats=repeats,
        max_tokens=64,
    )


async def run(settings: Settings, recorder: Any, plan: RunPlan, cache: Any = None) -> Any:
    runner = Runner(settings, recorder=recorder, cache=cache)
    try:
        return await runner.run(plan)
    finally:
        await runner.aclose()


class PlainRecorder:
    """The store behind the Recorder protocol alone (no cache), counting the deltas sent."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.deltas = 0

    def start_run(self, plan: Any, cells: Any, messages: Any) -> Any:
        return self.store.start_run(plan, cells, messages)

    def on_event(self, event: Any, cache_key: str | None = None) -> None:
        self.deltas += type(event).__name__ == "CellDelta"
        self.store.on_event(event, cache_key)

    def stream_to(self, response_id: Any) -> None:
        return None  # every delta through on_event, counted

    async def settled(self) -> None:
        await self.store.settled()


async def test_batch_lookup_matches_one_lookup_per_key(
    loopback: LoopbackServer, store: Store
) -> None:
    settings = loopback.settings(max_retries=0)
    loopback.enqueue(Reply(status=400, error_message="bad request"))  # t=0.0: an error
    first = await run(settings, store, plan_for([0.0, 0.5], repeats=2))
    again = await run(settings, store, plan_for([0.0, 0.5], repeats=2))  # copies of the answers
    keys = [store.get_response(r.id)["cache_key"] for r in first.results]
    keys += [keys[-1], "no-such-key"]  # a repeated key and a miss
    many = store.lookup_cache_many(keys)
    assert set(many) == set(keys)
    for key in keys:
        assert many[key] == store.lookup_cache(key)
    assert many["no-such-key"] is None
    # the error was asked again on the second run; the answers came from the cache
    ok = [r.status == "ok" for r in first.results]
    assert ok.count(False) == 1 and [r.cached for r in again.results] == ok
    assert [store.get_response(r.id)["cached_from"] for r in again.results if r.cached] == [
        r.id for r in first.results if r.status == "ok"
    ]
    failed = ok.index(False)  # its key is answered by the second run, not the error
    assert many[keys[failed]]["output"] == again.results[failed].output


async def test_a_recorder_and_a_cache_given_apart_get_deltas_and_cache_hits(
    loopback: LoopbackServer, store: Store
) -> None:
    settings = loopback.settings()
    recorder = PlainRecorder(store)
    first = await run(settings, recorder, plan_for([0.0, 0.9]))  # no cache: both asked
    assert recorder.deltas >= 2 and len(loopback.requests) == 2
    assert await run(settings, recorder, plan_for([0.0])) and len(loopback.requests) == 3
    again = await run(settings, recorder, plan_for([0.0, 0.9]), cache=store)
    assert all(r.cached for r in again.results) and len(loopback.requests) == 3
    assert [r.output for r in again.results] == [r.output for r in first.results]
    assert store.get_response(again.results[1].id)["output"] == first.results[1].output


async def test_a_store_refusing_writes_mid_stream_is_reported_and_the_run_goes_on(
    loopback: LoopbackServer, store: Store
) -> None:
    """A write that fails for a reason other than a lock (here a trigger another connection
    adds mid-stream) is not retried forever: the run finishes and says it was not recorded."""
    import sqlite3

    settings = loopback.settings()
    loopback.enqueue(Reply(text=" ".join(f"w{i}" for i in range(16)), delay=0.05))
    runner = Runner(settings, recorder=store)
    other = sqlite3.connect(store.path, timeout=30)
    try:
        handle = runner.start(plan_for([0.0]))
        await asyncio.sleep(0.2)  # streaming: the writer's next look will find it refusing
        other.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE ON responses "
            "BEGIN SELECT RAISE(ABORT, 'the disk said no'); END"
        )
        other.commit()
        results = await handle.wait()
    finally:
        await runner.aclose()
        other.execute("DROP TRIGGER IF EXISTS refuse")
        other.commit()
        other.close()
    assert results[0].status == "ok" and results[0].output.startswith("w0 w1")
    assert handle.store_error and "the disk said no" in handle.store_error


async def test_a_key_recorded_many_times_costs_the_cache_no_more(
    loopback: LoopbackServer, store: Store
) -> None:
    """Rerunning a prompt records its key again each time (a copy when the cache answers, a new
    original when it is off): the cache's question must not grow with them (it is asked on the
    event loop, as a run starts). Counted in SQLite's own steps, not in time."""
    settings = loopback.settings(max_retries=0)
    first = await run(settings, store, plan_for([0.0, 0.5], repeats=2))
    keys = [store.get_response(r.id)["cache_key"] for r in first.results]
    conn = store.conn

    def steps() -> int:
        counted = [0]

        def count() -> int:
            counted[0] += 1
            return 0

        conn.set_progress_handler(count, 1)
        try:
            found = store.lookup_cache_many(keys)
        finally:
            conn.set_progress_handler(None, 1)
        assert all(found[k] is not None for k in keys)
        return counted[0]

    def rerun(times: int, cached: int) -> None:
        rows = [
            (first.run_id, i, "lo-openai:m", "ok", f"take {t}", key, cached)
            for t in range(times)
            for i, key in enumerate(keys)
        ]
        conn.executemany(
            "INSERT INTO responses (run_id, cell_index, model, status, output, cache_key, cached)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    rerun(2, cached=1)
    few = steps()
    rerun(200, cached=1)  # 200 reruns answered by the cache
    rerun(50, cached=0)  # 50 with the cache off: new originals, the newest answers
    assert steps() <= few * 1.2
    newest = conn.execute(
        "SELECT MAX(id) FROM responses WHERE cache_key = ? AND cached = 0", (keys[0],)
    ).fetchone()[0]
    assert store.lookup_cache_many(keys[:1])[keys[0]]["output"] == store.get_response(newest)[
        "output"
    ]


def test_a_large_sweep_gets_one_pending_response_per_cell(store: Store) -> None:
    """A run's pending rows are inserted many to a statement (and their ids read back in no
    promised order): every cell of a sweep larger than one statement holds gets its own row."""
    plan = RunPlan(
        PromptTemplate.from_parts("", "Tell me about otters."),
        models=["lo-openai:m", "lo-gemini:g"],
        temperatures=[0.0, 0.5, 1.0],
        repeats=70,  # 420 cells: three statements
    )
    cells = plan.cells()
    _, run_id, ids = store.start_run(plan, cells, plan.template.render({}))
    rows = store.conn.execute(
        "SELECT id, cell_index, model, temperature, sample, status FROM responses "
        "WHERE run_id = ?",
        (run_id,),
    ).fetchall()
    assert len(ids) == len(set(ids)) == len(rows) == 420
    by_id = {row[0]: row[1:] for row in rows}
    for cell, rid in zip(cells, ids, strict=True):
        assert by_id[rid] == (cell.index, cell.model, cell.temperature, cell.sample, "pending")
