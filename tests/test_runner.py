"""The matrix runner against a loopback server: fallbacks, cancel, concurrency, isolation."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest
from loopback import LoopbackServer, Reply

from playground.core.model import (
    CellDelta,
    CellFailed,
    CellFallback,
    CellFinished,
    CellQueued,
    CellStarted,
    RunFinished,
    RunStarted,
)
from playground.core.plan import RunPlan
from playground.core.runner import RunHandle, Runner
from playground.core.template import PromptTemplate

ALL = ["lo-openai:m", "lo-anthropic:m", "lo-gemini:m", "lo-ollama:m"]


def plan(models: list[str], temperatures: list[float | None] | None = None, **kw: Any) -> RunPlan:
    return RunPlan(
        PromptTemplate.from_parts("", "Say hi"),
        models=models,
        temperatures=temperatures or [0.0],
        **kw,
    )


async def wait_for_output(handle: RunHandle, index: int, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not handle.results[index].output:
        assert time.monotonic() < deadline, "no output arrived"
        await asyncio.sleep(0.01)


async def test_matrix_runs_every_cell_concurrently(loopback: LoopbackServer) -> None:
    loopback.default = Reply(chunks=5, duration=0.3)
    runner = Runner(loopback.settings())
    handle = await runner.run(plan(ALL, [0.0, 0.7]))
    await runner.aclose()
    served = loopback.requests
    elapsed = max(r.ended for r in served) - min(r.started for r in served)
    assert [r.status for r in handle.results] == ["ok"] * 8
    assert {(r.cell.model, r.cell.temperature) for r in handle.results} == {
        (m, t) for m in ALL for t in (0.0, 0.7)
    }
    for r in handle.results:
        assert r.output.startswith(f"model=m temperature={r.cell.temperature}:")
    assert elapsed < 0.6  # eight 0.3 s streams side by side, not one after another
    assert loopback.max_in_flight == 8


async def test_big_matrix_loses_nothing(loopback: LoopbackServer) -> None:
    # 24 cells × 100 pieces at once, across the four protocols: every piece arrives, in order.
    text = "".join(f"{i:03d}é " for i in range(100))
    loopback.default = Reply(text=text, chunks=100, duration=0.3)
    kinds = ["lo-openai", "lo-anthropic", "lo-gemini", "lo-ollama", "lo-openai", "lo-gemini"]
    models = [f"{p}:m{i}" for i, p in enumerate(kinds)]
    runner = Runner(loopback.settings(concurrency=24))
    handle = runner.start(plan(models, [0.0, 0.5, 1.0, 1.5]))
    deltas: dict[int, int] = {}
    async for event in handle.events():
        if type(event) is CellDelta:
            deltas[event.cell.index] = deltas.get(event.cell.index, 0) + 1
    await runner.aclose()
    assert [r.output for r in handle.results] == [text] * 24
    assert deltas == dict.fromkeys(range(24), 100)
    assert loopback.max_in_flight == 24


async def test_events_arrive_in_order_for_each_cell(loopback: LoopbackServer) -> None:
    runner = Runner(loopback.settings())
    handle = runner.start(plan(ALL[:2], repeats=2))
    events = [e async for e in handle.events()]
    await runner.aclose()
    assert type(events[0]) is RunStarted and type(events[-1]) is RunFinished
    for cell in handle.cells:
        mine = [type(e) for e in events if getattr(e, "cell", None) == cell]
        assert mine[0] is CellStarted and mine[-1] is CellFinished
        assert CellDelta in mine
    assert [c.sample for c in handle.cells] == [1, 2, 1, 2]


async def test_ttft_and_latency_are_measured(loopback: LoopbackServer) -> None:
    loopback.default = Reply(first_delay=0.15, chunks=4, duration=0.2)
    runner = Runner(loopback.settings())
    handle = await runner.run(plan(["lo-openai:m"]))
    await runner.aclose()
    r = handle.results[0]
    assert 150 <= r.ttft_ms < 400
    assert r.latency_ms >= r.ttft_ms + 100
    assert r.tokens_per_s and r.tokens_per_s > 0


async def test_failed_cell_leaves_others_unaffected(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply(text="partial answer here", drop_after=2), model="bad")
    loopback.enqueue(Reply(status=400, error_message="nope"), model="worse")
    runner = Runner(loopback.settings())
    handle = await runner.run(plan(["lo-openai:bad", "lo-gemini:worse", *ALL]))
    await runner.aclose()
    by_model = {r.cell.model: r for r in handle.results}
    assert by_model["lo-openai:bad"].status == "error"
    assert by_model["lo-openai:bad"].output == "partial answer "
    assert by_model["lo-gemini:worse"].error == "HTTP 400: nope"
    assert [by_model[m].status for m in ALL] == ["ok"] * 4


async def test_connection_refused_is_a_cell_error(loopback: LoopbackServer) -> None:
    settings = loopback.settings(max_retries=0)
    settings.providers["lo-ollama"].base_url = "http://127.0.0.1:9"  # nothing listens there
    runner = Runner(settings)
    handle = await runner.run(plan(["lo-ollama:m", "lo-openai:m"]))
    await runner.aclose()
    down, up = handle.results
    assert down.status == "error" and "cannot connect to http://127.0.0.1:9" in down.error
    assert "nothing is listening there (is the server running? check base_url)" in down.error
    assert up.status == "ok"


async def test_usage_of_a_failed_attempt_is_not_kept(loopback: LoopbackServer) -> None:
    # The first attempt reports 500 input tokens, then fails before any text; the retry
    # reports no usage: the counts must be the retry's (estimated), not the failed one's.
    loopback.enqueue(Reply(input_tokens=500, error_after=0), Reply(text="ok", usage=False))
    runner = Runner(loopback.settings())
    handle = await runner.run(plan(["lo-anthropic:m"]))
    await runner.aclose()
    r = handle.results[0]
    assert r.status == "ok" and r.attempts == 2
    assert r.usage_source == "estimate" and r.input_tokens != 500


# -- fallbacks ------------------------------------------------------------------------------


async def test_fallback_answers_when_first_model_fails_before_output(
    loopback: LoopbackServer,
) -> None:
    settings = loopback.settings(fallbacks={"lo-openai:primary": ["lo-anthropic:backup"]})
    loopback.enqueue(Reply(status=404, error_message="model not found"), model="primary")
    runner = Runner(settings)
    handle = runner.start(plan(["lo-openai:primary"]))
    events = [e async for e in handle.events()]
    await runner.aclose()
    r = handle.results[0]
    assert r.status == "ok", r.error
    assert r.output.startswith("model=backup ")
    assert r.fallback_used == "lo-anthropic:backup"
    assert r.model_used == "lo-anthropic:backup"
    [fb] = [e for e in events if type(e) is CellFallback]
    assert fb.model == "lo-anthropic:backup" and "model not found" in fb.reason
    assert [q.kind for q in loopback.requests] == ["openai", "anthropic"]


async def test_fallback_chain_on_missing_key(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LO_OPENAI_KEY")
    settings = loopback.settings(
        fallbacks={"lo-openai:a": ["lo-gemini:b", "lo-ollama:c"]}, max_retries=0
    )
    loopback.enqueue(Reply(status=503), model="b")
    runner = Runner(settings)
    handle = await runner.run(plan(["lo-openai:a"]))
    await runner.aclose()
    r = handle.results[0]
    assert r.status == "ok" and r.model_used == "lo-ollama:c"
    assert r.output.startswith("model=c ")


async def test_no_fallback_once_output_started(loopback: LoopbackServer) -> None:
    settings = loopback.settings(fallbacks={"lo-openai:a": ["lo-ollama:b"]})
    loopback.enqueue(Reply(text="half an answer", drop_after=1), model="a")
    runner = Runner(settings)
    handle = await runner.run(plan(["lo-openai:a"]))
    await runner.aclose()
    r = handle.results[0]
    assert r.status == "error" and r.output == "half "
    assert r.fallback_used is None
    assert [q.kind for q in loopback.requests] == ["openai"]


async def test_all_fallbacks_failing_reports_the_last_error(loopback: LoopbackServer) -> None:
    settings = loopback.settings(fallbacks={"lo-openai:a": ["lo-ollama:b"]}, max_retries=0)
    loopback.enqueue(Reply(status=400), model="a")
    loopback.enqueue(Reply(status=400, error_message="b is broken too"), model="b")
    runner = Runner(settings)
    handle = await runner.run(plan(["lo-openai:a"]))
    await runner.aclose()
    r = handle.results[0]
    assert r.status == "error" and "b is broken too" in r.error


# -- cancel ---------------------------------------------------------------------------------


async def test_cancel_one_cell_closes_its_connection_and_keeps_partial_text(
    loopback: LoopbackServer,
) -> None:
    loopback.enqueue(Reply(chunks=100, duration=10), model="slow")
    loopback.default = Reply(chunks=10, duration=0.4)
    runner = Runner(loopback.settings())
    handle = runner.start(plan(["lo-anthropic:slow", "lo-openai:m", "lo-ollama:m"]))
    await wait_for_output(handle, 0)
    t_cancel = time.monotonic()
    handle.cancel(handle.cells[0])
    [gone] = await asyncio.to_thread(loopback.wait_disconnects, 1, 1.0)
    assert gone.model == "slow"
    assert gone.disconnected_at - t_cancel < 0.2
    results = await handle.wait()
    await runner.aclose()
    slow, *others = results
    assert slow.status == "cancelled"
    assert slow.output and len(slow.output) < 100  # what had arrived, kept
    # Anthropic's message_start holds a placeholder output count: cut short, it is estimated
    assert slow.usage_source == "estimate" and slow.output_tokens
    assert [r.status for r in others] == ["ok", "ok"]
    assert len(loopback.wait_disconnects(2, timeout=0.1)) == 1  # the others were not touched


@pytest.mark.parametrize("stalled", [False, True])
async def test_cancel_whole_run_closes_every_connection_within_200ms(
    loopback: LoopbackServer, stalled: bool
) -> None:
    # Streaming or stalled (no bytes flowing), every connection must close promptly.
    loopback.default = Reply(chunks=100, duration=10, stall_after=3 if stalled else None)
    runner = Runner(loopback.settings())
    handle = runner.start(plan(ALL, [0.0, 1.0]))
    for i in range(len(handle.cells)):
        await wait_for_output(handle, i)
    t_cancel = time.monotonic()
    handle.cancel()
    events = [e async for e in handle.events()]
    assert time.monotonic() - t_cancel < 0.2
    gone = loopback.wait_disconnects(8, timeout=1)
    assert len(gone) == 8
    assert max(r.disconnected_at for r in gone) - t_cancel < 0.2
    await runner.aclose()
    for r in handle.results:
        assert r.status == "cancelled"
        assert r.output and f"model=m temperature={r.cell.temperature}:".startswith(
            r.output[:20]
        )  # partial text kept
    assert sum(type(e) is CellFailed for e in events) == 8
    assert type(events[-1]) is RunFinished


async def test_cancel_right_after_start(loopback: LoopbackServer) -> None:
    runner = Runner(loopback.settings())
    handle = runner.start(plan(ALL))
    handle.cancel()
    events = [e async for e in handle.events()]
    await runner.aclose()
    assert [r.status for r in handle.results] == ["cancelled"] * 4
    assert type(events[-1]) is RunFinished
    assert sum(type(e) is CellFailed for e in events) == 4


async def test_cancel_while_waiting_for_a_retry(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply(status=429, headers={"retry-after": "30"}))
    runner = Runner(loopback.settings())
    handle = runner.start(plan(["lo-openai:m"]))
    assert await asyncio.to_thread(loopback.wait_requests, 1, 2)
    await asyncio.sleep(0.05)
    handle.cancel()
    results = await asyncio.wait_for(handle.wait(), 1)
    await runner.aclose()
    assert results[0].status == "cancelled"


# -- concurrency ----------------------------------------------------------------------------


async def test_global_concurrency_limit(loopback: LoopbackServer) -> None:
    loopback.default = Reply(chunks=3, duration=0.1)
    runner = Runner(loopback.settings(concurrency=3))
    handle = await runner.run(plan(ALL, [0.0, 0.5, 1.0]))
    await runner.aclose()
    assert [r.status for r in handle.results] == ["ok"] * 12
    assert loopback.max_in_flight == 3  # the limit was reached, never passed


async def test_default_global_limit_is_eight(loopback: LoopbackServer) -> None:
    """No concurrency in the config: 16 cells on a provider allowing 16 run 8 at a time."""
    loopback.default = Reply(chunks=3, duration=0.3)
    settings = loopback.settings(max_concurrency=16)
    assert settings.defaults.concurrency == 8
    runner = Runner(settings)
    handle = await runner.run(plan(["lo-openai:m"], [0.0, 1.0], repeats=8))
    await runner.aclose()
    assert all(r.status == "ok" for r in handle.results)
    assert loopback.max_in_flight == 8


async def test_connect_timeout_is_an_error_naming_it(loopback: LoopbackServer) -> None:
    """A server that never accepts (a full listen backlog) times out at connect_timeout."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):  # fill the accept queue so the next SYN gets no answer
            f = socket.socket()
            f.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                f.connect(("127.0.0.1", port))
            fillers.append(f)
        settings = loopback.settings(connect_timeout=0.3, max_retries=0)
        settings.providers["lo-openai"].base_url = f"http://127.0.0.1:{port}/v1"
        runner = Runner(settings)
        t0 = time.monotonic()
        handle = await runner.run(plan(["lo-openai:m"]))
        await runner.aclose()
    finally:
        for f in fillers:
            f.close()
        listener.close()
    [result] = handle.results
    assert result.status == "error"
    assert "timed out: connect for 0.3 s" in (result.error or "")
    assert time.monotonic() - t0 < 2


