"""`playground eval` end to end: real HTTP to loopback models, real store, real exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_helpers import cli
from eval_helpers import make_workspace
from loopback import LoopbackServer, RecordedRequest, Reply

from playground.cli import main

PROMPT = """---
model: lo-openai:lo-model-a
config:
  temperature: 0.3
input:
  schema:
    topic: string
---
Write one sentence about {{topic}}.
"""

TESTS = """
defaults:
  assert:
    - {type: max-length, value: 200}
cases:
  - vars: {topic: otters}
    description: otters are named
    assert:
      - {type: icontains, value: otter}
  - vars: {topic: owls}
    assert:
      - {type: icontains, value: owl}
  - vars: {topic: bats}
    assert:
      - {type: icontains, value: bat}
"""


def answer_by_topic(rec: RecordedRequest) -> Reply | None:
    """Lo-model-a talks about the topic it was asked about, except bats (it says birds)."""
    if rec.model != "lo-model-a":
        return None
    text = json.dumps(rec.body["messages"])
    for topic in ("otters", "owls"):
        if topic in text:
            return Reply(text=f"{topic.capitalize()} are wonderful animals.")
    return Reply(text="Birds are wonderful animals.")


@pytest.fixture
def ws(tmp_path: Path, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = {"prompts/about.prompt": PROMPT, "prompts/about.tests.yaml": TESTS}
    loopback.on_request = answer_by_topic
    return make_workspace(tmp_path, loopback, monkeypatch, files)


def run_eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return cli(capsys, "eval", *args)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code, out, err = run_eval(capsys, *args, "--json")
    return code, json.loads(out), err


def test_eval_json_has_the_design_shape_and_fails_on_a_failing_case(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = run_json(capsys, "about")
    assert code == 1, err
    assert {"run_id", "summary", "results"} <= set(doc)
    (row,) = doc["summary"]
    assert {
        "model",
        "temperature",
        "passed",
        "total",
        "pass_rate",
        "ci_low",
        "ci_high",
        "pass_k",
    } <= set(row)
    # no -m/-t: the prompt file's model and config.temperature
    assert (row["model"], row["temperature"]) == ("lo-openai:lo-model-a", 0.3)
    assert (row["passed"], row["total"]) == (2, 3)
    assert row["ci_low"] < 2 / 3 < row["ci_high"]
    assert [r.temperature for r in loopback.requests] == [0.3] * 3
    results = doc["results"]
    assert [r["case"] for r in results] == [1, 2, 3]
    for r in results:
        assert {
            "case",
            "description",
            "vars",
            "model",
            "temperature",
            "sample",
            "response_id",
            "passed",
            "score",
            "error",
            "assertions",
        } <= set(r)
    assert results[0]["description"] == "otters are named"
    assert results[0]["vars"] == {"topic": "otters"}
    bats = results[2]
    assert not bats["passed"] and bats["error"] is None
    assert bats["score"] == 0.5
    failed = [a for a in bats["assertions"] if not a["passed"]]
    assert failed == [
        {
            "type": "icontains",
            "passed": False,
            "score": 0.0,
            "reason": 'does not contain "bat" (any case)',
        }
    ]


def test_threshold_compares_the_plain_pass_rate(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_eval(capsys, "about", "--threshold", "0.6")[0] == 0  # 2/3 >= 0.6
    assert run_eval(capsys, "about", "--threshold", "0.7")[0] == 1
    code, _, err = run_eval(capsys, "about", "--threshold", "1.5")
    assert code == 2 and "--threshold" in err


def test_text_report_shows_rates_and_each_failure_with_why_and_output(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_eval(capsys, "about")
    assert code == 1
    assert "lo-openai:lo-model-a" in out and "2/3" in out and "67%" in out
    assert "failures (1)" in out
    assert "case 3" in out
    assert 'icontains: does not contain "bat"' in out
    assert "Birds are wonderful animals." in out


def test_results_are_in_the_store_linked_to_responses_with_version_and_hash(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    code, doc, _ = run_json(capsys, "about")
    assert code == 1
    db = sqlite3.connect(ws / "eval.db")
    rows = db.execute(
        "SELECT e.case_index, e.passed, r.output, r.run_id FROM eval_results e "
        "JOIN responses r ON r.id = e.response_id ORDER BY e.case_index"
    ).fetchall()
    assert [(c, p) for c, p, _, _ in rows] == [(1, 1), (2, 1), (3, 0)]
    assert rows[2][2] == "Birds are wonderful animals."
    assert {run for *_, run in rows} == {doc["run_id"]}  # one run for the whole eval
    name, version, digest = db.execute(
        "SELECT prompt_name, prompt_version, prompt_hash FROM eval_runs WHERE run_id = ?",
        (doc["run_id"],),
    ).fetchone()
    text = (ws / "prompts" / "about.prompt").read_text(encoding="utf-8")
    assert version is None  # a hand-written file, never promoted
    assert (name, digest) == ("about", hashlib.sha256(text.encode()).hexdigest())
    assert doc["prompt"]["hash"] == digest


def test_an_unchanged_eval_reruns_from_the_cache_judges_included(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / "prompts" / "about.tests.yaml").write_text(
        "- vars: {topic: otters}\n"
        "  assert:\n"
        "    - {type: judge, value: 'Is it about otters?', model: lo-openai:judge}\n",
        encoding="utf-8",
    )
    loopback.enqueue(
        Reply(text='{"pass": true, "score": 0.9, "reason": "on topic"}'), model="judge"
    )
    first = run_json(capsys, "about")[1]
    calls = len(loopback.requests)
    assert calls == 2  # the output and its judge
    code, again, _ = run_json(capsys, "about")
    assert code == 0
    assert len(loopback.requests) == calls  # nothing sent the second time
    assert again["results"][0]["cached"] is True
    assert again["results"][0]["assertions"] == first["results"][0]["assertions"]


def test_judge_verdicts_are_recorded_and_a_non_verdict_is_an_error(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / "prompts" / "about.tests.yaml").write_text(
        "defaults:\n"
        "  assert:\n"
        "    - {type: judge, value: 'Is it about {{topic}}?', model: lo-openai:judge}\n"
        "cases:\n"
        "  - vars: {topic: otters}\n"
        "  - vars: {topic: owls}\n"
        "  - vars: {topic: bats}\n",
        encoding="utf-8",
    )

    def judge(rec: RecordedRequest) -> Reply | None:
        if rec.model != "judge":
            return answer_by_topic(rec)
        rubric = rec.body["messages"][1]["content"]
        if "otters" in rubric:
            return Reply(text='{"pass": true, "score": 0.9, "reason": "names otters"}')
        if "owls" in rubric:
            return Reply(text='Sure! {"pass": false, "score": 0.2, "reason": "too vague"}')
        return Reply(text="I would rather not say.")

    loopback.on_request = judge
    code, doc, err = run_json(capsys, "about")
    assert code == 1
    otters, owls, bats = doc["results"]
    assert otters["passed"] and otters["assertions"][0]["score"] == 0.9
    assert "names otters" in otters["assertions"][0]["reason"]
    assert not owls["passed"] and owls["error"] is None
    assert "too vague" in owls["assertions"][0]["reason"]
    assert bats["error"] and "about.tests.yaml case 3, assertion 1 (judge)" in bats["error"]
    assert "did not answer with a verdict" in bats["error"]
    assert "could not be evaluated" in err
    # the judge saw the rubric rendered with the case's variables, and the output
    judged = [r for r in loopback.requests if r.model == "judge"]
    assert any("Otters are wonderful" in r.body["messages"][1]["content"] for r in judged)
    assert doc["judge_run_id"] != doc["run_id"]


def test_judge_score_threshold(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / "prompts" / "about.tests.yaml").write_text(
        "- vars: {topic: otters}\n"
        "  assert:\n"
        "    - {type: judge, value: 'Good?', model: lo-openai:judge, threshold: 0.95}\n",
        encoding="utf-8",
    )
    loopback.enqueue(Reply(text='{"pass": true, "score": 0.9, "reason": "fine"}'), model="judge")
    code, doc, _ = run_json(capsys, "about")
    assert code == 1
    assert doc["results"][0]["assertions"][0]["score"] == 0.9


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "yaml"])
def test_cases_from_a_dataset_in_each_format(
    ws: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {
        "csv": "topic,expected\notters,otter\nowls,owl\nbats,bat\n",
        "jsonl": '{"topic": "otters", "expected": "otter"}\n{"topic": "owls", "expected": "owl"}\n'
        '\n{"topic": "bats", "expected": "bat"}\n',
        "yaml": "- {topic: otters, expected: otter}\n- {topic: owls, expected: owl}\n"
        "- {topic: bats, expected: bat}\n",
    }[fmt]
    (ws / f"rows.{fmt}").write_text(data, encoding="utf-8")
    (ws / "prompts" / "about.tests.yaml").write_text(
        "defaults:\n  assert:\n    - {type: icontains, value: '{{expected}}'}\n",
        encoding="utf-8",
    )
    code, doc, _ = run_json(capsys, "about", "--cases", f"rows.{fmt}")
    assert code == 1
    assert [(r["vars"]["topic"], r["passed"]) for r in doc["results"]] == [
        ("otters", True),
        ("owls", True),
        ("bats", False),
    ]


def test_cases_file_named_in_the_tests_file(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "prompts" / "rows.csv").write_text("topic\notters\nowls\n", encoding="utf-8")
    (ws / "prompts" / "about.tests.yaml").write_text(
        "defaults:\n  assert:\n    - {type: icontains, value: wonderful}\ncases: {file: rows.csv}\n",
        encoding="utf-8",
    )
    code, doc, _ = run_json(capsys, "about")
    assert code == 0
    assert doc["summary"][0]["total"] == 2


def test_a_bad_row_is_an_error_naming_it_and_the_rest_runs(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / "rows.jsonl").write_text(
        '{"topic": "otters"}\n{oops\n{"topic": "owls"}\n', encoding="utf-8"
    )
    code, doc, _ = run_json(capsys, "about", "--cases", "rows.jsonl")
    assert code == 1
    ok1, bad, ok2 = doc["results"]
    assert ok1["passed"] and ok2["passed"]
    assert bad["error"].startswith("rows.jsonl:2: not JSON")
    assert bad["response_id"] is None


@pytest.mark.parametrize(
    ("setup", "args", "needle"),
    [
        (
            lambda ws: (ws / "prompts/about.tests.yaml").write_text("- [unclosed\n"),
            (),
            "about.tests.yaml",
        ),
        (lambda ws: (ws / "prompts/about.tests.yaml").unlink(), (), "no tests for about"),
        (lambda ws: None, ("--cases", "missing.csv"), "no such dataset"),
        (
            lambda ws: (ws / "rows.txt").write_text("x"),
            ("--cases", "rows.txt"),
            ".csv, .jsonl or .yaml",
        ),
        (
            lambda ws: (ws / "bad.yaml").write_text("topic: x\n"),
            ("--cases", "bad.yaml"),
            "list of mappings",
        ),
        (lambda ws: None, ("--tests", "nope.yaml"), "no such tests file"),
        (
            lambda ws: (ws / "prompts/about.tests.yaml").write_text("cases: 3\n"),
            (),
            "cases is a list",
        ),
        (lambda ws: None, ("-m", "nope:x"), "unknown provider"),
        (lambda ws: None, ("--repeat", "0"), "--repeat"),
    ],
)
def test_unreadable_input_is_one_line_and_exit_2(
    ws: Path, capsys: pytest.CaptureFixture[str], loopback: LoopbackServer, setup, args, needle
) -> None:
    setup(ws)
    code, out, err = run_eval(capsys, "about", *args)
    assert code == 2, err
    assert not out
    assert len(err.strip().splitlines()) == 1 and err.startswith("playground: ")
    assert needle in err
    assert not loopback.requests


def test_repeat_reports_pass_k(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / "prompts" / "about.tests.yaml").write_text(
        "- vars: {topic: otters}\n  assert: [{type: icontains, value: otter}]\n"
        "- vars: {topic: owls}\n  assert: [{type: icontains, value: owl}]\n",
        encoding="utf-8",
    )
    # the order requests arrive in is not fixed: script by topic and sample instead
    owl_answers = iter(["Owls!", "Hm.", "Owls!"])

    def by_topic(rec: RecordedRequest) -> Reply:
        if "otters" in json.dumps(rec.body["messages"]):
            return Reply(text="Otters!")
        return Reply(text=next(owl_answers))

    loopback.on_request = by_topic
    code, doc, _ = run_json(capsys, "about", "--repeat", "3", "-t", "0.7")
    row = doc["summary"][0]
    assert (row["passed"], row["total"]) == (5, 6)
    assert row["pass_k"] == 0.5  # otters passed all 3 samples, owls did not
    assert code == 1
    assert sorted(r["sample"] for r in doc["results"]) == [1, 1, 2, 2, 3, 3]


def test_junit_file_for_ci(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from xml.etree import ElementTree as ET

    code, _, _ = run_eval(capsys, "about", "--junit", "report.xml")
    assert code == 1
    root = ET.parse(ws / "report.xml").getroot()
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    failed = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert len(failed) == 1 and failed[0].get("name") == "case 3"
    assert "does not contain" in failed[0].find("failure").get("message")


def test_markdown_report(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_eval(capsys, "about", "--format", "md")
    assert code == 1
    assert out.startswith("## eval about")
    assert "| model | temp | passed | rate | 95% CI |" in out
    assert "| lo-openai:lo-model-a | 0.3 | 2/3 | 67% |" in out


def test_the_example_and_its_ci_job_run_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """examples/ as the workflow runs it: the echo model, every assertion evaluable."""
    import shlex
    import shutil

    root = Path(__file__).resolve().parents[1]
    workflow = (root / ".github" / "workflows" / "eval.yml").read_text(encoding="utf-8")
    (line,) = [s.split("run: ", 1)[1] for s in workflow.splitlines() if "-m echo" in s]
    shutil.copytree(root / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path / "examples")
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "eval.db"))
    args = shlex.split(line)
    assert args[:3] == ["playground", "eval", "triage"]
    code, doc, err = run_json(capsys, *args[2:])
    assert code == 0, err
    assert len(doc["results"]) == 6
    assert all(r["error"] is None for r in doc["results"])
    assert (tmp_path / "examples" / "echo-junit.xml").exists()
    row = doc["results"][0]
    assert row["vars"]["label"] == "billing"
    assert [a["type"] for a in row["assertions"]] == [
        "is-json",
        "json-schema",
        "python",
        "not-icontains",
        "max-length",
    ]


def test_the_example_passes_with_a_model_that_labels_well(
    tmp_path: Path,
    loopback: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import csv
    import shutil

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "examples", tmp_path / "examples")
    ws = tmp_path / "examples"
    (ws / "playground.toml").write_text(  # the prompt's openai model, answered by loopback
        f'[providers.openai]\nkind = "openai"\nbase_url = "{loopback.base_url}/v1"\n'
        'api_key_env = "LO_OPENAI_KEY"\n',
        encoding="utf-8",
    )
    with open(ws / "prompts" / "triage.cases.csv", encoding="utf-8") as fh:
        expected = {row["ticket"]: row["label"] for row in csv.DictReader(fh)}

    def labeller(rec: RecordedRequest) -> Reply:
        ticket = rec.body["messages"][-1]["content"].strip()
        return Reply(text=json.dumps({"label": expected[ticket], "reply": "On it."}))

    loopback.on_request = labeller
    monkeypatch.chdir(ws)
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "eval.db"))
    code, doc, err = run_json(capsys, "triage")
    assert code == 0, err
    assert doc["summary"][0]["model"] == "openai:gpt-4.1-mini"
    assert doc["summary"][0]["passed"] == 6


def test_show_and_export_include_each_cells_verdict(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc, _ = run_json(capsys, "about")
    run = str(doc["run_id"])
    assert main(["show", run]) == 0
    shown = capsys.readouterr().out
    assert 'eval case 3: ✗ failed (score 0.5): icontains: does not contain "bat"' in " ".join(
        shown.split()
    )
    assert "eval case 1: ✓ passed" in shown
    assert main(["export", run, "--format", "json"]) == 0
    cells = json.loads(capsys.readouterr().out)["cells"]
    assert [c["eval"]["passed"] for c in cells] == [True, True, False]
    assert main(["export", run, "--format", "md"]) == 0
    assert "> eval case 3: ✗ failed" in capsys.readouterr().out


def test_judge_agreement_with_your_ratings(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from playground.store import Store
    from playground.store.evals import judge_agreement

    (ws / "prompts" / "about.tests.yaml").write_text(
        "defaults:\n  assert:\n    - {type: judge, value: 'Is it right?', model: lo-openai:judge}\n"
        "cases:\n  - vars: {topic: otters}\n  - vars: {topic: owls}\n  - vars: {topic: bats}\n",
        encoding="utf-8",
    )

    def judge(rec: RecordedRequest) -> Reply | None:
        if rec.model != "judge":
            return answer_by_topic(rec)
        ok = "Birds" not in rec.body["messages"][1]["content"]
        return Reply(text=json.dumps({"pass": ok, "score": 1.0 if ok else 0.0, "reason": "."}))

    loopback.on_request = judge
    _, doc, _ = run_json(capsys, "about")
    ids = [r["response_id"] for r in doc["results"]]  # judged: pass, pass, fail
    store = Store.open(ws / "eval.db")
    try:
        assert judge_agreement(store) == (0, 0)
        store.rate(ids[0], 1, scale="thumbs")  # good, judge passed: agree
        store.rate(ids[1], 2)  # 2 stars: bad, judge passed: disagree
        store.rate(ids[2], -1)  # bad, judge failed: agree
        assert judge_agreement(store) == (2, 3)
        store.rate(ids[1], 3)  # neither good nor bad: left out
        assert judge_agreement(store, doc["run_id"]) == (2, 2)
        assert judge_agreement(store, doc["run_id"] + 100) == (0, 0)
    finally:
        store.close()
