"""Tests files as written by hand: both forms, defaults, thresholds, and what a mistake costs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from loopback import LoopbackServer, Reply

from playground.core.evals import cases
from playground.core.evals.cases import load_suite
from playground.core.evals.engine import EvalEngine
from playground.core.plan import RunPlan
from playground.core.runner import Runner
from playground.core.template import PromptTemplate


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.tests.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_list_of_cases(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path, "- vars: {a: 1}\n  assert: [is-json]\n- vars: {a: 2}\n"))
    first, second = suite.cases()
    assert (first.number, first.vars, [s.type for s in first.asserts]) == (1, {"a": 1}, ["is-json"])
    assert second.asserts == [] and second.problem is None
    assert first.where == "p.tests.yaml case 1"


def test_defaults_come_first_and_thresholds_carry(tmp_path: Path) -> None:
    suite = load_suite(
        write(
            tmp_path,
            "defaults:\n  threshold: 0.5\n  assert:\n    - {type: contains, value: x, weight: 2}\n"
            "cases:\n  - vars: {a: 1}\n    assert: [{type: not-regex, value: y}]\n"
            "  - vars: {a: 2}\n    threshold: 1\n    description: strict\n",
        )
    )
    loose, strict = suite.cases()
    assert [(s.label, s.position, s.weight) for s in loose.asserts] == [
        ("contains", 1, 2.0),
        ("not-regex", 2, 1.0),
    ]
    assert loose.threshold == 0.5 and strict.threshold == 1.0
    assert strict.description == "strict"
    assert suite.count() == 2


def test_a_malformed_case_is_that_cases_error_only(tmp_path: Path) -> None:
    suite = load_suite(
        write(tmp_path, "- just text\n- vars: [1]\n- vars: {a: 1}\n  asert: []\n- vars: {a: 2}\n")
    )
    problems = [c.problem for c in suite.cases()]
    assert problems[0] == "a case is a mapping (vars, assert)"
    assert problems[1] == "vars is a mapping of variable names to values"
    assert problems[2] is not None and "unknown key 'asert'" in problems[2]
    assert problems[3] is None


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("cases: [\n", "p.tests.yaml:2"),
        ("42\n", "a list of cases"),
        ("defaults: 3\n", "defaults is a mapping"),
        ("defaults: {assert: x}\n", "defaults.assert is a list"),
        ("defaults: {threshold: 2}\n", "threshold must be"),
        ("cases: {file: 3}\n", "cases.file names a dataset"),
        ("cases: {file: nope.csv}\n", "no such dataset"),
        ("tests: []\n", "unknown key 'tests'"),
    ],
)
def test_a_file_that_cannot_be_read_as_tests_is_one_error(
    tmp_path: Path, text: str, needle: str
) -> None:
    with pytest.raises(cases.TestsFileError, match=None) as err:
        load_suite(write(tmp_path, text))
    assert needle in str(err.value)


def test_not_utf8_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "p.tests.yaml"
    path.write_bytes(b"- vars: {a: \xff}\n")
    with pytest.raises(cases.TestsFileError, match="not UTF-8"):
        load_suite(path)
    with pytest.raises(cases.TestsFileError, match="no such tests file"):
        load_suite(tmp_path / "missing.yaml")


def test_where_the_tests_of_a_prompt_live(tmp_path: Path) -> None:
    assert cases.tests_path_for(tmp_path / "otters.prompt") == tmp_path / "otters.tests.yaml"
    version = tmp_path / "otters" / "v3.prompt"
    assert cases.tests_path_for(version) == tmp_path / "otters.tests.yaml"


async def test_cancel_stops_starting_cases_and_reports_the_ones_in_flight(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    loopback.default = Reply(text="slow", stall_after=0)  # every answer hangs
    rows = tmp_path / "rows.csv"
    rows.write_text("n\n" + "".join(f"{i}\n" for i in range(100)), encoding="utf-8")
    suite = load_suite(write(tmp_path, "cases: {file: rows.csv}\n"))
    settings = loopback.settings(concurrency=4, max_concurrency=4)
    runner = Runner(settings)
    plan = RunPlan(PromptTemplate.from_parts("", "n={{n}}"), models=["lo-openai:m"],
                   temperatures=[0.0])  # fmt: skip
    engine = EvalEngine(runner, plan, folder=tmp_path, window=8)
    seen = []
    task = asyncio.ensure_future(engine.run(suite.cases(), seen.append))
    await asyncio.get_running_loop().run_in_executor(None, loopback.wait_requests, 4, 10.0)
    engine.cancel()
    await asyncio.wait_for(task, 20)
    await runner.aclose()
    assert 4 <= len(seen) <= 8  # the window in flight, no more
    statuses = {r.result.status for run in seen for r in run.original}
    assert statuses == {"cancelled"}
    assert all("the call failed: cancelled" in r.error for run in seen for r in run.original)
    assert len(loopback.requests) <= 8


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "yaml"])
def test_a_dataset_is_read_a_row_at_a_time(tmp_path: Path, fmt: str) -> None:
    """20,000 rows of ~200 characters (about 5 MB) read with well under 1 MB held."""
    import tracemalloc

    from playground.core.evals.datasets import iter_rows

    path = tmp_path / f"rows.{fmt}"
    text = "x" * 200
    with open(path, "w", encoding="utf-8") as fh:
        if fmt == "csv":
            fh.write("n,text\n")
        for i in range(20_000):
            fh.write(
                {
                    "csv": f"{i},{text}\n",
                    "jsonl": f'{{"n": {i}, "text": "{text}"}}\n',
                    "yaml": f"- {{n: {i}, text: {text}}}\n",
                }[fmt]
            )
    tracemalloc.start()
    try:
        count = sum(1 for row in iter_rows(path) if not isinstance(row, dict) or row["text"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 1_000_000, peak


def test_yaml_dataset_shapes(tmp_path: Path) -> None:
    from playground.core.evals.datasets import BadRow, DatasetError, iter_rows

    def rows(text: str) -> list:
        path = tmp_path / "d.yaml"
        path.write_text(text, encoding="utf-8")
        return list(iter_rows(path))

    assert rows("") == [] and rows("~\n") == []
    assert rows("- {a: 1}\n- &r {b: 2}\n- *r\n") == [{"a": 1}, {"b": 2}, {"b": 2}]
    (bad,) = rows("- text\n")
    assert isinstance(bad, BadRow) and bad.where == "d.yaml: row 1"
    for text in ("a: 1\n", "3\n"):
        with pytest.raises(DatasetError, match="a list of mappings"):
            rows(text)
    with pytest.raises(DatasetError, match=r"d\.yaml:2"):
        rows("- {a: 1\n")
