"""The main screen driven like a user would, against loopback servers speaking real HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, Reply
from textual.widgets import Static
from tui_main_helpers import (
    all_done,
    cells_of,
    loopback_settings,
    open_store,
    reopen_the_only_run,
    type_text,
    wait_for,
)

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


def error_text(cell) -> str:
    return str(cell.query_one(".cell-error", Static).render())


def figures_text(cell) -> str:
    return str(cell.query_one(".cell-figures", Static).render())


async def test_first_start_without_keys_is_usable_with_echo(tmp_path: Path) -> None:
    from playground.config import load_settings

    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "user"
        notice = str(app.screen.query_one("#notice", Static).render())
        assert "No API keys found: export OPENAI_API_KEY=" in notice
        assert app.screen.picker.selected == ["echo"]
        await type_text(pilot, "hi")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        assert [c.result.status for c in cells_of(app)] == ["ok", "ok"]
        assert "user: hi" in cells_of(app)[0].result.output


async def test_two_by_two_matrix_streams_into_four_cells(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)
    store = open_store(tmp_path)
    loopback.default = Reply(chunks=8, duration=0.2)
    app = make_app(settings, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "Say hello")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 4))
        cells = cells_of(app)
        seen = {(c.cell.model, c.cell.temperature) for c in cells}
        assert seen == {
            ("lo-openai:gpt-a", 0.0),
            ("lo-openai:gpt-a", 0.7),
            ("lo-anthropic:claude-b", 0.0),
            ("lo-anthropic:claude-b", 0.7),
        }
        for cell in cells:
            model = cell.cell.model.split(":")[1]
            t = "0.0" if cell.cell.temperature == 0 else "0.7"
            assert cell.result.output.startswith(f"model={model} temperature={t}:")
            assert cell.border_title.startswith("✓ ")
            figures = figures_text(cell)
            assert "ttft" in figures and "11 in / 8 out" in figures and "tok/s" in figures
            assert "unpriced" in figures  # loopback models have no price
            assert cell.answer.text.startswith(f"model={model}")  # streamed into the cell
        # the grid: one column per model, one row per temperature
        assert cells[0].region.x < cells[2].region.x  # gpt-a left of claude-b
        assert cells[0].region.y < cells[1].region.y  # t=0 above t=0.7
        # the store holds the run with its four responses
        runs = store.list_runs(None, 10)
        assert len(runs) == 1
        responses = store.responses_for_run(runs[0]["id"])
        assert len(responses) == 4


async def test_escape_cancels_the_focused_slow_cell_and_keeps_its_text(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    loopback.enqueue(Reply(text="one two three four five six", stall_after=3), model="gpt-a")
    loopback.enqueue(Reply(chunks=4, duration=0.3), model="claude-b")
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        slow = await wait_for(
            pilot, lambda: [c for c in cells_of(app) if c.cell.model == "lo-openai:gpt-a"]
        )
        slow = slow[0]
        await wait_for(pilot, lambda: slow.result and slow.result.output == "one two three ")
        slow.focus()
        await pilot.press("escape")
        await wait_for(pilot, lambda: all_done(app, 2))
        assert slow.result.status == "cancelled"
        assert slow.result.output == "one two three "
        assert "one two three" in slow.shown_text
        assert slow.border_title.startswith("■ ")
        fast = next(c for c in cells_of(app) if c is not slow)
        assert fast.result.status == "ok"
        assert loopback.wait_disconnects(1, timeout=2)


async def test_escape_in_the_editor_cancels_the_whole_run(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    loopback.default = Reply(text="a b c d e f", stall_after=2)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: loopback.wait_requests(2, timeout=0) and cells_of(app))
        await wait_for(pilot, lambda: all(c.result and c.result.output for c in cells_of(app)))
        assert app.focused.id == "user"
        await pilot.press("escape")
        await wait_for(pilot, lambda: all_done(app, 2))
        assert [c.result.status for c in cells_of(app)] == ["cancelled", "cancelled"]
        assert all(c.result.output == "a b " for c in cells_of(app))


async def test_a_failing_model_shows_its_error_while_the_others_finish(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(
        loopback, tmp_path, temperatures=[0.0], models=["lo-openai:bad", "lo-gemini:good"]
    )
    loopback.enqueue(Reply(status=400, error_message="model bad does not exist"), model="bad")
    loopback.enqueue(Reply(text="partial words then", error_after=2), model="bad")
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        bad, good = cells_of(app)
        assert bad.result.status == "error"
        assert "HTTP 400: model bad does not exist" in error_text(bad)
        assert bad.has_class("-error") and bad.border_title.startswith("✗ ")
        assert good.result.status == "ok" and "model=good" in good.shown_text
        # a mid-stream error keeps the partial text in the cell
        bad.focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: bad.ended and "partial words" in bad.shown_text)
        assert bad.result.status == "error" and bad.result.output == "partial words "
        assert "error in stream" in error_text(bad)


async def test_the_estimate_updates_after_typing(loopback: LoopbackServer, tmp_path: Path) -> None:
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        bar = app.screen.estimate_bar
        await wait_for(pilot, lambda: "tok" in bar.line)
        before = bar.line
        assert "4 calls" in before and "gpt-a ≈" in before
        await type_text(pilot, "tell me about otters and rivers")
        await wait_for(pilot, lambda: bar.line != before and "tok" in bar.line)
        tokens = lambda line: int(line.split("gpt-a ≈")[1].split(" ")[0])  # noqa: E731
        assert tokens(bar.line) > tokens(before) + 4
        # lo-anthropic speaks Anthropic and has a key: once typing pauses, its own count
        await wait_for(pilot, lambda: "claude-b ≈" not in bar.line and "claude-b " in bar.line)
        *_, (path, body) = loopback.count_requests
        assert path == "/v1/messages/count_tokens" and "otters and rivers" in str(body)
        # a bad temperature list says so in the bar instead of estimating
        field = app.screen.query_one("#temperatures")
        field.value = "0, hot"
        await wait_for(pilot, lambda: "not a number" in bar.line)
        await pilot.pause()
        assert field.has_class("-invalid") and field.content_region.height == 1  # still legible


async def test_running_over_budget_asks_first(loopback: LoopbackServer, tmp_path: Path) -> None:
    extra = '[models."lo-openai:gpt-a"]\nprice = { input_per_mtok = 1000.0, output_per_mtok = 1000.0 }\n'
    settings = loopback_settings(
        loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0.0], extra=extra
    )
    settings.defaults.budget_usd = 0.01
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        bar = app.screen.estimate_bar
        await wait_for(pilot, lambda: bar.over_budget)
        assert "over budget $0.0100" in bar.line
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("n")
        await pilot.pause(0.2)
        assert not cells_of(app) and not loopback.requests_for(kind="openai")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: all_done(app, 1))


async def test_rating_a_cell_stores_it(loopback: LoopbackServer, tmp_path: Path) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0])
    store = open_store(tmp_path)
    app = make_app(settings, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        cell = cells_of(app)[0]
        cell.focus()
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RateScreen")
        await pilot.press("4")
        await type_text(pilot, "crisp")
        await pilot.press("enter")
        await wait_for(pilot, lambda: cell.rating)
        assert "rated ★4 “crisp”" in figures_text(cell)
        rid = cell.result.id
        assert store.get_response(rid)["rating"] == {"score": 4, "note": "crisp", "scale": "stars"}


async def test_history_reopens_a_run_read_only_until_edited(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0, 1.0])
    store = open_store(tmp_path)
    app = make_app(settings, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "first prompt")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 4))
        outputs = sorted(c.result.output for c in cells_of(app))
        # change everything, then reopen the run from the history
        app.screen.editor.user_area.load_text("something else")
        app.screen.picker.set_selected(["echo"])
        app.screen.query_one("#temperatures").value = "0.3"
        await reopen_the_only_run(pilot, app, 4)
        screen = app.screen
        assert screen.editor.user == "first prompt"
        assert screen.picker.selected == ["lo-openai:gpt-a", "lo-anthropic:claude-b"]
        assert screen.query_one("#temperatures").value == "0, 1"
        assert sorted(c.result.output for c in cells_of(app)) == outputs
        assert all(c.has_class("-readonly") for c in cells_of(app))
        assert "read-only" in app.sub_title
        screen.editor.user_area.focus()
        await type_text(pilot, "!")
        await wait_for(pilot, lambda: screen.viewing_run is None)
        assert not any(c.has_class("-readonly") for c in cells_of(app))


async def test_selection_and_variables_are_remembered_per_workspace(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "About {{topic}}")
        await wait_for(pilot, lambda: app.screen.query("#var-topic"))
        app.screen.query_one("#var-topic").value = "otters"
        app.screen.picker.set_selected(["lo-gemini:gem-c"])
        app.screen.query_one("#temperatures").value = "0.2, 0.9"
        await wait_for(pilot, lambda: app.state.models == ["lo-gemini:gem-c"])
        await wait_for(pilot, lambda: app.state.variables.get("topic") == "otters")
    again = make_app(loopback_settings(loopback, tmp_path), store=open_store(tmp_path))
    async with again.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "{{topic}}")
        await wait_for(pilot, lambda: again.screen.query("#var-topic"))
        assert again.screen.picker.selected == ["lo-gemini:gem-c"]
        assert again.screen.query_one("#temperatures").value == "0.2, 0.9"
        assert again.screen.query_one("#var-topic").value == "otters"
    assert (tmp_path / "sessions" / "tui-state.json").is_file()


async def test_unavailable_models_say_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from playground.config import load_settings

    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        picker = app.screen.picker
        await wait_for(
            pilot,
            lambda: (
                "ollama:*" in picker.entries and "checking" not in picker.entries["ollama:*"].reason
            ),
        )
        assert picker.entries["openai:gpt-4.1-mini"].reason == "set OPENAI_API_KEY"
        assert not picker.entries["openai:gpt-4.1-mini"].available
        assert "not reachable" in picker.entries["ollama:*"].reason
        await type_text(pilot, "x")
        picker.query_one("#model-search").value = "claude"
        await pilot.pause(0.1)
        shown = [str(o.prompt) for o in picker.selection_list._options]
        assert shown and all("claude" in s for s in shown)
        assert "set ANTHROPIC_API_KEY" in shown[0]


async def test_a_prompt_file_opens_with_its_name_and_version(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)
    from playground.library import load_prompt

    path = tmp_path / "greet.prompt"
    path.write_text(
        "---\nmodel: lo-openai:gpt-a\nconfig:\n  temperature: 0.3\n  maxOutputTokens: 99\n"
        "input:\n  default:\n    name: Ada\n"
        'playground.version: 3\n---\n{{role "system"}}\nBe brief.\n{{role "user"}}\n'
        "Hello {{name}}\n",
        encoding="utf-8",
    )
    prompt = load_prompt(path)
    app = make_app(settings, store=open_store(tmp_path), prompt_file=path, prompt=prompt)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert app.sub_title == f"{prompt.name} v3"
        assert screen.editor.user.strip() == "Hello {{name}}"
        assert screen.editor.system.strip() == "Be brief."
        assert screen.picker.selected == ["lo-openai:gpt-a"]
        assert screen.query_one("#temperatures").value == "0.3"
        await wait_for(pilot, lambda: screen.query("#var-name"))
        assert screen.query_one("#var-name").value == "Ada"  # the file's default
        await pilot.pause(0.3)
        assert "modified" not in app.sub_title
        bar = screen.estimate_bar
        await wait_for(pilot, lambda: "tok" in bar.line)
        loaded = bar.line
        await type_text(pilot, "! Tell me more about the weather today")
        await wait_for(pilot, lambda: app.sub_title.endswith("· modified"))
        await wait_for(pilot, lambda: bar.line != loaded and "tok" in bar.line)
        # undone back to the file: not modified, and the estimate is the file's again
        screen.editor.user_area.load_text(screen.form.baseline[1])
        await wait_for(pilot, lambda: app.sub_title == f"{prompt.name} v3")
        await wait_for(pilot, lambda: bar.line == loaded)


async def test_diff_inspect_and_promote_from_a_focused_cell(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0, 0.7])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "Say hello")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 4))
        first = cells_of(app)[0]
        first.focus()
        # d: pick another cell, then the word diff of the two answers
        await pilot.press("d")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PickCellScreen")
        await pilot.press("down", "enter")  # the second choice: claude-b · t=0
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DiffScreen")
        assert app.screen.left is first.result
        assert app.screen.right.cell.model == "lo-anthropic:claude-b"
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        # i: the exact request
        await pilot.press("i")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "InspectScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        # p: promote to a prompt file, written under the workspace's prompts/
        await pilot.press("p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PromoteScreen")
        app.screen.query_one("#promote-name").value = "greeting"
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        await wait_for(pilot, lambda: list((tmp_path / "prompts").rglob("*.prompt")))
        # c: copy (OSC 52) says how much it copied
        await pilot.press("c")
        await wait_for(pilot, lambda: app._notifications)
        assert any("copied" in n.message for n in app._notifications)


async def test_every_action_is_in_the_command_palette(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Run", "Cancel", "History", "Toggle grid", "Theme", "Quit"} <= titles
        await type_text(pilot, "hi")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        cells_of(app)[0].focus()
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Rate cell", "Copy cell", "Inspect cell", "Diff cell", "Re-run cell"} <= titles
        assert "Promote cell" in titles
        # the palette itself opens with ctrl+p and runs "Toggle grid"
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await type_text(pilot, "Toggle grid")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.has_class("-grid-only"))


async def test_theme_choice_is_remembered(loopback: LoopbackServer, tmp_path: Path) -> None:
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        # our themes register just after the first frame (unless one of them was remembered)
        await wait_for(pilot, lambda: "playground-light" in app.available_themes)
        app.theme = "playground-light"
        await wait_for(pilot, lambda: app.state.theme == "playground-light")
    again = make_app(loopback_settings(loopback, tmp_path), store=open_store(tmp_path))
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.theme == "playground-light"


async def test_repeats_stack_inside_their_grid_slot(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0.5])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # the parameter fields mount just after the first frame
        app.screen.query_one("#param-repeats").value = "3"
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 3))
        cells = cells_of(app)
        assert [c.cell.sample for c in cells] == [1, 2, 3]
        assert [c.border_title[2:] for c in cells] == [
            f"lo-openai:gpt-a · t=0.5 #{n}" for n in (1, 2, 3)
        ]
        assert len({c.parent for c in cells}) == 1  # one slot
        assert cells[0].region.y < cells[1].region.y < cells[2].region.y
        assert len(loopback.requests_for(kind="openai")) >= 3


async def test_first_start_selects_echo_and_local_ollama_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playground.config import load_settings

    with LoopbackServer() as srv:
        monkeypatch.setenv("OLLAMA_HOST", srv.base_url)
        app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            picker = app.screen.picker
            await wait_for(pilot, lambda: len(picker.selected) == 3)
            assert picker.selected == ["echo", "ollama:lo-model-a", "ollama:lo-model-b"]
            await type_text(pilot, "hi")
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: all_done(app, 6))
            assert {c.result.status for c in cells_of(app)} == {"ok"}


async def test_running_again_mid_run_replaces_the_grid(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    loopback.enqueue(Reply(text="slow one two three", stall_after=2), model="gpt-a")
    loopback.enqueue(Reply(text="slow one two three", stall_after=2), model="claude-b")
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all(c.result and c.result.output for c in cells_of(app)))
        first = cells_of(app)
        await pilot.press("ctrl+r")  # the first run is cancelled, its cells replaced
        await wait_for(pilot, lambda: cells_of(app) and cells_of(app)[0] not in first)
        await wait_for(pilot, lambda: all_done(app, 2))
        assert [c.result.status for c in cells_of(app)] == ["ok", "ok"]
        assert loopback.wait_disconnects(2, timeout=2)


async def test_rerunning_a_streaming_cell_restarts_it(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0])
    loopback.enqueue(Reply(text="first try words", stall_after=1), model="gpt-a")
    loopback.enqueue(Reply(text="second answer", chunks=2, duration=0.2), model="gpt-a")
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        cell = (await wait_for(pilot, lambda: cells_of(app)))[0]
        await wait_for(pilot, lambda: cell.result and cell.result.output == "first ")
        cell.focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: cell.ended and cell.result.output == "second answer")
        await pilot.pause(0.3)  # the first run's cancellation must not overwrite the cell
        assert cell.result.status == "ok" and cell.border_title.startswith("✓ ")
        assert "second answer" in cell.shown_text and "first" not in cell.shown_text


async def test_a_cell_waiting_for_a_slot_shows_queued_then_streams(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """lo-openai runs one call at a time: the second temperature's cell says it is queued
    and why, then streams once the first is done (here: cancelled, so the test does not race
    the first answer)."""
    settings = loopback_settings(
        loopback,
        tmp_path,
        models=["lo-openai:gpt-a"],
        temperatures=[0.0, 1.0],
        max_concurrency={"lo-openai": 1},
    )
    loopback.enqueue(Reply(text="one two three four", stall_after=2))  # holds the only slot
    loopback.default = Reply(text="one two three four", chunks=4)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: any(c.has_class("-queued") for c in cells_of(app)))
        waiting = next(c for c in cells_of(app) if c.has_class("-queued"))
        assert waiting.border_title.startswith("◌")
        figures = str(waiting.query_one(".cell-figures", Static).render())
        assert figures == "queued: lo-openai runs 1 at once (max_concurrency)"
        first = next(c for c in cells_of(app) if c is not waiting)
        await wait_for(pilot, lambda: first.shown_text == "one two ")
        assert len(loopback.requests_for("openai")) == 1  # the waiting cell sent nothing yet
        first.focus()
        await wait_for(pilot, lambda: app.focused is first)
        cancelled_at = time.monotonic()
        await pilot.press("escape")
        # the slot passes on after the cancelled call is wound up: seconds on a loaded machine
        await wait_for(pilot, lambda: all_done(app, 2), timeout=30)
        assert first.result.status == "cancelled" and waiting.result.status == "ok"
        assert waiting.result.output == "one two three four"
        # the second call went out once the first was cancelled, not before (the server's
        # overlap count is not asked: it marks the first call ended when its thread gets to
        # notice the hang-up, which on a loaded machine can be after the second arrived)
        calls = loopback.requests_for("openai")
        assert len(calls) == 2 and calls[1].started >= cancelled_at


async def test_a_draft_survives_quitting_and_opening_a_past_run(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Nothing typed is lost: Ctrl+Q keeps the draft for the next start, and opening a past
    run replaces it as one edit that Ctrl+Z undoes."""
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "first prompt")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        app.screen.editor.user_area.load_text("")
        await type_text(pilot, "a draft never run")
        await pilot.press("ctrl+q")
    again = make_app(
        loopback_settings(loopback, tmp_path, temperatures=[0.0]), store=open_store(tmp_path)
    )
    async with again.run_test(size=(120, 40)) as pilot:
        screen = again.screen
        assert screen.editor.user == "a draft never run"
        await reopen_the_only_run(pilot, again, 2)
        assert screen.editor.user == "first prompt"
        area = screen.editor.user_area
        assert area.cursor_location == area.document.end  # typing goes after what was loaded
        area.focus()
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: screen.editor.user == "a draft never run")


