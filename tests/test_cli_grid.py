"""`playground run`'s text grid at 80 columns: long unbroken text is folded, never cut.

A user must be able to read every character of every answer: a CJK sentence, a long URL and a
long identifier each come back whole once the fold's line breaks and borders are removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import clean_env, playground

CJK = "東京は日本の首都であり、世界で最も人口の多い都市圏の一つです。大阪と京都も有名な都市です。東京"
URL = "https://example.com/" + "/".join(f"segment{i:03d}" for i in range(18)) + "?q=" + "z" * 20
IDENT = "a_very_long_identifier_" + "_".join(f"part{i}" for i in range(25))


def unfolded(stdout: str) -> str:
    """The text inside the borders, lines joined with nothing: what the fold cut apart."""
    pieces = []
    for line in stdout.splitlines():
        if not line.startswith("│"):
            continue
        fields = line.split("│")[1:-1]  # between the outer borders
        pieces.extend(f.strip() for f in fields)
    return "".join(pieces)


@pytest.mark.parametrize("models", [["echo"], ["echo", "echo:b", "echo:c"]], ids=["grid", "panels"])
def test_long_unbroken_text_is_folded_never_cut(tmp_path: Path, models: list[str]) -> None:
    assert len(URL) >= 200 and len(IDENT) >= 150
    args = [a for m in models for a in ("-m", m)]
    proc = playground(
        tmp_path, "run", "-p", f"{CJK} {URL} {IDENT}", *args, "-t", "0",
        env=clean_env(tmp_path, COLUMNS="80"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "…" not in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    text = unfolded(proc.stdout)
    for exact in (CJK, URL, IDENT):
        assert text.count(exact) == len(models)
