"""The diff side by side: two columns aligned line against line, the changed words marked on
theme colours, long lines folded (nothing cut), and the choice remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_tui_screens import Host, result
from textual.color import Color
from tui_main_helpers import all_done, type_text, wait_for

from playground.core.diff import side_by_side

LEFT = "Otters hold hands while they sleep.\nThey keep a stone.\nGone line."
RIGHT = "Otters hold paws while they nap.\nThey keep a stone.\nA raft of otters rests."


def test_rows_align_lines_and_keep_each_side_exactly() -> None:
    left = "same\nThe  cat sat.\ngone\nend"
    right = "same\nThe dog sat!\nend\nnew"
    rows = side_by_side(left, right)
    text = [
        (
            None if a is None else "".join(s.text for s in a),
            None if b is None else "".join(s.text for s in b),
        )
        for a, b in rows
    ]
    assert text == [
        ("same", "same"),
        ("The  cat sat.", "The dog sat!"),  # the left keeps its own spacing
        ("gone", None),
        ("end", "end"),
        (None, "new"),
    ]
    changed = [[(s.op, s.text) for s in side if s.op != "equal"] for side in rows[1]]  # type: ignore[union-attr]
    assert changed == [
        [("delete", "  cat"), ("delete", ".")],
        [("insert", " dog"), ("insert", "!")],
    ]
    lines_only = side_by_side(left, right, words=False)[1]
    assert [[s.op for s in side] for side in lines_only] == [["delete"], ["insert"]]  # type: ignore[union-attr]


def columns(view: Any) -> list[tuple[str, str]]:
    """The drawn lines split at the rule: (left column, right column), right-trimmed."""
    lines = view.render().plain.splitlines()
    return [tuple(part.rstrip() for part in line.split(" │ ", 1)) for line in lines]  # type: ignore[misc]


async def test_b_shows_both_answers_side_by_side_with_the_changed_words_marked() -> None:
    from playground.tui.screens.diff import DiffScreen
    from playground.tui.widgets.diff_view import DiffView, SideBySideView

    left = result("openai:gpt-4.1-mini", 0.0, LEFT)
    right = result("anthropic:claude-haiku-4-5", 0.7, RIGHT)
    app = Host(lambda: DiffScreen(left, right))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        sides = screen.query_one(SideBySideView)
        assert screen.query_one(DiffView).display and not sides.display  # inline first
        await pilot.press("b")
        await wait_for(pilot, lambda: sides.display and sides.size.height > 0)
        assert not screen.query_one(DiffView).display
        assert columns(sides)[:2] == [
            ("Otters hold hands while they sleep.", "Otters hold paws while they nap."),
            ("They keep a stone.", "They keep a stone."),
        ]
        assert columns(sides)[2][0] == "Gone line."
        assert columns(sides)[2][1] == "A raft of otters rests."
        content = sides.render()
        variables = app.get_css_variables()
        styled = {content.plain[s.start : s.end].strip(): s.style for s in content.spans}
        assert styled["hands"].foreground == Color.parse(variables["text-error"])
        assert styled["paws"].foreground == Color.parse(variables["text-success"])
        assert "hold" not in styled and "Otters" not in styled  # unchanged words stay plain

        await pilot.press("s")  # swapped: the right answer is now on the left
        assert columns(sides)[0][0] == "Otters hold paws while they nap."
        await pilot.press("w")  # line mode: a changed line is marked whole
        content = sides.render()
        styled = {content.plain[s.start : s.end].strip() for s in content.spans}
        assert "Otters hold paws while they nap." in styled and "paws" not in styled
        await pilot.press("b")  # and back to inline
        assert screen.query_one(DiffView).display and not sides.display


async def test_long_lines_fold_so_every_character_of_both_answers_is_shown() -> None:
    from playground.tui.screens.diff import DiffScreen
    from playground.tui.widgets.diff_view import SideBySideView

    long_left = " ".join(f"word{i}" for i in range(150)) + " END-LEFT"
    long_right = "short\n" + "x" * 150 + "END-RIGHT"
    app = Host(lambda: DiffScreen(result("a:a", 0.0, long_left), result("b:b", 0.0, long_right)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        sides = app.screen.query_one(SideBySideView)
        await wait_for(pilot, lambda: sides.size.height > 0)
        width = sides.content_size.width
        drawn = columns(sides)
        assert all(len(line) <= width for line in sides.render().plain.splitlines())
        left_text = "".join(a for a, _ in drawn if not a.startswith("╱"))
        right_text = "".join(b for _, b in drawn if not b.startswith("╱"))
        assert left_text.replace(" ", "") == long_left.replace(" ", "")
        assert right_text == long_right.replace("\n", "")
        assert sides.size.height == len(drawn) > 24  # taller than the screen: it scrolls
        body = app.screen.query_one("#diff-body")
        body.scroll_end(animate=False)
        await wait_for(pilot, lambda: body.scroll_y == body.max_scroll_y > 0)


@pytest.mark.usefixtures("isolated")
async def test_side_by_side_is_remembered_across_restarts(tmp_path: Path) -> None:
    from playground.config import load_settings
    from playground.tui.app import make_app
    from playground.tui.screens.diff import DiffScreen

    (tmp_path / "playground.toml").write_text(
        '[defaults]\nmodels = ["echo"]\ntemperatures = [0, 0.7]\n', encoding="utf-8"
    )
    settings = load_settings(cwd=tmp_path)

    async def open_diff(pilot: Any, app: Any) -> Any:
        await type_text(pilot, "hi")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 2))
        await pilot.press("f3", "d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen))
        return app.screen

    app = make_app(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_diff(pilot, app)
        assert not screen.has_class("-sides")
        await pilot.press("b")
        assert screen.has_class("-sides")
    again = make_app(load_settings(cwd=tmp_path))
    async with again.run_test(size=(120, 36)) as pilot:
        screen = await open_diff(pilot, again)
        assert screen.has_class("-sides")  # as left
        await wait_for(pilot, lambda: screen.sides.size.height > 0)
        first = columns(screen.sides)[0]
        assert "temperature=0.0" in first[0] and "temperature=0.7" in first[1]
