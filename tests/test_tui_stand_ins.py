"""The first frame's stand-ins (issue 16): a plain start draws the header, the footer's bar and
the empty system message as plain rows, and the real widgets take their place a frame later,
on the same rows. What a user sees and types must not notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Footer, TextArea
from textual.widgets._footer import FooterKey
from tui_main_helpers import wait_for

from playground.config import load_settings
from playground.tui.app import make_app
from playground.tui.widgets.header import AppHeader

pytestmark = pytest.mark.usefixtures("isolated")

STAND_INS = ("#header-stand-in", "#footer-stand-in", "#system-stand-in")


def record_first_frame(app: Any) -> dict[str, Any]:
    """Keep the first frame written: its rows as text and the stand-ins it held."""
    first: dict[str, Any] = {}
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        if renderable is not None and not first and not app._batch_count:
            first["rows"] = [strip.text for strip in screen._compositor.render_strips()]
            first["stand_ins"] = [s for s in STAND_INS if screen.query(s)]
        original(screen, renderable)

    app._display = display
    return first


def swapped(app: Any) -> bool:
    screen = app.screen
    return (
        not any(screen.query(s) for s in STAND_INS)
        and bool(screen.query(FooterKey))
        and screen.editor.system_area.is_mounted
    )


@pytest.mark.parametrize("size", [(160, 48), (100, 30)])
async def test_the_first_frame_draws_the_rows_the_real_widgets_draw_a_frame_later(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(load_settings(cwd=tmp_path))
    first = record_first_frame(app)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: swapped(app))
        await pilot.pause()
        rows = [strip.text for strip in app.screen._compositor.render_strips()]
        assert first["stand_ins"] == list(STAND_INS)
        assert len(app.screen.query(AppHeader)) == len(app.screen.query(Footer)) == 1
        assert first["rows"][0] == rows[0]  # the header: icon and title where they were
        # the system message: its label and three rows, in the editor's columns
        region = app.screen.editor.system_area.region
        x0, x1 = region.x, region.right
        assert "optional system message" in rows[region.y][x0:x1]
        for y in range(region.y - 1, region.bottom):
            assert first["rows"][y][x0:x1] == rows[y][x0:x1]
        keys = [k.key_display or k.key for k in app.screen.query(FooterKey)]
        assert keys[:2] == ["^r", "esc"]  # the footer's keys, which the bar did not show


async def test_keys_typed_at_once_land_and_the_system_message_is_there_to_edit(
    tmp_path: Path,
) -> None:
    app = make_app(load_settings(cwd=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("h", "i")  # at once: the user message has the focus from the start
        assert app.screen.editor.user == "hi"
        await pilot.press("shift+tab")  # back to the system message
        await wait_for(pilot, lambda: swapped(app))
        assert app.focused is app.screen.editor.system_area
        await pilot.press("b", "e")
        assert app.screen.editor.texts()[:2] == ("be", "hi")


async def test_the_system_area_is_mounted_at_first_use_even_before_the_swap(
    tmp_path: Path,
) -> None:
    app = make_app(load_settings(cwd=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        area = app.screen.editor.system_area  # asked for: mounted now, the stand-in gone
        assert isinstance(area, TextArea) and area.parent is app.screen.editor
        await pilot.pause()
        assert not app.screen.query("#system-stand-in")
        area.load_text("You are brief.")
        assert app.screen.editor.system == "You are brief."


async def test_a_remembered_system_message_is_drawn_by_its_area_from_the_first_frame(
    tmp_path: Path,
) -> None:
    settings = load_settings(cwd=tmp_path)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: swapped(app))
        app.screen.editor.system_area.load_text("Answer in French.")
        await pilot.press("o", "k")
    again = make_app(settings)
    first = record_first_frame(again)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: swapped(again))
        assert "#system-stand-in" not in first["stand_ins"]
        assert any("Answer in French." in row for row in first["rows"])
        assert again.screen.editor.texts()[:2] == ("Answer in French.", "ok")


async def test_the_side_column_fills_in_under_models_in_its_order(tmp_path: Path) -> None:
    """The first frame's side column holds its heading only; the model list, the
    temperatures (label and field) and the parameters come under it just after."""
    app = make_app(load_settings(cwd=tmp_path))
    first = record_first_frame(app)
    async with app.run_test(size=(120, 40)) as pilot:
        side = app.screen.query_one("#side")
        await wait_for(pilot, lambda: len(side.children) == 5)
        assert [w.id or str(w.render()) for w in side.children] == [
            "models-label",
            "models",
            "Temperatures",
            "temperatures",
            "params",
        ]
        assert not any("Temperatures" in row for row in first["rows"])
        assert app.screen.picker.selected == ["echo"]  # no key: echo, as before
