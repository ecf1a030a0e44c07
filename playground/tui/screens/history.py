"""Past runs from the store, newest first, narrowed by a full-text search as you type."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from playground.render.figures import format_total

COLUMNS = (
    ("run", "id"),  # the id `playground show` and `export` take
    ("when", "when"),
    ("models", "models"),
    ("cells", "cells"),
    ("cost", "cost"),
    ("prompt / output", "snippet"),
)
SEARCH_DELAY = 0.15  # seconds of quiet typing before the store is asked
LIMIT = 200


def format_when(value: Any) -> str:
    """A run's time as 'YYYY-MM-DD HH:MM', local; accepts epoch seconds or ISO 8601 text."""
    if value is None or value == "":
        return "?"
    try:
        if isinstance(value, (int, float)):
            moment = datetime.fromtimestamp(float(value), tz=UTC)
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)  # the store writes UTC
    except (ValueError, OverflowError, OSError):
        return str(value)[:16]
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def format_models(value: Any) -> str:
    """Model ids, comma separated; accepts a list or its JSON text."""
    if isinstance(value, str) and value.startswith("["):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(m) for m in value)
    return str(value or "")


_MATCH = re.compile(r"\*\*(.+?)\*\*")


def snippet_text(snippet: Any, width: int) -> Text:
    """The store's snippet on one line, its **matched** words bold and underlined."""
    flat = " ".join(str(snippet or "").split())
    text = Text()
    pos = 0
    for m in _MATCH.finditer(flat):
        text.append(flat[pos : m.start()])
        text.append(m.group(1), style="bold underline")
        pos = m.end()
    text.append(flat[pos:])
    text.truncate(width, overflow="ellipsis")
    return text


def format_cells(run: dict[str, Any]) -> str:
    cells = str(run.get("cell_count", ""))
    failed = run.get("failed_count") or 0
    return f"{cells} ✗{failed}" if failed else cells


def one_line(text: Any, limit: int) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class HistoryScreen(Screen[int | None]):
    """Type to search; Down or Tab to the list; Enter opens the run; Escape goes back."""

    DEFAULT_CSS = """
    HistoryScreen {
        background: $background;
    }
    HistoryScreen #history-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-style: bold;
    }
    HistoryScreen #history-search {
        margin: 0 0;
    }
    HistoryScreen #history-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    HistoryScreen #history-status.-error {
        color: $text-error;
    }
    HistoryScreen #history-table {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("enter", "open", "Open run", priority=True),
        Binding("ctrl+f", "search", "Search"),
        Binding("down", "to_table", "List", show=False),
    ]

    def __init__(self, store: Any, *, limit: int = LIMIT) -> None:
        super().__init__()
        self.store = store
        self.limit = limit
        self.runs: list[dict[str, Any]] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("History: past runs, newest first", id="history-title", markup=False)
        yield Input(placeholder="search prompts and outputs…", id="history-search")
        yield Static(id="history-status", markup=False)
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#history-search", Input).focus()

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#history-table", DataTable)

    @property
    def query_text(self) -> str:
        """The store query: every word must appear; the word being typed matches as a prefix."""
        typed = self.query_one("#history-search", Input).value
        query = typed.strip()
        if query and not typed[-1].isspace() and not query.endswith("*"):
            query += "*"
        return query

    def reload(self) -> None:
        """Ask the store again for the current query (quick: an indexed SQLite query)."""
        self._timer = None
        query = self.query_text
        status = self.query_one("#history-status", Static)
        try:
            runs = list(self.store.list_runs(query or None, self.limit))
        except Exception as exc:  # a bad FTS query, a locked or broken database
            message = " ".join(str(exc).split()) or type(exc).__name__
            status.update(Content(f"search failed: {message}"))
            status.add_class("-error")
            return
        status.remove_class("-error")
        self.runs = runs
        self._fill_table()
        if runs:
            more = " (showing the newest)" if len(runs) >= self.limit else ""
            noun = "run" if len(runs) == 1 else "runs"
            shown = self.query_one("#history-search", Input).value.strip()
            text = f"{len(runs)} {noun}{more}" + (f" matching {shown!r}" if shown else "")
        elif query:
            text = f"no runs match {self.query_one('#history-search', Input).value.strip()!r}"
        else:
            text = "no runs yet: write a prompt and press ctrl+r on the main screen"
        status.update(Content(text))

    def _fill_table(self) -> None:
        """Rows for self.runs, cut to the screen's width so nothing scrolls sideways."""
        table = self.table
        cursor = table.cursor_row
        width = self.size.width or 80
        models = [format_models(run.get("models")) for run in self.runs]
        costs = [
            format_total(run.get("cost_usd"), run.get("unpriced_count") or 0) for run in self.runs
        ]
        models_w = min(max(12, width // 4), max([len("models"), *map(len, models)]))
        ids_w = max([len("run"), *(len(str(run["id"])) for run in self.runs)])
        cost_w = max([len("cost"), *map(len, costs)])  # whole: "$0.0123 (2 unpriced)"
        # the other columns' widths, two cells of padding per column, and the scrollbar
        fixed = ids_w + 16 + models_w + 5 + cost_w
        snippet_w = max(16, width - fixed - len(COLUMNS) * 2 - 2)
        widths = {
            "id": ids_w,
            "when": 16,
            "models": models_w,
            "cells": 5,
            "cost": cost_w,
            "snippet": snippet_w,
        }
        table.clear(columns=True)  # fixed widths that fit these rows in this width
        for label, key in COLUMNS:
            table.add_column(label, width=widths[key], key=key)
        for run, cost in zip(self.runs, costs, strict=True):
            table.add_row(
                Text(str(run["id"]), justify="right"),
                Text(format_when(run.get("created_at"))),
                Text(one_line(format_models(run.get("models")), models_w)),
                Text(format_cells(run), justify="right"),
                Text(cost, justify="right"),
                snippet_text(run.get("snippet"), snippet_w),
                key=str(run["id"]),
            )
        if self.runs:
            table.move_cursor(row=min(cursor, len(self.runs) - 1))

    def on_resize(self) -> None:
        if self.runs:
            self._fill_table()

    @on(Input.Changed, "#history-search")
    def _search_changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DELAY, self.reload)

    def selected_run_id(self) -> int | None:
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return _as_id(row_key.value)

    def _dismiss_with(self, key: str | None) -> None:
        run_id = _as_id(key)
        if run_id is not None:
            self.dismiss(run_id)

    def action_open(self) -> None:
        if self._timer is not None:  # Enter right after typing: search now, then open
            self._timer.stop()
            self.reload()
        run_id = self.selected_run_id()
        if run_id is None:
            status = self.query_one("#history-status", Static)
            status.update(Content("no run to open: clear the search, or run a prompt first"))
            status.add_class("-error")
            return
        self.dismiss(run_id)

    def action_search(self) -> None:
        self.query_one("#history-search", Input).focus()

    def action_to_table(self) -> None:
        if self.table.row_count:
            self.table.focus()

    def action_close(self) -> None:
        self.dismiss(None)


def _as_id(key: str | None) -> int | None:
    if key is None:
        return None
    try:
        return int(key)
    except ValueError:
        return None
