"""`v` on the grid: this run against the previous run of the same prompt, per cell the word
diff and the change in pass/fail, tokens, cost and latency (core/evals/compare)."""

from __future__ import annotations

from pathlib import Path

import pytest
from judging_helpers import answer_by_topic, topic_of, wait_graded, write_workspace
from loopback import LoopbackServer, RecordedRequest, Reply
from tui_main_helpers import cells_of, open_store, wait_for

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


async def test_v_compares_with_the_previous_eval_of_the_prompt(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = write_workspace(tmp_path, loopback)
    store = open_store(tmp_path)
    app = make_app(settings, store=store, prompt_file=tmp_path / "prompts" / "about.prompt")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        first = await wait_graded(pilot, app)
        (cell,) = cells_of(app)
        cell.focus()
        await pilot.press("v")  # nothing before it
        await wait_for(
            pilot,
            lambda: any(
                "no earlier run of this prompt" in str(n.message) for n in app._notifications
            ),
        )

        def fixed(rec: RecordedRequest) -> Reply | None:
            if rec.model == "gpt-a" and topic_of(rec) == "bats":
                return Reply(text="Bats are wonderful animals.")
            if rec.model == "judge":
                return Reply(text='{"pass": true, "score": 0.9, "reason": "about bats"}')
            return answer_by_topic(rec)

        loopback.on_request = fixed
        await pilot.press("ctrl+n")  # cache off: every cell calls its model again
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.evals.board is not first)
        second = await wait_graded(pilot, app)
        assert second.run_id != first.run_id
        (cell,) = cells_of(app)
        assert cell.border_subtitle == "✓ 3/3"
        cell.focus()
        await pilot.press("v")
        view = await wait_for(
            pilot, lambda: app.screen if type(app.screen).__name__ == "CompareRunsScreen" else None
        )
        text = view.plain
        assert f"run {first.run_id} → run {second.run_id}" in str(
            view.query_one("#cmp-totals").render()
        )
        assert "passed                    2 → 3" in text
        assert "lo-openai:gpt-a: 2/3 → 3/3, p=1: undecided" in text
        # the changed cell first: its verdict and its word diff
        assert view.changes[0].verdict == "fixed"
        assert "case 3 · lo-openai:gpt-a t=0 #1 · FIXED · +1/-1 words · tokens +0 · cost –" in text
        assert "case 1 · lo-openai:gpt-a t=0 #1 · ✓ still passes · +0/-0 words" in text
        diff = view.query_one("#cmp-view")
        assert (diff.left, diff.right) == (
            "Birds are wonderful animals.",
            "Bats are wonderful animals.",
        )
        assert [(s.op, s.text.strip()) for s in diff.spans if s.op != "equal"] == [
            ("delete", "Birds"),
            ("insert", "Bats"),
        ]
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")


async def test_v_compares_two_plain_runs_of_the_same_prompt(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    from tui_main_helpers import all_done, loopback_settings, type_text

    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0])
    replies = iter(["One two three.", "One two four."])
    loopback.on_request = lambda rec: Reply(text=next(replies)) if rec.model else None
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await type_text(pilot, "Count")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1), timeout=30)
        first = cells_of(app)[0]
        await wait_for(pilot, lambda: first.result.output == "One two three.")
        await pilot.press("ctrl+n")  # cache off
        await pilot.press("ctrl+r")
        await wait_for(
            pilot,
            lambda: all_done(app, 1) and cells_of(app)[0].result.output == "One two four.",
            timeout=30,
        )
        cells_of(app)[0].focus()
        await pilot.press("v")
        view = await wait_for(
            pilot, lambda: app.screen if type(app.screen).__name__ == "CompareRunsScreen" else None
        )
        assert not view.doc["evals"]
        assert not any(line.startswith("passed") for line in view.plain.splitlines())
        assert "lo-openai:gpt-a t=0 #1 · +1/-1 words · tokens +0" in view.plain
        diff = view.query_one("#cmp-view")
        assert (diff.left, diff.right) == ("One two three.", "One two four.")
