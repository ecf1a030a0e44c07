"""Deterministic assertions: each checks one output and says why it passed or failed.

``grade(spec, ctx)`` returns an ``Outcome``. An assertion that cannot be evaluated (a bad
regex, an invalid schema, a missing function, a value it cannot use) is an Outcome with
``error`` set and ``passed`` False: never a crash, never a silent pass. ``judge`` and
``similar`` with ``embedding:`` need a model and are graded in ``judges`` instead.

These run once per cell × assertion, so each is kept to a few microseconds: compiled regexes
and schema validators are cached, and long outputs are lowered once per cell (``Context``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from playground.core.evals.cases import AssertionSpec

SIMILAR_THRESHOLD = 0.8  # similar: the score a match needs unless the assertion says
PYTHON_THRESHOLD = 0.5  # python returning a score: passes at this unless the assertion says
ASYNC_TYPES = ("judge",)  # graded by a model (judges.py); similar too when it has embedding:


class Unevaluable(Exception):
    """This assertion cannot be evaluated on this output; the message says why."""


@dataclass
class Context:
    """What an assertion sees of one cell (``python`` gets it as a dict)."""

    output: str
    vars: dict[str, Any] = field(default_factory=dict)
    model: str = ""
    temperature: float | None = None
    sample: int = 1
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    folder: Path = field(default_factory=Path.cwd)  # the tests file's folder
    workspace: Path | None = None  # the folder with playground.toml
    _lower: str | None = None
    _json: Any = None
    _json_error: str | None = None
    _json_done: bool = False

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.output.casefold()
        return self._lower

    def parsed_json(self) -> Any:
        """The output as JSON (a lone ```json fence around it is allowed); Unevaluable-free:
        raises ValueError with the parser's reason."""
        if not self._json_done:
            self._json_done = True
            try:
                self._json = json.loads(_unfenced(self.output))
            except ValueError as exc:
                self._json_error = f"not JSON ({getattr(exc, 'msg', exc)})"
        if self._json_error is not None:
            raise ValueError(self._json_error)
        return self._json

    def as_dict(self) -> dict[str, Any]:
        return {
            "vars": self.vars,
            "model": self.model,
            "temperature": self.temperature,
            "sample": self.sample,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens},
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
        }


@dataclass
class Outcome:
    """One assertion's verdict on one output."""

    type: str  # as written, not- included
    passed: bool
    score: float | None = None
    reason: str = ""
    error: str | None = None  # could not be evaluated
    weight: float = 1.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "passed": self.passed,
            "score": None if self.score is None else round(self.score, 4),
            "reason": self.reason,
        }
        if self.error is not None:
            out["error"] = self.error
        if self.weight != 1.0:
            out["weight"] = self.weight
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(
            data.get("type", ""),
            bool(data.get("passed")),
            data.get("score"),
            data.get("reason") or "",
            data.get("error"),
            float(data.get("weight", 1.0)),
        )


def unevaluable(spec: AssertionSpec, message: str) -> Outcome:
    return Outcome(spec.label, False, None, f"cannot be evaluated: {message}", message, spec.weight)


def needs_model(spec: AssertionSpec) -> bool:
    return spec.type in ASYNC_TYPES or (spec.type == "similar" and "embedding" in spec.options)


def finish(spec: AssertionSpec, passed: bool, score: float | None, reason: str) -> Outcome:
    """Apply ``not-``: the verdict flips; a scored assertion keeps its score as measured."""
    if spec.negate:
        passed = not passed
        reason = f"{reason} (must not)" if not passed else f"{reason}"
    if score is None:
        score = 1.0 if passed else 0.0
    return Outcome(spec.label, passed, score, reason, None, spec.weight)


def grade(spec: AssertionSpec, ctx: Context, value: Any = None) -> Outcome:
    """Grade one deterministic assertion (``value``: the spec's value rendered for the case)."""
    if spec.problem:
        return unevaluable(spec, spec.problem)
    check = _CHECKS.get(spec.type)
    if check is None:
        return unevaluable(spec, f"{spec.type} needs a model; graded elsewhere")
    try:
        passed, score, reason = check(spec, ctx, spec.value if value is None else value)
    except Unevaluable as exc:
        return unevaluable(spec, str(exc))
    return finish(spec, passed, score, reason)


# -- the checks: (spec, ctx, value) -> (passed, score or None, reason) ---------------------

Check = Callable[[AssertionSpec, Context, Any], tuple[bool, float | None, str]]


def _q(text: str, limit: int = 60) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def _texts(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _equals(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    if isinstance(value, str):
        ok = ctx.output.strip() == value.strip()
        return ok, None, f"equals {_q(value)}" if ok else f"is not {_q(value)}"
    try:
        parsed = ctx.parsed_json()
    except ValueError as exc:
        return False, None, f"{exc}, so it cannot equal {_q(json.dumps(value))}"
    ok = parsed == value
    return ok, None, "equals the expected JSON" if ok else "JSON differs from the expected value"


def _contains(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    ok = value in ctx.output
    return ok, None, f"contains {_q(value)}" if ok else f"does not contain {_q(value)}"


def _icontains(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    ok = value.casefold() in ctx.lower
    return (
        ok,
        None,
        (f"contains {_q(value)} (any case)" if ok else f"does not contain {_q(value)} (any case)"),
    )


def _any_all(fold: bool, every: bool) -> Check:
    def check(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
        texts = _texts(value)
        hay = ctx.lower if fold else ctx.output
        found = [t for t in texts if (t.casefold() if fold else t) in hay]
        case = " (any case)" if fold else ""
        if every:
            missing = [t for t in texts if t not in found]
            ok = not missing
            why = (
                f"contains all {len(texts)}{case}"
                if ok
                else (f"missing {', '.join(_q(t, 30) for t in missing[:3])}{case}")
            )
        else:
            ok = bool(found)
            why = (
                f"contains {_q(found[0])}{case}"
                if ok
                else (
                    f"contains none of {', '.join(_q(t, 30) for t in texts[:3])}"
                    f"{'…' if len(texts) > 3 else ''}{case}"
                )
            )
        return ok, len(found) / len(texts) if texts else 1.0, why

    return check


def _starts_with(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    ok = ctx.output.lstrip().startswith(value)
    return ok, None, f"starts with {_q(value)}" if ok else f"does not start with {_q(value)}"


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regex_check(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    try:
        compiled = _regex(value)
    except re.error as exc:
        raise Unevaluable(f"bad regex {_q(value)}: {exc}") from None
    m = compiled.search(ctx.output)
    if m:
        return True, None, f"matches {_q(value)} at {_q(m.group(0), 40)}"
    return False, None, f"does not match {_q(value)}"


def _is_json(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    try:
        parsed = ctx.parsed_json()
    except ValueError as exc:
        return False, None, str(exc)
    if value is None:
        return True, None, "is JSON"
    return _schema_verdict(_validator(value, ctx.folder), parsed)


def _json_schema(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    validator = _validator(value, ctx.folder)
    try:
        parsed = ctx.parsed_json()
    except ValueError as exc:
        return False, None, str(exc)
    return _schema_verdict(validator, parsed)


def _schema_verdict(validator: Any, data: Any) -> tuple[bool, float | None, str]:
    error = next(iter(validator.iter_errors(data)), None)
    if error is None:
        return True, None, "matches the schema"
    where = "/".join(str(p) for p in error.absolute_path) or "the top level"
    return False, None, f"at {where}: {' '.join(error.message.split())[:160]}"


_validators: dict[str, Any] = {}


def _validator(value: Any, folder: Path) -> Any:
    """A Draft 2020-12 validator for a schema (or a .json file holding one), checked once."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    key = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, str):
        key = str((folder / value).resolve())
    found = _validators.get(key)
    if found is not None:
        return found
    schema = value
    if isinstance(value, str):
        path = folder / value
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise Unevaluable(f"cannot read schema {value}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise Unevaluable(f"schema {value} is not JSON: {exc}") from None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise Unevaluable(f"invalid JSON Schema: {' '.join(exc.message.split())[:160]}") from None
    validator = Draft202012Validator(schema)
    if len(_validators) > 256:
        _validators.clear()
    _validators[key] = validator
    return validator


def _length(spec: AssertionSpec, ctx: Context) -> tuple[int, str]:
    if spec.options.get("unit") == "tokens":
        from playground.core import tokens

        return tokens.count_text(ctx.model or "echo", ctx.output).tokens, "tokens"
    return len(ctx.output), "characters"


def _min_length(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    n, unit = _length(spec, ctx)
    return n >= value, None, f"{n} {unit} (at least {value})"


def _max_length(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    n, unit = _length(spec, ctx)
    return n <= value, None, f"{n} {unit} (at most {value})"


def _latency(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    if ctx.latency_ms is None:
        raise Unevaluable("the call has no latency (it did not finish)")
    return ctx.latency_ms <= value, None, f"{ctx.latency_ms:.0f} ms (at most {value:g} ms)"


def _cost(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    if ctx.cost_usd is None:
        raise Unevaluable(f"{ctx.model} has no known price")
    return ctx.cost_usd <= value, None, f"${ctx.cost_usd:.6f} (at most ${value:g})"


def normalize(text: str) -> str:
    """Case and whitespace folded: what 'the same words' means for similarity and grouping."""
    return " ".join(text.casefold().split())


def lexical_similarity(a: str, b: str) -> float:
    """0..1: rapidfuzz's normalised Indel similarity of the folded texts."""
    from rapidfuzz.fuzz import ratio

    return ratio(normalize(a), normalize(b)) / 100.0


def _similar(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    refs = _texts(value)
    if not refs:
        raise Unevaluable("no reference text")
    best = max(lexical_similarity(ctx.output, r) for r in refs)
    threshold = spec.threshold if spec.threshold is not None else SIMILAR_THRESHOLD
    return best >= threshold, best, f"similarity {best:.2f} (threshold {threshold:g})"


def _python(spec: AssertionSpec, ctx: Context, value: Any) -> tuple[bool, float | None, str]:
    fn = load_function(value, ctx.workspace, ctx.folder)
    try:
        answer = fn(ctx.output, ctx.as_dict())
    except Exception as exc:
        raise Unevaluable(
            f"{value} raised {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
        ) from None
    return python_verdict(spec, value, answer)


def python_verdict(spec: AssertionSpec, where: str, answer: Any) -> tuple[bool, float | None, str]:
    """bool | score | (bool or score, reason) | {pass, score, reason} -> a verdict."""
    reason = ""
    if isinstance(answer, dict):
        reason = str(answer.get("reason") or "")
        answer = answer.get("pass", answer.get("score"))
    elif isinstance(answer, tuple) and len(answer) == 2:
        answer, reason = answer[0], str(answer[1])
    threshold = spec.threshold if spec.threshold is not None else PYTHON_THRESHOLD
    if isinstance(answer, bool):
        return answer, None, reason or f"{where} returned {answer}"
    if isinstance(answer, (int, float)):
        score = float(answer)
        return (
            score >= threshold,
            score,
            reason or f"{where} scored {score:g} (threshold {threshold:g})",
        )
    raise Unevaluable(
        f"{where} returned {type(answer).__name__}; expected a bool, a score or (bool, reason)"
    )


_functions: dict[tuple[str, str], Callable[..., Any]] = {}


def load_function(ref: str, workspace: Path | None, folder: Path) -> Callable[..., Any]:
    """``file.py:fn``, the file found from the workspace root, else the tests file's folder."""
    import importlib.util

    file, _, name = ref.rpartition(":")
    candidates = [base / file for base in (workspace, folder) if base is not None]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        looked = " or ".join(str(p) for p in candidates)
        raise Unevaluable(f"no file {file} (looked in {looked})")
    key = (str(path.resolve()), name)
    fn = _functions.get(key)
    if fn is not None:
        return fn
    module_name = f"_playground_checks_{abs(hash(key[0]))}"
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise Unevaluable(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Unevaluable:
        raise
    except Exception as exc:  # a syntax error or a failing import in the user's file
        raise Unevaluable(
            f"cannot load {file}: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
        ) from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise Unevaluable(f"{file} has no function {name}")
    _functions[key] = fn
    return fn


def _unfenced(text: str) -> str:
    """The text inside one ```json ... ``` fence, or the text itself."""
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```") and stripped.count("```") == 2:
        inner = stripped[3:-3]
        first, _, rest = inner.partition("\n")
        return rest if first.strip().isalpha() or not first.strip() else inner
    return stripped


_CHECKS: dict[str, Check] = {
    "equals": _equals,
    "contains": _contains,
    "icontains": _icontains,
    "contains-any": _any_all(False, False),
    "contains-all": _any_all(False, True),
    "icontains-any": _any_all(True, False),
    "icontains-all": _any_all(True, True),
    "starts-with": _starts_with,
    "regex": _regex_check,
    "is-json": _is_json,
    "json-schema": _json_schema,
    "min-length": _min_length,
    "max-length": _max_length,
    "latency": _latency,
    "cost": _cost,
    "similar": _similar,
    "python": _python,
}


def case_verdict(outcomes: list[Outcome], threshold: float | None) -> tuple[bool, float]:
    """(passed, score) of one output: the weighted share of assertions that passed must
    reach the case threshold (all of them by default); an assertion that could not be
    evaluated fails it whatever the share."""
    total = sum(o.weight for o in outcomes)
    score = sum(o.weight for o in outcomes if o.passed) / total if total else 1.0
    need = 1.0 if threshold is None else threshold
    passed = all(o.error is None for o in outcomes) and score >= need - 1e-9
    return passed, score
