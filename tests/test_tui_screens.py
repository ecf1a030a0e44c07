"""Pilot tests of the secondary screens (diff, inspect, rate) and the bundled themes.

Each screen is hosted in a tiny App, so these tests do not depend on the main screen: the
host pushes the screen and records what it is dismissed with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

from playground.config import Settings
from playground.core.model import Cell, CellResult
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate
from playground.tui.themes import load_bundled_themes, register_bundled_themes

FAKE_KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123"
FAKE_GOOGLE = "AIzaSyTESTtestTESTtestTESTtest0123456"


class Host(App[None]):
    """Pushes one screen on mount; ``results`` collects what it was dismissed with."""

    def __init__(self, make_screen: Callable[[], Screen[Any]], theme: str = "playground-dark"):
        super().__init__()
        self.make_screen = make_screen
        self.results: list[Any] = []
        self._theme_name = theme

    def compose(self) -> ComposeResult:
        yield Static("host")

    async def on_mount(self) -> None:
        register_bundled_themes(self)
        self.theme = self._theme_name
        screen = self.make_screen()
        await self.push_screen(screen, self.results.append)
        # a steady cursor: a blink caught mid-way would make pictures differ under load
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]


def result(model: str, temperature: float | None, output: str, **fields: Any) -> CellResult:
    return CellResult(cell=Cell(0, model, temperature), status="ok", output=output, **fields)


async def echo_results(**plan_fields: Any) -> list[CellResult]:
    """Real results from the runner with the offline echo model (no store)."""
    plan = RunPlan(
        PromptTemplate.from_parts("Be brief.", "Tell me about {{topic}}."),
        {"topic": "otters"},
        models=["echo"],
        temperatures=[0.0, 0.7],
        **plan_fields,
    )
    handle = await Runner(Settings()).run(plan)
    return handle.results


# -- diff ----------------------------------------------------------------------------------------


async def test_diff_screen_colours_additions_and_deletions() -> None:
    from playground.tui.screens.diff import DiffScreen
    from playground.tui.widgets.diff_view import DiffView

    left = result("openai:gpt-4.1-mini", 0.0, "Otters hold hands while they sleep.")
    right = result("anthropic:claude-haiku-4-5", 0.7, "Otters hold paws while they nap.")
    app = Host(lambda: DiffScreen(left, right))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        heads = str(screen.query_one("#diff-left", Static).render()) + str(
            screen.query_one("#diff-right", Static).render()
        )
        assert "openai:gpt-4.1-mini · t=0" in heads
        assert "anthropic:claude-haiku-4-5 · t=0.7" in heads
        view = screen.query_one(DiffView)
        changed = [(s.op, s.text) for s in view.spans if s.op != "equal"]
        assert changed == [
            ("delete", " hands"),
            ("insert", " paws"),
            ("delete", " sleep"),
            ("insert", " nap"),
        ]
        content = view.render()
        variables = app.get_css_variables()
        styles = {content.plain[s.start : s.end]: s.style for s in content.spans}
        assert styles["paws"].foreground == Color.parse(variables["text-success"])
        assert styles["hands"].foreground == Color.parse(variables["text-error"])
        assert styles["hands"].strike
        assert content.plain.startswith("Otters hold hands paws while they sleep nap.")
        assert "+2 words, −2 words" in str(screen.query_one("#diff-summary", Static).render())

        await pilot.press("w")  # line mode: one changed line each side
        assert view.mode == "line"
        assert [s.op for s in view.spans] == ["delete", "insert"]
        assert view.render().plain.splitlines()[0].startswith("- Otters hold hands")
        assert "+1 line, −1 line" in str(screen.query_one("#diff-summary", Static).render())

        await pilot.press("s")  # swap: what was added is now removed
        assert view.spans[0].text == "Otters hold paws while they nap."
        assert view.spans[0].op == "delete"

        await pilot.press("escape")
        assert app.results == [None]
        assert not isinstance(app.screen, DiffScreen)


async def test_diff_of_identical_outputs_says_so() -> None:
    from playground.tui.screens.diff import DiffScreen

    a = result("echo", 0.0, "same words")
    b = result("echo", 0.7, "same words")
    app = Host(lambda: DiffScreen(a, b))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "identical" in str(app.screen.query_one("#diff-summary", Static).render())


# -- inspect -------------------------------------------------------------------------------------


async def test_inspect_shows_the_request_body_and_never_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playground.tui.screens.inspect import InspectScreen

    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    cell = (await echo_results())[1]
    assert cell.request and cell.request["body"]["temperature"] == 0.7
    app = Host(lambda: InspectScreen(cell))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        request = app.screen.query_one("#inspect-request-text", TextArea).text
        assert "POST echo://local" in request
        assert '"content": "Tell me about otters."' in request
        assert '"temperature": 0.7' in request
        await pilot.press("2")
        response = app.screen.query_one("#inspect-response-text", TextArea).text
        assert "finish: stop" in response
        assert "user: Tell me about otters." in response  # the echo's output
        assert "first token" in response
        svg = app.export_screenshot()
        assert FAKE_KEY not in request + response + svg


async def test_inspect_redacts_keys_that_leak_into_a_request_or_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Defence in depth: a provider bug that puts a key in the body, URL or text is hidden."""
    from playground.core.secrets import REDACTED
    from playground.tui.screens.inspect import InspectScreen

    monkeypatch.setenv("MY_LOCAL_API_KEY", "hunter2-local-secret")
    leaky = result(
        "lo-gemini:gemini-x",
        0.2,
        f"my key is {FAKE_KEY} and hunter2-local-secret",
        request={
            "provider": "lo-gemini",
            "url": f"http://127.0.0.1:9/v1beta/models/x:streamGenerateContent?alt=sse&key={FAKE_GOOGLE}",
            "headers": {"x-goog-api-key": FAKE_GOOGLE},
            "body": {
                "api_key": "plain-secret-in-body",
                "Authorization": f"Bearer {FAKE_KEY}",
                "generationConfig": {"maxOutputTokens": 64, "temperature": 0.2},
                "max_tokens": 64,
                "refresh_token": "tok-abcdefgh",
                "contents": [{"parts": [{"text": f"use {FAKE_GOOGLE}"}]}],
            },
        },
        input_tokens=12,
        output_tokens=34,
    )
    app = Host(lambda: InspectScreen(leaky))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        request = app.screen.query_one("#inspect-request-text", TextArea).text
        response = app.screen.query_one("#inspect-response-text", TextArea).text
        everything = request + response + app.export_screenshot()
        for secret in (FAKE_KEY, FAKE_GOOGLE, "plain-secret-in-body", "tok-abcdefgh", "hunter2"):
            assert secret not in everything
        assert "x-goog-api-key" not in request  # headers are never shown
        assert '"max_tokens": 64' in request  # token counts are not secrets
        assert '"maxOutputTokens": 64' in request
        assert f"alt=sse&key={REDACTED}" in request
        assert "input 12 · output 34" in response


