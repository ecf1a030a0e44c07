"""Judging in the TUI: Ctrl+R grades a prompt's test cases in every cell (badges, failed
assertions and why, summary rows), cases stepped through and opened in the form. Real HTTP to
loopback models with scripted answers; the same engine as `playground eval`."""

from __future__ import annotations

from pathlib import Path

import pytest
from judging_helpers import wait_graded, write_workspace
from loopback import LoopbackServer, Reply
from textual.widgets import Static
from tui_main_helpers import cells_of, open_store, wait_for

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


def notice_of(cell) -> str:
    return str(cell.query_one(".cell-notice", Static).render())


async def test_ctrl_r_grades_the_tests_file_in_every_cell(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = write_workspace(
        tmp_path, loopback, models=["lo-openai:gpt-a", "lo-anthropic:claude-b"]
    )
    store = open_store(tmp_path)
    app = make_app(settings, store=store, prompt_file=tmp_path / "prompts" / "about.prompt")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.picker.set_selected(["lo-openai:gpt-a", "lo-anthropic:claude-b"])
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_graded(pilot, app)
        gpt, claude = sorted(cells_of(app), key=lambda c: c.cell.model != "lo-openai:gpt-a")
        # gpt-a names otters and owls but says birds for bats: 2 of 3
        assert gpt.border_subtitle == "◑ 2/3"
        assert claude.border_subtitle == "✗ 0/3"
        assert gpt.has_class("-eval-fail") and claude.has_class("-eval-fail")
        # a cell shows its first failing case, and why it failed (the judge's reason too)
        assert notice_of(gpt).startswith("case 3/3 ✗ icontains: does not contain")
        assert gpt.result.output == "Birds are wonderful animals."
        gpt.focus()
        await pilot.pause()
        panel = screen.evals.panel.plain
        assert "case 3/3" in panel and "topic=bats" in panel
        assert "judge: judge lo-openai:judge: it is about birds" in panel
        # the summary rows: pass rate with its Wilson interval, per model × temperature
        assert "cases 3/3" in panel
        assert "lo-openai:gpt-a" in panel and "2/3  67%" in panel
        assert "95% CI 21%–94%" in panel  # Wilson 95% of 2/3
        assert "0/3  0%" in panel and "95% CI 0%–56%" in panel
        # stepping through the cases: ] goes to case 1 (wrapping), [ back to case 3
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: notice_of(gpt).startswith("case 1/3 ✓ passed"))
        assert gpt.result.output == "Otters are wonderful animals."
        assert "case 1/3 “otters are named”" in screen.evals.panel.plain
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: notice_of(gpt).startswith("case 2/3"))
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: notice_of(gpt).startswith("case 3/3 ✗"))
        # o: the failing case's variables go into the form
        await pilot.press("o")
        await wait_for(pilot, lambda: screen.form.variables.values().get("topic") == "bats")
        assert app.focused is screen.editor.user_area
        # the eval is in the store, as `playground eval` leaves it
        from playground.store.evals import get_eval, iter_results

        run_id = screen.evals.board.run_id
        assert run_id is not None
        row = get_eval(store, run_id)
        assert row["prompt_name"] == "about" and row["tests_path"].endswith("about.tests.yaml")
        results = list(iter_results(store, run_id))
        assert len(results) == 6
        assert sum(r["passed"] for r in results) == 2


