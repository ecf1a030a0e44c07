"""One line over the grid once a run has ended: cells ok/failed, total cost, tokens, wall."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import Static

from playground.render.figures import cost_summary, format_total


def summary_line(results: Iterable[Any]) -> str:
    """ "4 cells: 3 ok, 1 failed · $0.0012 · 44 in / 180 out tok · wall 2.31 s"."""
    done = [r for r in results if r is not None]
    if not done:
        return ""
    counts: dict[str, int] = {}
    for r in done:
        counts[r.status] = counts.get(r.status, 0) + 1
    words = {"ok": "ok", "error": "failed", "cancelled": "cancelled", "interrupted": "interrupted"}
    parts = [f"{counts.pop(status)} {word}" for status, word in words.items() if status in counts]
    parts += [f"{n} {status}" for status, n in counts.items()]
    noun = "cell" if len(done) == 1 else "cells"
    line = f"{len(done)} {noun}: " + ", ".join(parts)
    total, unpriced = cost_summary((r.cost_usd, r.status == "ok" or bool(r.output)) for r in done)
    estimated = any(r.usage_source == "estimate" and r.cost_usd is not None for r in done)
    line += " · " + format_total(total, unpriced, estimated=estimated)
    tokens_in = sum(r.input_tokens or 0 for r in done)
    tokens_out = sum(r.output_tokens or 0 for r in done)
    line += f" · {tokens_in:,} in / {tokens_out:,} out tok"
    starts = [r.started_at for r in done if r.started_at is not None]
    ends = [r.ended_at for r in done if r.ended_at is not None]
    if starts and ends and max(ends) >= min(starts):
        line += f" · wall {max(ends) - min(starts):.2f} s"
    return line


class RunSummary(Static):
    """Hidden until a run has ended (or a past run is shown)."""

    DEFAULT_CSS = """
    RunSummary { height: 1; padding: 0 1; color: $text-muted; display: none; }
    RunSummary.-shown { display: block; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__("", markup=False, **kw)
        self.line = ""

    def show(self, results: Iterable[Any]) -> None:
        self.line = summary_line(results)
        self.update(self.line)
        self.set_class(bool(self.line), "-shown")
