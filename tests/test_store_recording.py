"""The store as the runner's recorder, driven by the real runner against loopback HTTP servers:
rows from the moment a cell starts, streamed text flushed within a second, the cache, ratings,
usage calibration, and no API key anywhere in the database file."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, Reply

from playground.config import Settings
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.store import Store, StoreError, plan_from_run
from playground.store.rawpack import unpack


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "playground.db")
    yield opened
    opened.close()


def plan_for(models: list[str], temps: list[float | None], repeats: int = 1, **kw: Any) -> RunPlan:
    return RunPlan(
        PromptTemplate.from_parts("Be brief.", "Tell me about {{animal}}."),
        variables={"animal": "otters"},
        models=models,
        temperatures=temps,
        repeats=repeats,
        max_tokens=64,
        **kw,
    )


async def run(settings: Settings, store: Store, plan: RunPlan) -> Any:
    runner = Runner(settings, recorder=store)
    try:
        return await runner.run(plan)
    finally:
        await runner.aclose()


def database_bytes(db: Path) -> bytes:
    """The database files' bytes, plus the raw responses they hold compressed, decompressed
    (a key must be in neither)."""
    blob = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))
    packed = peek(db, "SELECT raw_response_zst FROM responses WHERE raw_response_zst NOT NULL")
    assert packed, "no raw response recorded"
    return blob + b"".join(unpack(z).encode() for (z,) in packed)


def peek(db: Path, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    """What another process would see right now (a separate connection)."""
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


async def test_every_field_is_recorded_and_reads_back(
    loopback: LoopbackServer, store: Store
) -> None:
    loopback.default = Reply(text="Otters hold hands.", input_tokens=21, reasoning="thinking")
    handle = await run(loopback.settings(), store, plan_for(["lo-openai:gpt-x"], [0.2]))
    assert handle.session_id == store.session_id and handle.run_id is not None
    (result,) = handle.results
    row = store.get_response(result.id)
    assert row is not None
    assert row["run_id"] == handle.run_id and row["status"] == "ok"
    assert row["output"] == "Otters hold hands." and row["reasoning"] == "thinking"
    assert row["model"] == "lo-openai:gpt-x" and row["provider"] == "lo-openai"
    assert row["temperature"] == 0.2 and row["sample"] == 1
    assert row["input_tokens"] == 21 and row["usage_source"] == "provider"
    assert row["estimated_input_tokens"] == result.estimated_input_tokens > 0
    assert row["ttft_ms"] == result.ttft_ms and row["latency_ms"] == result.latency_ms
    assert row["finish_reason"] == "stop" and row["cached"] is False and row["rating"] is None
    assert row["request"]["body"]["messages"][1]["content"] == "Tell me about otters."
    assert row["started_at"] <= row["ended_at"]
    run_row = store.get_run(handle.run_id)
    assert run_row is not None and run_row["status"] == "done"
    plan = plan_from_run(run_row)
    assert plan.variables == {"animal": "otters"} and plan.max_tokens == 64
    assert plan.render()[1].content == "Tell me about otters."
    assert [r["id"] for r in store.responses_for_run(handle.run_id)] == [result.id]


async def test_rows_exist_from_the_start_and_text_reaches_the_db_within_a_second(
    loopback: LoopbackServer, store: Store
) -> None:
    words = [f"w{i}" for i in range(40)]
    loopback.default = Reply(text=" ".join(words), chunks=40, delay=0.035)  # 1.4 s of stream
    runner = Runner(loopback.settings(), recorder=store)
    handle = runner.start(plan_for(["lo-openai:slow"], [0.0, 1.0]))
    db = store.path
    # both rows exist before any answer arrives
    assert [r[0] for r in peek(db, "SELECT status FROM responses")] == ["pending", "pending"]
    seen: list[int] = []
    async for event in handle.events():
        if type(event).__name__ == "CellDelta" and not seen:
            t0 = time.monotonic()
            seen.append(0)
        if seen and time.monotonic() - t0 > 1.05 and len(seen) == 1:
            rows = peek(db, "SELECT status, output FROM responses ORDER BY id")
            assert all(status == "running" for status, _ in rows)
            assert all(0 < len(text) < len(" ".join(words)) for _, text in rows)
            seen.append(1)
    await runner.aclose()
    assert len(seen) == 2
    rows = peek(db, "SELECT status, output FROM responses ORDER BY id")
    assert rows == [("ok", " ".join(words))] * 2


async def test_a_stalled_stream_is_still_flushed_by_the_timer(
    loopback: LoopbackServer, store: Store
) -> None:
    loopback.default = Reply(text="first second", chunks=2, stall_after=1, stall_max=3)
    runner = Runner(loopback.settings(read_timeout=5), recorder=store)
    handle = runner.start(plan_for(["lo-openai:stall"], [0.0]))
    await asyncio.sleep(1.0)  # one piece arrived, then nothing: no further events
    ((partial,),) = peek(store.path, "SELECT output FROM responses")
    assert partial.strip() == "first"
    handle.cancel()
    await handle.wait()
    await runner.aclose()
    assert peek(store.path, "SELECT status, output FROM responses") == [("cancelled", partial)]


async def test_cache_hits_and_misses_follow_temperature_and_sample(
    loopback: LoopbackServer, store: Store
) -> None:
    settings = loopback.settings()
    first = await run(settings, store, plan_for(["lo-openai:m"], [0.0, 0.9], repeats=2))
    assert len(loopback.requests) == 4 and not any(r.cached for r in first.results)

    again = await run(settings, store, plan_for(["lo-openai:m"], [0.0, 0.9], repeats=2))
    assert len(loopback.requests) == 4  # nothing sent
    assert all(r.cached and r.status == "ok" for r in again.results)
    assert all(r.cost_usd is None for r in again.results)  # free, but unpriced stays unpriced
    assert all(r.latency_ms is not None and r.latency_ms < 50 for r in again.results)  # at once
    assert [r.output for r in again.results] == [r.output for r in first.results]
    assert [store.get_response(r.id)["cached_from"] for r in again.results] == [
        r.id for r in first.results
    ]

    # a third sample and a new temperature are new questions; the known ones are answered
    more = await run(settings, store, plan_for(["lo-openai:m"], [0.9, 0.5], repeats=3))
    sent = [(r.temperature, r.body["messages"][-1]["content"]) for r in loopback.requests[4:]]
    assert len(sent) == 4  # t=0.9 sample 3, t=0.5 samples 1-3
    assert [r.cached for r in more.results] == [True, True, False, False, False, False]

    # the cache can be bypassed
    bypass = await run(settings, store, plan_for(["lo-openai:m"], [0.0], use_cache=False))
    assert not bypass.results[0].cached and len(loopback.requests) == 9
    # an answer got with the cache off still answers a later run that uses it
    fresh = await run(settings, store, plan_for(["lo-openai:m"], [1.3], use_cache=False))
    assert len(loopback.requests) == 10
    later = await run(settings, store, plan_for(["lo-openai:m"], [1.3]))
    assert later.results[0].cached and len(loopback.requests) == 10
    assert later.results[0].output == fresh.results[0].output


async def test_errors_are_never_cached(loopback: LoopbackServer, store: Store) -> None:
    settings = loopback.settings(max_retries=0)
    loopback.enqueue(Reply(status=400, error_message="bad request"))
    failed = await run(settings, store, plan_for(["lo-openai:m"], [0.0]))
    assert failed.results[0].status == "error"
    assert store.get_response(failed.results[0].id)["error"]
    ok = await run(settings, store, plan_for(["lo-openai:m"], [0.0]))
    assert ok.results[0].status == "ok" and not ok.results[0].cached
    assert len(loopback.requests) == 2


async def test_no_api_key_reaches_the_database_file(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    keys = list(LoopbackServer.env().values())

    def echo_the_key(request: Any) -> Reply:
        # a careless server that repeats the credential it was sent, in the answer text
        secret = request.headers.get("authorization") or request.headers.get("x-api-key") or ""
        return Reply(text=f"you sent {secret} thanks")

    loopback.on_request = echo_the_key
    settings = loopback.settings()
    store.add_provider_keys({n: p.api_key_env for n, p in settings.providers.items()})
    models = ["lo-openai:a", "lo-anthropic:b", "lo-gemini:c"]
    handle = await run(settings, store, plan_for(models, [0.0, 0.7]))
    assert all(r.status == "ok" for r in handle.results)
    # the server did send keys back: hidden in the results run prints, as in the database
    assert any("[redacted]" in r.output for r in handle.results)
    store.close()
    blob = database_bytes(Path(store.path))
    assert b"thanks" in blob and b"[redacted]" in blob
    for key in keys:
        assert key.encode() not in blob


async def test_keys_in_variables_errors_and_urls_reach_neither_the_db_nor_the_results(
    loopback: LoopbackServer, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key pasted into a variable and the system prompt, a server quoting the key in a 401,
    and a password in a base URL: the database file and the results `run` prints hold none."""
    from playground.config import ProviderConfig

    key = LoopbackServer.env()["LO_OPENAI_KEY"]
    password = "hunter2-horse-battery"
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-pasted-into-a-variable")
    loopback.enqueue(Reply(status=401, error_message=f"Incorrect API key provided: {key}"))
    settings = loopback.settings(max_retries=0)
    settings.providers["lo-down"] = ProviderConfig(
        name="lo-down", kind="openai", base_url=f"http://alice:{password}@127.0.0.1:9/v1"
    )
    store.add_provider_keys({n: p.api_key_env for n, p in settings.providers.items()})
    plan = RunPlan(
        PromptTemplate.from_parts(f"Use key {key}.", "Call with {{token}}."),
        variables={"token": "tok-pasted-into-a-variable"},
        models=["lo-openai:a", "lo-down:b"],
        temperatures=[0.0],
        max_tokens=16,
    )
    handle = await run(settings, store, plan)
    unauthorized, down = handle.results
    assert (
        unauthorized.error == "HTTP 401: Incorrect API key provided: [redacted] (check the API key)"
    )
    assert "cannot connect to http://[redacted]@127.0.0.1:9/v1" in (down.error or "")
    assert password not in str(down.request)
    store.close()
    blob = database_bytes(Path(store.path))
    assert b"Incorrect API key provided: [redacted]" in blob and b"Call with" in blob
    for secret in (key, password, "tok-pasted-into-a-variable"):
        assert secret.encode() not in blob, secret


