"""SVG snapshots of the secondary screens (pytest-textual-snapshot).

Each docstring says what you should see. Update with ``pytest --snapshot-update`` after
looking at the new SVGs in a browser. The data is fixed (no clocks, no network), so the
pictures only change when the screens do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_tui_screens import FAKE_GOOGLE, FAKE_KEY, Host, result

SNAPSHOTS = Path(__file__).parent / "__snapshots__" / Path(__file__).stem


@pytest.fixture(autouse=True)
def fixed_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """UTC clock for the history's times; a key in the env that must never be drawn."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


LEFT = (
    "Otters hold hands while they sleep so they do not drift apart.\n"
    "They also keep a favourite stone in a pouch under the arm."
)
RIGHT = (
    "Sea otters hold paws while they sleep so they do not drift apart.\n"
    "They also keep a favourite stone in a pouch under the arm.\n"
    "A group of resting otters is called a raft."
)


def diff_host(theme: str = "playground-dark") -> Host:
    from playground.tui.screens.diff import DiffScreen

    left = result("openai:gpt-4.1-mini", 0.0, LEFT)
    right = result("anthropic:claude-haiku-4-5", 0.7, RIGHT)
    return Host(lambda: DiffScreen(left, right), theme=theme)


def test_diff_word_mode(snap_compare: Any) -> None:
    """Diff, word mode, dark theme, 80×24.

    Top bar: "− openai:gpt-4.1-mini · t=0" in red and "+ anthropic:claude-haiku-4-5 · t=0.7"
    in green. Summary: "word mode: +12 words, −2 words, 22 unchanged". In the bordered body:
    "Otters" red and struck through, then "Sea otters" green; "hands" red struck, "paws"
    green; the whole last sentence about the raft green; everything else plain.
    Footer: esc Close, w Word/line, s Swap sides.
    """
    assert snap_compare(diff_host(), terminal_size=(80, 24))


def test_diff_line_mode_light(snap_compare: Any) -> None:
    """Diff, line mode (after pressing w), light theme, 80×24.

    Summary: "line mode: +2 lines, −1 line, 1 unchanged". Body: a red "- Otters hold hands…"
    line, a green "+ Sea otters hold paws…" line, the unchanged stone line prefixed by two
    spaces, then a green "+ A group of resting otters is called a raft." line.
    """
    assert snap_compare(diff_host("playground-light"), press=["w"], terminal_size=(80, 24))


class FixedStore:
    """Three runs as the store lists them; the query narrows by substring like FTS would."""

    RUNS: tuple[dict[str, Any], ...] = (
        {
            "id": 3,
            "created_at": "2026-11-25T09:41:00+00:00",
            "models": ["openai:gpt-4.1-mini", "anthropic:claude-haiku-4-5"],
            "cell_count": 4,
            "cost_usd": 0.00123,
            "snippet": "Summarise this support ticket in two sentences: {{ticket}}",
        },
        {
            "id": 2,
            "created_at": "2026-11-24T17:05:00+00:00",
            "models": ["echo"],
            "cell_count": 2,
            "cost_usd": 0.0,
            "snippet": "Write a haiku about otters holding hands",
        },
        {
            "id": 1,
            "created_at": "2026-11-20T08:00:00+00:00",
            "models": ["ollama:llama3.2"],
            "cell_count": 1,
            "cost_usd": None,
            "snippet": "Translate to French: good morning",
        },
    )

    def list_runs(self, query: str | None, limit: int) -> list[dict[str, Any]]:
        word = (query or "").rstrip("*").lower()
        runs = [r for r in self.RUNS if word in r["snippet"].lower()]
        return runs[:limit]


def test_history_screen(snap_compare: Any) -> None:
    """History, dark theme, 100×20.

    Title "History: past runs, newest first", an empty search field with the placeholder
    "search prompts and outputs…", "3 runs", then a table whose first column is the run id
    (what `playground show` takes), newest first: run 3 (2026-11-25
    09:41, two models, 4 cells, $0.0012, the ticket prompt), run 2 (echo, 2 cells, $0),
    run 1 (ollama, 1 cell, cost "unpriced"). Footer: esc Back, enter Open run, ^f Search.
    """
    assert snap_compare(Host(lambda: _history()), terminal_size=(100, 20))


