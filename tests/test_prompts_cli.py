"""`playground prompts ...` and `playground run PROMPT_FILE` as a user runs them: subprocesses
in a temporary workspace, real exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from cli_helpers import playground as pg


def test_list_shows_name_version_model_and_when(workspace: Path) -> None:
    # a Dotprompt partial beside the prompts is not a prompt of its own
    (workspace / "prompts" / "_signature.prompt").write_text("Kind regards\n", encoding="utf-8")
    proc = pg(workspace, "prompts", "list")
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("facts"))
    assert row.split()[:3] == ["facts", "v2", "echo"]
    doc = json.loads(pg(workspace, "prompts", "list", "--json").stdout)
    assert [(d["name"], d["version"], d["model"], d["temperature"]) for d in doc] == [
        ("facts", 2, "echo", 0.9)
    ]
    assert doc[0]["promoted_at"]


def test_show_prints_the_current_file_or_a_version(workspace: Path) -> None:
    current = pg(workspace, "prompts", "show", "facts")
    assert current.returncode == 0
    assert current.stdout == (workspace / "prompts" / "facts.prompt").read_text(encoding="utf-8")
    v1 = pg(workspace, "prompts", "show", "facts", "--version", "1")
    assert "temperature: 0.5" in v1.stdout and "playground.version: 1" in v1.stdout
    missing = pg(workspace, "prompts", "show", "facts", "--version", "9")
    assert missing.returncode == 2
    assert missing.stderr.startswith("playground: no prompt facts v9")
    assert len(missing.stderr.strip().splitlines()) == 1


def test_diff_defaults_to_previous_vs_current_and_colours_only_when_asked(workspace: Path) -> None:
    proc = pg(workspace, "prompts", "diff", "facts")
    assert proc.returncode == 0
    assert proc.stdout.startswith("--- facts v1\n+++ facts v2\n")
    assert "-  temperature: 0.5\n+  temperature: 0.9\n" in proc.stdout
    assert "\x1b[" not in proc.stdout  # piped: plain
    coloured = pg(workspace, "prompts", "diff", "facts", "1", "v2", "--color", "always")
    assert "\x1b[31m-  temperature: 0.5\x1b[0m" in coloured.stdout
    bad = pg(workspace, "prompts", "diff", "facts", "1", "5")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "playground: facts has no version 5 (versions: v1, v2)"


def test_broken_file_is_one_line_with_file_and_line_exit_2(workspace: Path) -> None:
    (workspace / "prompts" / "bad.prompt").write_text(
        "---\nmodel: echo\nconfig: {temperature: 0.5\n---\nhi\n", encoding="utf-8"
    )
    (workspace / "prompts" / "typo.prompt").write_text(
        "---\ninput:\n  schema:\n    topic: strnig\n---\nAbout {{topic}}\n", encoding="utf-8"
    )
    for args, where in (
        (("prompts", "show", "bad"), "prompts/bad.prompt:3: invalid YAML"),
        (("run", "prompts/bad.prompt"), "prompts/bad.prompt:3: invalid YAML"),
        (("run", "prompts/typo.prompt"), "prompts/typo.prompt:4: unknown field type 'strnig'"),
    ):
        proc = pg(workspace, *args)
        assert proc.returncode == 2, proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr
        assert lines[0].startswith(f"playground: {where}"), lines[0]
    listing = pg(workspace, "prompts", "list")
    assert listing.returncode == 0
    assert "warning: prompts/bad.prompt:3: invalid YAML" in listing.stderr


def test_run_a_prompt_file_uses_its_model_and_config_and_flags_override(workspace: Path) -> None:
    proc = pg(workspace, "run", "prompts/facts.prompt", "--json", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    (cell,) = json.loads(proc.stdout)["cells"]
    assert (cell["model"], cell["temperature"]) == ("echo", 0.9)
    assert cell["output"] == (
        "[echo temperature=0.9 max_tokens=64]\n\nsystem: You are brief.\n\n"
        "user: Three facts about otters.\n"
    )
    over = pg(
        workspace, "run", "prompts/facts.prompt", "--json", "-t", "0.2", "--var", "topic=beavers"
    )
    (cell,) = json.loads(over.stdout)["cells"]
    assert cell["temperature"] == 0.2
    assert "Three facts about beavers." in cell["output"]


def test_variable_missing_from_schema_warns_but_runs(workspace: Path) -> None:
    (workspace / "prompts" / "loose.prompt").write_text(
        "---\nmodel: echo\ninput:\n  schema:\n    topic: string\n  default:\n    topic: otters\n"
        "---\nAbout {{topic}} for {{audience}}\n",
        encoding="utf-8",
    )
    proc = pg(workspace, "run", "prompts/loose.prompt", "--var", "audience=kids", "--json")
    assert proc.returncode == 0, proc.stderr
    assert (
        "playground: warning: prompts/loose.prompt: the template uses audience but input.schema"
        in proc.stderr
    )
    assert "About otters for kids" in json.loads(proc.stdout)["cells"][0]["output"]


def test_import_an_llm_template_then_export_promptfoo(workspace: Path) -> None:
    (workspace / "summarize.yaml").write_text(
        "system: Summarize in $n bullet points.\nprompt: $input\nmodel: gpt-4o-mini\n"
        "defaults:\n  n: '3'\noptions:\n  temperature: 0.2\n",
        encoding="utf-8",
    )
    proc = pg(workspace, "prompts", "import", "summarize.yaml", "--name", "team/summarize")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "imported summarize.yaml as team/summarize v1: prompts/team/summarize.prompt"
    )
    text = (workspace / "prompts" / "team" / "summarize.prompt").read_text(encoding="utf-8")
    assert "model: openai:gpt-4o-mini" in text
    assert '{{role "system"~}}\nSummarize in {{n}} bullet points.' in text

    out = pg(
        workspace, "prompts", "export", "team/summarize", "--format", "promptfoo", "--out", "ev"
    )
    assert out.returncode == 0, out.stderr
    config = yaml.safe_load((workspace / "ev" / "promptfooconfig.yaml").read_text())
    assert config["prompts"][0]["id"] == "file://team_summarize_prompt.py:render"
    assert config["providers"] == [
        {"id": "openai:chat:gpt-4o-mini", "config": {"temperature": 0.2}}
    ]
    loader = (workspace / "ev" / "team_summarize_prompt.py").read_text()
    assert "'../prompts/team/summarize.prompt'" in loader


def test_import_refuses_a_name_that_escapes(workspace: Path) -> None:
    (workspace / "t.yaml").write_text("prompt: hi\n", encoding="utf-8")
    proc = pg(workspace, "prompts", "import", "t.yaml", "--name", "../outside")
    assert proc.returncode == 2
    assert "would escape the prompts folder" in proc.stderr
    assert not (workspace / "outside.prompt").exists()
