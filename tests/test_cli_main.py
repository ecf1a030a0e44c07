"""cli.main's ways out: options before the command, a closed stdout, an unexpected error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import clean_env, playground
from loopback import LoopbackServer

from playground import cli


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


def test_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    """`playground run --json | head -0`: no traceback, no 'Exception ignored' noise."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "playground", "run", "-p", "hi", "-m", "echo", "--json"],
        cwd=tmp_path, env=clean_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.close()  # the reader went away before anything was written
    _, err = proc.communicate(timeout=60)
    assert err.decode() == ""
    assert proc.returncode == 141


def test_unexpected_error_is_one_line_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "boom_cmd.py").write_text(
        "def add_parser(sub, name):\n"
        "    def boom(args):\n"
        "        raise RuntimeError('disk\\n  on fire')\n"
        "    sub.add_parser(name).set_defaults(func=boom)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("PLAYGROUND_DEBUG", raising=False)
    monkeypatch.setitem(cli.COMMANDS, "boom", ("boom_cmd", "fails"))
    assert cli.main(["boom"]) == 1
    err = capsys.readouterr().err
    assert err == "playground: internal error: RuntimeError: disk on fire\n"


def test_ctrl_c_is_still_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "intr_cmd.py").write_text(
        "def add_parser(sub, name):\n"
        "    def stop(args):\n"
        "        raise KeyboardInterrupt\n"
        "    sub.add_parser(name).set_defaults(func=stop)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "intr", ("intr_cmd", "stops"))
    assert cli.main(["intr"]) == 130
    assert capsys.readouterr().err == "playground: interrupted\n"
