"""Variations (seeded, tags kept), stability grouping, and `eval --perturb` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import cli
from eval_helpers import make_workspace
from loopback import LoopbackServer, RecordedRequest, Reply

from playground.core.evals.grouping import group_outputs, same_group
from playground.core.evals.variations import KINDS, make_variations
from playground.core.template import PromptTemplate

TEMPLATE = PromptTemplate.from_parts(
    "You are a careful naturalist. Answer in plain words.",
    "Write one sentence about {{topic}}. Mention where they live. Keep it short.",
)


def texts(template: PromptTemplate) -> list[str]:
    return [m.content for m in template.messages]


def test_variations_are_seeded_cover_every_kind_and_keep_tags() -> None:
    first = make_variations(TEMPLATE, 12, seed=7)
    again = make_variations(TEMPLATE, 12, seed=7)
    other = make_variations(TEMPLATE, 12, seed=8)
    assert [v.label for v in first] == [v.label for v in again]
    applied = [v.apply(TEMPLATE, {"topic": "otters"}) for v in first]
    assert applied == [v.apply(TEMPLATE, {"topic": "otters"}) for v in again]
    assert applied != [v.apply(TEMPLATE, {"topic": "otters"}) for v in other]
    assert {v.kind for v in first} == set(KINDS)
    for variation, (template, variables) in zip(first, applied, strict=True):
        if variation.kind == "edge-value":
            assert template == TEMPLATE and variables["topic"] != "otters"
            continue
        assert variables == {"topic": "otters"}
        assert texts(template) != texts(TEMPLATE), variation.label
        assert "{{topic}}" in template.messages[-1].content, variation.label


def test_each_kind_changes_what_it_says() -> None:
    by_kind = {v.kind: v for v in make_variations(TEMPLATE, 6, seed=3)}
    user = TEMPLATE.messages[-1].content

    def varied(kind: str) -> str:
        return by_kind[kind].apply(TEMPLATE, {})[0].messages[-1].content

    assert " ".join(varied("whitespace").split()) == " ".join(user.split())
    assert varied("case").casefold() == user.casefold()
    letters = [c for c in user if c.isalnum()]
    assert [c for c in varied("punctuation") if c.isalnum()] == letters
    assert sorted(varied("reorder").split()) == sorted(user.split())
    assert sorted(varied("typo")) == sorted(user) and varied("typo") != user
    # where each variation lands, in the original's words
    words = " ".join(texts(TEMPLATE))
    for kind in ("typo", "reorder", "case", "punctuation"):
        assert by_kind[kind].changed_sentence(TEMPLATE) in words, kind
    assert by_kind["edge-value"].changed_sentence(TEMPLATE) == "{{topic}}"
    edge = by_kind["edge-value"]
    assert edge.variable == "topic" and edge.edge in ("empty", "long", "unicode", "injection")


def test_a_template_without_variables_has_no_edge_values() -> None:
    plain = PromptTemplate.from_parts("", "Say hello. Then stop.")
    assert "edge-value" not in {v.kind for v in make_variations(plain, 10)}


def test_grouping_identical_normalised_and_near() -> None:
    outputs = [
        "Otters hold hands while they sleep.",
        "Otters hold hands while they sleep.",
        "otters  hold hands while\nthey sleep.",
        "Otters hold hands while they sleep, so they do not drift apart at all.",
        "Owls cannot move their eyes.",
    ]
    stability = group_outputs(outputs)
    assert stability.label() == "3/5 agree"
    assert stability.groups[0].members == [0, 1, 2]
    assert stability.groups[0].how == "normalized"
    assert stability.modal == 0
    assert sorted(stability.odd_ones()) == [3, 4]
    long_a = " ".join(f"word{i}" for i in range(400))
    long_b = long_a.replace("word200 ", "changed ")
    near = group_outputs([long_a, long_b, "something else"])
    assert near.label() == "2/3 agree" and near.groups[0].how == "near"
    assert same_group(long_a, long_b) and not same_group(long_a, "something else")
    assert group_outputs([]).label() == "0/0 agree"


PROMPT = """---
model: lo-openai:lo-model-a
config:
  temperature: 0
input:
  schema:
    topic: string