async def test_per_provider_concurrency_limit(loopback: LoopbackServer) -> None:
    loopback.default = Reply(chunks=3, duration=0.3)  # long enough to overlap on a loaded machine
    settings = loopback.settings(max_concurrency={"lo-openai": 2, "lo-gemini": 1}, concurrency=16)
    runner = Runner(settings)
    handle = await runner.run(plan(["lo-openai:m", "lo-gemini:m", "lo-ollama:m"], repeats=5))
    await runner.aclose()
    assert all(r.status == "ok" for r in handle.results)
    assert loopback.max_in_flight_for("openai") == 2
    assert loopback.max_in_flight_for("gemini") == 1
    assert loopback.max_in_flight_for("ollama") == 5


async def test_cells_waiting_for_a_slot_say_so_and_their_clock_starts_at_the_send(
    loopback: LoopbackServer,
) -> None:
    """lo-openai runs one at a time: the two cells behind the first are reported queued (with
    the limit that holds them) until they get the slot; their time to first token does not
    include the wait."""
    loopback.default = Reply(chunks=3, duration=0.3)
    runner = Runner(loopback.settings(max_concurrency={"lo-openai": 1}, concurrency=8))
    handle = runner.start(plan(["lo-openai:m"], repeats=3))
    seen: dict[int, list[str]] = {}
    reasons: list[str] = []
    async for event in handle.events():
        cell = getattr(event, "cell", None)
        if cell is not None:
            seen.setdefault(cell.index, []).append(type(event).__name__)
        if type(event) is CellQueued:
            reasons.append(event.reason)
    await runner.aclose()
    assert all(r.status == "ok" for r in handle.results)
    flows = [[k for k in seen[i] if k != "CellDelta" and k != "CellUsage"] for i in range(3)]
    assert sorted(flows) == sorted(
        [
            ["CellStarted", "CellFinished"],
            ["CellStarted", "CellQueued", "CellSending", "CellFinished"],
            ["CellStarted", "CellQueued", "CellSending", "CellFinished"],
        ]
    )
    assert reasons == ["queued: lo-openai runs 1 at once (max_concurrency)"] * 2
    # the last cell waited ~0.6 s for the slot; its ttft is the server's, not the wait
    assert all(r.ttft_ms is not None and r.ttft_ms < 250 for r in handle.results)
    assert loopback.max_in_flight_for("openai") == 1


