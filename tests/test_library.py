"""Prompt files: what we write renders with dotpromptz exactly as our runner renders it, reads
back, versions only grow, identical content makes no version, and bad input is one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from playground.core.template import Message, PromptTemplate
from playground.library import (
    LibraryError,
    list_prompts,
    list_versions,
    load_prompt,
    parse_prompt_text,
    preview_promotion,
    promote,
    render_prompt_file,
)
from playground.library.reference import render_reference


def sent(template: PromptTemplate, variables: dict[str, Any]) -> list[Message]:
    """What our runner sends (Dotprompt leaves out messages that render to only whitespace)."""
    return [m for m in template.render(variables) if m.content.strip()]


def assert_round_trip(text: str, template: PromptTemplate, variables: dict[str, Any]) -> None:
    """dotpromptz parses and renders the file to what we send; our reader agrees."""
    from dotpromptz import Dotprompt

    Dotprompt().parse(text)  # parses without error
    expected = sent(template, variables)
    assert render_reference(text) == expected  # input.default supplies the values
    assert render_reference(text, variables) == expected
    back = parse_prompt_text(text)
    assert back.variables == variables
    assert sent(back.template, variables) == expected


SHAPES = {
    "unicode": (
        PromptTemplate.from_parts("Tu es concis. 日本語で答えて ✓", "Parle-moi des {{animal}} 🦦"),
        {"animal": "loutres"},
    ),
    "multi-line system": (
        PromptTemplate.from_parts(
            "You are a careful editor.\n\n  Rules:\n  - be brief\n  - no jargon\n",
            "Edit this:\n\n{{text}}",
        ),
        {"text": "Line one.\nLine two."},
    ),
    "helpers": (
        PromptTemplate.from_parts(
            "{{#if formal}}\nYou write formally.\n{{else}}\nYou write casually.\n{{/if}}",
            "Topics:\n{{#each topics}}\n- {{this}}\n{{/each}}\nAs JSON: {{json topics}}",
        ),
        {"formal": True, "topics": ["otters", "beavers"]},
    ),
    "a list with no value": (
        PromptTemplate.from_parts("sys", "{{#each items}}\n- {{this}}\n{{/each}}\nFor {{name}}"),
        {"name": "Ann"},
    ),
    "leading and trailing whitespace": (
        PromptTemplate(
            [Message("system", "  indented system"), Message("user", "ends with newline\n")]
        ),
        {},
    ),
    "earlier turns": (
        PromptTemplate(
            [
                Message("system", "sys"),
                Message("user", "Hi {{name}}"),
                Message("assistant", "Hello!\n\n"),
                Message("user", "{{#if more}}\nTell me more.\n{{/if}}"),
            ]
        ),
        {"name": "Ann", "more": True},
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_written_file_renders_with_dotpromptz_exactly_as_sent(shape: str) -> None:
    template, variables = SHAPES[shape]
    text = render_prompt_file(
        template, model="openai:gpt-4.1-mini", temperature=0.3, variables=variables
    )
    assert_round_trip(text, template, variables)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_promoted_files_round_trip(tmp_path: Path, shape: str) -> None:
    template, variables = SHAPES[shape]
    p = promote(tmp_path, "shape", template=template, model="echo", variables=variables, note="ünï")
    for path in (p.path, p.version_path):
        assert path is not None
        assert_round_trip(path.read_text(encoding="utf-8"), template, variables)


# ---- any template made of text, whitespace, variables and helpers


_word = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="{}\\<>~\r"),
    min_size=1,
    max_size=6,
)
_space = st.sampled_from(["\n", " ", "  ", "\n\n", "\t", " \n", "\n  ", "\r\n", "\x85"])
_leaf = st.one_of(_word, _space, st.just("{{name}}"), st.just("{{!-- note --}}"))


def _blocks(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def wrap(parts: list[str], kind: int, nl1: str, nl2: str) -> str:
        body = "".join(parts)
        if kind == 0:
            return "{{#if flag}}" + nl1 + body + nl2 + "{{/if}}"
        if kind == 1:
            return "{{#if flag}}" + nl1 + body + "{{else}}" + nl2 + "no" + "{{/if}}"
        body = body.replace("{{name}}", "{{@root.name}}")  # an item has no name of its own
        return "{{#each items}}" + nl1 + body + "{{this}}" + nl2 + "{{/each}}"

    return st.builds(
        wrap,
        st.lists(inner, max_size=3),
        st.integers(0, 2),
        st.sampled_from(["", "\n", "  \n"]),
        st.sampled_from(["", "\n"]),
    )


_content = st.lists(st.recursive(_leaf, _blocks, max_leaves=6), min_size=1, max_size=6).map("".join)
_messages = st.lists(
    st.tuples(st.sampled_from(["system", "user", "assistant"]), _content), min_size=1, max_size=4
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_messages, st.booleans(), st.lists(_word, max_size=3))
def test_any_template_round_trips_through_dotpromptz(
    messages: list[tuple[str, str]], flag: bool, items: list[str]
) -> None:
    messages = [(r, c) for r, c in messages if c.strip()]
    if not messages:
        return
    template = PromptTemplate([Message(r, c) for r, c in messages])
    variables = {"name": "Zoë", "flag": flag, "items": items}
    text = render_prompt_file(template, model="echo", variables=variables)
    assert_round_trip(text, template, variables)


# ---- the front matter


def test_front_matter_fields_and_extension_space() -> None:
    from dotpromptz import Dotprompt

    template = PromptTemplate.from_parts("sys", "Tell me about {{topic}} in {{n}} words")
    text = render_prompt_file(
        template,
        model="anthropic:claude-haiku-4-5",
        temperature=0.7,
        max_tokens=256,
        top_p=0.9,
        seed=7,
        stop=["\n\n", "END"],
        variables={"topic": "otters", "n": 50},
        version=3,
        provenance={"session_id": 1, "run_id": 2, "response_id": 9, "note": "best of 4"},
    )
    parsed = Dotprompt().parse(text)
    assert parsed.model == "anthropic:claude-haiku-4-5"
    assert parsed.config == {
        "temperature": 0.7,
        "maxOutputTokens": 256,
        "topP": 0.9,
        "seed": 7,
        "stopSequences": ["\n\n", "END"],
    }
    assert parsed.input.default == {"topic": "otters", "n": 50}
    assert parsed.input.schema == {"topic": "string", "n": "integer"}
    assert parsed.ext["playground"]["version"] == 3
    assert parsed.ext["playground"]["provenance"]["note"] == "best of 4"

    pf = parse_prompt_text(text, path="prompts/facts.prompt")
    assert (pf.model, pf.temperature, pf.max_tokens, pf.top_p, pf.seed, pf.stop) == (
        "anthropic:claude-haiku-4-5",
        0.7,
        256,
        0.9,
        7,
        ["\n\n", "END"],
    )
    assert pf.version == 3 and pf.label == "facts v3"
    assert pf.provenance["response_id"] == 9
    assert pf.warnings == []


def test_reader_loads_a_hand_written_dotprompt_file() -> None:
    """A file in Dotprompt's documented style (markers on their own lines, no ~)."""
    text = (
        "---\nmodel: googleai/gemini-1.5-flash\nconfig:\n  temperature: 0.9\n"
        "input:\n  schema:\n    userQuestion: string\n    lang?: string, the language\n"
        "  default:\n    lang: English\n---\n"
        '{{role "system"}}\nYou love food.\nAnswer in {{lang}}.\n{{role "user"}}\n{{userQuestion}}\n'
    )
    pf = parse_prompt_text(text, path="food.prompt")
    assert [m.role for m in pf.template.messages] == ["system", "user"]
    assert pf.temperature == 0.9 and pf.variables == {"lang": "English"}
    assert pf.warnings == []
    values = {"userQuestion": "Pizza?", "lang": "French"}
    assert pf.template.render(values) == render_reference(text, values)


