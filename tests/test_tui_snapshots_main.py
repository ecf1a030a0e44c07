"""SVG snapshots of the main screen (pytest-textual-snapshot); each docstring says what to see.

Deterministic: loopback servers with scripted replies (a stalled stream for "streaming"),
timings pinned to fixed values before the picture, no real key and no real Ollama. Every
picture is also checked for the test keys that are in the environment: none may show.
Update with ``pytest --snapshot-update`` after looking at the new SVGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, Reply
from tui_main_helpers import (
    all_done,
    cells_of,
    exact_counts_shown,
    loopback_settings,
    open_store,
    pin_timings,
    type_text,
    wait_for,
)

from playground.tui.app import make_app

SECRETS = [*LoopbackServer.env().values(), "sk-snapshot-secret"]
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / Path(__file__).stem


pytestmark = pytest.mark.usefixtures("isolated")


def no_secret_drawn(app: Any) -> None:
    svg = app.export_screenshot()
    for secret in SECRETS:
        assert secret not in svg


def test_first_start_without_keys(snap_compare: Any, tmp_path: Path, monkeypatch) -> None:
    """First start, no API keys, 80×24.

    Under the header, a yellow line: "No API keys found: export OPENAI_API_KEY=… (or
    ANTHROPIC_/GEMINI_/OPENROUTER_), or use echo / local Ollama". Left: "System" (empty,
    placeholder) and "User" with the cursor in it. Right: Models with echo first and
    selected, then openai/anthropic models greyed with "set OPENAI_API_KEY" etc.;
    Temperatures "0, 0.7"; max tok 512. The estimate bar: "2 calls · in $0 · worst $0 │
    echo ≈… tok". Below: the hint "Ctrl+R runs the prompt…". Footer: ^r Run, esc Cancel,
    ^o History, ^g Grid, ^n Cache, f3 Results.
    """
    monkeypatch.setenv("OPENAI_API_KEY", "")  # present but empty: still "no key"
    from playground.config import load_settings

    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))

    async def ready(pilot: Any) -> None:
        await wait_for(pilot, lambda: pilot.app.screen.query("ModelPicker"))
        picker = pilot.app.screen.picker
        await wait_for(pilot, lambda: "checking" not in picker.entries["ollama:*"].reason)
        await wait_for(pilot, lambda: exact_counts_shown(pilot.app))
        pilot.app.screen.editor.user_area.cursor_blink = False  # a steady cursor, a stable SVG
        await pilot.pause(0.1)
        no_secret_drawn(pilot.app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_streaming(snap_compare: Any, loopback: LoopbackServer, tmp_path: Path) -> None:
    """Two models, one temperature, mid-stream (the server stalls after 4 pieces), 100×30.

    The prompt "Tell me about {{topic}}" with the variable row "topic  otters". Two cells
    side by side, titled "● lo-openai:gpt-a · t=0" and "● lo-anthropic:claude-b · t=0" (● in
    the primary colour: running), each showing its first four words "model=… temperature=0.0:
    Hello from" at the top, exactly as received, an empty figures line, and "streaming… N
    chars" on the right of the bottom border. The estimate bar: "2 calls · unpriced │ gpt-a
    ≈12 tok · claude-b 21 tok" (the loopback's Anthropic counts exactly: no ≈).
    """
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    loopback.default = Reply(stall_after=4, stall_max=10)
    app = make_app(settings, store=open_store(tmp_path))

    async def run(pilot: Any) -> None:
        await type_text(pilot, "Tell me about {{topic}}")
        await wait_for(pilot, lambda: pilot.app.screen.query("#var-topic"))
        pilot.app.screen.query_one("#var-topic").value = "otters"
        await pilot.press("ctrl+r")
        posts = lambda: [r for r in loopback.requests if r.method == "POST"]  # noqa: E731
        await wait_for(pilot, lambda: len(posts()) == 2)
        await wait_for(pilot, lambda: all(r.pieces_sent == 4 for r in posts()))
        await wait_for(
            pilot,
            lambda: all(c.shown_text.endswith("from ") for c in cells_of(pilot.app)),
        )
        await wait_for(pilot, lambda: exact_counts_shown(pilot.app))
        pilot.app.screen.set_focus(None)
        await pilot.pause(0.2)
        no_secret_drawn(pilot.app)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run)


def test_finished_with_figures(snap_compare: Any, loopback: LoopbackServer, tmp_path: Path) -> None:
    """A finished 2×2 matrix, 120×36.

    Four cells, ✓ in green in each title: columns lo-openai:gpt-a and lo-anthropic:claude-b,
    rows t=0 and t=0.7. Each shows "model=… temperature=…: Hello from the loopback server,
    streaming one word at a time." and the figures "ttft 120 ms · 0.90 s · 11 in / 13 out ·
    17 tok/s · unpriced". The estimate bar: "4 calls · unpriced │ gpt-a ≈11 tok · claude-b 19
    tok" (exact for the loopback's Anthropic). Under it, the run's summary: "4 cells: 4 ok ·
    unpriced · 44 in / 52 out tok · wall 0.90 s".
    """
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))

    async def run(pilot: Any) -> None:
        await type_text(pilot, "Say hello")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(pilot.app, 4))
        await wait_for(pilot, lambda: exact_counts_shown(pilot.app))
        pin_timings(pilot.app)
        pilot.app.screen.set_focus(None)
        await pilot.pause(0.1)
        no_secret_drawn(pilot.app)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run)


def test_error_cell(snap_compare: Any, loopback: LoopbackServer, tmp_path: Path) -> None:
    """One failing model beside one that answered, 100×30.

    Left cell titled "✗ lo-openai:bad · t=0" with a red border, empty body, then in red
    "✗ HTTP 400: model bad does not exist" over "ttft 120 ms · 0.04 s". Right cell
    "✓ lo-gemini:good · t=0" with its answer and "… 11 in / 13 out · 17 tok/s · unpriced".
    The estimate bar: "2 calls · unpriced │ bad ≈9 tok · good 29 tok" (Gemini counts exactly),
    and under it the summary "2 cells: 1 ok, 1 failed · unpriced · 11 in / 13 out tok · wall
    0.90 s".
    """
    settings = loopback_settings(
        loopback, tmp_path, temperatures=[0.0], models=["lo-openai:bad", "lo-gemini:good"]
    )
    loopback.enqueue(Reply(status=400, error_message="model bad does not exist"), model="bad")
    app = make_app(settings, store=open_store(tmp_path))

    async def run(pilot: Any) -> None:
        await type_text(pilot, "Say hello")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(pilot.app, 2))
        await wait_for(pilot, lambda: exact_counts_shown(pilot.app))
        pin_timings(pilot.app)
        pilot.app.screen.set_focus(None)
        await pilot.pause(0.1)
        no_secret_drawn(pilot.app)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run)