async def test_an_empty_prompt_is_not_run(loopback: LoopbackServer, tmp_path: Path) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+r")
        said = lambda: [n.message for n in app._notifications]  # noqa: E731
        await wait_for(pilot, lambda: "the user message is empty: write the prompt first" in said())
        await pilot.pause(0.2)
        assert not cells_of(app) and not loopback.requests_for(kind="openai")


async def test_the_cache_toggle_calls_every_model_again(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0.0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "same question")
        for expect_cached in (False, True):
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: all_done(app, 1) and cells_of(app)[0].result.id)
            assert cells_of(app)[0].result.cached is expect_cached
            await pilot.pause(0.1)
        figures = str(cells_of(app)[0].query_one(".cell-figures", Static).render())
        assert figures.endswith("· unpriced · cached") and "ttft" not in figures
        assert len(loopback.requests_for(kind="openai")) == 1
        app.screen.editor.user_area.focus()
        await pilot.press("ctrl+n")
        assert "cache off" in app.sub_title
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(loopback.requests_for(kind="openai")) == 2)
        await wait_for(pilot, lambda: all_done(app, 1))
        assert cells_of(app)[0].result.cached is False


async def test_tab_moves_from_cell_to_cell_and_arrows_scroll_the_answer(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Each cell is one Tab stop (its scrolling body is not a second, invisible one); on a
    focused cell the arrow keys scroll a long answer."""
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0, 1.0])
    loopback.default = Reply(text=" ".join(f"line{i}\n\n" for i in range(60)), chunks=6)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 4))
        await pilot.press("ctrl+g")  # the results take the screen; the first cell has focus
        cells = cells_of(app)
        await wait_for(pilot, lambda: app.focused is cells[0])
        seen = [app.focused]
        for _ in range(3):
            await pilot.press("tab")
            seen.append(app.focused)
        assert set(seen) == set(cells)  # four Tabs, four cells, none skipped or doubled
        body = seen[-1].query_one(".cell-body")
        assert body.scroll_y == 0 and body.max_scroll_y > 0
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: body.scroll_y > 0)


async def test_the_picker_says_in_full_why_a_model_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Down from the search goes into the list; why the listed models are unavailable is said
    in full under it, once per provider (the list itself cuts long reasons)."""
    from playground.config import load_settings

    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        picker = app.screen.picker
        await wait_for(pilot, lambda: picker.query("#model-search"))
        picker.query_one("#model-search").focus()
        await type_text(pilot, "gpt-4.1-mini")
        await pilot.press("down")
        assert app.focused is picker.selection_list
        why = picker.query_one("#model-why", Static)
        await wait_for(pilot, lambda: why.has_class("-shown"))
        assert "openai: set OPENAI_API_KEY" in str(why.render())
        assert "anthropic" not in str(why.render())  # only what the search shows


async def test_a_fallback_keeps_why_and_a_rerun_ends_read_only(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """The cell that fell back says why once done; re-running a cell of a reopened run makes
    the screen an ordinary, editable one again."""
    settings = loopback_settings(
        loopback,
        tmp_path,
        models=["lo-openai:gpt-a"],
        temperatures=[0.0],
        fallbacks={"lo-openai:gpt-a": ["lo-ollama:llama"]},
        max_retries=0,
    )
    loopback.enqueue(Reply(status=400, error_message="model gpt-a is gone"), model="gpt-a")
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        (cell,) = cells_of(app)
        assert cell.result.status == "ok" and cell.result.fallback_used == "lo-ollama:llama"
        notice = str(cell.query_one(".cell-notice", Static).render())
        assert notice == "fell back to lo-ollama:llama: HTTP 400: model gpt-a is gone"
        await reopen_the_only_run(pilot, app, 1)
        screen = app.screen
        cells_of(app)[0].focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.viewing_run is None)
        assert "read-only" not in app.sub_title
        await wait_for(pilot, lambda: all_done(app, 1))


async def test_inspect_shows_the_raw_response_also_for_a_past_run(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Inspect's third tab is the response as it came: status line, headers, the SSE stream;
    a reopened run shows the same from the store; an error's body hides the key it quotes."""
    key = LoopbackServer.env()["LO_ANTHROPIC_KEY"]
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0], max_retries=0)
    loopback.enqueue(Reply(status=401, error_message=f"bad key {key}"), model="claude-b")
    app = make_app(settings, store=open_store(tmp_path))

    async def raw_of(cell: Any, pilot: Any) -> str:
        cell.focus()
        await pilot.press("i")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "InspectScreen")
        await pilot.press("3")
        text = app.screen.query_one("#inspect-raw-text").text
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        return text

    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "Say hello")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        ok, failed = cells_of(app)
        live = await raw_of(ok, pilot)
        assert live.startswith("HTTP/1.1 200")
        assert "content-type: text/event-stream" in live and "data: [DONE]" in live
        bad = await raw_of(failed, pilot)
        assert bad.startswith("HTTP/1.1 401") and "bad key [redacted]" in bad and key not in bad
        await reopen_the_only_run(pilot, app, 2)
        assert await raw_of(cells_of(app)[0], pilot) == live


