"""Fragility from the palette: the prompt run with N seeded variations, the flip-rate table per
model × temperature, and the sentence whose variations flip most highlighted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from judging_helpers import wait_graded, write_workspace
from loopback import LoopbackServer, RecordedRequest, Reply
from textual.widgets import DataTable
from tui_main_helpers import open_store, type_text, wait_for

from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


def touchy(rec: RecordedRequest) -> Reply | None:
    """The model talks about otters while "Answer in one sentence." is exactly as written,
    whatever the topic; any variation of that sentence flips it to birds."""
    if "Answer in one sentence." not in json.dumps(rec.body.get("messages")):
        return Reply(text="Birds are wonderful animals.")
    return Reply(text="Otters are wonderful animals.")


async def test_the_palette_runs_variations_and_shows_flip_rates(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    tests = "- vars: {topic: otters}\n  assert: [{type: icontains, value: otter}]\n"
    settings = write_workspace(tmp_path, loopback, tests=tests)
    loopback.on_request = touchy
    app = make_app(
        settings, store=open_store(tmp_path), prompt_file=tmp_path / "prompts" / "about.prompt"
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await type_text(pilot, "Fragility")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "AskPathScreen")
        await pilot.press("enter")  # the suggested 6 variations
        board = await wait_graded(pilot, app)
        view = await wait_for(
            pilot, lambda: app.screen if type(app.screen).__name__ == "FragilityScreen" else None
        )
        assert len(board.variations) == 6
        (row,) = board.fragility()
        # every variation is compared with the original on the one case: a flip is a
        # variation whose answer lost the topic (the original names otters)
        flipped = [
            v.label
            for v in board.variations
            if "Answer in one sentence." not in v.apply(board.plan.template, {})[0].user
        ]
        assert flipped, "the seeded variations touch the fragile sentence"
        assert row["variations"] == 6
        assert row["flip_rate"] == round(len(flipped) / 6, 4)
        assert {w["variation"] for w in row["worst"]} <= set(flipped)
        table = view.query_one(DataTable)
        assert table.row_count == 1
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[:3] == ["lo-openai:gpt-a", "0", "6"]
        assert cells[3] == f"{row['flip_rate'] * 100:.0f}%"
        assert row["worst"] and cells[4].startswith(row["worst"][0]["variation"])
        # the sentence the flips point at is highlighted
        assert "most fragile sentence (highlighted below): “Answer in one sentence.”" in view.plain
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")
