"""The README's promises, run as written: its commands through the installed `playground`."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import clean_env

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands(prefix: str) -> list[str]:
    """Lines of the README's ```sh blocks that start with ``prefix`` (joined at ``\\``)."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    commands = []
    for block in blocks:
        for command in block.replace("\\\n", " ").splitlines():
            if command.startswith(prefix):
                commands.append(command)
    return commands


def test_the_quick_start_commands_are_the_two_the_readme_promises() -> None:
    """A fresh machine's Python refuses pip outside a virtual environment: both make one."""
    venv = "python3 -m venv .venv && . .venv/bin/activate && "
    assert readme_commands("python3 -m venv") == [
        venv + "pip install -e . && playground",
        venv + "pip install -e '.[test]' && pytest",
    ]


def test_the_readme_run_line_works_with_no_key(tmp_path: Path) -> None:
    """The tour's first command, copied from the README, through the console script."""
    script = Path(sys.executable).with_name("playground")
    if not script.exists():
        found = shutil.which("playground")
        if found is None:
            pytest.skip("the playground console script is not installed")
        script = Path(found)
    (line,) = [c for c in readme_commands("playground run") if "-m echo" in c]
    args = shlex.split(line)[1:]
    proc = subprocess.run(
        [str(script), *args],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Say hi to Ada") == 2 and "2/2 ok" in proc.stdout
