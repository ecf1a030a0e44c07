"""Usage errors are one line on stderr, exit 2, as every other bad input is."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import playground


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("run", "--bogusflag"), "playground: run: unrecognized arguments: --bogusflag"),
        (("run", "--seed", "abc"), "playground: run: argument --seed: invalid int value: 'abc'"),
        (("prompts", "nope"), "playground: prompts: argument ACTION: invalid choice: 'nope'"),
        (("promote",), "playground: promote: the following arguments are required"),
        (("--bogus",), "playground: unrecognized arguments: --bogus"),
    ],
)
def test_usage_error_is_one_line(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    result = playground(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "usage:" not in result.stderr
