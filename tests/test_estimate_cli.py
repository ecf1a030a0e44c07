"""`playground estimate` and the budget guard of `run`, as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cli_helpers import clean_env
from cli_helpers import playground as run_playground
from loopback import LoopbackServer

from playground.cli import main
from playground.config import Settings
from playground.core import tokens
from playground.core.estimate import estimate_plan
from playground.core.plan import RunPlan
from playground.core.template import Message, PromptTemplate


def playground(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_playground(tmp_path, *args, env=clean_env(tmp_path, COLUMNS="140"))


def test_estimate_json_gives_every_cell_and_the_total(tmp_path: Path) -> None:
    out = playground(
        tmp_path,
        "estimate",
        "-s",
        "You are terse.",
        "-p",
        "Name {{n}} otters.",
        "--var",
        "n=three",
        "-m",
        "openai:gpt-4o",
        "-m",
        "anthropic:claude-haiku-4-5",
        "-m",
        "openai:not-priced",
        "-t",
        "0",
        "-t",
        "1",
        "--max-tokens",
        "300",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert len(doc["cells"]) == 6
    msgs = [Message("system", "You are terse."), Message("user", "Name three otters.")]
    gpt = doc["cells"][0]
    assert gpt["model"] == "openai:gpt-4o" and gpt["temperature"] == 0.0
    assert gpt["method"] == "exact"
    assert gpt["input_tokens"] == tokens.count_messages("openai:gpt-4o", msgs).tokens
    assert doc["cells"][2]["method"] == "estimate"
    assert doc["cells"][4]["input_cost_usd"] is None  # unpriced is null, not 0
    plan = RunPlan(
        PromptTemplate(msgs),
        models=["openai:gpt-4o", "anthropic:claude-haiku-4-5", "openai:not-priced"],
        temperatures=[0.0, 1.0],
        max_tokens=300,
    )
    want = estimate_plan(Settings(), plan)
    assert doc["total"]["max_cost_usd"] == round(want.max_cost_usd or 0, 8)
    assert doc["total"]["input_tokens"] == want.total_input_tokens
    assert doc["total"]["unpriced"] == ["openai:not-priced"]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """In-process commands, isolated like the subprocesses: no keys, a temp DB and cwd."""
    for var in list(os.environ):
        if var.endswith(("_API_KEY", "_BASE_URL")) or var == "PLAYGROUND_CONFIG":
            monkeypatch.delenv(var)
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "sessions.db"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_estimate_table_marks_estimates_and_unpriced_models(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["estimate", "-p", "hello", "-m", "openai:gpt-4", "-m", "gemini:gemini-2.5-flash"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "openai:gpt-4 " in out and "≈" in out
    assert "worst case" in out
    assert main(["estimate", "-p", "hello", "-m", "openai:nope"]) == 0
    assert "unpriced" in capsys.readouterr().out


def test_estimate_with_a_missing_variable_is_exit_2_like_run(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["estimate", "-p", "About {{topic}}", "-m", "openai:gpt-4o"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().startswith("playground: variable {{topic}}")
    assert "Traceback" not in err


def test_run_refuses_a_plan_over_budget_and_prints_the_estimate(tmp_path: Path) -> None:
    args = ("run", "-p", "hi", "-m", "openai:gpt-4", "-t", "0", "--max-tokens", "4000", "--json")
    out = playground(tmp_path, *args, "--budget", "0.05")
    assert out.returncode == 2
    assert "over the budget of $0.0500" in out.stderr and "--yes" in out.stderr
    assert "openai:gpt-4" in out.stderr and "worst case" in out.stderr  # the estimate
    assert out.stdout == ""  # nothing ran
    # --yes goes past the guard (the call itself then fails: no key in this environment)
    out = playground(tmp_path, *args, "--budget", "0.05", "--yes")
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["cells"][0]["error"].startswith("no API key")


def test_the_budget_can_come_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text("[defaults]\nbudget_usd = 0.01\n")
    out = playground(tmp_path, "run", "-p", "hi", "-m", "openai:gpt-4", "--max-tokens", "1000")
    assert out.returncode == 2 and "over the budget of $0.0100" in out.stderr
    out = playground(tmp_path, "run", "-p", "hi", "-m", "echo", "--json")  # free: under budget
    assert out.returncode == 0, out.stderr


def test_estimate_reports_the_budget_verdict(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["estimate", "-p", "hi", "-m", "openai:gpt-4", "--max-tokens", "1000", "--json"]
    assert main([*base, "--budget", "0.01"]) == 0
    total = json.loads(capsys.readouterr().out)["total"]
    assert (total["budget_usd"], total["over_budget"]) == (0.01, True)
    assert main([*base, "--budget", "10"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["over_budget"] is False
    with pytest.raises(SystemExit) as exit_:
        main([*base, "--budget", "-1"])
    assert exit_.value.code == 2
    assert "budget" in capsys.readouterr().err


LOCAL = '[providers.lo]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'


def test_brackets_in_text_are_printed_not_eaten_as_markup(tmp_path: Path) -> None:
    """`[models."ID"]` and a model id with [brackets] reach the user as typed."""
    (tmp_path / "playground.toml").write_text(LOCAL)
    models = ("-m", "lo:a[bold]x", "-m", "openai:gpt-4")
    out = playground(tmp_path, "estimate", "-p", "hi", *models)
    assert out.returncode == 0, out.stderr
    assert 'set [models."ID"] price in the config' in out.stdout
    assert "lo:a[bold]x" in out.stdout
    # the same estimate printed on stderr by the budget guard of `run`
    out = playground(tmp_path, "run", "-p", "hi", *models, "--budget", "0.000001")
    assert out.returncode == 2
    assert 'set [models."ID"] price in the config' in out.stderr
    assert "lo:a[bold]x" in out.stderr


def test_budget_guard_warns_about_unpriced_models_and_still_runs(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    loopback.write_config(tmp_path)
    env = clean_env(tmp_path, **loopback.env())
    args = ("run", "-p", "hi", "-m", "lo-openai:a", "-m", "echo", "-t", "0", "--json")
    out = run_playground(tmp_path, *args, "--budget", "1", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [
        "playground: warning: budget: lo-openai:a has no known price; its cost is not counted"
    ]
    assert [r.model for r in loopback.requests] == ["a"]  # still ran
    out = run_playground(tmp_path, *args, env=env)  # no budget, no warning
    assert out.returncode == 0 and out.stderr == ""


def test_totals_resting_on_estimated_counts_are_marked(tmp_path: Path) -> None:
    exact = ("estimate", "-p", "hi", "-m", "openai:gpt-4o")
    mixed = (*exact, "-m", "anthropic:claude-haiku-4-5")
    out = playground(tmp_path, *exact)
    total_line = next(line for line in out.stdout.splitlines() if line.startswith("total:"))
    assert "≈" not in total_line
    out = playground(tmp_path, *mixed)
    total_line = next(line for line in out.stdout.splitlines() if line.startswith("total:"))
    assert "· ≈" in total_line and "input tokens" in total_line
    assert "input ≈$" in total_line and "worst case ≈$" in total_line
    assert json.loads(playground(tmp_path, *exact, "--json").stdout)["total"]["method"] == "exact"
    doc = json.loads(playground(tmp_path, *mixed, "--json").stdout)
    assert doc["total"]["method"] == "estimate"
    assert {"input_tokens", "max_cost_usd"} <= set(doc["total"])  # the contract's keys stay
