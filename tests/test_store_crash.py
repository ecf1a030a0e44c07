"""Real `playground run` processes against one database: two writing at once, and one killed
with SIGKILL mid-stream, after which the next start finds finished cells intact and the
in-flight ones interrupted with their partial text."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import clean_env, spawn
from loopback import LoopbackServer, Reply

from playground.store import Store

SLOW_TEXT = " ".join(f"word{i}" for i in range(200))


def env_for(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path, **LoopbackServer.env())


def playground(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return spawn(tmp_path, *args, env=env_for(tmp_path))


def peek(db: Path, sql: str) -> list[tuple[Any, ...]]:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return []
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        conn.close()


def test_kill_9_mid_stream_then_restart(loopback: LoopbackServer, tmp_path: Path) -> None:
    loopback.write_config(tmp_path)

    def script(request: Any) -> Reply:
        if request.model == "slow":  # 200 words over 10 s: killed long before the end
            return Reply(text=SLOW_TEXT, delay=0.05)
        return Reply(text="quick answer")

    loopback.on_request = script
    db = tmp_path / "sessions.db"
    proc = playground(
        tmp_path, "run", "-p", "Hi {{x}}", "--var", "x=there", "-m", "lo-openai:fast",
        "-m", "lo-openai:slow", "-t", "0", "-t", "0.7", "--json",
    )  # fmt: skip
    deadline = time.monotonic() + 20
    rows: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        rows = peek(db, "SELECT model, status, output FROM responses ORDER BY id")
        fast = [r for r in rows if r[0] == "lo-openai:fast"]
        slow = [r for r in rows if r[0] == "lo-openai:slow"]
        if (
            len(rows) == 4
            and all(r[1] == "ok" for r in fast)
            and all(r[1] == "running" and r[2] for r in slow)
        ):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"never saw finished and streaming cells: {rows} {proc.communicate()}")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)  # reaped: its pid is gone
    assert proc.returncode == -signal.SIGKILL

    store = Store.open(db)  # the next start
    (run,) = store.list_runs()
    assert store.get_run(run["id"])["status"] == "interrupted"
    cells = store.responses_for_run(run["id"])
    assert [(c["model"], c["temperature"]) for c in cells] == [
        ("lo-openai:fast", 0.0),
        ("lo-openai:fast", 0.7),
        ("lo-openai:slow", 0.0),
        ("lo-openai:slow", 0.7),
    ]
    for cell in cells[:2]:
        assert cell["status"] == "ok" and cell["output"] == "quick answer"
        assert cell["input_tokens"] == 11 and cell["ended_at"]
    for cell in cells[2:]:
        assert cell["status"] == "interrupted" and "stopped" in cell["error"]
        assert cell["output"] and SLOW_TEXT.startswith(cell["output"])
        assert len(cell["output"]) < len(SLOW_TEXT)
    store.close()

    # and the run shows in history with its failed cells
    out = subprocess.run(
        [sys.executable, "-m", "playground", "history", "--json"],
        cwd=tmp_path,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    (listed,) = json.loads(out.stdout)
    assert listed["failed_count"] == 2 and listed["ok_count"] == 2


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    args = ("run", "-p", "Count to {{n}}", "-m", "echo", "-t", "0", "-t", "1", "--repeat", "8")
    procs = [playground(tmp_path, *args, "--var", f"n={n}", "--json") for n in (3, 4)]
    docs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        docs.append(json.loads(out))
    assert docs[0]["run_id"] != docs[1]["run_id"]
    assert docs[0]["session_id"] != docs[1]["session_id"]
    store = Store.open(tmp_path / "sessions.db")
    for doc in docs:
        rows = store.responses_for_run(doc["run_id"])
        assert len(rows) == 16 and all(r["status"] == "ok" for r in rows)
        assert [r["id"] for r in rows] == [c["id"] for c in doc["cells"]]
        assert [r["output"] for r in rows] == [c["output"] for c in doc["cells"]]
    store.close()
