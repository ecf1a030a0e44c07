"""CPU per streaming tick, headless: what bench_tui's CPU figure is made of, without the wall clock.

Eight result cells in a 4×2 grid on a 160×48 screen; each tick every cell gets 6 characters
and flushes them (as the pacer's tick does), then the screen repaints. Prints the process's
CPU time per tick (user + system), the median of rounds of 20 ticks. CPU time, not wall
time: it holds on a loaded machine, where the pty bench's "% of a core" is what a starved
process gets. Not a FIGURE (bench/run does not run it: not ``bench_*``).

    python bench/tui_ticks.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
from typing import Any

TEXT = "model=lo temperature=0: Hello from the loopback server." + " lorem" * 400


def cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


async def measure(rounds: int) -> list[float]:
    from textual.app import App, ComposeResult
    from textual.containers import Grid
    from textual.screen import Screen
    from textual.widgets import Footer, Header, Static

    from playground.core.model import Cell, CellResult
    from playground.tui.widgets.cell import ResultCell

    try:  # the main screen's compositor, where there is one
        from playground.tui.compositor import RowCompositor
    except ImportError:
        RowCompositor = None  # type: ignore[assignment,misc]

    class Cells(Screen[None]):
        CSS = "Grid { grid-size: 4 2; height: 40; }"

        def __init__(self) -> None:
            super().__init__()
            if RowCompositor is not None:
                self._compositor = RowCompositor()

        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("the estimate bar")
            with Grid():
                for i in range(8):
                    yield ResultCell(Cell(i, f"m{i}", 0.0))
            yield Footer()

    class Ticks(App[None]):
        def on_mount(self) -> None:
            self.push_screen(Cells())

    app = Ticks()
    per_tick: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        cells: list[Any] = list(app.screen.query(ResultCell))
        for cell in cells:
            await cell.begin(CellResult(cell.cell, status="running"))
        await pilot.pause()
        pos = 0
        for _ in range(rounds):
            t0 = cpu()
            for _tick in range(20):
                for cell in cells:
                    piece = TEXT[pos : pos + 6]
                    cell.result.output += piece
                    cell.feed(piece)
                    await cell.flush()
                pos += 6
                await pilot.pause()  # the repaint
            per_tick.append((cpu() - t0) * 1000 / 20)
    return per_tick


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    ticks = asyncio.run(measure(args.rounds))
    rounds = ", ".join(f"{t:.1f}" for t in ticks)
    print(
        f"CPU per tick (8 cells x 6 chars + the repaint): median {statistics.median(ticks):.1f} ms"
    )
    print(f"  rounds of 20 ticks: {rounds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
