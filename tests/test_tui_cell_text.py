"""Result cells show the answer exactly as received; Markdown rendering is a remembered toggle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, Reply
from textual.geometry import Region
from tui_main_helpers import all_done, cells_of, loopback_settings, open_store, type_text, wait_for

from playground.tui.app import make_app

EXACT = "<answer>42</answer>\n*stars* __init__.py\nline2\nline3"


pytestmark = pytest.mark.usefixtures("isolated")


def drawn(widget: Any) -> list[str]:
    """The lines the widget draws now (what the user sees), right-trimmed; for a container,
    the lines its innermost widgets draw, in order."""
    leaves = [w for w in widget.query("*") if not w.children] if widget.children else [widget]
    lines: list[str] = []
    for leaf in leaves:
        region = Region(0, 0, leaf.size.width, leaf.size.height)
        lines += [strip.text.rstrip() for strip in leaf.render_lines(region)]
    return lines


async def test_the_answer_is_shown_exactly_as_received(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Tags, stars, underscores and single line breaks all survive: nothing is rendered."""
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0], models=["lo-openai:a"])
    loopback.default = Reply(text=EXACT, chunks=5)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1))
        cell = cells_of(app)[0]
        assert cell.answer.text == EXACT
        assert cell.shown_text == EXACT
        await pilot.pause()
        assert drawn(cell.answer)[:4] == EXACT.split("\n")
        assert not cell.markdown_on


async def test_m_renders_the_focused_cell_as_markdown_and_back(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    loopback.default = Reply(text=EXACT, chunks=3)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        first, second = cells_of(app)
        first.focus()
        await pilot.press("m")
        await wait_for(pilot, lambda: first.markdown_on)
        body = first.body
        assert body.display and not first.answer.display
        await pilot.pause()
        rendered = "\n".join(drawn(body))
        assert "42" in rendered and "<answer>" not in rendered  # rendered, not as received
        assert "*stars*" not in rendered and "stars" in rendered
        assert not second.markdown_on  # only the focused cell
        assert drawn(second.answer)[:4] == EXACT.split("\n")
        await pilot.press("m")
        await wait_for(pilot, lambda: not first.markdown_on)
        await pilot.pause()
        assert drawn(first.answer)[:4] == EXACT.split("\n")


async def test_shift_m_toggles_every_cell_and_is_remembered_after_a_restart(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, temperatures=[0.0])
    loopback.default = Reply(text=EXACT, chunks=3)
    app = make_app(settings, store=open_store(tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await type_text(pilot, "go")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        cells_of(app)[1].focus()
        await pilot.press("M")
        await wait_for(pilot, lambda: all(c.markdown_on for c in cells_of(app)))
        await pilot.press("ctrl+q")

    from playground.config import load_settings

    again = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
    async with again.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+r")  # the draft "go" came back
        await wait_for(pilot, lambda: all_done(again, 2))
        cells = cells_of(again)
        assert all(c.markdown_on for c in cells)
        cells[0].focus()
        await pilot.press("M")
        await wait_for(pilot, lambda: not any(c.markdown_on for c in cells_of(again)))
        assert drawn(cells[0].answer)[:4] == EXACT.split("\n")


async def test_every_character_of_a_long_answer_can_be_reached(tmp_path: Path) -> None:
    """The echo model's answer, with an unbroken 300-character word and 80 lines, in a small
    cell: long words fold (never cut) and End scrolls to the last line."""
    from playground.config import load_settings

    word = "".join(chr(ord("a") + i % 26) for i in range(300))
    app = make_app(load_settings(cwd=tmp_path), store=open_store(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = word + " " + " ".join(f"row{i}" for i in range(80))
        app.screen.editor.user_area.text = prompt
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2), timeout=30)  # echo paces its pieces
        cell = cells_of(app)[0]
        assert word in cell.answer.text and "row79" in cell.answer.text
        cell.focus()
        await pilot.pause()
        body = cell.answer
        seen: dict[int, str] = {}  # line of the answer -> what was drawn for it
        while True:
            for offset, line in enumerate(drawn(body)):
                seen[int(body.scroll_y) + offset] = line
            if body.scroll_y >= body.max_scroll_y:
                break
            before = body.scroll_y
            await pilot.press("pagedown")
            await wait_for(pilot, lambda before=before: body.scroll_y > before)
            await pilot.pause()
        text = "".join(seen[i] for i in sorted(seen))
        assert body.max_scroll_y > 0  # it did not fit: the keys reached the rest
        assert word in text  # folded over lines, never cut
        assert "row0 row1" in text and text.endswith("row79")


async def test_a_streamed_answer_is_drawn_as_the_whole_text_would_be() -> None:
    """Appends repaint only the rows they change: after every piece, what the streamed area
    draws is what an area given the whole text at once draws (scrolled alike), row for row."""
    import random

    from textual.app import App, ComposeResult
    from textual.containers import Horizontal

    from playground.tui.widgets.cell import AnswerText

    rng = random.Random(7)
    words = ["otter", "river", "a" * 45, "\n", "\n\n", "  ", "swims.", "x", "éé", "tab\there"]
    text = " ".join(rng.choice(words) for _ in range(160))
    pieces, pos = [], 0
    while pos < len(text):
        step = rng.choice((1, 1, 2, 3, 7, 30))
        pieces.append(text[pos : pos + step])
        pos += step

    class Two(App[None]):
        CSS = "AnswerText { width: 24; height: 8; }"

        def compose(self) -> ComposeResult:
            with Horizontal():
                yield AnswerText(id="streamed")
                yield AnswerText(id="whole")

    app = Two()
    async with app.run_test(size=(60, 10)) as pilot:
        streamed = app.query_one("#streamed", AnswerText)
        whole = app.query_one("#whole", AnswerText)
        await pilot.pause()
        shown = ""
        for n, piece in enumerate(pieces):
            streamed.append(piece)
            shown += piece
            if n == 40:
                streamed.anchor()  # from here on it follows the end, as a streaming cell does
            if n % 3 and n != len(pieces) - 1:
                continue  # several appends between frames, as in a tick
            await pilot.pause()
            whole.show(shown)
            whole.scroll_to(y=streamed.scroll_y, animate=False, immediate=True)
            await pilot.pause()
            assert streamed.text == shown
            assert drawn(streamed) == drawn(whole), f"after {n + 1} pieces"
        assert streamed.scroll_y == streamed.max_scroll_y > 0
