"""A prompt file's config is held to the bounds the matching flags are: one line, FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import playground


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("temperature: 9", "config.temperature must be within 0..2"),
        ("temperature: -1", "config.temperature must be within 0..2"),
        ("topP: 7", "config.topP must be more than 0 and at most 1"),
        ("maxOutputTokens: -5", "config.maxOutputTokens must be a positive integer"),
    ],
)
def test_out_of_range_config_is_refused_at_load(tmp_path: Path, setting: str, message: str) -> None:
    (tmp_path / "t.prompt").write_text(
        f"---\nmodel: echo\nconfig:\n  seed: 1\n  {setting}\n---\nHello\n", encoding="utf-8"
    )
    proc = playground(tmp_path, "run", "t.prompt")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"playground: t.prompt:5: {message}\n"
    assert proc.stdout == ""


def test_in_range_config_still_runs(tmp_path: Path) -> None:
    (tmp_path / "t.prompt").write_text(
        "---\nmodel: echo\nconfig:\n  temperature: 2\n  topP: 1\n  maxOutputTokens: 1\n---\nHi\n",
        encoding="utf-8",
    )
    proc = playground(tmp_path, "run", "t.prompt")
    assert proc.returncode == 0, proc.stderr


def test_import_refuses_an_out_of_range_temperature(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "prompt: hi $x\ndefaults:\n  x: 1\noptions:\n  temperature: 5\n", encoding="utf-8"
    )
    proc = playground(tmp_path, "prompts", "import", "t.yaml", "--name", "t")
    assert proc.returncode == 2, proc.stderr
    assert "temperature must be within 0..2" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert not (tmp_path / "prompts").exists()
