"""`playground prompts import` refuses what would make a broken prompt file: parameters of the
wrong type and templates with bad Handlebars syntax, in one line, with no file written."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import playground as pg

from playground.core.template import PromptTemplate
from playground.library import LibraryError, promote

PROMPTY = """---
model:
  configuration:
    type: openai
    name: gpt-4.1-mini
  parameters:
    {param}
---
system:
You are brief.
user:
{body}
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "playground.toml").write_text("", encoding="utf-8")
    return tmp_path


def _import(ws: Path, name: str, text: str) -> tuple[int, str, str]:
    (ws / name).write_text(text, encoding="utf-8")
    proc = pg(ws, "prompts", "import", name, "--name", "imp")
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("stop: 5", "parameters.stop must be a string or a list of strings"),
        ("stop: {a: 1}", "parameters.stop must be a string or a list of strings"),
        ("temperature: hot", "parameters.temperature must be a number"),
        ("top_p: true", "parameters.top_p must be a number"),
        ("max_tokens: lots", "parameters.max_tokens must be an integer"),
        ("max_tokens: 12.5", "parameters.max_tokens must be an integer"),
        ("seed: '7'", "parameters.seed must be an integer"),
    ],
)
def test_prompty_parameters_of_the_wrong_type_are_one_line(
    workspace: Path, param: str, message: str
) -> None:
    code, out, err = _import(
        workspace, "bad.prompty", PROMPTY.format(param=param, body="{{question}}")
    )
    assert code == 2
    assert err == f"playground: bad.prompty: {message}\n"
    assert out == ""
    assert not (workspace / "prompts").exists() or not any((workspace / "prompts").rglob("*"))


def test_llm_template_options_of_the_wrong_type_are_one_line(workspace: Path) -> None:
    code, _, err = _import(workspace, "t.yaml", "prompt: $input\noptions:\n  temperature: hot\n")
    assert (code, err) == (2, "playground: t.yaml: options.temperature must be a number\n")


def test_good_parameters_still_import(workspace: Path) -> None:
    code, _, err = _import(
        workspace, "ok.prompty", PROMPTY.format(param="stop: END", body="{{question}}")
    )
    assert code == 0, err
    assert "stopSequences:\n  - END" in (workspace / "prompts" / "imp.prompt").read_text()


@pytest.mark.parametrize(
    "body",
    ["{% if question %}Answer {{question}}", "Answer {{question"],
    ids=["unclosed-if", "unclosed-tag"],
)
def test_a_template_with_bad_syntax_is_refused_even_without_values(
    workspace: Path, body: str
) -> None:
    text = PROMPTY.format(param="temperature: 0.2", body=body)
    code, _, err = _import(workspace, "syntax.prompty", text)
    assert code == 2
    assert err.startswith("playground: message 2 (user): template syntax: unclosed")
    assert len(err.splitlines()) == 1
    assert not (workspace / "prompts" / "imp.prompt").exists()


def test_promote_checks_parameter_types_too(tmp_path: Path) -> None:
    template = PromptTemplate.from_parts("sys", "hi")
    with pytest.raises(LibraryError, match=r"^temperature must be a number$"):
        promote(tmp_path, "x", template=template, temperature="hot")  # type: ignore[arg-type]
    p = promote(tmp_path, "x", template=template, stop="END")  # type: ignore[arg-type]
    assert "stopSequences:\n  - END\n" in p.text  # one sequence, not one per letter
