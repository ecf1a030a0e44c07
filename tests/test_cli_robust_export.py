"""`prompts export --format promptfoo` never overwrites a promptfooconfig.yaml unasked."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import playground

PROMPT = "---\nmodel: echo\nconfig:\n  temperature: 0.3\n---\nHello {{who}}\n"


def test_export_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "greet.prompt").write_text(PROMPT, encoding="utf-8")
    mine = tmp_path / "promptfooconfig.yaml"
    mine.write_text("# my own promptfoo suite\n", encoding="utf-8")

    proc = playground(tmp_path, "prompts", "export", "greet", "--format", "promptfoo")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("playground: promptfooconfig.yaml already exists")
    assert "--force" in proc.stderr and "--out DIR" in proc.stderr
    assert mine.read_text(encoding="utf-8") == "# my own promptfoo suite\n"

    forced = playground(tmp_path, "prompts", "export", "greet", "--format", "promptfoo", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "file://greet_prompt.py:render" in mine.read_text(encoding="utf-8")


def test_export_to_a_fresh_folder_needs_no_force(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "greet.prompt").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "promptfooconfig.yaml").write_text("# mine\n", encoding="utf-8")
    proc = playground(
        tmp_path, "prompts", "export", "greet", "--format", "promptfoo", "--out", "ev"
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "ev" / "promptfooconfig.yaml").is_file()
    assert (tmp_path / "promptfooconfig.yaml").read_text(encoding="utf-8") == "# mine\n"


def test_export_out_that_is_a_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "greet.prompt").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    proc = playground(
        tmp_path, "prompts", "export", "greet", "--format", "promptfoo", "--out", "notes.txt"
    )
    assert proc.returncode == 2
    assert proc.stderr == "playground: --out notes.txt: is a file; --out takes a folder\n"
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine\n"
