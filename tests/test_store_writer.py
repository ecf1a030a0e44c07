"""No finished result is lost: recording writes leave the event loop (a writer thread), a write
that meets another process's lock waits and lands once the lock goes (the store says "busy"
meanwhile), close() writes everything before the program exits, and a run stopped with Ctrl-C
is recorded cancelled."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import clean_env, spawn
from loopback import LoopbackServer, Reply

from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.store import Store

TEXT = " ".join(f"word{i}" for i in range(30))

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()  # held until the test says so
conn.execute("COMMIT")
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "playground.db")
    yield opened
    opened.close()


def peek(db: Path | str, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def wait_for(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never saw {what}")
        await asyncio.sleep(0.01)


async def test_a_locked_database_delays_the_record_not_the_run(
    loopback: LoopbackServer, store: Store
) -> None:
    loopback.default = Reply(text=TEXT, chunks=30, delay=0.03)
    busy_seen = threading.Event()
    store.on_busy = lambda busy: busy and busy_seen.set()
    ticks = 0

    async def ticker() -> None:  # what a TUI's keystrokes need: a loop that keeps turning
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    tick_task = asyncio.create_task(ticker())
    runner = Runner(loopback.settings(), recorder=store)
    handle = runner.start(
        RunPlan(PromptTemplate.from_parts("", "Count."), models=["lo-openai:m"], temperatures=[0])
    )
    await wait_for(lambda: handle.results[0].output, "the first chunk")
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, store.path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        # (read blocking: the cell cannot end before the lock is held)
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        results = await handle.wait()  # the run ends while another process holds the lock
        await runner.aclose()
        assert results[0].status == "ok" and results[0].output == TEXT
        assert store.busy and busy_seen.is_set()
        ticks_while_busy = ticks
        await wait_for(lambda: ticks > ticks_while_busy + 5, "the loop turning while busy")
        # nothing of the end is in the database yet: it waits for the lock, not dropped
        assert peek(store.path, "SELECT status FROM responses") != [("ok",)]
        assert locker.poll() is None  # the lock was held the whole time
    finally:
        if locker.poll() is None:
            assert locker.stdin is not None
            locker.stdin.write("\n")
            locker.stdin.close()
        locker.wait(timeout=30)
        tick_task.cancel()
    store.flush()  # lands once the lock is gone
    assert not store.busy
    ((status, output, latency),) = peek(
        store.path, "SELECT status, output, latency_ms FROM responses"
    )
    assert (status, output) == ("ok", TEXT) and latency == pytest.approx(results[0].latency_ms)
    assert peek(store.path, "SELECT status FROM runs") == [("done",)]


async def test_close_writes_what_a_lock_held_back(loopback: LoopbackServer, tmp_path: Path) -> None:
    """close() (what the CLI and the TUI call on the way out) waits for the lock to go."""
    db = tmp_path / "closing.db"
    store = Store.open(db)
    loopback.default = Reply(text=TEXT, chunks=10, delay=0.03)
    runner = Runner(loopback.settings(), recorder=store)
    plan = RunPlan(
        PromptTemplate.from_parts("", "Count."), models=["lo-openai:m"], temperatures=[0]
    )
    handle = runner.start(plan)
    await wait_for(lambda: handle.results[0].output, "the first chunk")
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert locker.stdout is not None and locker.stdout.readline().strip() == b"locked"
    await handle.wait()
    await runner.aclose()
    closing = threading.Thread(target=store.close)
    closing.start()
    await wait_for(lambda: store.busy, "the store busy")
    assert closing.is_alive()  # close() waits: nothing is thrown away
    assert locker.stdin is not None
    locker.stdin.write(b"\n")
    locker.stdin.close()
    locker.wait(timeout=30)
    closing.join(timeout=60)
    assert not closing.is_alive()
    assert peek(db, "SELECT status, output FROM responses") == [("ok", TEXT)]


def test_ctrl_c_records_the_run_cancelled(loopback: LoopbackServer, tmp_path: Path) -> None:
    loopback.write_config(tmp_path)
    loopback.default = Reply(text=TEXT, chunks=30, delay=0.2)  # 6 s: stopped long before
    db = tmp_path / "sessions.db"
    proc = spawn(
        tmp_path,
        "run",
        "-p",
        "Count.",
        "-m",
        "lo-openai:m",
        "-t",
        "0",
        "--json",
        env=clean_env(tmp_path, **LoopbackServer.env()),
    )
    deadline = time.monotonic() + 30
    rows: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        try:
            rows = peek(db, "SELECT status, output FROM responses")
        except sqlite3.OperationalError:  # not created yet
            rows = []
        if rows and rows[0][1]:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"never saw the cell streaming: {rows} {proc.communicate()}")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    ((status, output),) = peek(db, "SELECT status, output FROM responses")
    assert status == "cancelled" and output and TEXT.startswith(output)
    assert peek(db, "SELECT status FROM runs") == [("cancelled",)]


async def test_the_tui_says_when_the_database_is_busy(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_main_helpers import (
        all_done,
        cells_of,
        isolate,
        loopback_settings,
        open_store,
        type_text,
    )
    from tui_main_helpers import wait_for as wait_in

    from playground.tui.app import make_app

    isolate(monkeypatch, tmp_path)
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:m"], temperatures=[0.0])
    store = open_store(tmp_path)
    loopback.default = Reply(text=TEXT, chunks=30, delay=0.03)
    app = make_app(settings, store=store)
    locker = None
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_text(pilot, "count")
            await pilot.press("ctrl+r")
            await wait_in(pilot, lambda: cells_of(app) and cells_of(app)[0].result.output)
            locker = subprocess.Popen(
                [sys.executable, "-c", LOCKER, store.path],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
            said = lambda: [n.message for n in app._notifications]  # noqa: E731
            await wait_in(pilot, lambda: any("database busy" in m for m in said()), 30)
            await wait_in(pilot, lambda: all_done(app, 1), 30)  # the lock held all along
            assert cells_of(app)[0].result.output == TEXT and locker.poll() is None
            assert locker.stdin is not None
            locker.stdin.write("\n")
            locker.stdin.close()
            locker.wait(timeout=30)
            await wait_in(pilot, lambda: any("database free" in m for m in said()), 30)
    finally:
        if locker is not None and locker.poll() is None:
            locker.kill()
        store.close()
    assert peek(store.path, "SELECT status, output FROM responses") == [("ok", TEXT)]


def test_run_waits_for_a_locked_database_before_it_exits(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """`playground run` with the database locked by another process: the answer is printed,
    stderr says the database is busy, and the process exits only once the row is written."""
    loopback.write_config(tmp_path)
    loopback.default = Reply(text=TEXT, chunks=30, delay=0.05)
    db = tmp_path / "sessions.db"
    proc = spawn(
        tmp_path,
        *("run", "-p", "Count.", "-m", "lo-openai:m", "-t", "0", "--json"),
        env=clean_env(tmp_path, **LoopbackServer.env()),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # streaming: its row exists
        try:
            if peek(db, "SELECT output FROM responses WHERE output != ''"):
                break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail(f"never saw the cell streaming: {proc.communicate()}")
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == b"locked"
        assert proc.stderr is not None
        said = [proc.stderr.readline()]  # blocks until the writer meets the lock
        while "database busy" not in said[-1] and said[-1] and len(said) < 20:
            said.append(proc.stderr.readline())
        assert "database busy" in said[-1], said
        assert proc.poll() is None  # waiting to write, not gone
    finally:
        assert locker.stdin is not None
        locker.stdin.write(b"\n")
        locker.stdin.close()
        locker.wait(timeout=30)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads(out)["cells"][0]["output"] == TEXT
    assert peek(db, "SELECT status, output FROM responses") == [("ok", TEXT)]
    assert peek(db, "SELECT status FROM runs") == [("done",)]


async def test_closing_the_store_mid_run_records_it_cancelled(
    loopback: LoopbackServer, store: Store
) -> None:
    """What a program that stops mid-run (a second Ctrl-C, the TUI quitting) leaves: the run and
    its unfinished cell recorded cancelled with the text so far, not running or done."""
    loopback.default = Reply(text=TEXT, chunks=30, delay=0.1)
    runner = Runner(loopback.settings(), recorder=store)
    handle = runner.start(
        RunPlan(PromptTemplate.from_parts("", "Count."), models=["lo-openai:m"], temperatures=[0])
    )
    await wait_for(
        lambda: peek(store.path, "SELECT output FROM responses WHERE output != ''"),
        "streamed text in the database",
    )
    store.close()
    handle.cancel()
    await handle.wait()  # its later events find the store closed: ignored
    await runner.aclose()
    ((status, output),) = peek(store.path, "SELECT status, output FROM responses")
    assert status == "cancelled" and output and TEXT.startswith(output)
    assert peek(store.path, "SELECT status FROM runs") == [("cancelled",)]
