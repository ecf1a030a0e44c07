"""`playground compare` between two recorded runs, and labels with `eval --baseline`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import cli
from eval_helpers import make_workspace
from loopback import LoopbackServer, RecordedRequest, Reply

from playground.core.template import PromptTemplate
from playground.library import promote

TOPICS = ["otters", "owls", "bats", "seals", "moles", "voles"]


def by_topic(rec: RecordedRequest) -> Reply | None:
    text = json.dumps(rec.body["messages"]) if rec.body else ""
    for topic in TOPICS:
        if topic in text:
            return Reply(text=f"{topic.capitalize()} are wonderful animals.")
    return Reply(text="Birds are wonderful animals.")


@pytest.fixture
def ws(tmp_path: Path, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_workspace(tmp_path, loopback, monkeypatch)
    loopback.on_request = by_topic
    prompts = tmp_path / "prompts"
    for user in ("Write one sentence about {{topic}}.", "Write one sentence about animals."):
        promote(
            prompts,
            "about",
            template=PromptTemplate.from_parts("", user),
            model="lo-openai:lo-model-a",
            temperature=0.0,
            max_tokens=64,
            variables={"topic": "otters"},
            provenance={},
        )
    (prompts / "about.tests.yaml").write_text(
        "defaults:\n  assert:\n    - {type: icontains, value: '{{topic}}'}\n"
        "cases:\n" + "".join(f"  - vars: {{topic: {t}}}\n" for t in TOPICS),
        encoding="utf-8",
    )
    return tmp_path


def eval_run(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = cli(capsys, "eval", *args, "--json")
    assert code in (0, 1), err
    return json.loads(out)


def test_compare_two_evals_cell_by_cell_with_a_paired_test(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = ws / "prompts" / "about" / "v1.prompt"
    before = eval_run(capsys, "about")  # current (v2) never names the topic: all fail
    after = eval_run(capsys, str(good))  # v1 names it: all pass
    code, out, err = cli(capsys, "compare", str(before["run_id"]), str(after["run_id"]), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["evals"] is True
    assert len(doc["cells"]) == 6 and doc["only_a"] == doc["only_b"] == 0
    first = doc["cells"][0]
    assert (first["case"], first["model"], first["change"]) == (1, "lo-openai:lo-model-a", "fixed")
    assert first["diff"] == {"inserted": 1, "deleted": 1, "equal": 3}  # Birds -> Otters
    assert {"op": "insert", "text": "Otters"} in first["spans"]
    assert first["delta_output_tokens"] == 0
    assert doc["totals"]["a"]["passed"] == 0 and doc["totals"]["b"]["passed"] == 6
    (model,) = doc["models"]
    # 6 discordant pairs, all one way: 2 / 2^6
    assert model["p_value"] == pytest.approx(0.03125)
    assert model["verdict"] == "better"


def test_compare_says_how_many_more_samples_an_undecided_change_needs(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good = str(ws / "prompts" / "about" / "v1.prompt")
    before = eval_run(capsys, good)

    def one_breaks(rec: RecordedRequest) -> Reply | None:
        if "otters" in json.dumps(rec.body["messages"]):
            return Reply(text="Something else entirely.")
        return by_topic(rec)

    loopback.on_request = one_breaks
    after = eval_run(capsys, good, "--no-cache")
    code, out, _ = cli(capsys, "compare", str(before["run_id"]), str(after["run_id"]))
    assert code == 0  # compare shows a regression; it is not its exit code
    assert "6/6 → 5/6" in out and "undecided" in out
    # 1 discordant pair in 6: 6 of them (p = 0.031) would take 36 pairs, 30 more
    assert "needs ~30 more samples" in out
    assert "BROKE" in out and "[-Otters are wonderful animals-] {+Something else entirely+}" in out


def test_compare_two_plain_runs(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = []
    for text in ("Name an otter fact.", "Name an owl fact."):
        code, out, err = cli(
            capsys, "run", "-p", text, "-m", "echo", "-t", "0", "-t", "1", "--json"
        )
        assert code == 0, err
        runs.append(json.loads(out)["run_id"])
    code, out, _ = cli(capsys, "compare", str(runs[0]), str(runs[1]), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["evals"] is False and doc["models"] == []
    assert [(c["temperature"], c["change"]) for c in doc["cells"]] == [(0.0, None), (1.0, None)]
    assert all(c["diff"]["inserted"] == 1 and c["diff"]["deleted"] == 1 for c in doc["cells"])
    code, md, _ = cli(capsys, "compare", str(runs[0]), str(runs[1]), "--format", "md")
    assert md.startswith("## compare run") and "~~otter~~" in md and "**owl**" in md


def test_compare_an_unknown_run_is_exit_2(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "compare", "1", "99")
    assert code == 2
    assert err.strip() == "playground: no run 1 (see: playground history)"


def test_label_round_trip(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = ws / "prompts" / "about.labels.yaml"
    code, out, _ = cli(capsys, "prompts", "label", "about", "prod", "v1")
    assert code == 0 and "prod → about v1" in out
    assert labels.read_text(encoding="utf-8") == "prod: 1\n"
    assert cli(capsys, "prompts", "label", "about", "staging")[0] == 0  # newest
    assert cli(capsys, "prompts", "label", "about", "prod", "2")[0] == 0
    assert labels.read_text(encoding="utf-8") == "prod: 2\nstaging: 2\n"
    from playground.library.labels import read_labels

    assert read_labels(ws / "prompts", "about") == {"prod": 2, "staging": 2}
    code, _, err = cli(capsys, "prompts", "label", "about", "prod", "v9")
    assert code == 2 and "has no v9" in err
    code, _, err = cli(capsys, "prompts", "label", "about", "no good")
    assert code == 2 and "label 'no good'" in err
    assert labels.read_text(encoding="utf-8") == "prod: 2\nstaging: 2\n"


def test_eval_baseline_fails_on_a_regression_beyond_chance(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, "prompts", "label", "about", "prod", "v1")
    code, out, err = cli(capsys, "eval", "about", "--baseline", "prod", "--json")
    assert code == 1, err
    doc = json.loads(out)
    base = doc["baseline"]
    assert base["summary"][0]["passed"] == 6 and doc["summary"][0]["passed"] == 0
    (row,) = base["comparison"]
    assert row["regression"] is True and row["p_value"] == pytest.approx(0.03125)
    # same cases for both: 6 prompts each, no more
    assert len(loopback.requests) == 12
    code, text, _ = cli(capsys, "eval", "about", "--baseline", "prod")
    assert "REGRESSION" in text
    # the labelled version against itself: no regression, and the gate is open
    cli(capsys, "prompts", "label", "about", "prod", "v2")
    code, out, _ = cli(capsys, "eval", "about", "--baseline", "prod", "--threshold", "0")
    assert code == 0
    code, _, err = cli(capsys, "eval", "about", "--baseline", "nope")
    assert code == 2 and "no such label" in err
