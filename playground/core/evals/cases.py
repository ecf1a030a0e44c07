"""Test cases: ``NAME.tests.yaml`` beside a prompt, or rows of a dataset sharing its defaults.

The file is either a list of cases or ``{defaults: {assert: [...]}, cases: [...]}``; ``cases``
may also be ``{file: data.csv}`` (a dataset, relative to the tests file). A case is ``vars``,
``assert`` (a list of ``{type, value, threshold, weight, ...}``, ``not-`` negates a type),
``description`` and ``threshold`` (the weighted share of its assertions that must pass).

A file that cannot be read at all is a ``TestsFileError`` (exit 2). Anything smaller (an
unknown assertion type, a case that is not a mapping, a bad dataset row) becomes that case's
or assertion's ``problem``: reported as an error naming the file, case and assertion, while
the rest of the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from playground.core.evals.datasets import (
    BadRow,
    DatasetError,
    check_dataset,
    iter_rows,
    yaml_problem,
)

TESTS_SUFFIX = ".tests.yaml"

# type -> what ``value`` must be ("text", "texts", "int", "number", "any", "none", "schema")
TYPES: dict[str, str] = {
    "equals": "any",
    "contains": "text",
    "icontains": "text",
    "contains-any": "texts",
    "contains-all": "texts",
    "icontains-any": "texts",
    "icontains-all": "texts",
    "starts-with": "text",
    "regex": "text",
    "is-json": "optional",
    "json-schema": "schema",
    "min-length": "int",
    "max-length": "int",
    "latency": "number",
    "cost": "number",
    "similar": "texts",
    "judge": "text",
    "python": "text",
}
ASSERTION_KEYS = {"type", "value", "threshold", "weight", "model", "unit", "embedding"}
CASE_KEYS = {"vars", "assert", "description", "threshold"}


class TestsFileError(Exception):
    """The tests file (or its dataset) cannot be read at all: one line, exit 2."""


@dataclass(frozen=True)
class AssertionSpec:
    """One assertion as written. ``problem`` says why it cannot be evaluated (if so)."""

    type: str  # without the not- prefix
    negate: bool = False
    value: Any = None
    threshold: float | None = None
    weight: float = 1.0
    options: dict[str, Any] = field(default_factory=dict)  # model, unit, embedding
    position: int = 1  # its number in the case's list (defaults first)
    problem: str | None = None

    @property
    def label(self) -> str:
        return ("not-" if self.negate else "") + self.type

    def describe(self) -> str:
        """'assertion 2 (not-regex)' for error messages."""
        return f"assertion {self.position} ({self.label or '?'})"


@dataclass
class Case:
    """One case: variables and the assertions its outputs must pass."""

    number: int  # counts from 1, in file order
    vars: dict[str, Any]
    asserts: list[AssertionSpec]
    description: str | None = None
    threshold: float | None = None
    where: str = ""  # "otters.tests.yaml case 3", "data.csv:17"
    problem: str | None = None  # the case could not be built (then nothing runs for it)


@dataclass
class TestSuite:
    """A tests file's defaults and where its cases come from (inline or a dataset)."""

    path: Path | None
    defaults: list[AssertionSpec] = field(default_factory=list)
    threshold: float | None = None  # defaults.threshold: each case's, unless it says
    inline: list[Any] | None = None
    dataset: Path | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "--cases"

    def with_dataset(self, path: Path) -> TestSuite:
        """The same defaults over a dataset's rows (``--cases FILE``)."""
        try:
            check_dataset(path)
        except DatasetError as exc:
            raise TestsFileError(str(exc)) from None
        return replace(self, inline=None, dataset=path)

    def cases(self) -> Iterator[Case]:
        """Every case, in order, built as it is needed (a dataset is streamed)."""
        if self.dataset is not None:
            try:
                for number, row in enumerate(iter_rows(self.dataset), 1):
                    if isinstance(row, BadRow):
                        yield Case(
                            number, {}, list(self.defaults), where=row.where, problem=row.reason
                        )
                    else:
                        yield Case(
                            number,
                            row,
                            list(self.defaults),
                            threshold=self.threshold,
                            where=f"{self.dataset.name} row {number}",
                        )
            except DatasetError as exc:
                raise TestsFileError(str(exc)) from None
            return
        for number, raw in enumerate(self.inline or [], 1):
            yield self._case(number, raw)

    def count(self) -> int:
        """How many cases (a dataset is read through once); TestsFileError if it cannot be."""
        if self.dataset is not None:
            try:
                return sum(1 for _ in iter_rows(self.dataset))
            except DatasetError as exc:
                raise TestsFileError(str(exc)) from None
        return len(self.inline or [])

    def _case(self, number: int, raw: Any) -> Case:
        where = f"{self.name} case {number}"
        if not isinstance(raw, dict):
            return Case(number, {}, [], where=where, problem="a case is a mapping (vars, assert)")
        description = raw.get("description")
        extra = sorted(set(map(str, raw)) - CASE_KEYS)
        problem = None
        if extra:
            problem = f"unknown key {extra[0]!r} (a case has {', '.join(sorted(CASE_KEYS))})"
        variables = raw.get("vars") or {}
        if not isinstance(variables, dict):
            problem = "vars is a mapping of variable names to values"
            variables = {}
        threshold, why = _fraction(raw.get("threshold"), "threshold")
        problem = problem or why
        asserts = raw.get("assert") or []
        if not isinstance(asserts, list):
            problem = problem or "assert is a list of assertions"
            asserts = []
        specs = list(self.defaults)
        specs += [parse_assertion(a, len(specs) + i + 1) for i, a in enumerate(asserts)]
        return Case(
            number,
            {str(k): v for k, v in variables.items()},
            specs,
            description=str(description) if description is not None else None,
            threshold=threshold if threshold is not None else self.threshold,
            where=where,
            problem=problem,
        )