def test_history_screen_searching(snap_compare: Any) -> None:
    """History after typing "otters": one row left (run 2, the haiku) and the status line
    "1 run matching 'otters'"; the search field shows "otters" with the cursor after it."""

    async def type_and_search(pilot: Any) -> None:
        await pilot.press(*"otters")
        pilot.app.screen.reload()  # what the debounce timer does, without waiting on a clock
        await pilot.pause()

    assert snap_compare(
        Host(lambda: _history()), run_before=type_and_search, terminal_size=(100, 20)
    )


def _history() -> Any:
    from playground.tui.screens.history import HistoryScreen

    return HistoryScreen(FixedStore())


def test_inspect_redacts(snap_compare: Any) -> None:
    """Inspect, Request tab, 90×24: "provider: lo-openai", "POST http://127.0.0.1:9/v1/…",
    then the JSON body with "api_key": "[redacted]", a user message reading
    "my key is [redacted]", and "max_tokens": 64 left alone. No sk-… or AIza… anywhere."""
    from playground.tui.screens.inspect import InspectScreen

    leaky = result(
        "lo-openai:gpt-x",
        0.2,
        "ok",
        request={
            "provider": "lo-openai",
            "url": "http://127.0.0.1:9/v1/chat/completions",
            "body": {
                "model": "gpt-x",
                "api_key": FAKE_GOOGLE,
                "max_tokens": 64,
                "messages": [{"role": "user", "content": f"my key is {FAKE_KEY}"}],
            },
        },
    )
    assert snap_compare(Host(lambda: InspectScreen(leaky)), terminal_size=(90, 24))


def test_rate_dialog(snap_compare: Any) -> None:
    """Rate dialog over the host, 80×24, after pressing 4: a bordered box titled
    "Rate: echo · t=0.7", the help line, "score: ★★★★☆ (4/5)", and the note field focused.
    Footer lists + Good, - Bad, 1–5 stars, enter Save, esc Cancel."""
    from playground.tui.screens.rate import RateScreen

    app = Host(lambda: RateScreen(result("echo", 0.7, "hi")))
    assert snap_compare(app, press=["4"], terminal_size=(80, 24))


def test_promote_dialog(snap_compare: Any, tmp_path: Path) -> None:
    """Promote dialog, 90×30, after typing the name "otter-facts": a box titled
    "Promote: openai:gpt-4.1-mini · t=0.7", the name field, no error, the note field, the bold
    line "will create prompts/otter-facts.prompt v1 (a new prompt)", and below a diff from
    /dev/null whose + lines (green) are the new file: model, config with temperature 0.7 and
    maxOutputTokens 200, the input schema and default for topic, playground.version: 1, and
    a scrollbar for the rest. Footer: enter Promote, esc Cancel."""
    from playground.config import Settings
    from playground.core.plan import RunPlan
    from playground.core.template import PromptTemplate
    from playground.tui.screens.promote import PromoteScreen

    settings = Settings(prompts_dir_override=tmp_path / "prompts")
    plan = RunPlan(
        PromptTemplate.from_parts("Be brief.", "Tell me about {{topic}}."),
        {"topic": "otters"},
        models=["openai:gpt-4.1-mini"],
        temperatures=[0.7],
        max_tokens=200,
    )
    cell = result("openai:gpt-4.1-mini", 0.7, "Otters are…", id=7)

    async def name_it(pilot: Any) -> None:
        await pilot.press(*"otter-facts")
        pilot.app.screen.update_preview()  # what the debounce timer does
        await pilot.pause()

    app = Host(lambda: PromoteScreen(settings, plan.template, cell, plan))
    assert snap_compare(app, run_before=name_it, terminal_size=(90, 30))


def test_snapshots_never_show_a_key() -> None:
    """Runs after the snapshots above (file order): none of the SVGs holds the test keys."""
    svgs = list(SNAPSHOTS.glob("*.svg"))
    assert svgs, "no snapshots yet: run pytest --snapshot-update"
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        assert FAKE_KEY not in text and FAKE_GOOGLE not in text, svg.name
        assert "[redacted]" in text or "inspect" not in svg.name
