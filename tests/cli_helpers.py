"""Running `playground` as a user does: a subprocess in a temp folder with a clean environment,
or in this process through main() (`cli`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The user's environment minus anything that could reach a real service or real files."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_KEY", "_BASE_URL"))
        and k not in ("PLAYGROUND_CONFIG", "PLAYGROUND_DB", "OLLAMA_HOST")
    }
    env.update(
        PLAYGROUND_DB=str(tmp_path / "sessions.db"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        HOME=str(tmp_path / "home"),
        COLUMNS="120",
    )
    env.update(extra)
    return env


def playground(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a command to its end; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "playground", *args],
        cwd=cwd,
        env=env or clean_env(cwd),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spawn(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start a command and return at once (for signals and kill -9)."""
    return subprocess.Popen(
        [sys.executable, "-m", "playground", *args],
        cwd=cwd,
        env=env or clean_env(cwd),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``playground ARGS`` run in this process."""
    from playground.cli import main

    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
