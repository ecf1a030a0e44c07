"""A prompt file's config is held to the bounds the matching flags are: one line, FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import playground


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("temperature: 9", "config.temperature must be between 0 and 2"),
        ("temperature: -1", "config.temperature must be between 0 and 2"),
        ("topP: 7", "config.topP must be more than 0 and at most 1"),
        (
            "maxOutputTokens: -5",
            "config.maxOutputTokens must be a positive integer, at most 1000000",
        ),
        (
            "maxOutputTokens: 12345678901234567890",
            "config.maxOutputTokens must be a positive integer",
        ),
    ],
)
def test_out_of_range_config_is_refused_at_load(tmp_path: Path, setting: str, message: str) -> None:
    (tmp_path / "t.prompt").write_text(
        f"---\nmodel: echo\nconfig:\n  seed: 1\n  {setting}\n---\nHello\n", encoding="utf-8"
    )
    proc = playground(tmp_path, "run", "t.prompt")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("playground: t.prompt:") and message in proc.stderr
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
    assert "temperature must be between 0 and 2" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert not (tmp_path / "prompts").exists()


@pytest.mark.parametrize("value", ["2000000", "0"])
def test_one_rule_for_max_tokens_in_flag_config_and_prompt_file(tmp_path: Path, value: str) -> None:
    """RunPlan's rule, said in the same words wherever the value came from."""
    rule = "must be a positive integer, at most 1000000"
    flag = playground(tmp_path, "run", "-p", "hi", "-m", "echo", "--max-tokens", value)
    assert f"--max-tokens {value}: max_tokens {rule}" in flag.stderr
    (tmp_path / "t.prompt").write_text(
        f"---\nmodel: echo\nconfig:\n  max_tokens: {value}\n---\nHi\n", encoding="utf-8"
    )
    prompt_file = playground(tmp_path, "run", "t.prompt")
    assert f"config.max_tokens {rule}" in prompt_file.stderr
    (tmp_path / "playground.toml").write_text(f"[defaults]\nmax_tokens = {value}\n")
    config = playground(tmp_path, "run", "-p", "hi", "-m", "echo")
    assert f"[defaults] max_tokens: {rule}" in config.stderr
    assert flag.returncode == prompt_file.returncode == config.returncode == 2
