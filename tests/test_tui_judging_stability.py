"""Stability at a glance: `a` on a cell groups its slot's samples ("4/5 agree"), shows the
modal answer with the odd ones out one key away, and (with cases) a paired test against the
other columns, how many more samples would decide it, and `m` to run them."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from judging_helpers import answer_by_topic, wait_graded, write_workspace
from loopback import LoopbackServer, RecordedRequest, Reply
from tui_main_helpers import all_done, cells_of, loopback_settings, open_store, type_text, wait_for

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


async def test_a_groups_the_slot_and_shows_the_odd_one_out(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0.7])
    answers = itertools.chain(
        ["The answer is 42.", "The answer is 42.", "the answer is  42.", "The answer is 42."],
        itertools.repeat("I do not know, sorry."),
    )
    loopback.on_request = lambda rec: Reply(text=next(answers)) if rec.model else None
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.screen.form.params.set_values({"repeats": "5"})
        await type_text(pilot, "What is the answer?")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 5), timeout=30)
        cells = cells_of(app)
        odd = next(c for c in cells if c.result.output.startswith("I do not"))
        cells[0].focus()
        await pilot.press("a")
        screen = await wait_for(
            pilot, lambda: app.screen if type(app.screen).__name__ == "StabilityScreen" else None
        )
        text = screen.plain
        assert "gpt-a · t=0.7 · 4/5 agree · 2 groups" in text
        assert "modal answer (" in text and "normalized):\nThe answer is 42." in text
        assert f"odd ones out: #{odd.cell.sample} (n shows the next)" in text
        assert "run the prompt's test cases (Ctrl+R) to compare" in text
        await pilot.press("n")
        assert f"odd one out #{odd.cell.sample} (group 2 of 2):\nI do not know, sorry." in (
            screen.plain
        )
        await pilot.press("n")  # past the last odd one: back to the modal answer
        assert "modal answer (" in screen.plain
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")


async def test_columns_are_compared_on_shared_samples_and_m_runs_more(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = write_workspace(tmp_path, loopback, models=["lo-openai:gpt-a"])
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )
    requests: list[RecordedRequest] = []

    def answer(rec: RecordedRequest) -> Reply | None:
        if rec.model in ("gpt-a", "claude-b"):
            requests.append(rec)
        return answer_by_topic(rec)

    loopback.on_request = answer
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.picker.set_selected(["lo-openai:gpt-a", "lo-anthropic:claude-b"])
        screen.form.params.set_values({"repeats": "2"})
        await pilot.pause()
        await pilot.press("ctrl+r")
        board = await wait_graded(pilot, app)
        assert board.plan.repeats == 2 and len(cells_of(app)) == 4
        gpt = next(c for c in cells_of(app) if c.cell.model == "lo-openai:gpt-a")
        gpt.focus()
        await pilot.press("a")
        view = await wait_for(
            pilot, lambda: app.screen if type(app.screen).__name__ == "StabilityScreen" else None
        )
        text = view.plain
        assert "case 3 · 2/2 agree" in text  # both samples of bats say birds
        # gpt-a passes otters and owls on both samples (4 of 6), claude-b none: 4 discordant
        # pairs, p = 2 × 0.5^4 = 0.125, undecided
        assert (
            "vs lo-anthropic:claude-b t=0: 4/6 here, 0/6 there, p=0.125: undecided; "
            f"~{view.more_samples} more samples would tell" in text
        )
        assert view.more_samples and f"m runs {view.more_samples} more samples" in text
        calls = len(requests)
        await pilot.press("m")
        await wait_for(pilot, lambda: screen.evals.board is not board, timeout=10)
        board2 = await wait_graded(pilot, app)
        assert board2.plan.repeats > 2
        # the samples answered before came from the cache: only the new ones were called
        assert len(requests) - calls == 2 * 3 * (board2.plan.repeats - 2)