def test_body_without_markers_is_one_user_message() -> None:
    pf = parse_prompt_text("Summarize {{text}}\n", path="s.prompt")
    # no front matter: dotpromptz keeps the body's last newline, and sends it
    assert pf.template.messages == [Message("user", "Summarize {{text}}\n")]
    assert pf.model is None and pf.version is None


# ---- bad input: one line with file and line


@pytest.mark.parametrize(
    ("front", "line", "words"),
    [
        ("model: echo\nconfig: [1, 2\n", 3, "invalid YAML"),
        ("model: echo\ninput:\n  schema:\n    topic: strng\n", 5, "unknown field type 'strng'"),
        (
            "model: echo\ninput:\n  schema:\n    tags(list): string\n",
            5,
            "unknown field type 'list'",
        ),
        ("model: echo\nconfig:\n  temperature: hot\n", 4, "config.temperature must be a number"),
        ("model: echo\nconfig: warm\n", 3, "config has the wrong type"),
        ("model: [a, b]\n", 2, "model has the wrong type"),
        ("a: 1\na: 2\n", 3, "duplicate mapping keys"),
    ],
)
def test_bad_front_matter_is_one_line_with_file_and_line(front: str, line: int, words: str) -> None:
    text = f"---\n{front}---\nhello\n"
    with pytest.raises(LibraryError) as err:
        parse_prompt_text(text, path="prompts/bad.prompt")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"prompts/bad.prompt:{line}: "), message
    assert words in message