async def test_a_raw_response_hides_the_keys_its_body_can_hold(
    loopback: LoopbackServer, store: Store
) -> None:
    """Set up as the commands set it up (each provider's key known), a raw response's body is
    searched for its provider's own key and the keys in its request: a server quoting its key
    where no view shows it, a model repeating in one piece another provider's key that was
    pasted into the prompt; the inspect view's raw text holds neither."""
    env = LoopbackServer.env()
    own, other = env["LO_OPENAI_KEY"], env["LO_ANTHROPIC_KEY"]
    quoting = b'{"error": {"message": "upstream failed"}, "debug": {"auth": "%s"}}' % own.encode()

    def reply(request: Any) -> Reply:
        if request.kind == "openai":
            return Reply(status=500, body=quoting)
        return Reply(text=f"the other key is {other} indeed", chunks=1)

    loopback.on_request = reply
    settings = loopback.settings(max_retries=0)
    store.add_provider_keys({n: p.api_key_env for n, p in settings.providers.items()})
    plan = RunPlan(
        PromptTemplate.from_parts("", f"Repeat {other} for me."),
        models=["lo-openai:a", "lo-ollama:b"],
        temperatures=[0.0],
        max_tokens=16,
    )
    quoted, repeated = (await run(settings, store, plan)).results
    assert quoted.status == "error" and "upstream failed" in (quoted.error or "")
    assert repeated.status == "ok" and repeated.output == "the other key is [redacted] indeed"
    for result, kept in ((quoted, '"debug": {"auth": "[redacted]"}'), (repeated, "is [redacted]")):
        row = store.get_response(result.id)
        assert row is not None
        assert kept in row["raw_response"], row["raw_response"]
        assert own not in row["raw_response"] and other not in row["raw_response"]
    store.close()
    blob = database_bytes(Path(store.path))
    assert own.encode() not in blob and other.encode() not in blob


