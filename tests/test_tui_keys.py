"""The keyboard everywhere: moving between cells, reaching the grid and back, the footer
following the focused cell, and any model typed into the picker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, Reply
from textual.widgets import Static
from textual.widgets._footer import FooterKey
from tui_main_helpers import all_done, cells_of, loopback_settings, open_store, type_text, wait_for

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


def at(app: Any, model: str, temperature: float) -> Any:
    return next(
        c for c in cells_of(app) if c.cell.model == model and c.cell.temperature == temperature
    )


def footer_keys(app: Any) -> list[str]:
    """The keys the footer offers now, as the user reads them ("r", "^r", …)."""
    return [k.key_display or k.key for k in app.screen.query(FooterKey)]


A, B = "lo-openai:gpt-a", "lo-anthropic:claude-b"


async def test_arrows_and_hjkl_move_between_cells_and_a_number_picks_the_column(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path)  # 2 models × 2 temperatures
    loopback.default = Reply(text=" ".join(f"line{i}\n" for i in range(80)), chunks=4)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 4))
        assert app.focused.id == "user"
        await pilot.press("f3")  # one key from the editor to the grid
        assert app.focused is at(app, A, 0.0)
        steps = [
            ("right", (B, 0.0)),
            ("down", (B, 0.7)),
            ("left", (A, 0.7)),
            ("up", (A, 0.0)),
            ("l", (B, 0.0)),
            ("j", (B, 0.7)),
            ("h", (A, 0.7)),
            ("k", (A, 0.0)),
            ("up", (A, 0.0)),  # the edge: stays
            ("2", (B, 0.0)),
            ("1", (A, 0.0)),
        ]
        for key, (model, t) in steps:
            await pilot.press(key)
            assert app.focused is at(app, model, t), key
        cell = app.focused
        body = cell.body
        assert body.scroll_y == 0 and body.max_scroll_y > 0
        await pilot.press("shift+down", "shift+down")
        await wait_for(pilot, lambda: body.scroll_y == 2)
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: body.scroll_y > 2)
        assert app.focused is cell  # scrolling does not move
        await pilot.press("f2")
        assert app.focused.id == "user"
        await pilot.press("f3")  # back to the cell focused last
        assert app.focused is cell


async def test_f2_while_zoomed_unzooms_first_and_types_into_the_visible_editor(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        await pilot.press("f3", "z")
        assert app.screen.maximized is cells_of(app)[0]
        await pilot.press("f2")
        assert app.screen.maximized is None
        assert app.focused is app.screen.editor.user_area
        await type_text(pilot, "!")
        assert app.screen.editor.user == "go!"
        assert app.screen.editor.user_area.region.height > 0  # visible, not hidden behind


async def test_the_footer_follows_the_focused_cell(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """No Rate (or copy, diff, promote) on a cell still streaming; back once it ended, also
    after a re-run that was cancelled."""
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0], models=[A])
    loopback.enqueue(Reply(text="one two three four", stall_after=2))
    loopback.enqueue(Reply(text="again and again", stall_after=1))
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        cell = (await wait_for(pilot, lambda: cells_of(app)))[0]
        await wait_for(pilot, lambda: cell.shown_text == "one two ")
        await pilot.press("f3")
        await wait_for(pilot, lambda: "x" in footer_keys(app))
        assert "r" not in footer_keys(app) and "p" not in footer_keys(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: cell.ended)
        await wait_for(pilot, lambda: "r" in footer_keys(app))
        assert {"c", "i", "d", "p"} <= set(footer_keys(app))
        await pilot.press("x")  # re-run: streaming again, then cancelled
        await wait_for(pilot, lambda: cell.shown_text == "again ")
        await wait_for(pilot, lambda: "r" not in footer_keys(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: cell.ended and cell.result.status == "cancelled")
        await wait_for(pilot, lambda: "r" in footer_keys(app))


async def test_any_model_typed_as_provider_colon_model_is_selected_and_sent(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0], models=[A])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        picker = app.screen.picker
        await wait_for(pilot, lambda: picker.query("#model-search"))
        picker.query_one("#model-search").focus()
        await type_text(pilot, "lo-openai:brand-new-model")
        await pilot.press("enter")
        assert picker.selected == [A, "lo-openai:brand-new-model"]
        app.screen.editor.user_area.focus()
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        sent = {r.model for r in loopback.requests_for(kind="openai") if r.method == "POST"}
        assert sent == {"gpt-a", "brand-new-model"}
        assert cells_of(app)[1].result.status == "ok"


async def test_the_picker_says_why_a_typed_or_greyed_model_cannot_be_used(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0], models=[A])
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        picker = app.screen.picker
        await wait_for(pilot, lambda: picker.query("#model-search"))
        search = picker.query_one("#model-search")
        why = picker.query_one("#model-why", Static)
        search.focus()
        await type_text(pilot, "nowhere:some-model")
        await pilot.press("enter")
        assert "no provider 'nowhere' is configured" in str(why.render())
        assert picker.selected == [A]
        search.value = ""
        await type_text(pilot, "openai:gpt-4o")  # the built-in openai, without its key
        await pilot.press("enter")
        assert "openai:gpt-4o: set OPENAI_API_KEY" in str(why.render())
        assert picker.selected == [A]
        search.value = ""
        await type_text(pilot, "gpt-4.1-mini")  # a search whose first match is greyed
        await pilot.press("enter")
        await wait_for(pilot, lambda: "set OPENAI_API_KEY" in str(why.render()))
        assert picker.selected == [A]


async def test_the_summary_line_says_how_the_run_went(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(
        loopback, tmp_path, temperatures=[0.0], models=["lo-openai:bad", "lo-gemini:good"]
    )
    loopback.enqueue(Reply(status=400, error_message="model bad does not exist"), model="bad")
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        # nothing ran yet: no summary line (it mounts with the first run)
        assert not [w for w in app.screen.query("#run-summary") if w.display]
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        await wait_for(pilot, lambda: app.screen.query("#run-summary"))
        summary = app.screen.query_one("#run-summary")
        await wait_for(pilot, lambda: summary.line)
        results = [c.result for c in cells_of(app)]
        tokens_in = sum(r.input_tokens or 0 for r in results)
        tokens_out = sum(r.output_tokens or 0 for r in results)
        line = str(summary.render())
        assert line.startswith(
            f"2 cells: 1 ok, 1 failed · unpriced · {tokens_in} in / {tokens_out} out tok · wall "
        )
        assert summary.display


async def test_at_80x24_each_cell_shows_five_lines_and_a_pager_says_which_column(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    models = ["lo-openai:m1", "lo-openai:m2", "lo-gemini:m3", "lo-anthropic:m4"]
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0], models=models)
    loopback.default = Reply(text="\n".join(f"line {i}" for i in range(12)), chunks=3)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 4))
        await pilot.press("f3")
        cell = app.focused
        await pilot.pause()
        assert cell.answer.region.height >= 5  # five lines of answer, at least
        assert cell.query_one(".cell-figures").region.height == 1  # the figures fold to one
        pager = app.screen.query_one("#grid-pager", Static)
        assert pager.display
        assert str(pager.render()).startswith("◀ column 1–2 of 4 ▶")
        await pilot.press("right", "right")
        assert app.focused.cell.model == "lo-gemini:m3"
        await wait_for(pilot, lambda: str(pager.render()).startswith("◀ column 3–4 of 4 ▶"))
        grid = app.screen.grid
        await wait_for(  # the page shows it whole
            pilot,
            lambda: (
                grid.region.x <= app.focused.region.x
                and app.focused.region.right <= grid.region.right
            ),
        )
        await pilot.press("1")
        await wait_for(pilot, lambda: str(pager.render()).startswith("◀ column 1–2 of 4 ▶"))