def test_missing_closing_delimiter_names_the_line() -> None:
    with pytest.raises(LibraryError, match=r"^x\.prompt:1: missing closing delimiter"):
        parse_prompt_text("---\nmodel: echo\nhello\n", path="x.prompt")


def test_variable_missing_from_schema_is_a_warning() -> None:
    text = "---\ninput:\n  schema:\n    topic: string\n---\nAbout {{topic}} for {{audience}}\n"
    pf = parse_prompt_text(text, path="w.prompt")
    assert pf.warnings == [
        "w.prompt: the template uses audience but input.schema does not declare it"
    ]


# ---- versions


def _promote(folder: Path, name: str = "facts", **kw: Any) -> Any:
    template = kw.pop("template", PromptTemplate.from_parts("sys", "About {{topic}}"))
    return promote(
        folder,
        name,
        template=template,
        model=kw.pop("model", "echo"),
        temperature=kw.pop("temperature", 0.5),
        variables=kw.pop("variables", {"topic": "otters"}),
        **kw,
    )


def test_versions_grow_and_identical_content_makes_none(tmp_path: Path) -> None:
    first = _promote(tmp_path, provenance={"response_id": 1})
    assert (first.created, first.version) == (True, 1)
    assert first.path == tmp_path / "facts.prompt"
    assert first.version_path == tmp_path / "facts" / "v1.prompt"
    v1_text = first.version_path.read_text(encoding="utf-8")

    again = _promote(tmp_path, provenance={"response_id": 2}, note="same words")
    assert (again.created, again.identical, again.version) == (False, True, 1)
    assert list_versions(tmp_path, "facts") == [1]

    second = _promote(tmp_path, temperature=0.9)
    assert (second.created, second.version) == (True, 2)
    assert "-  temperature: 0.5" in second.diff and "+  temperature: 0.9" in second.diff
    assert list_versions(tmp_path, "facts") == [1, 2]
    assert (tmp_path / "facts" / "v1.prompt").read_text(encoding="utf-8") == v1_text
    assert load_prompt("facts", tmp_path).version == 2
    assert load_prompt("facts", tmp_path, version=1).temperature == 0.5
    assert [pf.label for pf in list_prompts(tmp_path)] == ["facts v2"]


def test_preview_says_next_version_and_diff_without_writing(tmp_path: Path) -> None:
    _promote(tmp_path)
    text = render_prompt_file(
        PromptTemplate.from_parts("sys", "About {{topic}}!"), model="echo", temperature=0.5
    )
    preview = preview_promotion(tmp_path, "facts", text)
    assert (preview.next_version, preview.identical) == (2, False)
    assert preview.diff.startswith("--- facts v1\n+++ facts v2\n")
    assert "+About {{topic}}!" in preview.diff
    assert list_versions(tmp_path, "facts") == [1]


def test_folders_in_names(tmp_path: Path) -> None:
    _promote(tmp_path, "support/triage")
    _promote(tmp_path, "support/triage", temperature=0.1)
    _promote(tmp_path, "support")
    assert (tmp_path / "support" / "triage" / "v2.prompt").is_file()
    assert [pf.label for pf in list_prompts(tmp_path)] == ["support v1", "support/triage v2"]


