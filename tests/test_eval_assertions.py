"""Every assertion type: a pass, a fail, and (where it can happen) one it cannot evaluate."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.core.evals.assertions import Context, case_verdict, grade
from playground.core.evals.cases import parse_assertion

JSON_OUT = '{"name": "otter", "legs": 4}'
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "legs": {"type": "integer"}},
    "required": ["name", "legs"],
}


def check(raw: dict, output: str, tmp: Path | None = None, **ctx: object):
    spec = parse_assertion(raw, 1)
    context = Context(output=output, model="openai:gpt-4.1-mini", folder=tmp or Path.cwd(), **ctx)
    return grade(spec, context)


CASES = [
    # (assertion, passing output, failing output)
    ({"type": "equals", "value": "Paris"}, "Paris\n", "Paris, France"),
    ({"type": "equals", "value": {"a": 1}}, '{"a": 1}', '{"a": 2}'),
    ({"type": "contains", "value": "otter"}, "an otter swims", "an Otter swims"),
    ({"type": "icontains", "value": "OTTER"}, "an Otter swims", "a beaver swims"),
    ({"type": "contains-any", "value": ["otter", "seal"]}, "a seal", "a whale"),
    ({"type": "contains-all", "value": ["otter", "river"]}, "otter in a river", "otter at sea"),
    ({"type": "icontains-any", "value": ["OTTER", "seal"]}, "An otter", "A whale"),
    ({"type": "icontains-all", "value": ["Otter", "RIVER"]}, "otter, river", "otter only"),
    ({"type": "starts-with", "value": "Yes"}, "  Yes, it is.", "No. Yes."),
    ({"type": "regex", "value": r"\d{3}"}, "call 555 now", "call now"),
    ({"type": "is-json"}, JSON_OUT, "{name: otter}"),
    ({"type": "is-json"}, "```json\n" + JSON_OUT + "\n```", "```json\n{oops\n```"),
    ({"type": "json-schema", "value": SCHEMA}, JSON_OUT, '{"name": "otter", "legs": "four"}'),
    ({"type": "min-length", "value": 5}, "123456", "1234"),
    ({"type": "max-length", "value": 5}, "1234", "123456"),
    (
        {"type": "max-length", "value": 3, "unit": "tokens"},
        "hello world",
        "one two three four five",
    ),
    (
        {"type": "similar", "value": "The otter swims in the river."},
        "the otter swims in the river",
        "Quantum chromodynamics is hard.",
    ),
    (
        {"type": "not-contains", "value": "as an AI"},
        "Otters are mustelids.",
        "As I said, as an AI...",
    ),
]


@pytest.mark.parametrize(("raw", "good", "bad"), CASES, ids=[c[0]["type"] for c in CASES])
def test_assertion_passes_and_fails(raw: dict, good: str, bad: str) -> None:
    ok = check(raw, good)
    assert ok.passed, ok.reason
    assert ok.error is None
    no = check(raw, bad)
    assert not no.passed
    assert no.error is None, no.error
    assert no.reason


def test_latency_and_cost_use_the_cell_figures() -> None:
    assert check({"type": "latency", "value": 500}, "x", latency_ms=120.0).passed
    slow = check({"type": "latency", "value": 500}, "x", latency_ms=900.0)
    assert not slow.passed and "900 ms" in slow.reason
    assert check({"type": "cost", "value": 0.01}, "x", cost_usd=0.002).passed
    assert not check({"type": "cost", "value": 0.001}, "x", cost_usd=0.002).passed


def test_negation_flips_the_verdict_and_says_must_not() -> None:
    out = check({"type": "not-icontains", "value": "sorry"}, "Sorry, I cannot.")
    assert not out.passed
    assert out.type == "not-icontains"
    assert "must not" in out.reason


def test_similar_reports_its_score_and_honours_threshold() -> None:
    loose = check(
        {"type": "similar", "value": "otters hold hands", "threshold": 0.5},
        "sea otters hold hands while sleeping",
    )
    assert loose.passed and 0.5 <= loose.score < 1
    strict = check(
        {"type": "similar", "value": "otters hold hands", "threshold": 0.95},
        "sea otters hold hands while sleeping",
    )
    assert not strict.passed
    assert strict.score == loose.score


UNEVALUABLE = [
    ({"type": "regex", "value": "("}, "bad regex"),
    ({"type": "json-schema", "value": {"type": "no-such-type"}}, "invalid JSON Schema"),
    ({"type": "json-schema", "value": "missing.json"}, "cannot read schema"),
    ({"type": "python", "value": "nowhere.py:fn"}, "no file nowhere.py"),
    ({"type": "latency", "value": 10}, "no latency"),
    ({"type": "cost", "value": 1}, "no known price"),
    ({"type": "contains"}, "needs a value"),
    ({"type": "contains-any", "value": 3}, "text or a list"),
    ({"type": "min-length", "value": -1}, "whole number"),
    ({"type": "max-length", "value": 3, "unit": "words"}, "unit is chars or tokens"),
    ({"type": "frobnicate", "value": 1}, "unknown type"),
    ({"type": "contains", "value": "x", "thresold": 1}, "unknown key"),
    ({"type": "judge", "value": "Is it good?"}, "needs a model"),
    ({"type": "similar", "value": "x", "threshold": 2}, "threshold must be"),
    ({"type": "contains", "value": "x", "weight": -1}, "weight"),
]


@pytest.mark.parametrize(("raw", "why"), UNEVALUABLE, ids=[u[1] for u in UNEVALUABLE])
def test_an_assertion_that_cannot_be_evaluated_is_an_error_never_a_pass(
    raw: dict, why: str, tmp_path: Path
) -> None:
    out = check(raw, JSON_OUT, tmp_path)
    assert not out.passed
    assert out.error is not None and why in out.error
    assert "cannot be evaluated" in out.reason


def test_python_assertion_from_the_workspace_or_the_tests_folder(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    folder = tmp_path / "ws" / "prompts"
    folder.mkdir(parents=True)
    (workspace / "checks.py").write_text(
        "def short(output, context):\n    return len(output) < 10\n"
        "def scored(output, context):\n    return 0.7\n"
        "def why(output, context):\n"
        "    return ('otter' in output, f\"model {context['model']} t={context['temperature']}\")\n"
        "def boom(output, context):\n    raise ValueError('nope')\n"
        "def wrong(output, context):\n    return 'yes'\n",
        encoding="utf-8",
    )
    (folder / "local.py").write_text(
        "def uses_vars(output, context):\n    return context['vars']['topic'] in output\n",
        encoding="utf-8",
    )

    def run(ref: str, output: str, **raw: object):
        spec = parse_assertion({"type": "python", "value": ref, **raw}, 1)
        ctx = Context(
            output=output,
            vars={"topic": "otters"},
            model="echo",
            temperature=0.3,
            folder=folder,
            workspace=workspace,
        )
        return grade(spec, ctx)

    assert run("checks.py:short", "tiny").passed
    assert not run("checks.py:short", "far too long an answer").passed
    scored = run("checks.py:scored", "x")
    assert scored.passed and scored.score == 0.7
    assert not run("checks.py:scored", "x", threshold=0.8).passed
    why = run("checks.py:why", "an otter")
    assert why.passed and why.reason == "model echo t=0.3"
    assert run("local.py:uses_vars", "about otters").passed  # found in the tests folder
    boom = run("checks.py:boom", "x")
    assert boom.error and "ValueError: nope" in boom.error
    assert "returned str" in (run("checks.py:wrong", "x").error or "")
    assert "has no function missing" in (run("checks.py:missing", "x").error or "")


def test_json_schema_from_a_file_beside_the_tests(tmp_path: Path) -> None:
    import json

    (tmp_path / "animal.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    assert check({"type": "json-schema", "value": "animal.json"}, JSON_OUT, tmp_path).passed
    bad = check({"type": "json-schema", "value": "animal.json"}, '{"name": 3}', tmp_path)
    assert not bad.passed and "at " in bad.reason


def test_draft_2020_12_keywords_are_enforced() -> None:
    schema = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}
    assert check({"type": "json-schema", "value": schema}, '["a", 1]').passed
    assert not check({"type": "json-schema", "value": schema}, '["a", "b"]').passed


def test_case_verdict_is_the_weighted_share_against_the_threshold() -> None:
    from playground.core.evals.assertions import Outcome

    outcomes = [Outcome("a", True, weight=3), Outcome("b", False, weight=1)]
    assert case_verdict(outcomes, None) == (False, 0.75)
    assert case_verdict(outcomes, 0.75) == (True, 0.75)
    assert case_verdict(outcomes, 0.8) == (False, 0.75)
    broken = [Outcome("a", True), Outcome("b", False, error="bad regex")]
    assert case_verdict(broken, 0.1)[0] is False
