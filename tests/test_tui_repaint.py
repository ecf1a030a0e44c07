"""What reaches the terminal while cells stream is the screen: the partial repaints, applied
in order to a blank terminal, leave exactly what a full redraw of the screen shows."""

from __future__ import annotations

import random
from typing import Any

from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.app import App, ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import Static

from playground.tui.compositor import RowCompositor
from playground.tui.widgets.cell import AnswerText

W, H = 100, 30


class Terminal:
    """The characters a terminal shows after the updates written to it."""

    def __init__(self) -> None:
        self.rows = [[" "] * W for _ in range(H)]

    def put(self, x: int, y: int, text: str) -> None:
        for i, ch in enumerate(text):  # the test's text is one cell per character
            if 0 <= x + i < W:
                self.rows[y][x + i] = ch

    def apply(self, update: Any) -> None:
        if isinstance(update, LayoutUpdate):
            for y, line in enumerate(update.strips, update.region.y):
                self.put(update.region.x, y, "".join(strip.text for strip in line))
        elif isinstance(update, ChopsUpdate):  # as ChopsUpdate.render_segments writes it
            for y, x1, x2 in update.spans:
                for end, (x, strip) in zip(
                    update.chop_ends[y], update.chops[y].items(), strict=True
                ):
                    if strip is None or x > x2 or end <= x1:
                        continue
                    if not (x2 > x >= x1 and end <= x2):
                        strip = strip.crop(0, min(end, x2) - x)
                    self.put(x, y, strip.text)

    def text(self) -> list[str]:
        return ["".join(row) for row in self.rows]


class Cells(Screen[None]):
    CSS = """
    Grid { grid-size: 4 2; }
    .cell { border: round $panel; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._compositor = RowCompositor()

    def compose(self) -> ComposeResult:
        yield Static("top line")
        with Grid():
            for n in range(8):
                with Vertical(classes="cell"):
                    yield AnswerText(id=f"a{n}")
                    yield Static(f"figures {n}", id=f"f{n}")


async def test_partial_repaints_leave_what_a_full_redraw_shows() -> None:
    rng = random.Random(3)
    words = ["otter", "river", "b" * 30, "\n", "swims.", "x"]
    texts = [" ".join(rng.choice(words) for _ in range(120)) for _ in range(8)]
    updates: list[Any] = []

    class Stream(App[None]):
        def on_mount(self) -> None:
            self.push_screen(Cells())

    app = Stream()
    async with app.run_test(size=(W, H)) as pilot:
        await pilot.pause()
        original = app._display

        def display(screen: Any, update: Any) -> None:
            updates.append(update)
            original(screen, update)

        app._display = display  # type: ignore[method-assign]
        screen = app.screen
        areas = [screen.query_one(f"#a{n}", AnswerText) for n in range(8)]
        terminal = Terminal()
        terminal.apply(screen._compositor.render_full_update())
        pos = [0] * 8
        partial = 0
        for tick in range(60):
            for n, area in enumerate(areas):
                if rng.random() < 0.8:
                    step = rng.choice((1, 2, 5, 9))
                    area.append(texts[n][pos[n] : pos[n] + step])
                    pos[n] += step
                if tick == 20:
                    area.anchor()  # following the end, as a streaming cell does
            if tick % 7 == 3:
                screen.query_one(f"#f{tick % 8}", Static).update(f"figures at tick {tick}")
            await pilot.pause()
            for update in updates:
                terminal.apply(update)
            partial += sum(isinstance(u, ChopsUpdate) for u in updates)
            updates.clear()
            full = ["".join(s.text for s in line) for line in screen._compositor.render_strips()]
            assert terminal.text() == full, f"tick {tick}"
        assert partial > 30  # the ticks were drawn as partial updates, not full redraws


async def test_a_new_title_reaches_the_terminal_without_a_layout() -> None:
    """The header's title ("· modified" at the first key in an opened file) is repainted in
    its row: the terminal shows it, and the screen was not laid out for it (a layout of a
    graded grid held the key's echo for ~100 ms)."""
    from playground.tui.widgets.header import AppHeader

    updates: list[Any] = []
    layouts: list[bool] = []

    class Titled(App[None]):
        def compose(self) -> ComposeResult:
            yield AppHeader()
            with Grid():
                for n in range(8):
                    yield Static(f"answer {n}", id=f"a{n}")

    app = Titled()
    async with app.run_test(size=(W, H)) as pilot:
        app.sub_title = "greet v1"
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        terminal = Terminal()
        terminal.apply(screen._compositor.render_full_update())
        assert "greet v1" in terminal.text()[0]
        original, lay_out = app._display, screen._refresh_layout

        def display(screen: Any, update: Any) -> None:
            updates.append(update)
            original(screen, update)

        def refresh_layout(*args: Any, **kw: Any) -> None:
            layouts.append(True)
            lay_out(*args, **kw)

        app._display = display  # type: ignore[method-assign]
        screen._refresh_layout = refresh_layout  # type: ignore[method-assign]
        app.sub_title = "greet v1 · modified"
        for _ in range(50):
            await pilot.pause()
            for update in updates:
                terminal.apply(update)
            updates.clear()
            if "modified" in terminal.text()[0]:
                break
        assert "greet v1 · modified" in terminal.text()[0]
        full = ["".join(s.text for s in line) for line in screen._compositor.render_strips()]
        assert terminal.text() == full
        assert not layouts
