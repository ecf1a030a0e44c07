"""One way a cell reads for people: `run`, `show` and `export` print the same label and the same
figures line (render.figures), so a recorded run says what the live one said."""

from __future__ import annotations

import re
from pathlib import Path

from cli_helpers import clean_env, playground
from loopback import LoopbackServer, Reply

from playground.core.model import Cell, CellResult
from playground.render.figures import cell_label, figures


def figures_lines(text: str) -> list[str]:
    """Lines holding a cell's figures (they all carry the "N in / M out" tokens)."""
    found = []
    for line in text.splitlines():
        inner = line.strip("│ *")
        if re.search(r"\d+ in / \d+ out", inner):
            found.append(re.sub(r"\s*│.*$", "", inner).strip())
    return found


def test_show_and_export_print_the_figures_run_printed(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """Anthropic is sent t=1 for t=1.5 and stops at its length limit: run's line says tok/s,
    "sent t=1" and "finish: max_tokens"; show and export say the same (they said neither)."""
    loopback.write_config(tmp_path)
    loopback.default = Reply(chunks=8, duration=0.2, finish="max_tokens")
    env = clean_env(tmp_path, **loopback.env(), COLUMNS="200")
    run = playground(tmp_path, "run", "-p", "hi", "-m", "lo-anthropic:c", "-t", "1.5", env=env)
    assert run.returncode == 0, run.stderr
    (live,) = figures_lines(run.stdout)
    for part in ("tok/s", "sent t=1", "finish: max_tokens"):
        assert part in live
    show = playground(tmp_path, "show", "1", env=env)
    export = playground(tmp_path, "export", "1", env=env)
    assert figures_lines(show.stdout) == [f"ok · {live}"]
    assert figures_lines(export.stdout) == [f"ok · {live}"]
    assert "#1 lo-anthropic:c · t=1.5" in show.stdout
    assert "## lo-anthropic:c · t=1.5" in export.stdout


def test_one_label_for_a_cell() -> None:
    first, second = Cell(0, "openai:gpt-4.1", 0.7, 1), Cell(1, "openai:gpt-4.1", None, 2)
    assert cell_label(first) == "openai:gpt-4.1 · t=0.7"
    assert cell_label(first, repeats=3) == "openai:gpt-4.1 · t=0.7 #1"  # a repeated plan
    assert cell_label(second) == "openai:gpt-4.1 · t=default #2"
    assert cell_label(second, width=22) == "gpt-4.1 · t=default #2"  # the provider goes first
    assert cell_label(second, width=20) == "gpt-… · t=default #2"  # then the model shortens


def test_figures_of_a_recorded_row_match_the_live_result() -> None:
    live = CellResult(
        Cell(0, "m", 0.5), status="ok", input_tokens=10, output_tokens=40, cost_usd=0.002,
        usage_source="provider", ttft_ms=100.0, latency_ms=2100.0, finish_reason="length",
    )  # fmt: skip
    row = {**live.to_json(), "cell_index": 0}
    assert figures(CellResult.from_dict(row)) == figures(live)
    assert (
        figures(live)
        == "ttft 100 ms · 2.10 s · 10 in / 40 out · 20 tok/s · $0.0020 · finish: length"
    )
