"""`playground prompts diff`: "current" is NAME.prompt, the file an application loads, with or
without a version argument, so a hand edit always shows."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import playground as pg

# `workspace` (prompts/facts at v1, t=0.5, and v2, t=0.9) is in conftest.py


def _edit(ws: Path) -> None:
    current = ws / "prompts" / "facts.prompt"
    text = current.read_text(encoding="utf-8").replace("Three facts", "Five facts")
    current.write_text(text, encoding="utf-8")


def test_default_diff_shows_a_hand_edit_of_the_current_file(workspace: Path) -> None:
    _edit(workspace)
    proc = pg(workspace, "prompts", "diff", "facts")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("--- facts v2\n+++ facts (current, edited since v2)\n")
    assert "-Three facts about {{topic}}.\n+Five facts about {{topic}}.\n" in proc.stdout
    assert "temperature" not in proc.stdout  # v1 -> v2 is not what changed here


def test_one_version_compares_with_the_same_current_file(workspace: Path) -> None:
    clean = pg(workspace, "prompts", "diff", "facts", "1")
    assert clean.stdout.startswith("--- facts v1\n+++ facts v2\n")
    _edit(workspace)
    edited = pg(workspace, "prompts", "diff", "facts", "1")
    assert edited.stdout.startswith("--- facts v1\n+++ facts (current, edited since v2)\n")
    assert "+  temperature: 0.9" in edited.stdout and "+Five facts" in edited.stdout
    both = pg(workspace, "prompts", "diff", "facts", "1", "2")
    assert "Five" not in both.stdout and "+  temperature: 0.9" in both.stdout


def test_a_hand_written_file_with_no_versions_diffs_from_nothing(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "hand.prompt").write_text("Hello {{name}}\n", encoding="utf-8")
    proc = pg(tmp_path, "prompts", "diff", "hand")
    assert (
        proc.stdout
        == "--- /dev/null\n+++ hand (current, not a version)\n@@ -0,0 +1 @@\n+Hello {{name}}\n"
    )


def test_without_a_current_file_the_default_is_the_last_two_versions(workspace: Path) -> None:
    (workspace / "prompts" / "facts.prompt").unlink()
    proc = pg(workspace, "prompts", "diff", "facts")
    assert proc.stdout.startswith("--- facts v1\n+++ facts v2\n")
    one = pg(workspace, "prompts", "diff", "facts", "1")
    assert one.returncode == 2
    assert one.stderr == (
        "playground: no prompts/facts.prompt (compare two versions: prompts diff facts A B)\n"
    )


def test_help_says_what_current_means(workspace: Path) -> None:
    proc = pg(workspace, "prompts", "diff", "--help")
    assert "'Current' is always NAME.prompt" in " ".join(proc.stdout.split())
