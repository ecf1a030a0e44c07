"""Settings that stay true: the config's changed [defaults] win over the remembered choices
(said once), and the remembered draft belongs to the workspace, not to the start folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from loopback import LoopbackServer
from tui_main_helpers import loopback_settings, open_store, said, type_text, wait_for

from playground.tui.app import make_app

CHANGED = "playground.toml's defaults changed"


pytestmark = pytest.mark.usefixtures("isolated")


async def test_changed_config_defaults_win_over_the_remembered_matrix_and_are_said_once(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "hello")
        app.screen.picker.set_selected(["lo-gemini:gem-c"])
        app.screen.form.temperatures.value = "0.2"
        await wait_for(pilot, lambda: app.state.models == ["lo-gemini:gem-c"])
        await wait_for(pilot, lambda: app.state.temperatures == "0.2")
        assert not any(CHANGED in s for s in said(app))

    # the user edits playground.toml: other models, temperatures and max_tokens
    new = dict(models=["lo-openai:gpt-a"], temperatures=[0.3], extra="max_tokens = 99\n")
    again = make_app(loopback_settings(loopback, tmp_path, **new), store=open_store(tmp_path))
    async with again.run_test(size=(120, 40)) as pilot:
        screen = again.screen
        await wait_for(pilot, lambda: any(CHANGED in s for s in said(again)))
        assert [s for s in said(again) if CHANGED in s] == [
            "playground.toml's defaults changed: using models lo-openai:gpt-a; "
            "temperatures 0.3; max_tokens 99"
        ]
        assert screen.picker.selected == ["lo-openai:gpt-a"]
        await wait_for(pilot, lambda: bool(screen.query("#temperatures")))  # just after the frame
        assert screen.query_one("#temperatures").value == "0.3"
        assert screen.form.params.raw()["max_tokens"] == "99"
        assert screen.editor.user == "hello"  # the draft is not a default: kept

    third = make_app(loopback_settings(loopback, tmp_path, **new), store=open_store(tmp_path))
    async with third.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert not any(CHANGED in s for s in said(third))  # said once, not at every start
        assert third.screen.picker.selected == ["lo-openai:gpt-a"]
        # unchanged defaults: a choice made now is remembered over them, as before
        third.screen.picker.set_selected(["lo-gemini:gem-c"])
        await wait_for(pilot, lambda: third.state.models == ["lo-gemini:gem-c"])
    fourth = make_app(loopback_settings(loopback, tmp_path, **new), store=open_store(tmp_path))
    async with fourth.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert fourth.screen.picker.selected == ["lo-gemini:gem-c"]
        assert not any(CHANGED in s for s in said(fourth))


async def test_only_the_default_that_changed_replaces_its_remembered_choice(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    app = make_app(loopback_settings(loopback, tmp_path), store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.picker.set_selected(["lo-gemini:gem-c"])
        app.screen.form.temperatures.value = "1.1"
        await wait_for(pilot, lambda: app.state.temperatures == "1.1")
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0, 0.5])
    again = make_app(settings, store=open_store(tmp_path))
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: any(CHANGED in s for s in said(again)))
        assert any(s.endswith("using temperatures 0, 0.5") for s in said(again))
        await wait_for(pilot, lambda: bool(again.screen.query("#temperatures")))
        assert again.screen.query_one("#temperatures").value == "0, 0.5"
        assert again.screen.picker.selected == ["lo-gemini:gem-c"]  # models did not change


async def _type_draft_and_quit(settings, text: str, tmp_path: Path) -> None:
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, text)
        await pilot.press("ctrl+q")


async def _draft_seen(settings, tmp_path: Path) -> str:
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return app.screen.editor.user


async def test_the_draft_belongs_to_the_workspace_not_the_start_folder(tmp_path: Path) -> None:
    from playground.config import load_settings

    work, other = tmp_path / "work", tmp_path / "other"
    for ws in (work, other):
        ws.mkdir()
        (ws / "playground.toml").write_text("", encoding="utf-8")
    deep = work / "src" / "pkg"
    deep.mkdir(parents=True)

    await _type_draft_and_quit(load_settings(cwd=deep), "typed in a subfolder", tmp_path)
    assert await _draft_seen(load_settings(cwd=work), tmp_path) == "typed in a subfolder"
    assert await _draft_seen(load_settings(cwd=work / "src"), tmp_path) == "typed in a subfolder"
    assert await _draft_seen(load_settings(cwd=other), tmp_path) == ""  # its own draft
    await _type_draft_and_quit(load_settings(cwd=other), "the other project", tmp_path)
    assert await _draft_seen(load_settings(cwd=deep), tmp_path) == "typed in a subfolder"
    # on disk: each workspace's sessions/ holds its own draft
    assert "typed in a subfolder" in (work / "sessions" / "tui-state.json").read_text()
    assert "the other project" in (other / "sessions" / "tui-state.json").read_text()
    assert not (deep / "sessions").exists()


async def test_without_a_workspace_the_draft_lives_in_the_user_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playground.config import load_settings

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.chdir(a)
    await _type_draft_and_quit(load_settings(cwd=a), "no workspace here", tmp_path)
    monkeypatch.chdir(b)
    assert await _draft_seen(load_settings(cwd=b), tmp_path) == "no workspace here"
    state = Path(load_settings(cwd=b).state_dir()) / "tui-state.json"
    assert state.is_relative_to(Path.home()) or "xdg" in str(state)  # the user state dir
    assert "no workspace here" in state.read_text()


@pytest.mark.parametrize("key", ["here", "moved"])
async def test_a_state_file_written_by_an_older_version_is_still_read(
    tmp_path: Path, key: str
) -> None:
    """Older files kept one entry per folder path; the workspace's entry is read (also after
    the workspace folder was moved or renamed) and rewritten in the new shape."""
    from playground.config import load_settings

    work = tmp_path / "work"
    (work / "sessions").mkdir(parents=True)
    (work / "playground.toml").write_text("", encoding="utf-8")
    old_key = str(work.resolve()) if key == "here" else "/home/someone/old-place"
    old = {old_key: {"draft": {"system": "", "user": "from before"}, "models": ["echo"]}}
    state = work / "sessions" / "tui-state.json"
    state.write_text(json.dumps(old), encoding="utf-8")
    app = make_app(load_settings(cwd=work), store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.editor.user == "from before"
        assert app.screen.picker.selected == ["echo"]
        await pilot.press("ctrl+q")
    data = json.loads(state.read_text())
    assert list(data) == ["state"] and data["state"]["draft"]["user"] == "from before"


async def test_an_older_state_without_a_workspace_is_read_from_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playground.config import load_settings

    folder = tmp_path / "plain"
    folder.mkdir()
    monkeypatch.chdir(folder)
    settings = load_settings(cwd=folder)
    state = Path(settings.state_dir()) / "tui-state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    old = {str(Path.cwd()): {"draft": {"user": "old folder draft"}}, "/elsewhere": {}}
    state.write_text(json.dumps(old), encoding="utf-8")
    assert await _draft_seen(settings, tmp_path) == "old folder draft"