async def test_a_busy_provider_does_not_starve_the_others(loopback: LoopbackServer) -> None:
    # Global limit 2, lo-openai limited to 1 with four slow cells queued first: the ollama
    # cell must still get the free global slot at once.
    loopback.default = Reply(chunks=2, duration=0.3)
    settings = loopback.settings(max_concurrency={"lo-openai": 1}, concurrency=2)
    runner = Runner(settings)
    handle = await runner.run(plan(["lo-openai:m", "lo-ollama:m"], repeats=4))
    await runner.aclose()
    assert all(r.status == "ok" for r in handle.results)
    first_openai = min(r.started for r in loopback.requests_for("openai"))
    first_ollama = min(r.started for r in loopback.requests_for("ollama"))
    assert first_ollama - first_openai < 0.25  # not after the first openai cell's 0.3 s
    assert loopback.max_in_flight <= 2


async def test_httpx_own_transport_streams_the_same(loopback: LoopbackServer) -> None:
    """`[defaults] transport = "httpx"` (the escape hatch) gives the same results on every protocol."""
    loopback.default = Reply(chunks=5, duration=0.1)
    settings = loopback.settings()
    settings.defaults.transport = "httpx"
    runner = Runner(settings)
    handle = await runner.run(plan(ALL, [0.0]))
    await runner.aclose()
    assert [r.status for r in handle.results] == ["ok"] * len(ALL)
    for r in handle.results:
        assert r.output.startswith("model=m temperature=0.0:")
