"""A prompt of plain {{name}}s is rendered without the Handlebars engine: same text, same errors."""

from __future__ import annotations

import pytest

from playground.core.template import TemplateError, _apply, _compiled, render_text

SOURCES = [
    "Write one sentence about {{topic}} number {{n}}.\n",
    "{{ topic }} and {{\ntopic\n}}}",
    "{{{topic}}} {{topic}}",
    "\\{{topic}} {{n}}",
    "{{#if topic}}yes{{/if}} {{n}}",
    "{{json}} {{true}} {{this}} {{n}}",
    "{{topic.x}} {{n}}",
    "{{~topic~}} {{n}}",
    "{{! a comment }}{{n}}",
    "{{missing}} {{n}}",
    "{{n}}{{n}} {",
]
VALUES = [
    {"topic": "otters {{n}} $1 \\1", "n": "5"},
    {"topic": "", "n": "x"},
    {"topic": "otters", "n": 5},  # a number: the engine formats it
]


def rendered(how: object, source: str, values: dict[str, object]) -> tuple[str, str]:
    try:
        return "ok", how(source, values)  # type: ignore[operator]
    except TemplateError as exc:
        return "error", str(exc)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("values", VALUES)
def test_plain_names_render_as_the_engine_does(source: str, values: dict[str, object]) -> None:
    engine = rendered(lambda s, v: _apply(_compiled(s), v), source, values)
    assert rendered(render_text, source, values) == engine
