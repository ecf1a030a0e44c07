"""The TUI's history pane: conversation history typed as turns, sent where Dotprompt places it,
never written to the prompt file."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_main_helpers import all_done, cells_of, open_store, wait_for

from playground.core.template import Message
from playground.library.reference import render_reference
from playground.tui.app import make_app
from playground.tui.screens.main.form import PlanError
from playground.tui.widgets.history_pane import HistoryError, HistoryPane, parse_history

TEXT = '---\nmodel: echo\nconfig:\n  temperature: 0\n---\n{{role "system"}}Be brief.\n{{history}}\n{{role "user"}}And seals?\n'
PAST = [Message("user", "What is an otter?\nA real one."), Message("assistant", "A mammal.")]


pytestmark = pytest.mark.usefixtures("isolated")


def _app(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    from playground.config import load_settings

    path = tmp_path / "chat.prompt"
    path.write_text(text, encoding="utf-8")
    return make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path), prompt_file=path)


async def test_typed_turns_are_sent_where_dotprompt_places_them(tmp_path: Path) -> None:
    app = _app(tmp_path, TEXT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(HistoryPane)
        await wait_for(pilot, lambda: pane.display and not pane.collapsed)  # the file wants it
        area = pane.query_one("#history-text")
        area.focus()
        area.insert("user: What is an otter?\nA real one.\nassistant: A mammal.\n")
        await wait_for(pilot, lambda: pane.title == "History (2 turns)")
        plan = app.screen.build_plan()
        assert plan.history == PAST
        assert plan.render() == render_reference(TEXT, {}, PAST)
        app.screen.editor.focus()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        output = cells_of(app)[0].text
        assert output.index("Be brief.") < output.index("A real one.") < output.index("seals")
    assert (tmp_path / "chat.prompt").read_text(encoding="utf-8") == TEXT


async def test_unreadable_history_is_one_line_and_nothing_runs(tmp_path: Path) -> None:
    app = _app(tmp_path, TEXT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(HistoryPane)
        pane.query_one("#history-text").insert("hello there\n")
        await wait_for(pilot, lambda: pane.title == "History (cannot be read)")
        with pytest.raises(PlanError, match="history line 1: start each turn with user:"):
            app.screen.build_plan()


async def test_a_prompt_without_history_keeps_the_pane_out_of_the_way(tmp_path: Path) -> None:
    app = _app(tmp_path, '---\nmodel: echo\n---\n{{role "user"}}Hi\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not [pane for pane in app.screen.query(HistoryPane) if pane.display]
        assert app.screen.build_plan().history == []


async def test_a_reopened_plan_with_history_shows_its_turns(tmp_path: Path) -> None:
    """The pane is built when a plan brings history (it is not mounted for the first frame)."""
    app = _app(tmp_path, '---\nmodel: echo\n---\n{{role "user"}}Hi\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        plan = app.screen.build_plan()
        plan.history = PAST
        app.screen.form.restore(plan)
        await wait_for(pilot, lambda: bool(app.screen.query(HistoryPane)))
        pane = app.screen.query_one(HistoryPane)
        await wait_for(pilot, lambda: pane.display and pane.title == "History (2 turns)")
        assert pane.collapsed  # shown, not opened: the turns are a line away
        assert app.screen.build_plan().history == PAST


def test_turns_and_json_read_the_same() -> None:
    typed = "user: a\n\nb\nmodel: c\n"
    pasted = '[{"role": "user", "content": "a\\n\\nb"}, {"role": "model", "content": "c"}]'
    expected = [Message("user", "a\n\nb"), Message("assistant", "c")]
    assert parse_history(typed) == parse_history(pasted) == expected
    assert parse_history("  \n") == []
    with pytest.raises(HistoryError, match="history item 1: role 'bot'"):
        parse_history('[{"role": "bot", "content": "x"}]')
