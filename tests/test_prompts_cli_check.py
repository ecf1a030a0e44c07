"""`playground prompts check [NAME …]`: each prompt's defaults and test cases rendered here and
with dotpromptz; every byte difference reported (file, case, message, first differing byte);
exit 0 all match, 1 any differs, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import playground

from playground.core.template import Message
from playground.library.check import first_difference

GREET = (
    "---\nmodel: echo\ninput:\n  schema:\n    name: string\n    formal?: boolean\n"
    '  default:\n    name: Ada\n---\n{{role "system"}}Be brief.\n'
    '{{role "user"}}{{#if formal}}Dear {{/if}}{{name}} ✓\n'
)


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "greet.prompt").write_text(GREET, encoding="utf-8")
    (prompts / "greet.tests.yaml").write_text(
        "- vars: {name: Grace, formal: true}\n- vars: {name: 世界}\n", encoding="utf-8"
    )
    (prompts / "notes").mkdir()
    (prompts / "notes" / "sum.prompt").write_text("Summarize:\n{{text}}\n\n", encoding="utf-8")
    (prompts / "notes" / "sum.tests.yaml").write_text(
        "defaults:\n  assert:\n    - {type: max-length, value: 400}\ncases:\n"
        "  - vars: {text: 'a  b\\n'}\n    assert: [{type: contains, value: a}]\n",
        encoding="utf-8",
    )
    return prompts


def test_every_prompt_and_case_matches_dotpromptz(tmp_path: Path) -> None:
    _workspace(tmp_path)
    proc = playground(tmp_path, "prompts", "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "prompts/greet.prompt: 3 render(s) match dotpromptz",
        "prompts/notes/sum.prompt: defaults: variable {{text}} has no value "
        "(set it with --var text=VALUE) (not compared)",
        "prompts/notes/sum.prompt: 1 render(s) match dotpromptz",
        "checked 2 prompt file(s), 4 render(s): no differences",
    ]


def test_a_difference_names_file_case_message_and_byte(tmp_path: Path) -> None:
    """A case giving a boolean as the text "false": a run here reads it as the schema's
    boolean (as it reads --var), dotpromptz as a true string: the application would send
    "Dear Ada" where the playground tested "Ada"."""
    prompts = _workspace(tmp_path)
    (prompts / "greet.tests.yaml").write_text("- vars: {formal: 'false'}\n", encoding="utf-8")
    proc = playground(tmp_path, "prompts", "check", "greet")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "prompts/greet.prompt: greet.tests.yaml case 1: message 2 at byte 0: "
        "playground 'Ada ✓' | dotpromptz 'Dear Ada ✓'"
    )
    doc = json.loads(playground(tmp_path, "prompts", "check", "greet", "--json").stdout)
    assert doc["differences"] == 1
    assert doc["prompts"][0]["differences"] == [
        {
            "case": "greet.tests.yaml case 1",
            "message": 2,
            "position": 0,
            "playground": "'Ada ✓'",
            "dotpromptz": "'Dear Ada ✓'",
        }
    ]


def test_bad_input_is_exit_2(tmp_path: Path) -> None:
    prompts = _workspace(tmp_path)
    missing = playground(tmp_path, "prompts", "check", "nope")
    assert missing.returncode == 2
    assert "playground: no prompt nope" in missing.stderr
    (prompts / "greet.tests.yaml").write_text("- vars: [1\n", encoding="utf-8")
    broken = playground(tmp_path, "prompts", "check")
    assert broken.returncode == 2
    assert "greet.tests.yaml:2:" in broken.stderr and "Traceback" not in broken.stderr
    assert "prompts/notes/sum.prompt: 1 render(s) match dotpromptz" in broken.stdout


def test_the_first_differing_byte_counts_utf8() -> None:
    diff = first_difference("case 1", [Message("user", "Zoë: yes")], [Message("user", "Zoë: no")])
    assert diff is not None
    assert (diff.message, diff.position) == (1, 6)  # Z o ë(2 bytes) : space
    more = first_difference(
        "c", [Message("user", "a")], [Message("user", "a"), Message("user", "b")]
    )
    assert more is not None and (more.message, more.playground) == (2, "nothing")
    roles = first_difference("c", [Message("assistant", "a")], [Message("user", "a")])
    assert (
        roles is not None
        and roles.describe() == "c: message 1: playground role assistant | dotpromptz role user"
    )


def test_dataset_rows_are_cases_too(tmp_path: Path) -> None:
    prompts = _workspace(tmp_path)
    (prompts / "notes" / "rows.csv").write_text("text\n  spaced  \nZoë ✓\n", encoding="utf-8")
    (prompts / "notes" / "sum.tests.yaml").write_text("cases: {file: rows.csv}\n", encoding="utf-8")
    proc = playground(tmp_path, "prompts", "check", "notes/sum", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["prompts"][0]["renders"] == 2 and doc["differences"] == 0


def test_the_example_ci_job_checks_its_prompts(tmp_path: Path) -> None:
    """The worked example's workflow runs `prompts check`; on the example it passes."""
    import shutil

    root = Path(__file__).resolve().parents[1]
    workflow = (root / ".github" / "workflows" / "eval.yml").read_text(encoding="utf-8")
    assert "run: playground prompts check" in workflow
    shutil.copytree(root / "examples", tmp_path / "examples")
    proc = playground(tmp_path / "examples", "prompts", "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].endswith(": no differences")
