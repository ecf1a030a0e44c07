"""The main screen's layout: the split between the form and the results (keys, palette,
remembered), the form sized to a short prompt on a wide terminal, and whole cells at 80×24
under the no-keys notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer
from tui_main_helpers import all_done, cells_of, loopback_settings, open_store, type_text, wait_for

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


def form_rows(app: Any) -> int:
    return app.screen.form.region.height


async def settled(pilot: Any, measure: Any) -> int:
    """The measure once the form has stopped following its content (no refit pending) and
    three looks in a row agree."""
    seen: list[int] = []
    for _ in range(250):
        await pilot.pause(0.02)
        seen = [*seen[-2:], measure()]
        if len(seen) == 3 and len(set(seen)) == 1 and not pilot.app.screen._refits:
            return seen[0]
    raise AssertionError(f"the layout did not settle: {seen}")


async def test_the_split_moves_with_the_keys_and_is_restored_after_a_restart(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "Say hello")
        start = await settled(pilot, lambda: form_rows(app))
        results = app.screen.grid.region.height
        await pilot.press("ctrl+down", "ctrl+down")
        larger = await settled(pilot, lambda: form_rows(app))
        assert larger > start
        assert app.screen.grid.region.height < results  # the results gave the room
        await pilot.press("ctrl+up", "ctrl+up", "ctrl+up", "ctrl+up")
        smaller = await settled(pilot, lambda: form_rows(app))
        assert smaller < start
        assert app.screen.editor.user == "Say hello"  # the keys did not type into the prompt
        chosen = app.state.split
    assert list(chosen) == ["rows"]  # above the results: a share of the height

    again = make_app(settings, store=open_store(tmp_path))  # a restart: the state file
    async with again.run_test(size=(100, 30)) as pilot:
        assert again.state.split == chosen
        assert await settled(pilot, lambda: form_rows(again)) == smaller
        await pilot.press("ctrl+p")
        await type_text(pilot, "Reset split")
        await pilot.press("enter")
        assert await settled(pilot, lambda: form_rows(again)) == start
        assert again.state.split == {}


async def test_a_long_prompt_grows_the_form_within_bounds(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await type_text(pilot, "Hi")
        short = await settled(pilot, lambda: form_rows(app))
        editor = app.screen.editor.user_area
        editor.insert("\n".join(f"line {i}" for i in range(8)))
        assert len(editor.text.splitlines()) == 8
        await wait_for(pilot, lambda: editor.region.height >= 8)  # every line in view
        assert form_rows(app) > short
        editor.insert("\n".join(f"more {i}" for i in range(40)))
        assert await settled(pilot, lambda: form_rows(app)) <= 40 * 0.45  # the results keep room


async def test_at_200x50_a_short_prompt_leaves_the_results_most_of_the_width(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(200, 50)) as pilot:
        await type_text(pilot, "Say hello")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 4))
        form = app.screen.form
        width = await settled(pilot, lambda: form.region.width)
        assert width < 100  # less than half
        assert app.screen.editor.user_area.region.width < 100
        grid = app.screen.grid.region
        assert grid.x >= form.region.right and grid.width > 100  # the results beside, wider
        assert grid.height > 40  # and nearly the whole height
        for cell in cells_of(app):
            assert grid.contains_region(cell.region)  # all four cells whole
        await pilot.press(*["ctrl+down"] * 6)  # 25% -> 55%
        assert await settled(pilot, lambda: form.region.width) > 100  # the user's split wins
        assert app.state.split == {"cols": 55}
        await pilot.resize_terminal(100, 40)  # narrower: the form above, its own split
        assert await settled(pilot, lambda: form.region.width) == 100
        assert form.region.height < 40 * 0.45


async def test_at_80x24_under_the_no_keys_notice_each_cell_shows_its_bottom_border(
    tmp_path: Path,
) -> None:
    from playground.config import load_settings

    (tmp_path / "playground.toml").write_text(
        '[defaults]\nmodels = ["echo"]\ntemperatures = [0, 0.7]\n', encoding="utf-8"
    )
    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        notice = app.screen.query_one("#notice")
        assert notice.display and notice.region.height == 2  # "No API keys found: …"
        await type_text(pilot, "Say hello")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        await pilot.press("f3")
        grid = app.screen.grid
        first, second = cells_of(app)
        assert app.focused is first
        await pilot.pause()
        assert grid.region.contains_region(first.region)  # its bottom border too
        assert first.answer.region.height >= 5
        await pilot.press("down")
        assert app.focused is second
        await wait_for(pilot, lambda: grid.region.contains_region(second.region))
        # a split moved by hand keeps the focused cell whole, and the results a whole cell
        await pilot.press("ctrl+up")
        await wait_for(pilot, lambda: grid.region.height > 8)
        await wait_for(pilot, lambda: grid.region.contains_region(second.region))
        await pilot.press("ctrl+down", "ctrl+down", "ctrl+down")
        await wait_for(pilot, lambda: "rows" in app.state.split and grid.region.height == 8)
        await wait_for(pilot, lambda: grid.region.contains_region(second.region))
