"""`playground [PROMPT_FILE]` from the command line: bad input is one line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_playground(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PLAYGROUND_DB=str(tmp_path / "pg.db"))
    env.pop("PLAYGROUND_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "playground", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


def test_a_missing_prompt_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_playground(tmp_path, "nope.prompt")
    assert done.returncode == 2
    assert done.stderr.startswith("playground: ")
    assert "nope.prompt" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_a_broken_prompt_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.prompt").write_text("---\nmodel: [unclosed\n---\nhi\n", encoding="utf-8")
    done = run_playground(tmp_path, "bad.prompt")
    assert done.returncode == 2
    assert done.stderr.startswith("playground: ")
    assert "Traceback" not in done.stderr


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text("[defaults\n", encoding="utf-8")
    done = run_playground(tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("playground: ") and "playground.toml" in done.stderr