async def test_inspect_copies_the_visible_tab() -> None:
    from playground.tui.screens.inspect import InspectScreen

    cell = (await echo_results())[0]
    app = Host(lambda: InspectScreen(cell))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        assert app.clipboard.startswith("provider: echo\nPOST echo://local")
        await pilot.press("2", "c")
        assert app.clipboard.startswith("status: ok")
        await pilot.press("escape")
        assert app.results == [None]


# -- rate ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["plus", "enter"], (1, None)),
        (["minus", "t", "o", "o", " ", "l", "o", "n", "g", "enter"], (-1, "too long")),
        (["4", "n", "i", "c", "e", " ", "5", "enter"], (4, "nice 5")),  # digits type in the note
        (["b", "shift+tab", "g", "enter"], (1, None)),  # change of mind
    ],
)
async def test_rate_returns_score_and_note(keys: list[str], expected: tuple[int, str]) -> None:
    from playground.tui.screens.rate import RateScreen

    app = Host(lambda: RateScreen(result("echo", 0.0, "hi")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        assert app.results == [expected]


@pytest.mark.parametrize(
    ("keys", "scale"),
    [
        (["plus"], "thumbs"),
        (["g"], "thumbs"),
        (["1"], "stars"),
        (["b"], "thumbs"),
        (["5"], "stars"),
    ],
)
async def test_rate_tells_good_from_one_star(keys: list[str], scale: str) -> None:
    from playground.tui.screens.rate import RateScreen

    app = Host(lambda: RateScreen(result("echo", 0.0, "hi")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*keys, "enter")
        await pilot.pause()
        assert [getattr(r, "scale", None) for r in app.results] == [scale]


async def test_rate_keeps_a_note_typed_at_terminal_speed() -> None:
    """All keys arrive at once, as a terminal delivers fast typing: the note's letters (even
    g, b and digits) must land in the note, not be lost or taken as a new score."""
    from textual import events

    from playground.tui.screens.rate import RateScreen

    app = Host(lambda: RateScreen(result("echo", 0.0, "hi")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for ch in "4good bug 5":
            app.post_message(events.Key(ch if ch != " " else "space", ch))
        app.post_message(events.Key("enter", "\r"))
        for _ in range(10):
            await pilot.pause()
        assert app.results == [(4, "good bug 5")]
        assert app.results[0].scale == "stars"


async def test_rate_needs_a_score_and_escape_cancels() -> None:
    from playground.tui.screens.rate import RateScreen

    app = Host(lambda: RateScreen(result("echo", 0.0, "hi")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        error = app.screen.query_one("#rate-error", Static)
        assert "choose a score first" in str(error.render())
        assert error.display
        assert app.results == []
        await pilot.press("3")
        assert not error.display
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        assert app.results == [None]


# -- themes --------------------------------------------------------------------------------------


def test_bundled_themes_load_and_include_our_dark_and_light() -> None:
    themes, errors = load_bundled_themes()
    assert errors == []
    by_name = {t.name: t for t in themes}
    assert by_name["playground-dark"].dark is True
    assert by_name["playground-light"].dark is False


async def test_register_bundled_themes_makes_them_selectable() -> None:
    app = Host(lambda: Screen(), theme="playground-light")
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert {"playground-dark", "playground-light"} <= set(app.available_themes)
        assert app.current_theme.name == "playground-light"
        assert app.get_css_variables()["background"].lower() == "#f7f8fa"


def test_a_broken_theme_file_is_reported_in_one_line(tmp_path: Any) -> None:
    from playground.tui.themes import ThemeFileError, load_theme_file

    bad = tmp_path / "bad.toml"
    bad.write_text('primary = "not-a-colour"\n')
    with pytest.raises(ThemeFileError, match=r"^bad\.toml: primary is not a colour"):
        load_theme_file(bad)
    bad.write_text('primary = "#fff"\nflavour = "mint"\n')
    with pytest.raises(ThemeFileError, match="unknown field"):
        load_theme_file(bad)


def test_themes_are_packaged_where_themes_py_looks_in_a_wheel() -> None:
    """pyproject force-includes themes/ as playground/themes: the first place themes.py looks."""
    import tomllib
    from pathlib import Path

    import playground.tui.themes as themes_module

    root = Path(__file__).resolve().parents[1]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    include = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["themes"] == "playground/themes"
    package = Path(themes_module.__file__).resolve().parents[1]
    assert package.name == "playground"
    assert themes_module.theme_dirs()[-1] == root / "themes"  # the source tree, here
    assert {p.stem for p in (root / "themes").glob("*.toml")} >= {
        "playground-dark",
        "playground-light",
    }


def test_a_narrow_cell_title_keeps_its_temperature_and_sample() -> None:
    """Rows of a narrow grid stay apart: the provider, then the model's end, give way first."""
    from playground.core.model import Cell
    from playground.tui.widgets.cell import cell_label

    cell = Cell(index=0, model="lo-down2:dead-nofallback", temperature=0.7, sample=2)
    assert cell_label(cell, 3) == "lo-down2:dead-nofallback · t=0.7 #2"
    assert cell_label(cell, 3, width=28) == "dead-nofallback · t=0.7 #2"
    assert cell_label(cell, 3, width=20) == "dead-nof… · t=0.7 #2"
    assert cell_label(cell, 1, width=12).endswith(" · t=0.7")
