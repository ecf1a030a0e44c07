"""The command line's text for people: live progress on stderr while a run streams, then the
results side by side (a column per model, folded, never cut)."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from playground.core.model import CellResult, RunEvent
from playground.render.figures import cell_label, cost_summary, figures, format_total
from playground.render.progress import RunProgress

STATUS_STYLE = {
    "ok": "green",
    "error": "red",
    "cancelled": "yellow",
    "interrupted": "yellow",
    "running": "cyan",
    "pending": "dim",
    "queued": "dim",
}


def _folded(text: str, style: str = "") -> Text:
    """Text that folds where a line is too long for its column, never cut with …: a CJK
    sentence, a URL or an identifier longer than the column stays readable in full."""
    return Text(text, style=style, overflow="fold")


def _cell_body(r: CellResult, figures_line: str | None = None) -> Group:
    parts: list[Any] = [_folded(r.output.rstrip() or ("" if r.error else "(no output)"))]
    if r.error:
        parts.append(_folded(f"✗ {r.error}", style="bold red"))
    line = figures(r) if figures_line is None else figures_line
    if line:
        parts.append(_folded(line, style="dim"))
    return Group(*parts)


def cell_panel(r: CellResult, title: str | None = None, figures_line: str | None = None) -> Panel:
    """One cell in a bordered box coloured by its status: the answer, its error, the figures
    line, all folded inside (a title or subtitle would be cut where the box is narrow)."""
    return Panel(
        _cell_body(r, figures_line),
        title=_folded(cell_label(r.cell) if title is None else title),
        border_style=STATUS_STYLE.get(r.status, "white"),
    )


def print_results(
    handle: Any, console: Console | None = None, results: list[CellResult] | None = None
) -> None:
    """Outputs side by side: a column per model, a row per temperature (and sample).
    ``results`` (default: the handle's) are the cells as they are to be shown."""
    console = console or Console()
    results = handle.results if results is None else results
    models = list(dict.fromkeys(r.cell.model for r in results))
    if console.width // max(1, len(models)) >= 28:
        table = Table(show_lines=True, expand=True)
        table.add_column("t", justify="right", style="bold", no_wrap=True)
        for model in models:
            table.add_column(
                _folded(model), ratio=1, overflow="fold"
            )  # model ids may hold [brackets]
        rows: dict[tuple[Any, int], dict[str, CellResult]] = {}
        for r in results:
            rows.setdefault((r.cell.temperature, r.cell.sample), {})[r.cell.model] = r
        for (temp, sample), by_model in rows.items():
            label = "default" if temp is None else f"{temp:g}"
            if sample > 1:
                label += f"\n#{sample}"
            cells: list[Any] = []
            for model in models:
                r = by_model.get(model)
                cells.append(_cell_body(r) if r else "")
            table.add_row(label, *cells)
        console.print(table)
    else:  # too narrow for a column per model: stack the cells
        for r in results:
            console.print(cell_panel(r))
    ok = sum(1 for r in results if r.status == "ok")
    line = f"{ok}/{len(results)} ok · total {total_label(results)}"
    if handle.run_id is not None:
        line += f" · run {handle.run_id}"
    console.print(line, style="bold")


def total_label(results: list[CellResult]) -> str:
    """The run's cost for people: "unpriced" when no cell has a price (never $0), and ≈ when
    any cost in it comes from estimated rather than provider-reported usage."""
    total, unpriced = cost_summary((r.cost_usd, True) for r in results)
    estimated = any(r.usage_source == "estimate" and r.cost_usd for r in results)
    return format_total(total, unpriced, estimated=estimated)


class LiveProgress:
    """A per-cell status table on stderr while a run streams, redrawn a few times a second
    (computed when drawn, so "no data for N s" keeps counting between events)."""

    def __init__(self, handle: Any, clock: Any = time.monotonic) -> None:
        self.handle = handle
        self.progress = RunProgress(clock)
        self.console = Console(stderr=True)
        self.live = Live(self, console=self.console, refresh_per_second=8, transient=True)

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)

    def update(self, event: RunEvent) -> None:
        self.progress.update(event)

    def __rich__(self) -> Table:
        return self.table()

    def table(self) -> Table:
        table = Table(box=None, show_header=False, pad_edge=False)
        progress = self.progress
        for r in self.handle.results:
            status = progress.status(r)
            note = Text(r.error, style="red") if r.error else Text(progress.silence(r), "yellow")
            table.add_row(
                Text(status, style=STATUS_STYLE.get(status, "")),
                Text(cell_label(r.cell)),
                f"{progress.chars.get(r.cell.index, 0)} chars",
                note,
            )
        return table