async def test_a_provider_that_lists_no_models_says_how_to_add_some(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        picker = app.screen.picker
        await wait_for(pilot, lambda: picker.query("#model-search"))
        picker.query_one("#model-search").focus()
        await type_text(pilot, "lo-gemini")
        why = picker.query_one("#model-why", Static)
        await wait_for(pilot, lambda: "add models" in str(why.render()))
        assert "lo-gemini: no models: add models = [...] to [providers.lo-gemini]" in str(
            why.render()
        )


async def test_a_grid_wider_than_the_screen_says_so(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    models = ["lo-openai:gpt-a", "lo-anthropic:claude-b", "lo-gemini:gem-c", "lo-ollama:oll-d"]
    settings = loopback_settings(loopback, tmp_path, models=models, temperatures=[0.0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 4))
        said = [n.message for n in app._notifications]
        assert any(m.startswith("4 models, 2 fit across: ←/→ or 1–4") for m in said)


async def test_quitting_while_viewing_a_past_run_keeps_the_draft_it_replaced(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "first prompt")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        app.screen.editor.user_area.load_text("")
        await type_text(pilot, "my new draft")
        await reopen_the_only_run(pilot, app, 2)
        await pilot.press("ctrl+q")
    again = make_app(
        loopback_settings(loopback, tmp_path, temperatures=[0.0]), store=open_store(tmp_path)
    )
    async with again.run_test(size=(120, 40)) as pilot:
        assert again.screen.editor.user == "my new draft"
    # the folder holding the draft is kept out of git, database or not
    assert (tmp_path / "sessions" / ".gitignore").read_text().strip().endswith("*")


async def test_a_prompt_file_session_leaves_the_workspace_draft_and_matrix_alone(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    from playground.library import load_prompt

    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0, 0.7])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "my own draft")
        await pilot.pause(0.4)  # estimated, so remembered
        await pilot.press("ctrl+q")
    path = tmp_path / "greet.prompt"
    path.write_text(
        "---\nmodel: lo-openai:gpt-a\nconfig:\n  temperature: 0.3\n---\nHello there\n",
        encoding="utf-8",
    )
    app = make_app(settings, store=open_store(tmp_path), prompt_file=path, prompt=load_prompt(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.4)
        await type_text(pilot, "!")
        await pilot.pause(0.4)
        await pilot.press("ctrl+q")
    again = make_app(
        loopback_settings(loopback, tmp_path, temperatures=[0.0, 0.7]), store=open_store(tmp_path)
    )
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = again.screen
        assert screen.editor.user == "my own draft"
        await wait_for(pilot, lambda: bool(screen.query("#temperatures")))  # just after the frame
        assert screen.query_one("#temperatures").value == "0, 0.7"
        assert screen.picker.selected == ["lo-openai:gpt-a", "lo-anthropic:claude-b"]


async def test_promoting_the_open_prompt_file_names_its_new_version(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    from playground.core.template import PromptTemplate
    from playground.library import load_prompt, promote

    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    promote(
        settings.prompts_dir(),
        "greet",
        template=PromptTemplate.from_parts("Be brief.", "Hello"),
        model="lo-openai:gpt-a",
        temperature=0.3,
    )
    path = settings.prompts_dir() / "greet.prompt"
    app = make_app(settings, store=open_store(tmp_path), prompt_file=path, prompt=load_prompt(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.sub_title == "greet v1"
        await type_text(pilot, " there")
        await wait_for(pilot, lambda: app.sub_title == "greet v1 · modified")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        cells_of(app)[0].focus()
        await pilot.press("p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PromoteScreen")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        await wait_for(pilot, lambda: app.sub_title == "greet v2")
