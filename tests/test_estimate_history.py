"""Earlier runs correct later estimates: a real run recorded in the store, then an estimate."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from cli_helpers import clean_env
from cli_helpers import playground as run_playground
from loopback import LoopbackServer, Reply

from playground.core import tokens
from playground.core.template import Message

MODEL = "lo-anthropic:claude-x"
PRICE = '[models."lo-anthropic:claude-x"]\nprice = {input_per_mtok = 2.0, output_per_mtok = 10.0}\n'


def playground(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_playground(tmp_path, *args, env=clean_env(tmp_path, **LoopbackServer.env()))


def sessions(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "sessions.db") as db:
        return db.execute("SELECT count(*) FROM sessions").fetchone()[0]


def test_what_the_provider_reported_corrects_the_next_estimate(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    loopback.write_config(tmp_path, extra=PRICE)
    prompt = ("-s", "You are terse.", "-p", "Name three otters.", "-m", MODEL, "-t", "0")
    ours = tokens.count_messages(
        MODEL, [Message("system", "You are terse."), Message("user", "Name three otters.")]
    ).tokens
    before = json.loads(playground(tmp_path, "estimate", *prompt, "--json").stdout)
    assert before["cells"][0]["input_tokens"] == ours  # no history yet: the raw estimate
    assert before["cells"][0]["expected_cost_usd"] is None

    loopback.default = Reply(text="Sea, river, giant.", input_tokens=2 * ours, output_tokens=40)
    run = playground(tmp_path, "run", *prompt, "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["cells"][0]["usage_source"] == "provider"
    recorded = sessions(tmp_path)

    after = playground(tmp_path, "estimate", *prompt, "--json")
    assert after.returncode == 0, after.stderr
    cell = json.loads(after.stdout)["cells"][0]
    assert (cell["input_tokens"], cell["method"]) == (2 * ours, "estimate")
    assert cell["expected_cost_usd"] == round((2 * ours * 2.0 + 40 * 10.0) / 1e6, 8)
    assert sessions(tmp_path) == recorded  # an estimate records nothing
