"""Real inputs in the TUI: multi-line variables, @file values, and conversation turns, as the
user types them and as they arrive at the providers (loopback servers record each request)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer
from textual import events
from tui_main_helpers import all_done, cells_of, loopback_settings, open_store, type_text, wait_for

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


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
        # one line, under the field (once the screen has laid the line out)
        await wait_for(pilot, lambda: error.display and error.region.height == 1)
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


# -- conversation turns ---------------------------------------------------------------------

TURNS = [("assistant", "chat"), ("user", "Translate: dog"), ("assistant", "chien ")]


async def type_conversation(pilot: Any, app: Any, first: str = "Translate: cat") -> None:
    """The first user message, then three turns with Ctrl+T (the role alternates): a few-shot
    example and an assistant prefill last."""
    editor = app.screen.editor
    await type_text(pilot, first)
    for _, text in TURNS:
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.focused is editor.turn_areas[-1])
        await type_text(pilot, text)


def turn_labels(app: Any) -> list[str]:
    from textual.widgets import Label

    return [str(label.content) for label in app.screen.query(".turn-label").results(Label)]


@pytest.mark.parametrize("provider", ["lo-openai", "lo-anthropic", "lo-gemini"])
async def test_turns_are_sent_in_order_with_each_wire_formats_roles(
    loopback: LoopbackServer, tmp_path: Path, provider: str
) -> None:
    model = {"lo-openai": "gpt-a", "lo-anthropic": "claude-b", "lo-gemini": "gem-c"}[provider]
    settings = loopback_settings(
        loopback, tmp_path, models=[f"{provider}:{model}"], temperatures=[0]
    )
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        screen.editor.system_area.load_text("You translate to French.")
        await type_conversation(pilot, app)
        assert screen.editor.turns == TURNS
        assert turn_labels(app) == [
            "Assistant",
            "User",
            "Assistant  (prefill: the answer continues it)",
        ]
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        (request,) = [r for r in loopback.requests if r.model == model]
        body = request.body
    if provider == "lo-openai":
        assert body["messages"] == [
            {"role": "system", "content": "You translate to French."},
            {"role": "user", "content": "Translate: cat"},
            {"role": "assistant", "content": "chat"},
            {"role": "user", "content": "Translate: dog"},
            {"role": "assistant", "content": "chien "},
        ]
    elif provider == "lo-anthropic":
        assert body["system"] == "You translate to French."
        assert body["messages"] == [
            {"role": "user", "content": "Translate: cat"},
            {"role": "assistant", "content": "chat"},
            {"role": "user", "content": "Translate: dog"},
            # a prefill: Anthropic refuses one that ends in whitespace
            {"role": "assistant", "content": "chien"},
        ]
    else:
        assert body["systemInstruction"] == {"parts": [{"text": "You translate to French."}]}
        assert body["contents"] == [
            {"role": "user", "parts": [{"text": "Translate: cat"}]},
            {"role": "model", "parts": [{"text": "chat"}]},
            {"role": "user", "parts": [{"text": "Translate: dog"}]},
            {"role": "model", "parts": [{"text": "chien "}]},
        ]


async def test_turns_are_in_the_estimate_and_can_be_removed_and_switched(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    from playground.core.template import Message

    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        editor = screen.editor
        await type_text(pilot, "Translate: cat")
        await wait_for(
            pilot, lambda: screen.last_estimate is not None and not screen.estimate_pending
        )
        alone = screen.last_estimate.by_model()["lo-openai:gpt-a"].input_tokens
        await type_conversation(pilot, app, first="")
        sent = [Message("user", "Translate: cat"), *(Message(r, t) for r, t in TURNS)]
        await wait_for(
            pilot,
            lambda: not screen.estimate_pending and screen.last_estimate.messages == sent,
        )
        assert screen.last_estimate.by_model()["lo-openai:gpt-a"].input_tokens > alone + 5
        # backspace empties the prefill, then removes the empty turn; the focus goes back
        for _ in "chien ":
            await pilot.press("backspace")
        assert editor.turns[-1] == ("assistant", "")
        await pilot.press("backspace")
        await wait_for(pilot, lambda: len(editor.turns) == 2)
        assert app.focused is editor.turn_areas[-1]
        assert turn_labels(app) == ["Assistant", "User"]
        # from the palette: switch the focused turn's role, add one, remove one
        await run_from_palette(pilot, app, "Switch turn role")
        assert editor.turns == [("assistant", "chat"), ("assistant", "Translate: dog")]
        await run_from_palette(pilot, app, "Add user turn")
        await wait_for(pilot, lambda: len(editor.turns) == 3)
        await wait_for(pilot, lambda: app.focused is editor.turn_areas[-1])
        await type_text(pilot, "more")
        assert editor.turns[-1] == ("user", "more")
        editor.turn_areas[0].focus()
        await run_from_palette(pilot, app, "Remove turn")
        assert editor.turns == [("assistant", "Translate: dog"), ("user", "more")]
        await wait_for(
            pilot,
            lambda: (
                not screen.estimate_pending
                and screen.last_estimate.messages
                == [
                    Message("user", "Translate: cat"),
                    Message("assistant", "Translate: dog"),
                    Message("user", "more"),
                ]
            ),
        )


async def run_from_palette(pilot: Any, app: Any, title: str) -> None:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
    await type_text(pilot, title)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")
    await pilot.pause()


async def test_the_draft_keeps_its_turns_over_a_restart(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_conversation(pilot, app)
    assert app.state.draft["turns"][-1] == {"role": "assistant", "content": "chien "}
    again = make_app(loopback_settings(loopback, tmp_path), store=open_store(tmp_path))
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.screen.editor.user == "Translate: cat"
        assert again.screen.editor.turns == TURNS
        assert turn_labels(again)[-1] == "Assistant  (prefill: the answer continues it)"


def test_a_draft_from_before_turns_still_reads() -> None:
    from playground.tui.state import UIState

    old = UIState.from_dict({"draft": {"system": "s", "user": "u"}})
    assert old.draft == {"system": "s", "user": "u"}
    bad = UIState.from_dict(
        {"draft": {"user": "u", "turns": [{"role": "model"}, 3, {"role": "user", "content": "x"}]}}
    )
    assert bad.draft == {"user": "u", "turns": [{"role": "user", "content": "x"}]}


async def test_promote_writes_role_blocks_that_dotpromptz_renders_and_reopen_brings_the_turns(
    tmp_path: Path,
) -> None:
    from textual.widgets import Input

    from playground.config import load_settings
    from playground.library import load_prompt
    from playground.library.reference import render_reference

    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        screen.editor.system_area.load_text("You translate to French.")
        await type_conversation(pilot, app)
        app.screen.picker.set_selected(["echo"])
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, len(cells_of(app))) and cells_of(app))
        cell = cells_of(app)[0]
        # the echo model answers with what was sent: every turn, in order
        assert (
            "user: Translate: cat\n\nassistant: chat\n\nuser: Translate: dog\n\n"
            "assistant: chien " in cell.result.output
        )
        plan = screen.build_plan()
        cell.focus()
        await pilot.press("p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PromoteScreen")
        app.screen.query_one("#promote-name", Input).value = "french"
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")
    path = tmp_path / "prompts" / "french.prompt"
    text = path.read_text(encoding="utf-8")
    roles = re.findall(r'\{\{~?role "(\w+)"~?\}\}', text)
    assert roles == ["system", "user", "model", "user", "model"]  # a role block per message
    assert "assistant" not in text
    # the file renders through dotpromptz byte for byte as the TUI sent it
    assert render_reference(text) == plan.render()
    reopened = make_app(
        load_settings(cwd=tmp_path),
        store=open_store(tmp_path),
        prompt_file=path,
        prompt=load_prompt(path),
    )
    async with reopened.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        editor = reopened.screen.editor
        assert editor.system == "You translate to French."
        assert editor.user == "Translate: cat"
        assert editor.turns == TURNS
        await pilot.pause(0.3)
        assert "modified" not in reopened.sub_title