def parse_assertion(raw: Any, position: int) -> AssertionSpec:
    """An AssertionSpec; a malformed one carries its ``problem`` instead of raising."""
    if isinstance(raw, str):  # "- is-json" as a bare string
        raw = {"type": raw}
    if not isinstance(raw, dict):
        return AssertionSpec(
            "", position=position, problem="an assertion is a mapping {type, value}"
        )
    label = str(raw.get("type") or "")
    negate = label.startswith("not-")
    base = label[4:] if negate else label
    options = {k: raw[k] for k in ("model", "unit", "embedding") if k in raw}
    spec = AssertionSpec(base, negate, raw.get("value"), position=position, options=options)
    if not label:
        return replace(spec, problem="no type")
    if base not in TYPES:
        return replace(spec, problem=f"unknown type {label!r}")
    extra = sorted(set(map(str, raw)) - ASSERTION_KEYS)
    if extra:
        return replace(spec, problem=f"unknown key {extra[0]!r}")
    threshold, why = _fraction(raw.get("threshold"), "threshold")
    if why:
        return replace(spec, problem=why)
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0:
        return replace(spec, problem=f"weight must be a number, 0 or more (got {weight!r})")
    spec = replace(spec, threshold=threshold, weight=float(weight))
    problem = _value_problem(base, spec.value, options)
    return replace(spec, problem=problem) if problem else spec


def _fraction(value: Any, name: str) -> tuple[float | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return None, f"{name} must be a number from 0 to 1 (got {value!r})"
    return float(value), None


def _value_problem(base: str, value: Any, options: dict[str, Any]) -> str | None:
    kind = TYPES[base]
    if kind == "optional":
        return None
    if value is None:
        return "needs a value"
    if kind == "text" and not isinstance(value, str):
        return f"value must be text (got {type(value).__name__})"
    if kind == "texts" and not (
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    ):
        return "value must be text or a list of texts"
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return f"value must be a whole number, 0 or more (got {value!r})"
    if kind == "number" and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
    ):
        return f"value must be a number, 0 or more (got {value!r})"
    if kind == "schema" and not isinstance(value, (dict, str, bool)):
        return "value must be a JSON Schema (a mapping) or the path of a .json file"
    if base in ("min-length", "max-length") and options.get("unit", "chars") not in (
        "chars",
        "characters",
        "tokens",
    ):
        return f"unit is chars or tokens (got {options.get('unit')!r})"
    if base == "python" and ":" not in value:
        return f"value is FILE.py:FUNCTION (got {value!r})"
    if base == "judge" and not options.get("model"):
        return "a judge needs a model (model: PROVIDER:MODEL)"
    return None


def tests_path_for(prompt_path: Path | None) -> Path | None:
    """NAME.tests.yaml beside NAME.prompt (a version file NAME/vN.prompt uses NAME's)."""
    if prompt_path is None:
        return None
    from playground.library.names import version_of_path

    if version_of_path(prompt_path) is not None:
        return prompt_path.parent.parent / (prompt_path.parent.name + TESTS_SUFFIX)
    return prompt_path.with_name(prompt_path.name.removesuffix(".prompt") + TESTS_SUFFIX)


def load_suite(path: Path) -> TestSuite:
    """Read a tests file; TestsFileError when it cannot be read as one at all."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TestsFileError(f"{path}: no such tests file") from None
    except UnicodeDecodeError as exc:
        raise TestsFileError(f"{path}: not UTF-8 text (offset {exc.start})") from None
    except OSError as exc:
        raise TestsFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TestsFileError(yaml_problem(path, exc)) from None
    suite = TestSuite(path)
    if data is None:
        suite.inline = []
        return suite
    if isinstance(data, list):
        suite.inline = data
        return suite
    if not isinstance(data, dict):
        raise TestsFileError(f"{path}: a tests file is a list of cases or {{defaults, cases}}")
    extra = sorted(set(map(str, data)) - {"defaults", "cases", "description"})
    if extra:
        raise TestsFileError(f"{path}: unknown key {extra[0]!r} (expected defaults and cases)")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise TestsFileError(f"{path}: defaults is a mapping (assert, threshold)")
    raw_asserts = defaults.get("assert") or []
    if not isinstance(raw_asserts, list):
        raise TestsFileError(f"{path}: defaults.assert is a list of assertions")
    suite.defaults = [parse_assertion(a, i) for i, a in enumerate(raw_asserts, 1)]
    threshold, why = _fraction(defaults.get("threshold"), "defaults.threshold")
    if why:
        raise TestsFileError(f"{path}: {why}")
    suite.threshold = threshold
    cases = data.get("cases")
    if isinstance(cases, dict):
        file = cases.get("file")
        if not isinstance(file, str) or not file:
            raise TestsFileError(f"{path}: cases.file names a dataset (.csv, .jsonl or .yaml)")
        dataset = Path(file) if Path(file).is_absolute() else path.parent / file
        return suite.with_dataset(dataset)
    if cases is not None and not isinstance(cases, list):
        raise TestsFileError(f"{path}: cases is a list, or {{file: data.csv}}")
    suite.inline = cases or []
    return suite
