"""Counts read as English ("1 cell"); export -o onto a folder is one clear line."""

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


def test_export_to_a_folder_is_one_line_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "t.prompt").write_text("---\nmodel: echo\n---\nHello\n", encoding="utf-8")
    assert playground(tmp_path, "run", "t.prompt").returncode == 0
    (tmp_path / "out").mkdir()
    for folder in ("out", "."):
        proc = playground(tmp_path, "export", "1", "-o", folder)
        assert proc.returncode == 2
        assert proc.stderr.startswith(f"playground: {folder}: is a folder")
        assert proc.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "sessions.db", "t.prompt"]
    assert list((tmp_path / "out").iterdir()) == []


def test_estimate_of_one_cell_says_cell(tmp_path: Path) -> None:
    proc = playground(tmp_path, "estimate", "-p", "hi", "-m", "echo", "-t", "0")
    assert proc.returncode == 0, proc.stderr
    assert "1 cell ·" in proc.stdout or "1 cell " in proc.stdout
    assert "1 cells" not in proc.stdout


def test_models_refuses_a_timeout_that_is_not_positive(tmp_path: Path) -> None:
    proc = playground(tmp_path, "models", "--timeout", "-1")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "playground: --timeout -1: must be more than 0 seconds"