---
Write one sentence about {{topic}}. Mention where they live.
"""


def picky(rec: RecordedRequest) -> Reply:
    """Answers only the prompt as written: any change to 'Write one sentence' confuses it."""
    text = rec.body["messages"][-1]["content"]
    if "Write one sentence about" in text:
        return Reply(text="Otters are wonderful animals that live in rivers.")
    return Reply(text="I am not sure what you mean.")


@pytest.fixture
def ws(tmp_path: Path, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    tests = "- vars: {topic: otters}\n  assert: [{type: icontains, value: wonderful}]\n"
    files = {"prompts/about.prompt": PROMPT, "prompts/about.tests.yaml": tests}
    loopback.on_request = picky
    return make_workspace(tmp_path, loopback, monkeypatch, files)


def eval_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code, out, err = cli(capsys, "eval", *args, "--json")
    assert code in (0, 1), err
    return code, json.loads(out)


def test_perturb_reports_flip_rates_and_the_worst_variations(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = eval_json(capsys, "about", "--perturb", "6")
    assert code == 0  # the original passes; variations measure, they do not gate
    (row,) = doc["fragility"]
    assert {"model", "temperature", "variations", "flip_rate", "worst"} <= set(row)
    assert row["variations"] == 6 and len(doc["variations"]) == 6
    assert all(v["sentence"] for v in doc["variations"])  # which sentence each one changed
    varied = [r for r in doc["results"] if r["variation"]]
    original = next(r for r in doc["results"] if not r["variation"])
    assert len(varied) == 6 and doc["summary"][0]["total"] == 1  # variations stay out
    flipped = [
        r
        for r in varied
        if r["passed"] != original["passed"] or not same_group(r["output"], original["output"])
    ]
    assert row["flip_rate"] == round(len(flipped) / 6, 4)
    # a case change always rewrites "Write one sentence": it flips; the worst list says so
    assert any(w["kind"] == "case" and w["flips"] == 1 for w in row["worst"])
    assert all(w["kind"] in KINDS for w in row["worst"])
    assert len(loopback.requests) == 7
    # seeded: the same variations again, all answered from the cache
    _, again = eval_json(capsys, "about", "--perturb", "6")
    assert again["variations"] == doc["variations"]
    assert len(loopback.requests) == 7
    assert again["fragility"] == doc["fragility"]


def test_paraphrases_from_a_model_keep_placeholders(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def with_paraphraser(rec: RecordedRequest) -> Reply:
        if rec.model == "paraphraser":
            text = rec.body["messages"][-1]["content"]
            seed = rec.body.get("seed")
            if seed and seed % 2 == 0:  # the second paraphrase loses the placeholder
                return Reply(text="Describe an animal and its home.")
            return Reply(text=text.replace("Write one sentence", "Compose a single sentence"))
        return picky(rec)

    loopback.on_request = with_paraphraser
    _, doc = eval_json(
        capsys, "about", "--perturb", "1", "--paraphrase-model", "lo-openai:paraphraser"
    )
    kinds = [v["kind"] for v in doc["variations"]]
    assert kinds.count("paraphrase") == 1  # the one that dropped {{topic}} was left out
    (row,) = doc["fragility"]
    assert any(w["kind"] == "paraphrase" for w in row["worst"])


def test_similar_with_an_embedding_model(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / "prompts" / "about.tests.yaml").write_text(
        "- vars: {topic: otters}\n  assert:\n"
        "    - {type: similar, value: 'Otters are lovely animals living in rivers.',"
        " embedding: lo-openai:embed-small, threshold: 0.9}\n"
        "    - {type: not-similar, value: 'Quasars emit x-rays.',"
        " embedding: lo-openai:embed-small, threshold: 0.9}\n"
        "    - {type: similar, value: x, embedding: lo-anthropic:claude}\n",
        encoding="utf-8",
    )
    code, doc = eval_json(capsys, "about")
    good, other, wrong_kind = doc["results"][0]["assertions"]
    assert good["passed"] and good["score"] >= 0.9
    assert other["passed"] and other["score"] < 0.9
    assert "kind openai" in wrong_kind["error"]
    assert code == 1
    body, headers = loopback.embedding_requests[0]
    assert body["model"] == "embed-small"
    assert headers["authorization"] == "Bearer test-openai-key"


def test_latency_of_a_cached_answer_is_the_original_calls(
    ws: Path, loopback: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / "prompts" / "about.tests.yaml").write_text(
        "- vars: {topic: otters}\n  assert: [{type: latency, value: 100}]\n", encoding="utf-8"
    )
    loopback.on_request = lambda rec: Reply(text="Slow otters.", first_delay=0.3)
    for _ in range(2):
        code, doc = eval_json(capsys, "about")
        (check,) = doc["results"][0]["assertions"]
        assert code == 1 and not check["passed"]
        assert int(check["reason"].split()[0]) >= 300
    assert len(loopback.requests) == 1
    assert doc["results"][0]["cached"]


def test_near_identical_pairs_are_never_skipped_by_the_sketch() -> None:
    import random

    from rapidfuzz.distance import Indel

    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(400)] + ["the", "of", "and"] * 50
    for _ in range(40):
        words = [rng.choice(vocab) for _ in range(600)]
        near = list(words)
        for i in rng.sample(range(600), rng.randrange(1, 25)):  # up to 4% of words changed
            near[i] = rng.choice(vocab)
        far = [rng.choice(vocab) if rng.random() < 0.4 else w for w in words]
        a, b, c = " ".join(words), " ".join(near), " ".join(far)
        assert Indel.normalized_similarity(words, near) >= 0.9
        assert same_group(a, b)
        assert same_group(a, c) == (Indel.normalized_similarity(words, far) >= 0.9)
