"""SVG snapshots of the layout at 80×24 and 160×48 (pytest-textual-snapshot); each docstring
says what a reviewer should see. Timings are pinned, replies scripted (loopback, echo), so
the pictures change only when the screens do. Update with ``pytest --snapshot-update`` after
looking at the new SVGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer
from test_tui_snapshots_main import no_secret_drawn
from test_tui_snapshots_screens import diff_host
from tui_main_helpers import (
    all_done,
    exact_counts_shown,
    loopback_settings,
    open_store,
    pin_timings,
    type_text,
    wait_for,
)

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


async def finished(pilot: Any, cells: int) -> None:
    """Type a short prompt, run it, wait for every cell and the exact counts, pin timings."""
    await type_text(pilot, "hello")
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: all_done(pilot.app, cells))
    await wait_for(pilot, lambda: exact_counts_shown(pilot.app))
    pin_timings(pilot.app)
    pilot.app.screen.editor.user_area.cursor_blink = False
    pilot.app.screen.set_focus(None)
    await pilot.pause(0.1)
    no_secret_drawn(pilot.app)


def test_main_160x48_three_models_done(
    snap_compare: Any, loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Three models × two temperatures after the run, 160×48: the form LEFT of the results.

    Left column (about 48 wide, under half the screen): "System", "User" with "hello", then
    under a rule "Models" with lo-openai:gpt-a, lo-anthropic:claude-b, lo-gemini:gem-c ticked,
    "Temperatures 0, 0.7", max tok 512. Right, over the full height: the estimate bar "6 calls
    · unpriced │ …", the summary "6 cells: 6 ok · unpriced · … wall 0.90 s", then a 3×2 grid
    of cells, ✓ in green in each title, every border whole, each answer "model=… temperature=…:
    Hello from the loopback server, streaming one word at a time." over its figures line.
    """
    models = ["lo-openai:gpt-a", "lo-anthropic:claude-b", "lo-gemini:gem-c"]
    settings = loopback_settings(loopback, tmp_path, models=models)
    app = make_app(settings, store=open_store(tmp_path))
    assert snap_compare(app, terminal_size=(160, 48), run_before=lambda p: finished(p, 6))


def test_main_80x24_no_keys_notice_after_a_run(snap_compare: Any, tmp_path: Path) -> None:
    """No API key, echo at t=0 and t=0.7 after a run, 80×24.

    Under the header, the yellow two-line notice "No API keys found: export OPENAI_API_KEY=…
    …". The form: System, User "hello", Models (echo ticked, openai models greyed "set
    OPENAI_API_KEY"), Temperatures "0, 0.7". Then the estimate bar, the summary "2 cells: 2 ok
    · …", and the first cell "✓ echo · t=0" WHOLE: its rounded top border, "[echo
    temperature=0.0 max_tokens=512]", "user: hello", the figures line, and its bottom border
    "╰──…──╯" just above the footer (the second cell is below, reached with ↓).
    """
    from playground.config import load_settings

    (tmp_path / "playground.toml").write_text(
        '[defaults]\nmodels = ["echo"]\ntemperatures = [0, 0.7]\n', encoding="utf-8"
    )
    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))

    async def ready(pilot: Any) -> None:
        await wait_for(pilot, lambda: pilot.app.screen.query("ModelPicker"))
        picker = pilot.app.screen.picker
        await wait_for(pilot, lambda: "checking" not in picker.entries["ollama:*"].reason)
        await finished(pilot, 2)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_diff_side_by_side_80x24(snap_compare: Any) -> None:
    """The diff side by side (after pressing b), 80×24.

    Heads: "− openai:gpt-4.1-mini · t=0" (red) over the left column, "+ anthropic:claude-
    haiku-4-5 · t=0.7" (green) over the right. Body, two columns split by "│": row 1 left
    "Otters hold hands while they sleep…" with "Otters" and "hands" red on a red tint, right
    "Sea otters hold paws while…" with "Sea otters" and "paws" green on a green tint, each
    folded over several lines; the stone sentence plain on both sides; last, a hatched "╱╱╱"
    filler on the left beside the green "A group of resting otters is called a raft.".
    Footer: esc Close, w Word/line, s Swap sides, b Side by side.
    """
    assert snap_compare(diff_host(), press=["b"], terminal_size=(80, 24))


def test_diff_side_by_side_160x48(snap_compare: Any) -> None:
    """The same diff side by side at 160×48: each column is wide enough for the first
    sentence on one line, so three rows: the changed sentence (red words left, green right),
    the stone sentence plain on both, and the raft sentence green on the right beside the
    hatched filler."""
    assert snap_compare(diff_host(), press=["b"], terminal_size=(160, 48))