async def test_the_loops_connection_leaves_checkpoints_to_the_writer(
    loopback: LoopbackServer, store: Store
) -> None:
    """SQLite's WAL checkpoint (6-9 ms, every ~15 runs) never runs in a run's insert on the
    event loop: the store's own connection has autocheckpoint off, and the WAL still gets
    checkpointed (the writer thread's connection does it), so it does not grow without end."""
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    wal = Path(store.path + "-wal")
    loopback.default = Reply(text=" ".join(f"word{i}" for i in range(700)), chunks=20)
    settings = loopback.settings()

    def sequence() -> bytes:  # the WAL header's checkpoint sequence: a new one after each reset
        with wal.open("rb") as f:
            return f.read(16)[12:16]

    first = sequence()
    for take in range(40):
        plan = RunPlan(
            PromptTemplate.from_parts("", f"Tell me more, take {take}"),
            models=["lo-openai:a", "lo-ollama:b"],
            temperatures=[0.0, 0.5, 1.0],
            repeats=2,
        )
        await run(settings, store, plan)
        if sequence() != first:
            break
    assert sequence() != first, f"the WAL was never checkpointed ({wal.stat().st_size} bytes)"


async def test_two_runs_at_once_on_one_store_keep_their_cells_apart(
    loopback: LoopbackServer, store: Store
) -> None:
    settings = loopback.settings()
    runner = Runner(settings, recorder=store)
    a = runner.start(plan_for(["lo-openai:a"], [0.0, 0.5], use_cache=False))
    b = runner.start(plan_for(["lo-ollama:b"], [0.0, 0.5], use_cache=False))
    await asyncio.gather(a.wait(), b.wait())
    await runner.aclose()
    for handle, model in ((a, "model=a"), (b, "model=b")):
        rows = store.responses_for_run(handle.run_id)
        assert [r["output"] for r in rows] == [r.output for r in handle.results]
        assert all(r["output"].startswith(model) for r in rows)


