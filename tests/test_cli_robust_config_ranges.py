"""A prompt file's config out of the bounds the flags hold: Dotprompt loads such a file, so
do we (with a warning naming FILE:LINE); it is refused where it is run, naming the range the
provider takes. Loading is not running."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import playground


def _write(tmp_path: Path, setting: str) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir(exist_ok=True)
    (prompts / "t.prompt").write_text(
        f"---\nmodel: echo\nconfig:\n  seed: 1\n  {setting}\n---\nHello\n", encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("setting", "warning", "refusal"),
    [
        (
            "temperature: 9",
            "config.temperature must be between 0 and 2",
            "config.temperature 9 is out of range: echo takes 0..2",
        ),
        (
            "temperature: -1",
            "config.temperature must be between 0 and 2",
            "config.temperature -1 is out of range: echo takes 0..2",
        ),
        (
            "topP: 7",
            "config.topP must be more than 0 and at most 1",
            "config.topP 7 must be more than 0 and at most 1",
        ),
        (
            "maxOutputTokens: -5",
            "config.maxOutputTokens must be a positive integer, at most 1000000",
            "config.maxOutputTokens -5 must be a positive integer, at most 1000000",
        ),
    ],
)
def test_out_of_range_config_loads_with_a_warning_and_is_refused_when_run(
    tmp_path: Path, setting: str, warning: str, refusal: str
) -> None:
    _write(tmp_path, setting)
    shown = playground(tmp_path, "prompts", "show", "t")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("---\nmodel: echo\n")
    assert shown.stderr == f"playground: warning: prompts/t.prompt:5: {warning}; a run refuses it\n"
    listed = playground(tmp_path, "prompts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"name": "t"' in listed.stdout and warning in listed.stderr
    diffed = playground(tmp_path, "prompts", "diff", "t")
    assert diffed.returncode == 0, diffed.stderr

    ran = playground(tmp_path, "run", "t")
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.splitlines()[-1] == f"playground: t: {refusal}"
    assert "Traceback" not in ran.stderr and ran.stdout == ""


def test_the_refusal_names_each_providers_range(tmp_path: Path) -> None:
    _write(tmp_path, "temperature: 3")
    ran = playground(tmp_path, "run", "t", "-m", "echo", "-m", "anthropic:claude-x")
    assert ran.returncode == 2
    assert ran.stderr.splitlines()[-1] == (
        "playground: t: config.temperature 3 is out of range: echo takes 0..2; anthropic takes 0..1"
    )


def test_a_flag_that_overrides_the_value_runs(tmp_path: Path) -> None:
    _write(tmp_path, "temperature: 9")
    ran = playground(tmp_path, "run", "t", "-t", "0.5", "--json")
    assert ran.returncode == 0, ran.stderr
    assert '"temperature": 0.5' in ran.stdout


def test_in_range_config_still_runs(tmp_path: Path) -> None:
    (tmp_path / "t.prompt").write_text(
        "---\nmodel: echo\nconfig:\n  temperature: 2\n  topP: 1\n  maxOutputTokens: 1\n---\nHi\n",
        encoding="utf-8",
    )
    proc = playground(tmp_path, "run", "t.prompt")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


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


def test_eval_refuses_it_too(tmp_path: Path) -> None:
    _write(tmp_path, "temperature: 9")
    (tmp_path / "prompts" / "t.tests.yaml").write_text(
        "- vars: {}\n  assert:\n    - {type: contains, value: Hello}\n", encoding="utf-8"
    )
    proc = playground(tmp_path, "eval", "t")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        "playground: t: config.temperature 9 is out of range: echo takes 0..2"
    )
    assert playground(tmp_path, "eval", "t", "-t", "0").returncode == 0
