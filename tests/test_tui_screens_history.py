"""The history screen over a real store, filled by the real runner with the offline echo model."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_tui_screens import Host
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import ColumnKey

from playground.config import Settings
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.tui.screens.history import HistoryScreen


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    from playground.store import Store

    opened = Store.open(tmp_path / "playground.db")
    yield opened
    close = getattr(opened, "close", None)
    if close:
        close()


async def _record(store: Any, user: str, models: list[str]) -> Any:
    plan = RunPlan(PromptTemplate.from_parts("", user), models=models, temperatures=[0.0, 0.7])
    handle = await Runner(Settings(), recorder=store).run(plan)
    assert all(r.status == "ok" for r in handle.results)
    return handle.run_id


def _rows(app: Host) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_history_lists_runs_newest_first_search_narrows_enter_opens(store: Any) -> None:
    otters = await _record(store, "Tell me about otters.", ["echo"])
    herons = await _record(store, "Write a haiku about herons.", ["echo", "echo"])

    app = Host(lambda: HistoryScreen(store))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        rows = _rows(app)
        assert len(rows) == 2
        assert "herons" in rows[0][5] and "otters" in rows[1][5]  # newest first
        assert rows[1][2] == "echo" and rows[1][3] == "2"  # models, cells
        assert rows[0][3] == "4"
        # the run id, as `playground show` takes it
        assert [r[0] for r in rows] == [str(herons), str(otters)]
        assert "2 runs" in str(app.screen.query_one("#history-status", Static).render())

        await pilot.press(*"otte")  # the word being typed matches as a prefix
        await pilot.pause(0.3)  # the search runs once typing pauses
        rows = _rows(app)
        assert len(rows) == 1 and "otters" in rows[0][5]
        snippet = app.screen.query_one(DataTable).get_row_at(0)[5]
        marked = [snippet.plain[s.start : s.end] for s in snippet.spans]
        assert marked == ["otters"]  # the matched word stands out

        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [int(otters)]
    assert herons != otters


async def test_history_from_the_list_and_escape(store: Any) -> None:
    first = await _record(store, "first prompt", ["echo"])
    await _record(store, "second prompt", ["echo"])
    app = Host(lambda: HistoryScreen(store))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down")  # from the search field into the list
        assert isinstance(app.focused, DataTable)
        await pilot.press("down", "enter")  # second row: the older run
        await pilot.pause()
        assert app.results == [int(first)]

    app = Host(lambda: HistoryScreen(store))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        assert app.results == [None]


async def test_history_with_no_runs_and_no_match(store: Any) -> None:
    app = Host(lambda: HistoryScreen(store))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#history-status", Static)
        assert "no runs yet" in str(status.render())
        await pilot.press("enter")  # nothing to open: says so, stays
        assert app.results == []
        assert "no run to open" in str(status.render())
        app.screen.query_one(Input).value = "zebras"
        app.screen.reload()
        assert "no runs match 'zebras'" in str(status.render())


class BrokenStore:
    def list_runs(self, query: str | None, limit: int) -> list[dict[str, Any]]:
        raise sqlite3.OperationalError('fts5: syntax error near "\n"')


async def test_a_failing_search_is_one_line_under_the_field() -> None:
    app = Host(lambda: HistoryScreen(BrokenStore()))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#history-status", Static)
        assert str(status.render()) == 'search failed: fts5: syntax error near " "'
        assert status.has_class("-error")
        assert isinstance(app.screen, HistoryScreen)


async def test_history_shows_whole_costs_with_their_unpriced_cells(store: Any) -> None:
    """A cost column wide enough for '$0 (2 unpriced)': never cut, never a bare $0."""
    await _record(store, "Tell me about otters.", ["echo"])
    runs = store.list_runs(None, 5)
    runs[0]["unpriced_count"] = 2  # as a run of two unpriced models reports it

    class Fixed:
        def list_runs(self, query: Any, limit: int) -> list[dict[str, Any]]:
            return runs

    app = Host(lambda: HistoryScreen(Fixed()))
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        (row,) = _rows(app)
        from playground.render.figures import format_total

        whole = format_total(runs[0].get("cost_usd"), 2)
        assert "unpriced" in whole and row[4] == whole
        table = app.screen.query_one(DataTable)
        assert table.columns[ColumnKey("cost")].width >= len(whole)