async def test_opening_the_db_elsewhere_mid_run_leaves_live_cells_alone(
    loopback: LoopbackServer, store: Store
) -> None:
    loopback.default = Reply(text="a b c d e f", chunks=6, delay=0.1)
    runner = Runner(loopback.settings(), recorder=store)
    handle = runner.start(plan_for(["lo-openai:m"], [0.0]))
    await asyncio.sleep(0.2)
    other = Store.open(store.path)  # e.g. `playground history` while the TUI streams
    assert other.mark_interrupted() == 0
    other.close()
    await handle.wait()
    await runner.aclose()
    assert store.get_response(handle.results[0].id)["status"] == "ok"


def test_ratings(store: Store) -> None:
    handle = asyncio.run(run(Settings(), store, plan_for(["echo"], [0.0])))
    rid = handle.results[0].id
    store.rate(rid, -1)
    assert store.get_response(rid)["rating"] == {"score": -1, "note": None, "scale": "thumbs"}
    store.rate(rid, 4, "clear")
    assert store.get_response(rid)["rating"] == {"score": 4, "note": "clear", "scale": "stars"}
    for bad in (0, 6, -2, True):
        with pytest.raises(StoreError):
            store.rate(rid, bad)
    with pytest.raises(StoreError, match="no response 999"):
        store.rate(999, 1)


async def test_usage_stats_compare_provider_counts_with_estimates(
    loopback: LoopbackServer, store: Store
) -> None:
    settings = loopback.settings()
    assert store.usage_stats("lo-openai:cal") is None
    loopback.default = Reply(text="one two three", chunks=3, input_tokens=30, output_tokens=6)
    handle = await run(settings, store, plan_for(["lo-openai:cal"], [0.0, 0.3, 0.6]))
    estimate = handle.results[0].estimated_input_tokens
    # estimates only (no usage from the server) are not samples
    loopback.default = Reply(text="x", usage=False)
    await run(settings, store, plan_for(["lo-openai:cal"], [1.0]))
    stats = store.usage_stats("lo-openai:cal")
    assert stats is not None
    assert stats.samples == 3 and stats.avg_output_tokens == 6
    assert stats.input_ratio == pytest.approx(30 / estimate)


@pytest.mark.parametrize("reused", [False, True])
def test_cells_of_a_reused_pid_are_interrupted(tmp_path: Path, reused: bool) -> None:
    """A session's pid alive again is not enough: in a fresh container every app is PID 1.
    Cells are left alone only when that pid's process predates the session."""
    import os

    db = tmp_path / "playground.db"
    store = Store.open(db)
    store.new_session(source="test")
    asyncio.run(Runner(Settings(), recorder=store).run(plan_for(["echo"], [0.0])))
    created = "2020-01-01T00:00:00.000Z" if reused else None
    with store.lock:
        store.conn.execute("UPDATE responses SET status = 'running'")
        store.conn.execute(
            "UPDATE sessions SET pid = ?, created_at = COALESCE(?, created_at)",
            (os.getpid(), created),
        )
    store.close()
    again = Store.open(db)
    ((status,),) = peek(db, "SELECT status FROM responses")
    again.close()
    assert status == ("interrupted" if reused else "running")


async def test_a_cell_that_ends_while_another_streams_lands_before_the_run_ends(
    loopback: LoopbackServer, store: Store
) -> None:
    """The writer is not woken for an end while cells stream: the end lands with its next
    look (every FLUSH_INTERVAL), not only at the run's end."""
    loopback.enqueue(Reply(text="quick answer"), model="quick")
    loopback.enqueue(Reply(text="slow " * 60, chunks=60, delay=0.05), model="slow")  # 3 s
    runner = Runner(loopback.settings(), recorder=store)
    handle = runner.start(plan_for(["lo-openai:quick", "lo-openai:slow"], [0.0]))
    quick, slow = handle.results

    def statuses() -> dict[str, str]:
        return dict(peek(store.path, "SELECT model, status FROM responses"))

    while statuses().get("lo-openai:quick") != "ok":
        assert not handle.finished, "the quick cell's end waited for the run's end"
        await asyncio.sleep(0.02)
    assert quick.status == "ok" and statuses()["lo-openai:slow"] == "running"
    await handle.wait()
    await runner.aclose()
    assert statuses() == {"lo-openai:quick": "ok", "lo-openai:slow": "ok"}
    assert store.get_response(slow.id)["output"] == slow.output
