"""Bad input from the command line or stdin: one line naming the flag, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import clean_env


def run_bytes(
    tmp_path: Path, *args: bytes, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """`playground` with raw byte arguments, as a shell passes $'caf\\xe9'."""
    return subprocess.run(
        [sys.executable.encode(), b"-m", b"playground", *args],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        input=stdin,
        capture_output=True,
        timeout=60,
    )


def assert_one_line(proc: subprocess.CompletedProcess[bytes], *needles: str) -> None:
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("playground: "), err
    for needle in needles:
        assert needle in lines[0], err


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        ([b"-p", b"caf\xe9"], "-p:"),
        ([b"-p", b"hi", b"-s", b"\xff"], "-s:"),
        ([b"-p", b"{{a}}", b"--var", b"a=caf\xe9"], "--var a:"),
        ([b"-p", b"hi", b"--stop", b"\xe9"], "--stop:"),
    ],
)
def test_non_utf8_arguments_are_refused_naming_the_flag(
    tmp_path: Path, args: list[bytes], flag: str
) -> None:
    proc = run_bytes(tmp_path, b"run", *args, b"-m", b"echo")
    assert_one_line(proc, flag, "not UTF-8", "0x")


def test_non_utf8_stdin_prompt_is_refused(tmp_path: Path) -> None:
    proc = run_bytes(tmp_path, b"run", b"-p", b"-", b"-m", b"echo", stdin=b"caf\xe9 au lait")
    assert_one_line(proc, "-p -", "not valid UTF-8", "0xe9")


def test_utf8_stdin_prompt_still_runs(tmp_path: Path) -> None:
    proc = run_bytes(tmp_path, b"run", b"-p", b"-", b"-m", b"echo", stdin="café".encode())
    assert proc.returncode == 0, proc.stderr
    assert "café" in proc.stdout.decode()


def test_estimate_refuses_non_utf8_too(tmp_path: Path) -> None:
    proc = run_bytes(tmp_path, b"estimate", b"-p", b"caf\xe9", b"-m", b"echo")
    assert_one_line(proc, "-p:", "not UTF-8")
