"""One rule set for sampling parameters (RunPlan's): the TUI's fields accept and refuse what the
command line's flags do, in the same words (the TUI allowed 1–20 repeats, the CLI 1–100)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import playground

from playground.tui.widgets.params import ParamsError, parse_params
from playground.tui.widgets.temperatures import TemperatureError, parse_temperatures


def test_the_tui_takes_up_to_100_repeats_like_the_cli() -> None:
    assert parse_params({"repeats": "100"}).repeats == 100
    assert parse_params({"max_tokens": "1000000", "seed": "-1"}).max_tokens == 1_000_000


@pytest.mark.parametrize(
    ("field", "flag", "value", "words"),
    [
        ("repeats", "--repeat", "101", "must be between 1 and 100"),
        ("max_tokens", "--max-tokens", "1000001", "must be a positive integer, at most 1000000"),
        ("seed", "--seed", str(2**63), "must be an integer from -9223372036854775808"),
        ("top_p", "--top-p", "1.5", "must be more than 0 and at most 1"),
    ],
)
def test_the_tui_and_the_cli_refuse_alike(
    tmp_path: Path, field: str, flag: str, value: str, words: str
) -> None:
    with pytest.raises(ParamsError) as tui:
        parse_params({field: value})
    cli = playground(tmp_path, "run", "-p", "hi", "-m", "echo", flag, value)
    assert cli.returncode == 2
    assert words in str(tui.value) and words in cli.stderr


def test_a_temperature_reads_the_same_in_the_tui() -> None:
    with pytest.raises(TemperatureError, match=r"temperature 2\.5: must be between 0 and 2"):
        parse_temperatures("0, 2.5")
    assert parse_temperatures("0 2") == [0.0, 2.0]
