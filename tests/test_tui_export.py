"""Export of the open run from the palette: the same document `playground export` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer, Reply
from tui_main_helpers import all_done, loopback_settings, open_store, type_text, wait_for

from playground.store.export import export_text
from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


async def _export(pilot: Any, app: Any, command: str, answer: str) -> None:
    """Ctrl+P, the command's name, Enter; then the file name in the question, Enter."""
    await pilot.press("ctrl+p")
    await type_text(pilot, command)
    await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "AskPathScreen", timeout=15)
    field = app.screen.query_one("#path")
    field.value = answer
    await pilot.press("enter")


async def test_the_last_run_exports_as_markdown_and_json_from_the_palette(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = loopback_settings(loopback, tmp_path, models=["lo-openai:gpt-a"], temperatures=[0.0])
    loopback.default = Reply(text="Otters hold hands <b>asleep</b>.")
    store = open_store(tmp_path)
    app = make_app(settings, store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await type_text(pilot, "otters")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all_done(app, 1), timeout=30)
        run_id = app.screen.runs.latest.run_id

        await _export(pilot, app, "Export run as Markdown", str(tmp_path / "otters.md"))
        md = tmp_path / "otters.md"
        await wait_for(pilot, md.exists, timeout=30)
        assert md.read_text(encoding="utf-8") == export_text(store, run_id, "md")
        assert "Otters hold hands <b>asleep</b>." in md.read_text(encoding="utf-8")

        await _export(pilot, app, "Export run as JSON", str(tmp_path / "otters.json"))
        js = tmp_path / "otters.json"
        await wait_for(pilot, js.exists, timeout=30)
        (cell,) = json.loads(js.read_text(encoding="utf-8"))["cells"]
        assert cell["output"] == "Otters hold hands <b>asleep</b>."

        await _export(pilot, app, "Export run as JSON", str(tmp_path))  # a folder: said
        await wait_for(
            pilot, lambda: any("is a folder" in str(n.message) for n in app._notifications)
        )


async def test_export_with_no_run_says_how_to_get_one(tmp_path: Path) -> None:
    from playground.config import Settings

    app = make_app(Settings(), store=open_store(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        app.screen.action_export_run("md")
        await wait_for(
            pilot, lambda: any("no run to export" in str(n.message) for n in app._notifications)
        )
        assert not list(tmp_path.glob("run-*"))
