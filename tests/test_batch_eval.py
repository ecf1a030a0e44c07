"""`eval --batch`: the cases' cells go to a batch API; once collected, eval grades them from
the store without calling any model again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from loopback.batch import BatchServer

from playground.cli import main

PROMPT = """---
model: lb-openai:gpt-a
config:
  temperature: 0.3
input:
  schema:
    topic: string
---
Write one sentence about {{topic}}.
"""

TESTS = """
cases:
  - vars: {topic: otters}
    assert: [{type: icontains, value: otter}]
  - vars: {topic: owls}
    assert: [{type: icontains, value: owl}]
  - vars: {topic: bats}
    assert: [{type: icontains, value: bird}]
"""


@pytest.fixture
def ws(tmp_path: Path, batch_server: BatchServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    batch_server.write_config(tmp_path)
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "about.prompt").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "prompts" / "about.tests.yaml").write_text(TESTS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "eval.db"))
    monkeypatch.delenv("PLAYGROUND_CONFIG", raising=False)
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    try:
        code = main([*args, "--json"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out) if out.strip() else err


def test_eval_batch_submits_then_eval_grades_the_collected_answers(
    ws: Path, batch_server: BatchServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = cli(capsys, "eval", "about", "--batch")
    assert code == 0, doc
    assert [c["status"] for c in doc["cells"]] == ["pending"] * 3
    (job,) = doc["batches"]
    sent = batch_server.jobs[job["id"]].requests
    assert sorted(r["body"]["messages"][-1]["content"] for r in sent) == [
        "Write one sentence about bats.",
        "Write one sentence about otters.",
        "Write one sentence about owls.",
    ]
    code, collected = cli(capsys, "batches", "collect")
    assert collected["jobs"][0]["ok"] == 3
    code, graded = cli(capsys, "eval", "about")
    assert code == 1  # bats: the answer does not say "bird"
    (row,) = graded["summary"]
    assert (row["passed"], row["total"]) == (2, 3)
    assert not batch_server.requests_to("/chat/completions")  # graded from the store
    assert len(batch_server.jobs) == 1


def test_eval_batch_refuses_perturb(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = cli(capsys, "eval", "about", "--batch", "--perturb", "2")
    assert code == 2 and "--batch: not with --perturb" in err