@pytest.mark.parametrize(
    "name",
    [
        "../evil",
        "a/../../b",
        "/etc/passwd",
        "a//b",
        "a\\b",
        "sp ace",
        "",
        ".",
        "x/..",
        "v3",
        "a/v12",
    ],
)
def test_names_that_escape_or_are_not_slugs_are_refused(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "prompts"
    with pytest.raises(LibraryError):
        _promote(folder, name)
    assert not any(tmp_path.rglob("*.prompt"))


def test_a_symlinked_folder_cannot_carry_a_prompt_outside(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "link").symlink_to(outside)
    with pytest.raises(LibraryError, match="outside the prompts folder"):
        _promote(folder, "link/x")
    assert not any(outside.iterdir())


def test_writes_leave_no_temp_files(tmp_path: Path) -> None:
    _promote(tmp_path)
    _promote(tmp_path, temperature=0.2)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "facts",
        "facts.prompt",
        "facts/v1.prompt",
        "facts/v2.prompt",
    ]


def test_promote_over_a_hand_edited_current_file_keeps_it_first(tmp_path: Path) -> None:
    _promote(tmp_path)
    current = tmp_path / "facts.prompt"
    current.write_text(current.read_text(encoding="utf-8").replace("About", "Around"), "utf-8")
    p = _promote(tmp_path, temperature=0.1)
    assert p.version == 3
    assert p.warnings == [
        "facts.prompt had changes of its own (written or edited by hand); "
        "kept them as facts/v2.prompt"
    ]
    assert "About" in (tmp_path / "facts" / "v1.prompt").read_text(encoding="utf-8")
    assert "Around" in (tmp_path / "facts" / "v2.prompt").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
        st.one_of(
            st.text(st.characters(blacklist_categories=("Cs",))),
            st.integers(-(2**40), 2**40),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.lists(st.text(max_size=5), max_size=3),
        ),
        min_size=1,
        max_size=4,
    )
)
@example({"a": "0\n"})  # one trailing newline, the last value: a clipped block lost it
def test_any_variable_values_survive_the_front_matter(variables: dict[str, Any]) -> None:
    """Values with newlines, quotes, '---', '#', unicode or odd spacing come back unchanged."""
    user = " · ".join("{{" + name + "}}" for name in variables)
    template = PromptTemplate.from_parts("system", "values: " + user)
    text = render_prompt_file(template, model="echo", variables=variables)
    assert parse_prompt_text(text).variables == variables
    assert render_reference(text) == sent(template, variables)


def test_reader_loads_the_dotprompt_reference_example() -> None:
    """Fields we do not use (name, variant, tools, output, metadata, topK) do not stop a load."""
    text = """---
name: greetingPrompt
variant: formal
model: googleai/gemini-1.5-flash
tools:
  - timeOfDay
config:
  version: gemini-1.5-flash-latest
  temperature: 0.7
  topK: 20
  topP: 0.8
  stopSequences:
    - STOPSTOPSTOP
input:
  default:
    name: Guest
  schema:
    name: string
    language?: string
output:
  format: json
  schema:
    greeting: string, the greeting to provide to the guest
    formalityLevel: number, the level of formality of your response
metadata:
  customKey:
    customValue: 123
---
{{role "system"}}
Greet the guest{{#if language}} in {{language}}{{/if}}.
{{role "user"}}
I am {{name}}.
"""
    pf = parse_prompt_text(text, path="greeting.prompt")
    assert (pf.model, pf.temperature, pf.top_p, pf.stop) == (
        "googleai/gemini-1.5-flash",
        0.7,
        0.8,
        ["STOPSTOPSTOP"],
    )
    assert pf.variables == {"name": "Guest"}
    assert pf.warnings == []
    values = {"name": "Ada", "language": "Italian"}
    assert pf.template.render(values) == render_reference(text, values)


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:  # root writes anywhere; use a file where the folder should be
        (tmp_path / "prompts").write_text("not a folder")
    else:
        (tmp_path / "prompts").mkdir(mode=0o500)
    with pytest.raises(LibraryError) as err:
        _promote(tmp_path / "prompts")
    assert "\n" not in str(err.value)
    assert "cannot write" in str(err.value)


def test_a_role_marker_inside_a_block_renders_as_dotpromptz_does() -> None:
    text = (
        '---\nmodel: echo\n---\n{{#if x}}\n{{role "system"}}\nsys\n{{/if}}\n{{role "user"}}\nhi\n'
    )
    template = parse_prompt_text(text, path="c.prompt").template
    for values in ({"x": True}, {"x": False}):
        assert template.render(values) == render_reference(text, values)
    assert [m.role for m in template.render({"x": True})] == ["system", "user"]
