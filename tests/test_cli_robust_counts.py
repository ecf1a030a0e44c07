"""Counts read as English: "1 cell", "2 cells"."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import playground


def test_show_of_a_one_cell_run_says_1_cell(tmp_path: Path) -> None:
    (tmp_path / "t.prompt").write_text("---\nmodel: echo\n---\nHello\n", encoding="utf-8")
    run = playground(tmp_path, "run", "t.prompt")
    assert run.returncode == 0, run.stderr
    proc = playground(tmp_path, "show", "1")
    assert proc.returncode == 0, proc.stderr
    assert " · 1 cell · " in proc.stdout
    assert "1 cells" not in proc.stdout
