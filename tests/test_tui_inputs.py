"""Real inputs in the TUI: multi-line variables, @file values, and conversation turns, as the
user types them and as they arrive at the providers (loopback servers record each request)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer
from textual import events
from tui_main_helpers import (
    all_done,
    cells_of,
    isolate,
    loopback_settings,
    open_store,
    type_text,
    wait_for,
)

from playground.tui.app import make_app


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


def chat_bodies(srv: LoopbackServer) -> list[dict[str, Any]]:
    return [r.body for r in srv.requests_for(kind="openai") if isinstance(r.body, dict)]


async def test_a_pasted_multi_line_value_grows_its_field_and_arrives_whole(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await type_text(pilot, "Summarise: {{notes}}")
        field = await wait_for(
            pilot, lambda: screen.query("#var-notes") and screen.query_one("#var-notes")
        )
        await wait_for(pilot, lambda: field.size.height == 1)  # one line while it holds one
        field.focus()
        app.post_message(events.Paste("first line\nsecond line\nthird line"))  # as a terminal does
        await wait_for(pilot, lambda: field.value == "first line\nsecond line\nthird line")
        await wait_for(pilot, lambda: field.size.height == 3)  # every line shows
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        sent = chat_bodies(loopback)[0]["messages"]
        assert sent[-1] == {
            "role": "user",
            "content": "Summarise: first line\nsecond line\nthird line",
        }
        await wait_for(pilot, lambda: "\nthird line" in app.state.variables.get("notes", ""))
    again = make_app(loopback_settings(loopback, tmp_path), store=open_store(tmp_path))
    async with again.run_test(size=(120, 40)) as pilot:
        field = await wait_for(
            pilot, lambda: again.screen.query("#var-notes") and again.screen.query_one("#var-notes")
        )
        assert field.value == "first line\nsecond line\nthird line"  # kept over a restart


async def test_an_at_file_value_sends_the_file_and_remembers_the_name(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("Otters hold hands.\nThey sleep afloat.\n")
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await type_text(pilot, "Facts: {{notes}} Email {{who}}")
        await wait_for(pilot, lambda: screen.query("#var-who"))
        screen.query_one("#var-notes").value = "@docs/notes.txt"
        screen.query_one("#var-who").value = "@@ada"  # @@: a literal @
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        sent = chat_bodies(loopback)[0]["messages"][-1]["content"]
        assert sent == "Facts: Otters hold hands.\nThey sleep afloat.\n Email @ada"
        # the field keeps what was typed; the state remembers the name, not the text
        assert screen.query_one("#var-notes").value == "@docs/notes.txt"
        await wait_for(pilot, lambda: app.state.variables.get("notes") == "@docs/notes.txt")


async def test_a_missing_file_is_said_by_its_field_and_nothing_is_sent(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await type_text(pilot, "Facts: {{notes}}")
        field = await wait_for(
            pilot, lambda: screen.query("#var-notes") and screen.query_one("#var-notes")
        )
        field.value = "@nowhere.txt"
        panel = screen.form.variables
        await wait_for(pilot, lambda: "cannot read nowhere.txt" in panel.error_of("notes"))
        error = screen.query_one(".var-error")
        assert error.display and error.region.height == 1  # one line, under the field
        await wait_for(
            pilot, lambda: "variable notes: cannot read nowhere.txt" in screen.estimate_bar.line
        )
        await pilot.press("ctrl+r")
        await pilot.pause(0.2)
        assert not cells_of(app) and not loopback.requests_for(kind="openai")
        assert screen.editor.user == "Facts: {{notes}}" and field.value == "@nowhere.txt"
        (tmp_path / "nowhere.txt").write_text("found now")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        assert chat_bodies(loopback)[0]["messages"][-1]["content"] == "Facts: found now"
        assert panel.error_of("notes") == ""
