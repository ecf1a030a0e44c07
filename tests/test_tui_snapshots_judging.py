"""SVG snapshots of judging in the TUI (pytest-textual-snapshot); each docstring says what to
see. Loopback models with scripted answers, timings pinned, one request at a time where the
order of answers matters. Update with ``pytest --snapshot-update`` after looking at the SVGs.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from judging_helpers import main_screen, wait_graded, write_workspace
from loopback import LoopbackServer, Reply
from tui_main_helpers import (
    all_done,
    cells_of,
    loopback_settings,
    open_store,
    pin_timings,
    type_text,
    wait_for,
)

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


def steady(app: Any) -> None:
    main_screen(app).editor.user_area.cursor_blink = False
    app.clear_notifications()


def test_badge_grid(snap_compare: Any, loopback: LoopbackServer, tmp_path: Path) -> None:
    """prompts/about.prompt with its three-case tests file, graded on two models, 120×36,
    the grid alone (Ctrl+G).

    Two cells side by side. gpt-a (left, focused, blue border): "Birds are wonderful
    animals.", the notice line "case 3/3 ✗ icontains: does not contain "bat" (any case)" and
    the badge "◑ 2/3" in red at the bottom right of its border. claude-b (right): "Birds are
    wonderful animals.", "case 1/3 ✗ icontains: does not contain "otter"…", badge "✗ 0/3".
    Under the grid the eval panel: "cases 3/3", then one row per model: "lo-openai:gpt-a
    t=0 2/3 67% 95% CI 21%–94% cost –" (2/3 and 67% red) and "lo-anthropic:claude-b t=0 0/3
    0% 95% CI 0%–56% cost –"; then the focused cell's case: "case 3/3 topic=bats ✗ failed",
    "✗ icontains: does not contain "bat"…" and "✗ judge: judge lo-openai:judge: it is about
    birds".
    """
    settings = write_workspace(
        tmp_path, loopback, models=["lo-openai:gpt-a", "lo-anthropic:claude-b"]
    )
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )

    async def ready(pilot: Any) -> None:
        await pilot.pause()
        app.screen.picker.set_selected(["lo-openai:gpt-a", "lo-anthropic:claude-b"])
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_graded(pilot, app)
        await pilot.press("ctrl+g")  # the grid alone: the form's estimate is not this picture's
        gpt = next(c for c in cells_of(app) if c.cell.model == "lo-openai:gpt-a")
        gpt.focus()
        pin_timings(app)
        steady(app)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(120, 36), run_before=ready)


def test_stability_view(snap_compare: Any, loopback: LoopbackServer, tmp_path: Path) -> None:
    """The stability view of a slot with five samples, 100×30, over the grid (Ctrl+G).

    A box over the five cells: "gpt-a · t=0.7 · 4/5 agree · 2 groups" (4/5 agree in
    yellow); "modal answer (#1, #2, #3, #4, normalized):" then "The answer is 42."; "odd ones
    out: #5 (n shows the next)" dimmed; then "between columns: run the prompt's test cases
    (Ctrl+R) to compare pass rates". Footer: esc Close, n Next odd one, m Run more samples.
    """
    settings = loopback_settings(
        loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0.7], max_concurrency=1
    )
    answers = itertools.chain(
        ["The answer is 42.", "The answer is 42.", "the answer is  42.", "The answer is 42."],
        itertools.repeat("I do not know, sorry."),
    )
    loopback.on_request = lambda rec: Reply(text=next(answers)) if rec.model else None
    app = make_app(settings, store=open_store(tmp_path))

    async def ready(pilot: Any) -> None:
        await pilot.pause()
        app.screen.form.params.set_values({"repeats": "5"})
        await type_text(pilot, "What is the answer?")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 5), timeout=30)
        await pilot.press("ctrl+g")  # the grid alone behind the view
        pin_timings(app)
        steady(app)
        cells_of(app)[0].focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "StabilityScreen")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)


def test_fragility_table(snap_compare: Any, loopback: LoopbackServer, tmp_path: Path) -> None:
    """The fragility view after six seeded variations on one case, 100×30.

    Header; "6 variations (case, edge-value, punctuation, reorder, typo, whitespace) × 1
    case"; a table with one row: "lo-openai:gpt-a │ 0 │ 6 │ 33% │ case-2 (1), whitespace-1
    (1)"; "most fragile sentence (highlighted below): “Answer in one sentence.”"; then the
    prompt "user: You are brief. Answer in one sentence. Write one sentence about
    {{topic}}." with "Answer in one sentence." black on yellow.
    """
    import json

    tests = "- vars: {topic: otters}\n  assert: [{type: icontains, value: otter}]\n"
    settings = write_workspace(tmp_path, loopback, tests=tests)

    def touchy(rec: Any) -> Reply | None:
        if "Answer in one sentence." not in json.dumps(rec.body.get("messages")):
            return Reply(text="Birds are wonderful animals.")
        return Reply(text="Otters are wonderful animals.")

    loopback.on_request = touchy
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )

    async def ready(pilot: Any) -> None:
        await pilot.pause()
        plan = app.screen.form.build_plan()
        app.screen.run_worker(app.screen.evals.fragility(plan, 6))
        await wait_for(pilot, lambda: type(app.screen).__name__ == "FragilityScreen", timeout=30)
        steady(app)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)
