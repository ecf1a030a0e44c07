"""The promote dialog: the name is checked as you type, the next version and its diff are shown,
and Enter writes the file through the prompt library."""

from __future__ import annotations

from pathlib import Path

from test_tui_screens import Host
from textual.widgets import Input, Static

from playground.config import Settings
from playground.core.model import CellResult
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.tui.screens.promote import PromoteScreen
from playground.tui.widgets.diff_view import UnifiedDiffView


async def _run(tmp_path: Path) -> tuple[Settings, RunPlan, list[CellResult]]:
    settings = Settings(prompts_dir_override=tmp_path / "prompts")
    plan = RunPlan(
        PromptTemplate.from_parts("Be brief.", "Tell me about {{topic}}."),
        {"topic": "otters"},
        models=["echo"],
        temperatures=[0.0, 0.7],
        max_tokens=200,
    )
    handle = await Runner(settings).run(plan)
    return settings, plan, handle.results


def _text(app: Host, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_promote_checks_the_name_previews_and_writes(tmp_path: Path) -> None:
    settings, plan, results = await _run(tmp_path)
    app = Host(lambda: PromoteScreen(settings, plan.template, results[0], plan))
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        await pilot.press(*"a b")
        await pilot.pause()
        assert "characters other than letters" in _text(app, "#promote-name-error")
        await pilot.press("enter")  # refused: nothing written, dialog stays
        assert app.results == []
        assert not (tmp_path / "prompts").exists()

        app.screen.query_one("#promote-name", Input).value = "otter-fact"
        await pilot.press("end", "s")
        await pilot.pause(0.3)
        assert _text(app, "#promote-name-error") == ""
        assert (
            _text(app, "#promote-version")
            == "will create prompts/otter-facts.prompt v1 (a new prompt)"
        )
        diff = app.screen.query_one(UnifiedDiffView).text
        assert "+model: echo" in diff
        assert "+  temperature: 0" in diff

        await pilot.press("tab")
        app.screen.query_one("#promote-note", Input).value = "first cut"
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == ["promoted to prompts/otter-facts.prompt v1"]
    current = (tmp_path / "prompts" / "otter-facts.prompt").read_text()
    assert (tmp_path / "prompts" / "otter-facts" / "v1.prompt").read_text() == current
    assert "model: echo" in current
    assert "first cut" in current  # the note is kept in the provenance
    assert "Tell me about {{topic}}." in current


async def test_promote_shows_the_next_version_and_its_diff_then_identical(tmp_path: Path) -> None:
    settings, plan, results = await _run(tmp_path)
    plan.prompt_name = "otter-facts"  # opened from this prompt file: the name is prefilled
    from playground import library

    library.promote(
        settings.prompts_dir(),
        "otter-facts",
        template=plan.template,
        model="echo",
        temperature=0.0,
        max_tokens=200,
        variables=plan.variables,
    )

    app = Host(lambda: PromoteScreen(settings, plan.template, results[1], plan))  # t=0.7
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.pause(0.3)
        assert _text(app, "#promote-version") == "will create prompts/otter-facts.prompt v2"
        diff = app.screen.query_one(UnifiedDiffView).text
        assert "-  temperature: 0.0" in diff.splitlines()
        assert "+playground.version: 2" in diff.splitlines()
        assert "+  temperature: 0.7" in diff.splitlines()
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == ["promoted to prompts/otter-facts.prompt v2"]
    assert (tmp_path / "prompts" / "otter-facts" / "v2.prompt").is_file()

    app = Host(lambda: PromoteScreen(settings, plan.template, results[1], plan))
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.pause(0.3)
        assert "identical to prompts/otter-facts.prompt v2" in _text(app, "#promote-version")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == ["prompts/otter-facts.prompt v2 is already identical"]
    assert not (tmp_path / "prompts" / "otter-facts" / "v3.prompt").exists()


async def test_promote_escape_cancels_without_writing(tmp_path: Path) -> None:
    settings, plan, results = await _run(tmp_path)
    app = Host(lambda: PromoteScreen(settings, plan.template, results[0], plan))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k", "escape")
        await pilot.pause()
        assert app.results == [None]
    assert not (tmp_path / "prompts").exists()


async def test_promote_from_a_recorded_run_keeps_session_run_and_rating(tmp_path: Path) -> None:
    """Opened with the store, the file's provenance names the session, the run and the rating."""
    from playground.store import Store

    settings = Settings(
        prompts_dir_override=tmp_path / "prompts", db_path_override=tmp_path / "s.db"
    )
    store = Store.open(settings.db_path())
    plan = RunPlan(
        PromptTemplate.from_parts("", "Hi {{who}}"),
        {"who": "Ada"},
        models=["echo"],
        temperatures=[0.0],
    )
    handle = await Runner(settings, recorder=store).run(plan)
    result = handle.results[0]
    store.rate(result.id, 5, "crisp")
    app = Host(lambda: PromoteScreen(settings, plan.template, result, plan, store=store))
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        app.screen.query_one("#promote-name", Input).value = "greeting"
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == ["promoted to prompts/greeting.prompt v1"]
    text = (tmp_path / "prompts" / "greeting.prompt").read_text()
    assert f"run_id: {handle.run_id}" in text
    assert f"session_id: {handle.session_id}" in text
    assert "crisp" in text
    store.close()


async def test_promote_over_a_hand_written_file_says_what_it_is_and_keeps_it(
    tmp_path: Path,
) -> None:
    settings, plan, results = await _run(tmp_path)
    hand = tmp_path / "prompts" / "hand.prompt"
    hand.parent.mkdir(parents=True, exist_ok=True)
    hand.write_text("---\nmodel: echo\n---\nMy precious hand-written prompt.\n")
    app = Host(lambda: PromoteScreen(settings, plan.template, results[0], plan))
    async with app.run_test(size=(100, 36)) as pilot:
        name = app.screen.query_one("#promote-name", Input)
        name.value = "hand"
        await pilot.pause(0.5)
        diff = app.screen.query_one(UnifiedDiffView).text
        assert "--- hand (current, not a version)" in diff.splitlines()
        said = _text(app, "#promote-version")
        assert said.startswith("will create prompts/hand.prompt v2\n⚠ hand.prompt has changes")
        assert "kept as hand/v1.prompt" in said
        assert "-My precious hand-written prompt." in diff.splitlines()
        await pilot.press("enter")
        await pilot.pause(0.3)
    kept = [p.read_text() for p in (tmp_path / "prompts" / "hand").glob("v*.prompt")]
    assert any("My precious hand-written prompt." in text for text in kept)
