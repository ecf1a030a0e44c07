"""Files dotpromptz accepts load in our reader and render the same messages (issue 6).

Role markers inside blocks, ``{{history}}`` and ``{{section}}`` cannot be split into messages
from the source; such a body renders whole, as Dotprompt renders it. What we still refuse
(media parts, partials) is refused in one line naming file and line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.core.template import Message, MissingVariable, PromptTemplate, TemplateError
from playground.library import LibraryError, parse_prompt_text, promote
from playground.library.reference import render_reference
from tests.cli_helpers import playground

HEAD = "---\nmodel: echo\n---\n"
ROLE_IN_IF = '{{#if formal}}{{role "system"}}Be formal.{{/if}}{{role "user"}}Hi {{name}}'

# (body, variables): each one dotpromptz parses and renders
ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    (ROLE_IN_IF, {"formal": True, "name": "Ada"}),
    (ROLE_IN_IF, {"formal": False, "name": "Ada"}),
    (ROLE_IN_IF, {"name": "Ada"}),
    (
        '{{#if formal}}{{role "system"}}Formal.{{else}}{{role "system"}}Casual.{{/if}}\n'
        '{{role "user"}}Tell me about {{topic}}.',
        {"topic": "otters"},
    ),
    ('{{#each turns}}{{role "user"}}{{this}}{{/each}}', {"turns": ["a", "b", "c"]}),
    ('{{role "system"}}Be brief.\n{{history}}\n{{role "user"}}Hi {{name}}', {"name": "Ada"}),
    ('{{role "user"}}Hi {{history}} more', {}),
    ('{{role "user"}}Before {{section "output"}} after', {}),
    ('{{role "user"}}A{{section "x"}}   {{section "y"}}B', {}),
    ("{{role who}}Hello from a role named by a variable", {"who": "system"}),
    ('{{#if a}}{{role "model"}}Earlier answer.{{/if}}{{role "user"}}Go on', {"a": 1}),
    ('{{role "system"}}Ünïcödé ✓\nsecond line{{#if x}}{{role "user"}}{{x}}{{/if}}', {"x": "é"}),
    ('{{role "system"}}{{#if sys}}{{sys}}{{/if}}\n{{role "user"}}Hi', {}),  # one per message
    ('{{role "system"}}{{#if sys}}{{sys}}{{/if}}\n{{role "user"}}Hi', {"sys": "Be brief."}),
    ('{{#*inline "greet"}}Hello {{name}}!{{/inline}}{{role "user"}}Hi {{> greet}}', {"name": "A"}),
    (
        '{{#*inline "sys"}}\nBe brief.\n{{/inline}}\n{{role "system"}}\n  {{> sys}}\n'
        '{{role "user"}}\nHi',
        {},
    ),
    ('{{role "user"}}Hi {{#> greet}}fallback {{name}}{{/greet}}', {"name": "A"}),
    (
        '{{#if formal}}\n{{role "system"}}\nBe formal.\n{{/if}}\n{{role "user"}}\n  Hi {{name}}  \n',
        {"formal": True, "name": "Ada"},
    ),
    ('{{~#if a~}}\n  {{~role "system"~}}\n  S\n{{~/if~}}\n{{role "user"}}\n\nU\n\n', {"a": 1}),
    (
        '{{#with person}}{{role "user"}}{{name}} is {{age}}{{/with}}',
        {"person": {"name": "A", "age": 3}},
    ),
]


def _dotpromptz(text: str, variables: dict[str, Any]) -> list[Message]:
    from dotpromptz import Dotprompt

    Dotprompt().parse(text)  # parses
    return render_reference(text, variables)


@pytest.mark.parametrize(("body", "variables"), ACCEPTED)
def test_files_dotpromptz_accepts_load_and_render_the_same(
    body: str, variables: dict[str, Any]
) -> None:
    text = HEAD + body + "\n"
    theirs = _dotpromptz(text, variables)
    assert theirs, "dotpromptz renders at least one message"
    pf = parse_prompt_text(text, path="a.prompt")
    assert pf.template.render(variables) == theirs


_ATOMS = [
    '{{role "system"}}',
    '{{role "user"}}',
    '{{role "model"}}',
    '{{~role "user"~}}',
    "{{history}}",
    '{{section "s"}}',
    "text",
    " ",
    "\n",
    "  \n",
    "\t",
    "ü",
    "{{x}}",
    "{{!c}}",
]


@st.composite
def _bodies(draw: st.DrawFn, depth: int = 0) -> str:
    out = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 4 if depth < 2 else 0))
        if kind == 0 or depth >= 2:
            out.append(draw(st.sampled_from(_ATOMS)))
        elif kind in (1, 2):
            inner = draw(_bodies(depth + 1))
            other = draw(_bodies(depth + 1)) if kind == 2 else None
            out.append("{{#if a}}" + inner + ("{{else}}" + other if other else "") + "{{/if}}")
        elif kind == 3:
            out.append("{{#each xs}}" + draw(_bodies(depth + 1)) + "{{this}}{{/each}}")
        else:
            out.append("{{#unless a}}" + draw(_bodies(depth + 1)) + "{{/unless}}")
    return "".join(out)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies(), a=st.booleans(), xs=st.lists(st.sampled_from(["p", "q\n"]), max_size=2))
def test_any_whole_body_renders_as_dotpromptz_does(body: str, a: bool, xs: list[str]) -> None:
    text = HEAD + '{{#if a}}{{role "system"}}S{{/if}}' + body + "\n"
    variables = {"a": a, "x": "X", "xs": xs}
    theirs = render_reference(text, variables)
    template = parse_prompt_text(text, path="f.prompt").template
    assert template.dotprompt
    try:
        ours = template.render(variables)
    except MissingVariable:  # ours is strict: {{x}} inside {{#each}} reads the item
        assert "{{#each" in body
        return
    assert ours == theirs


def test_the_audit_file_no_longer_refused() -> None:
    pf = parse_prompt_text(HEAD + ROLE_IN_IF, path="a.prompt")
    assert pf.template.render({"formal": True, "name": "Ada"}) == [
        Message("system", "Be formal."),
        Message("user", "Hi Ada"),
    ]
    assert pf.template.render({"name": "Ada"}) == [Message("user", "Hi Ada")]
    assert pf.template.variables() == ["formal", "name"]


def test_ordinary_files_keep_one_template_per_message() -> None:
    pf = parse_prompt_text(HEAD + '{{role "system"}}S {{x}}\n{{role "user"}}U', path="a.prompt")
    assert not pf.template.dotprompt
    assert [m.role for m in pf.template.messages] == ["system", "user"]


def test_history_is_placed_where_it_stands_without_a_warning() -> None:
    text = HEAD + '{{role "system"}}Be brief.\n{{history}}\n{{role "user"}}Hi'
    pf = parse_prompt_text(text, path="h.prompt")
    assert pf.warnings == []
    past = [Message("user", "Earlier"), Message("assistant", "Answer")]
    assert pf.template.render({}, history=past) == [
        Message("system", "Be brief.\n"),
        *past,
        Message("user", "Hi"),
    ]


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('{{role "user"}}Look:\n{{media url="https://x.test/a.png"}}', 5, "{{media}} parts"),
        ('{{role "user"}}Hi\n\n{{> greeting}}', 6, "partial {{> greeting}} is not defined"),
        ('{{#if a}}{{role "boss"}}x{{/if}}', 4, "unknown role 'boss'"),
    ],
)
def test_what_we_cannot_send_is_refused_in_one_line(body: str, line: int, words: str) -> None:
    with pytest.raises(LibraryError) as info:
        parse_prompt_text(HEAD + body + "\n", path="bad.prompt")
    message = str(info.value)
    assert message.startswith(f"bad.prompt:{line}: ")
    assert words in message and "\n" not in message


def test_an_unknown_partial_is_refused_by_dotpromptz_too() -> None:
    with pytest.raises(ValueError, match="greeting"):
        render_reference(HEAD + '{{role "user"}}{{> greeting}}')


def test_a_media_part_typed_in_is_refused_when_rendering() -> None:
    template = PromptTemplate.from_parts("", 'See {{media url="https://x.test/a.png"}}')
    with pytest.raises(TemplateError, match="text only"):
        template.render({})


def test_markers_typed_in_the_editor_render_as_dotprompt() -> None:
    template = PromptTemplate.from_parts(
        "Sys", '{{#if a}}{{role "model"}}Prior{{/if}}{{role "user"}}Q'
    )
    assert template.dotprompt
    assert template.render({"a": True}) == [
        Message("system", "Sys"),
        Message("assistant", "Prior"),
        Message("user", "Q"),
    ]
    assert PromptTemplate.from_dict(template.to_dict()) == template


def test_whole_body_prompt_promotes_and_reloads(tmp_path: Path) -> None:
    template = parse_prompt_text(HEAD + ROLE_IN_IF, path="a.prompt").template
    values = {"formal": True, "name": "Ada"}
    result = promote(tmp_path, "greet", template=template, model="echo", variables=values)
    text = Path(result.path).read_text(encoding="utf-8")
    assert render_reference(text) == template.render(values)
    again = parse_prompt_text(text, path=result.path)
    assert again.template.render(values) == template.render(values)


def test_run_a_whole_body_file_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    text = (
        "---\nmodel: echo\ninput:\n  schema:\n    name: string\n    formal?: boolean\n"
        "  default:\n    name: Ada\n---\n" + ROLE_IN_IF + "\n"
    )
    (tmp_path / "prompts" / "greet.prompt").write_text(text, encoding="utf-8")
    done = playground(
        tmp_path, "run", "prompts/greet.prompt", "-m", "echo", "-t", "0", "--json",
        "--var", "formal=yes",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cell = json.loads(done.stdout)["cells"][0]
    assert cell["status"] == "ok"
    expected = render_reference(text, {"formal": "yes"})
    assert [m.role for m in expected] == ["system", "user"]
    assert "system: Be formal.\n\nuser: Hi Ada" in cell["output"]
    promoted = playground(tmp_path, "promote", str(cell["id"]), "--name", "greet2")
    assert promoted.returncode == 0, promoted.stderr
    written = (tmp_path / "prompts" / "greet2.prompt").read_text(encoding="utf-8")
    assert ROLE_IN_IF in written  # the body as it was, markers inside the block
    assert render_reference(written) == expected  # the run's values are the new defaults


def test_whitespace_at_the_ends_of_a_typed_body_survives_writing(tmp_path: Path) -> None:
    template = PromptTemplate.from_parts(
        "", '\n  {{#if a}}{{role "system"}}S {{/if}}{{role "user"}}Q \n\n'
    )
    values = {"a": True}
    sent = template.render(values)
    assert sent == [Message("system", "S "), Message("user", "Q \n\n")]
    result = promote(tmp_path, "ws", template=template, model="echo", variables=values)
    text = Path(result.path).read_text(encoding="utf-8")
    assert render_reference(text) == sent
    assert parse_prompt_text(text).template.render(values) == sent


def test_config_numbers_written_as_text_load_with_a_warning() -> None:
    text = "---\nmodel: echo\nconfig:\n  temperature: '0.5'\n  maxOutputTokens: 64.0\n---\nHi\n"
    assert render_reference(text) == [Message("user", "Hi")]  # dotpromptz takes it
    pf = parse_prompt_text(text, path="c.prompt")
    assert (pf.temperature, pf.max_tokens) == (0.5, 64)
    assert pf.warnings == [
        "c.prompt:4: config.temperature is '0.5'; read as 0.5",
        "c.prompt:5: config.maxOutputTokens is 64.0; read as 64",
    ]
    with pytest.raises(LibraryError, match=r"^c\.prompt:4: config\.temperature must be a number"):
        parse_prompt_text(text.replace("'0.5'", "hot"), path="c.prompt")


def test_variables_read_inside_partials_are_offered() -> None:
    body = (
        '{{#*inline "greet"}}Hello {{name}}{{/inline}}{{role "user"}}{{> greet}}, {{> greet who}}'
    )
    pf = parse_prompt_text(HEAD + body, path="p.prompt")
    assert pf.template.variables() == ["name", "who"]
