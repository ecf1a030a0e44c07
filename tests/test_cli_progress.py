"""`playground run` on a terminal: a live per-cell progress display on stderr, gone at the end."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from cli_helpers import clean_env
from loopback import LoopbackServer, Reply


def run_on_a_terminal(
    tmp_path: Path, loopback: LoopbackServer, args: list[str], seconds: float
) -> tuple[int, str, str]:
    """``playground ARGS`` with a pseudo-terminal as its stderr and stdout a pipe: (exit code,
    everything written to the terminal, stdout), reading the terminal for up to ``seconds``."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "playground", *args],
        cwd=tmp_path,
        env=clean_env(tmp_path, **loopback.env(), TERM="xterm-256color"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    out, _ = proc.communicate(timeout=30)
    os.close(master)
    return proc.returncode, seen.decode("utf-8", "replace"), out.decode()


def test_live_progress_on_a_terminal_then_the_grid(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    loopback.write_config(tmp_path, max_concurrency={"lo-openai": 1})
    loopback.default = Reply(chunks=6, duration=0.9)
    code, screen, out = run_on_a_terminal(
        tmp_path, loopback, ["run", "-p", "hi", "-m", "lo-openai:m", "-t", "0", "-t", "1"], 30
    )
    assert code == 0
    # while streaming: one row per cell with its status; the second waits for the only slot
    assert "lo-openai:m · t=0" in screen and "lo-openai:m · t=1" in screen
    assert "running" in screen and "queued" in screen and "chars" in screen
    # the grid goes to stdout, the progress stays off it
    assert "2/2 ok" in out and "queued" not in out


def test_a_stalled_stream_says_how_long_it_has_been_silent(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """The server sends one piece and then nothing: the cell's row counts the silence up
    ("no data for 2 s", "no data for 3 s", ...) until the read timeout ends the cell."""
    loopback.write_config(tmp_path, read_timeout=5)
    loopback.default = Reply(chunks=4, stall_after=1, stall_max=60)
    code, screen, out = run_on_a_terminal(
        tmp_path, loopback, ["run", "-p", "hi", "-m", "lo-openai:m", "-t", "0"], 60
    )
    assert "no data for 2 s" in screen and "no data for 3 s" in screen
    assert code == 1  # then the read timeout ended it, an error like any other
    assert "timed out" in out
