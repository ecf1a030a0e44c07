"""Bad input that used to get through: each is one line on stderr, exit 2, and nothing is saved
(no database, no session, no empty folder)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_helpers import clean_env, playground

LONG_SEGMENT = "b" * 300
TOO_BIG = "12345678901234567890123"  # 23 digits: more than SQLite's INTEGER holds


def assert_refused(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("playground: "), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def nothing_saved(tmp_path: Path) -> None:
    assert not (tmp_path / "sessions.db").exists()  # PLAYGROUND_DB of clean_env
    assert not (tmp_path / "prompts").exists()


@pytest.mark.parametrize("command", ["run", "estimate"])
@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["-p", ""], ["-p", "empty"]),
        (["-p", "   \n "], ["-p", "empty"]),
        (["-s", "be brief", "-p", " "], ["-p", "empty"]),
        (["-p", "{{x}}", "--var", "x= "], ["empty", "variables"]),
        (["-p", "hi", "--max-tokens", "1e30"], ["--max-tokens", "1e30"]),
        (["-p", "hi", "--max-tokens", str(2**63)], [f"--max-tokens {2**63}", "at most"]),
        (["-p", "hi", "--max-tokens", "0"], ["--max-tokens 0", "positive integer"]),
        (["-p", "hi", "--seed", "1e30"], ["--seed", "1e30"]),
        (["-p", "hi", "--seed", str(2**63)], [f"--seed {2**63}", "seed must be an integer"]),
        (["-p", "hi", "--repeat", "101"], ["--repeat 101", "between 1 and 100"]),
        (["-p", "hi", "-t", "inf"], ["-t inf", "between 0 and 2"]),
        (["-p", "hi", "--top-p", "inf"], ["--top-p inf"]),
    ],
)
def test_bad_prompt_or_parameter(
    tmp_path: Path, command: str, args: list[str], needles: list[str]
) -> None:
    assert_refused(playground(tmp_path, command, "-m", "echo", *args), *needles)
    nothing_saved(tmp_path)


@pytest.mark.parametrize("command", ["run", "estimate"])
def test_empty_stdin_is_no_prompt(tmp_path: Path, command: str) -> None:
    for stdin in ("", "  \n\n"):
        proc = subprocess.run(
            [*playground_cmd(), command, "-m", "echo", "-p", "-"],
            cwd=tmp_path,
            env=clean_env(tmp_path),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert_refused(proc, "-p -", "stdin")
    nothing_saved(tmp_path)


def playground_cmd() -> list[str]:
    import sys

    return [sys.executable, "-m", "playground"]


@pytest.mark.parametrize(
    ("config", "needles"),
    [
        ("max_tokens = 12345678901234567890", ["[defaults] max_tokens", "at most 1000000"]),
        ("read_timeout = inf", ["[defaults] read_timeout", "finite"]),
        ("connect_timeout = nan", ["[defaults] connect_timeout"]),
    ],
)
@pytest.mark.parametrize("command", ["run", "estimate"])
def test_config_values_out_of_bounds(
    tmp_path: Path, command: str, config: str, needles: list[str]
) -> None:
    (tmp_path / "playground.toml").write_text(f"[defaults]\n{config}\n")
    proc = playground(tmp_path, command, "-p", "hi", "-m", "openai:gpt-4.1")
    assert_refused(proc, *needles)
    assert "$" not in proc.stdout  # estimate showed a worst case of $1.6e27, exit 0
    assert not (tmp_path / "sessions").exists() and not (tmp_path / "sessions.db").exists()


@pytest.fixture
def one_run(tmp_path: Path) -> Path:
    proc = playground(tmp_path, "run", "-p", "hi", "-m", "echo", "--json")
    assert proc.returncode == 0, proc.stderr
    return tmp_path


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["show", TOO_BIG], [f"RUN_ID {TOO_BIG}", "whole number"]),
        (["show", TOO_BIG, "--json"], [f"RUN_ID {TOO_BIG}"]),
        (["export", TOO_BIG], [f"RUN_ID {TOO_BIG}"]),
        (["promote", TOO_BIG, "--name", "x"], [f"RESPONSE_ID {TOO_BIG}"]),
        (["history", "--limit", "1e20"], ["--limit '1e20'"]),
        (["history", "--limit", "1" + "0" * 20], ["--limit 1" + "0" * 20]),
    ],
)
def test_ids_and_limits_beyond_the_database(
    one_run: Path, args: list[str], needles: list[str]
) -> None:
    before = (one_run / "sessions.db").read_bytes()
    assert_refused(playground(one_run, *args), *needles)
    assert (one_run / "sessions.db").read_bytes() == before
    assert not (one_run / "prompts").exists()


def test_a_300_character_prompt_name_leaves_no_folder(one_run: Path) -> None:
    proc = playground(one_run, "promote", "1", "--name", f"a/{LONG_SEGMENT}")
    assert_refused(proc, "too long", "100 characters")
    assert not (one_run / "prompts").exists()
    proc = playground(one_run, "promote", "1", "--name", LONG_SEGMENT)
    assert_refused(proc, "too long")
    assert not (one_run / "prompts").exists()


@pytest.mark.parametrize(
    ("model", "meant"),
    [
        ("gpt-4o", "openai:gpt-4o"),
        ("claude-sonnet-4-5", "anthropic:claude-sonnet-4-5"),
        ("gemini-2.5-flash", "gemini:gemini-2.5-flash"),
        ("claude-haiku-45", "anthropic:claude-haiku-4-5"),  # a typo: the closest listed
        ("gpt-5.2", "openai:gpt-5.2"),  # not listed: its family says whose it is
        ("m1", "loc:m1"),  # a configured provider's models count too
    ],
)
@pytest.mark.parametrize("command", ["run", "estimate"])
def test_a_bare_model_name_says_which_id_was_meant(
    tmp_path: Path, command: str, model: str, meant: str
) -> None:
    (tmp_path / "playground.toml").write_text(
        '[providers.loc]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\nmodels = ["m1"]\n'
    )
    proc = playground(tmp_path, command, "-p", "hi", "-m", model)
    assert_refused(proc, f"-m {model}", f"did you mean {meant}?")
    assert not (tmp_path / "sessions").exists() and not (tmp_path / "sessions.db").exists()
