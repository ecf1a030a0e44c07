"""Ctrl+S saves the form as the open prompt file's next version (or as a new prompt), through
the library's promote rules: a note asked for, nothing overwritten, identical is no change."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tui_main_helpers import open_store, said, type_text, wait_for

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


def open_facts(workspace: Path):
    from playground.config import load_settings
    from playground.library import load_prompt

    settings = load_settings(cwd=workspace)
    path = workspace / "prompts" / "facts.prompt"
    prompt = load_prompt(path, settings.prompts_dir())
    return make_app(settings, store=open_store(workspace), prompt_file=path, prompt=prompt)


async def press_ctrl_s(pilot, app) -> None:
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "SavePromptScreen")
    await wait_for(pilot, lambda: app.screen.preview is not None)  # the version line is shown


async def test_ctrl_s_saves_the_open_file_as_its_next_version_with_the_note(
    workspace: Path,
) -> None:
    from playground.library.reference import render_reference

    prompts = workspace / "prompts"
    before = {p: p.read_bytes() for p in (prompts / "facts").iterdir()}
    app = open_facts(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        assert app.sub_title == "facts v2"
        main.editor.user_area.move_cursor(main.editor.user_area.document.end)
        await type_text(pilot, " Be short.")
        await wait_for(pilot, lambda: "modified" in app.sub_title)
        await press_ctrl_s(pilot, app)
        version_line = str(app.screen.query_one("#promote-version").render())
        assert "will create prompts/facts.prompt v3" in version_line
        assert app.screen.focused.id == "promote-note"
        await type_text(pilot, "shorter answers")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is main)
        await wait_for(pilot, lambda: app.sub_title == "facts v3")
        assert "saved prompts/facts.prompt v3" in said(app)

        # nothing typed since: a second Ctrl+S finds the same content and writes nothing
        await press_ctrl_s(pilot, app)
        assert "identical to prompts/facts.prompt v3" in str(
            app.screen.query_one("#promote-version").render()
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("no change" in s for s in said(app)))
        assert "facts v3: no change (the same content), nothing written" in said(app)

    v3 = prompts / "facts" / "v3.prompt"
    assert sorted(p.name for p in (prompts / "facts").iterdir()) == [
        "v1.prompt",
        "v2.prompt",
        "v3.prompt",
    ]
    assert all(p.read_bytes() == data for p, data in before.items())  # nothing overwritten
    assert (prompts / "facts.prompt").read_text() == v3.read_text()
    meta = front(v3)
    assert meta["playground.version"] == 3
    assert meta["playground.provenance"]["note"] == "shorter answers"
    assert meta["playground.provenance"]["from"] == "facts v2"
    assert meta["model"] == "echo" and meta["config"]["temperature"] == 0.9
    assert meta["config"]["maxOutputTokens"] == 64
    # an application loading the file with dotpromptz sends the edited prompt
    messages = render_reference(v3.read_text())
    assert [(m.role, m.content) for m in messages] == [
        ("system", "You are brief."),
        ("user", "Three facts about otters. Be short."),
    ]


async def test_escape_in_the_save_dialog_writes_nothing(workspace: Path) -> None:
    prompts = workspace / "prompts"
    current = (prompts / "facts.prompt").read_bytes()
    app = open_facts(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        await type_text(pilot, "changed ")
        await press_ctrl_s(pilot, app)
        await type_text(pilot, "a note never saved")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main)
        await pilot.pause()
        assert app.sub_title == "facts v2 · modified"
        assert not any(s.startswith("saved") for s in said(app))
    assert sorted(p.name for p in (prompts / "facts").iterdir()) == ["v1.prompt", "v2.prompt"]
    assert (prompts / "facts.prompt").read_bytes() == current


async def test_ctrl_s_without_an_open_file_names_a_new_prompt_then_saves_its_versions(
    tmp_path: Path,
) -> None:
    from playground.config import load_settings

    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    settings = load_settings(cwd=tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        await type_text(pilot, "Name a {{animal}} {{mood}}")
        await wait_for(pilot, lambda: main.query("#var-animal"))
        main.query_one("#var-animal").value = "otter"
        await wait_for(pilot, lambda: main.form.variables.values().get("animal") == "otter")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SavePromptScreen")
        dialog = app.screen
        assert dialog.query_one("#promote-box").border_title == "Save as a new prompt"
        assert dialog.focused.id == "promote-name"
        await type_text(pilot, "animals")
        await wait_for(
            pilot, lambda: "v1 (a new prompt)" in str(dialog.query_one("#promote-version").render())
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is main)
        await wait_for(pilot, lambda: app.sub_title == "animals v1")
        assert "saved prompts/animals.prompt v1" in said(app)
        # from now on Ctrl+S saves this file's next version
        await type_text(pilot, "!")
        await press_ctrl_s(pilot, app)
        assert app.screen.query_one("#promote-name").value == "animals"
        await type_text(pilot, "louder")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.sub_title == "animals v2")
    v1 = front(tmp_path / "prompts" / "animals" / "v1.prompt")
    v2 = front(tmp_path / "prompts" / "animals" / "v2.prompt")
    # a file holds one model and one temperature; the whole matrix is in the provenance
    assert v1["model"] == "echo" and v1["config"]["temperature"] == 0
    assert v1["playground.provenance"]["matrix"] == {
        "models": ["echo"],
        "temperatures": [0.0, 0.7],
    }
    assert v1["input"]["default"] == {"animal": "otter"}  # an empty field is no default
    assert v2["playground.provenance"]["note"] == "louder"
    assert v2["playground.provenance"]["from"] == "animals v1"


async def test_an_old_version_opened_and_edited_is_saved_after_the_newest(workspace: Path) -> None:
    from playground.config import load_settings
    from playground.library import load_prompt

    settings = load_settings(cwd=workspace)
    path = workspace / "prompts" / "facts" / "v1.prompt"
    app = make_app(
        settings,
        store=open_store(workspace),
        prompt_file=path,
        prompt=load_prompt(path, settings.prompts_dir()),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.sub_title == "facts v1"
        await type_text(pilot, "Now ")
        await press_ctrl_s(pilot, app)
        assert "will create prompts/facts.prompt v3" in str(
            app.screen.query_one("#promote-version").render()
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.sub_title == "facts v3")
    v3 = front(workspace / "prompts" / "facts" / "v3.prompt")
    assert v3["config"]["temperature"] == 0.5  # v1's, the one opened
    assert v3["playground.provenance"]["from"] == "facts v1"


async def test_ctrl_s_with_nothing_written_says_what_to_do(tmp_path: Path) -> None:
    from playground.config import load_settings

    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: said(app))
        assert said(app) == ["nothing to save yet: write the prompt, then Ctrl+S names it"]
        assert app.screen is main
    assert not (tmp_path / "prompts").exists()


async def test_ctrl_s_saves_the_conversation_turns_as_role_blocks(workspace: Path) -> None:
    from playground.library.reference import render_reference

    app = open_facts(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = app.screen.editor
        editor.user_area.focus()
        for text in ("1. They hold hands.", "And beavers?"):
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: app.focused is editor.turn_areas[-1])
            await type_text(pilot, text)
        assert editor.turns == [("assistant", "1. They hold hands."), ("user", "And beavers?")]
        await press_ctrl_s(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.sub_title == "facts v3")  # no longer "modified"
    text = (workspace / "prompts" / "facts" / "v3.prompt").read_text()
    assert [(m.role, m.content) for m in render_reference(text)] == [
        ("system", "You are brief."),
        ("user", "Three facts about otters."),
        ("assistant", "1. They hold hands."),
        ("user", "And beavers?"),
    ]
