"""Shared set-up for the main-screen TUI tests: settings in tmp_path, loopback providers."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REAL_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY")


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real key, no real Ollama, cwd and database inside tmp_path."""
    for var in (*REAL_KEYS, "OLLAMA_HOST", "PLAYGROUND_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # discard port: refused at once
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "sessions" / "pg.db"))
    monkeypatch.chdir(tmp_path)


def loopback_settings(srv: Any, tmp_path: Path, **opts: Any) -> Any:
    """Settings whose workspace is tmp_path, with the loopback's four providers."""
    from playground.config import load_settings

    opts.setdefault("models", ["lo-openai:gpt-a", "lo-anthropic:claude-b"])
    opts.setdefault("temperatures", [0.0, 0.7])
    path = srv.write_config(tmp_path, **opts)
    return load_settings(path, cwd=tmp_path)


def open_store(tmp_path: Path) -> Any:
    """The session store in tmp_path."""
    from playground.store import Store

    return Store.open(tmp_path / "sessions" / "pg.db")


async def wait_for(pilot: Any, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Pause the pilot until predicate() is truthy; fail with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await pilot.pause(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


async def type_text(pilot: Any, text: str) -> None:
    """Type as a user would, once a widget has the focus (a key before that reaches nothing)."""
    await wait_for(pilot, lambda: pilot.app.focused is not None)
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


def said(app: Any) -> list[str]:
    """The notifications the app has shown, as text, oldest first."""
    return [str(n.message) for n in app._notifications]


def cells_of(app: Any) -> list[Any]:
    from playground.tui.widgets.cell import ResultCell

    return sorted(app.screen.query(ResultCell), key=lambda c: c.cell.index)


def all_done(app: Any, n: int) -> bool:
    cells = cells_of(app)
    return len(cells) == n and all(c.ended for c in cells)


def pin_timings(app: Any) -> None:
    """Fixed ttft/latency/wall so the figures and summary lines are the same on every
    machine."""
    for cell in cells_of(app):
        if cell.result is not None:
            cell.result.ttft_ms = 120.0
            cell.result.latency_ms = 900.0 if cell.result.status == "ok" else 40.0
            cell.result.started_at = 1_800_000_000.0
            cell.result.ended_at = 1_800_000_000.0 + cell.result.latency_ms / 1000
            cell._update_figures()
    app.screen.show_summary()


async def reopen_the_only_run(pilot: Any, app: Any, cells: int) -> None:
    """Ctrl+O, wait for the history list to load (Enter before would open nothing), open the
    one run there, and wait until the main screen shows its cells."""
    from textual.widgets import DataTable

    await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "HistoryScreen")
    # the table may not be composed yet on a loaded machine: wait for it too
    await wait_for(pilot, lambda: any(t.row_count == 1 for t in app.screen.query(DataTable)))
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.screen.viewing_run is not None and all_done(app, cells))


def exact_counts_shown(app: Any) -> bool:
    """The estimate bar shows the latest estimate, with exact input counts for every model
    that has a count endpoint (the loopback's Anthropic and Gemini). Those arrive after typing
    pauses, so a picture or an assertion on the bar waits for them instead of racing them."""
    from playground.tui.widgets.estimate_bar import summarize

    screen = app.screen
    estimate = getattr(screen, "last_estimate", None)
    if estimate is None or getattr(screen, "estimate_pending", False):
        return False
    counter = app.exact_counter
    if counter is not None and any(
        counter.supports(model) and cell.method != "exact"
        for model, cell in estimate.by_model().items()
    ):
        return False
    return screen.estimate_bar.line == summarize(estimate, app.settings.defaults.budget_usd)[0]
