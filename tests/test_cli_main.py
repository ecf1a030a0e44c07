"""cli.main's ways out: options before the command, a closed stdout, an unexpected error."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import clean_env, playground
from loopback import LoopbackServer


def test_common_options_before_the_command(tmp_path: Path, loopback: LoopbackServer) -> None:
    cfg = loopback.write_config(tmp_path / "elsewhere.toml")
    db = tmp_path / "other.db"
    env = clean_env(tmp_path, **loopback.env())
    proc = playground(
        tmp_path, "--config", str(cfg), "--db", str(db), "run", "-p", "hi", "-m", "lo-ollama:x",
        "-t", "0", "--json", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cells"][0]["status"] == "ok"
    assert [r.model for r in loopback.requests] == ["x"]
    assert db.is_file()  # --db before the command was used, not $PLAYGROUND_DB
    assert not (tmp_path / "sessions.db").exists()


def test_common_option_after_the_command_wins(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text("[defaults]\nmax_tokens = 7\n")
    proc = playground(
        tmp_path, "--config", "missing.toml", "estimate", "--config", "good.toml", "-p", "hi",
        "-m", "echo", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    proc = playground(tmp_path, "--config", "missing.toml", "estimate", "-p", "hi", "-m", "echo")
    assert proc.returncode == 2 and "missing.toml: config file not found" in proc.stderr
