"""The store's per-run economies keep their promises: the cache asked once per run
(Store.lookup_cache_many) answers as one question per cell does; a recorder without the batch
form or the opt-out of deltas is still served; a store that stops taking writes mid-stream
(no chunks reach it now to report that) is reported in store_error while the run goes on."""

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


async def run(settings: Settings, recorder: Any, plan: RunPlan) -> Any:
    runner = Runner(settings, recorder=recorder)
    try:
        return await runner.run(plan)
    finally:
        await runner.aclose()


class PerKeyRecorder:
    """The store behind the plain Recorder protocol: no batch lookup, every delta sent."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.deltas = 0

    def start_run(self, plan: Any, cells: list[Any]) -> Any:
        return self.store.start_run(plan, cells)

    def lookup_cache(self, key: str) -> Any:
        return self.store.lookup_cache(key)

    def on_event(self, event: Any, cache_key: str | None = None) -> None:
        self.deltas += type(event).__name__ == "CellDelta"
        self.store.on_event(event, cache_key)


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


async def test_a_recorder_without_the_batch_form_gets_deltas_and_cache_hits(
    loopback: LoopbackServer, store: Store
) -> None:
    settings = loopback.settings()
    recorder = PerKeyRecorder(store)
    first = await run(settings, recorder, plan_for([0.0, 0.9]))
    assert recorder.deltas >= 2 and len(loopback.requests) == 2
    again = await run(settings, recorder, plan_for([0.0, 0.9]))
    assert all(r.cached for r in again.results) and len(loopback.requests) == 2
    assert [r.output for r in again.results] == [r.output for r in first.results]
    assert store.get_response(again.results[1].id)["output"] == first.results[1].output


async def test_a_store_refusing_writes_mid_stream_is_reported_and_the_run_goes_on(
    loopback: LoopbackServer, store: Store
) -> None:
    settings = loopback.settings()
    loopback.enqueue(Reply(text=" ".join(f"w{i}" for i in range(16)), delay=0.05))
    runner = Runner(settings, recorder=store)
    try:
        handle = runner.start(plan_for([0.0]))
        await asyncio.sleep(0.2)  # streaming: the store's 0.5 s timer will find it refusing
        store.conn.execute("PRAGMA query_only = 1")
        results = await handle.wait()
    finally:
        await runner.aclose()
        store.conn.execute("PRAGMA query_only = 0")
    assert results[0].status == "ok" and results[0].output.startswith("w0 w1")
    assert handle.store_error and "readonly" in handle.store_error.replace("-", "")