async def test_a_plain_prompt_without_tests_runs_as_before(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = write_workspace(tmp_path, loopback, tests="")
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_for(
            pilot, lambda: cells_of(app) and all(c.ended for c in cells_of(app)), timeout=30
        )
        assert app.screen.evals.board is None
        assert not app.screen.evals.panel.has_class("-shown")
        cell = cells_of(app)[0]
        assert cell.border_subtitle == ""
        cell.focus()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert any("no cases on the grid" in str(n.message) for n in app._notifications)


async def test_cases_loaded_from_the_palette_share_the_default_assertions(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = write_workspace(tmp_path, loopback)
    (tmp_path / "rows.csv").write_text("topic\notters\nbats\n", encoding="utf-8")
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        message = app.screen.evals.load("rows.csv")
        assert message == "2 cases loaded from rows.csv: Ctrl+R runs them"
        await pilot.press("ctrl+r")
        await wait_graded(pilot, app)
        await pilot.pause()
        (cell,) = cells_of(app)
        # only the default max-length applies to dataset rows: both pass
        assert cell.border_subtitle == "✓ 2/2"
        assert cell.has_class("-eval-pass")


async def test_cases_over_budget_ask_first(loopback: LoopbackServer, tmp_path: Path) -> None:
    """One run of the matrix fits the budget; three cases of it do not: asked first."""
    extra = (
        '[models."lo-openai:gpt-a"]\nprice = { input_per_mtok = 10.0, output_per_mtok = 10.0 }\n'
    )
    settings = write_workspace(tmp_path, loopback, extra=extra)
    from playground.core.estimate import Estimator

    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        plan = app.screen.form.build_plan()
        estimator = Estimator(settings)
        try:
            plan_cost = estimator.estimate(plan).max_cost_usd
        finally:
            estimator.close()
        settings.defaults.budget_usd = plan_cost * 2  # one run fits, three cases do not
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", timeout=15)
        assert "These 3 runs of the matrix may cost up to" in str(
            app.screen.query_one("Label").render()
        )
        await pilot.press("n")
        await pilot.pause(0.2)
        assert app.screen.evals.board is None
        assert not loopback.requests_for(kind="openai")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", timeout=15)
        await pilot.press("y")
        await wait_graded(pilot, app)
        assert cells_of(app)[0].border_subtitle == "◑ 2/3"


async def test_escape_cancels_the_cases_in_flight(loopback: LoopbackServer, tmp_path: Path) -> None:
    settings = write_workspace(tmp_path, loopback)
    loopback.on_request = lambda rec: Reply(text="Otters, slowly.", stall_after=1)
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(loopback.requests_for(kind="openai")) == 3, timeout=15)
        await pilot.press("escape")
        board = await wait_graded(pilot, app)
        assert loopback.wait_disconnects(3, timeout=5)
        (cell,) = cells_of(app)
        assert cell.result.status == "cancelled"
        assert cell.border_subtitle == "✗ 0/3"
        assert notice_of(cell) == (
            "case 1/3 ✗ error: about.tests.yaml case 1: the call failed: cancelled"
        )
        assert "0/3  0%  95% CI 0%–56%  cost –  3 errors" in app.screen.evals.panel.plain
        assert board.cases_done == 3


async def test_unloading_the_cases_goes_back_to_plain_runs(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = write_workspace(tmp_path, loopback, tests="")
    (tmp_path / "rows.jsonl").write_text('{"topic": "otters"}\n{"topic": "owls"}\n')
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.evals.load("rows.jsonl").startswith("2 cases loaded from rows.jsonl")
        await pilot.press("ctrl+r")
        await wait_graded(pilot, app)
        assert cells_of(app)[0].border_subtitle == "✓ 2/2"  # no assertions: each case passes
        assert screen.evals.panel.has_class("-shown")
        screen.evals.unload()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.evals.board is None, timeout=15)
        await wait_for(pilot, lambda: all(c.ended for c in cells_of(app)), timeout=30)
        assert not screen.evals.panel.has_class("-shown")
        assert cells_of(app)[0].border_subtitle == ""


async def test_every_cell_shows_a_new_case_with_its_whole_figures_line(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """24 narrow cells (160×48: the form beside the results) with a new case to show each,
    as at the first verdicts: a few ticks show them all (a slice of cells each, so a key
    typed meanwhile is not held up), each with its whole figures line."""
    from judging_helpers import answer_by_topic, topic_of

    models = ["lo-openai:gpt-a", "lo-anthropic:claude-b", "lo-gemini:m3", "lo-ollama:m4"]
    settings = write_workspace(tmp_path, loopback, models=models)
    # the bats case answers late: the eval is still running while the cells are looked at
    loopback.on_request = lambda rec: (
        Reply(text="Bats.", first_delay=8) if topic_of(rec) == "bats" else answer_by_topic(rec)
    )
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-beside")
        screen.picker.set_selected(models)
        screen.query_one("#temperatures").value = "0, 1"
        screen.form.params.set_values({"repeats": "3"})
        await pilot.pause()
        await pilot.press("ctrl+r")
        evals = screen.evals
        await wait_for(
            pilot,
            lambda: (
                evals.board is not None
                and len(evals.widgets) == 24
                and all(len(evals.board.cells[i].results) == 2 for i in evals.widgets)
                and all(  # each cell's verdict on case 1 shown (not the line's placeholder)
                    notice_of(c).startswith("case 1/3 ") and notice_of(c) != "case 1/3 …"
                    for c in evals.widgets.values()
                )
            ),
            timeout=30,
        )
        board = evals.board
        assert not board.finished
        with evals._lock:  # every cell has another case to show: case 2
            for index in evals.widgets:
                board.cells[index].step(1)
            evals._dirty.update(evals.widgets)
        for _ in range(24):  # ticks: each shows a slice of the cells
            await evals.refresh()
            shown = [notice_of(c) for c in evals.widgets.values()]
            if all(line.startswith("case 2/3") for line in shown):
                break
        assert all(line.startswith("case 2/3") for line in shown), shown
        await pilot.pause()
        for cell in evals.widgets.values():
            figures = cell.query_one(".cell-figures", Static)
            width = figures.content_size.width
            assert "ttft" in str(figures.content)
            assert figures.visual.get_height(figures.styles, width) <= figures.content_size.height
        await wait_graded(pilot, app, timeout=60)
