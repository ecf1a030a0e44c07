"""Ratings become tests: `t` pins the focused answer into NAME.tests.yaml (equals, similar or
not-similar by its rating), editing the file in place with its comments and order kept; the
judge's agreement with the ratings is shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from judging_helpers import TESTS, wait_graded, write_workspace
from loopback import LoopbackServer
from tui_main_helpers import cells_of, open_store, wait_for

from playground.core.evals.assertions import Context, grade
from playground.core.evals.cases import load_suite, parse_assertion
from playground.core.evals.pin import (
    PinError,
    pin_output,
    rating_is_good,
    reference_assertion,
)
from playground.tui.app import make_app

pytestmark = pytest.mark.usefixtures("isolated")


LONG = "Bats are mammals that fly at night and eat insects, mostly moths."


def test_pinning_keeps_the_file_as_written_and_the_case_grades_the_output(
    tmp_path: Path,
) -> None:
    path = tmp_path / "about.tests.yaml"
    path.write_text(TESTS, encoding="utf-8")
    pinned = pin_output(path, {"topic": "bats"}, reference_assertion(LONG, True))
    assert (pinned.case, pinned.new_case) == (3, False)
    assert pinned.describe() == "pinned as similar ≥ 0.8 in about.tests.yaml, case 3"
    text = path.read_text(encoding="utf-8")
    # everything written before is there, byte for byte: comments, order, flow style
    assert text.startswith(TESTS.rstrip("\n"))
    assert "# tests for the about prompt: keep this comment" in text
    assert "  # owls come second\n" in text
    added = text[len(TESTS.rstrip("\n")) :]
    assert added == (f"\n      - type: similar\n        value: {LONG}\n        threshold: 0.8\n")
    suite = load_suite(path)
    bats = list(suite.cases())[2]
    assert [a.label for a in bats.asserts] == ["max-length", "icontains", "judge", "similar"]
    similar = bats.asserts[-1]
    assert grade(similar, Context(output=LONG)).passed
    assert not grade(similar, Context(output="Birds are wonderful animals.")).passed


def test_a_bad_answer_becomes_not_similar_in_a_new_case_and_short_ones_equals(
    tmp_path: Path,
) -> None:
    path = tmp_path / "about.tests.yaml"
    path.write_text(TESTS, encoding="utf-8")
    bad = "Line one of a wrong answer\nand its second line"
    pinned = pin_output(path, {"topic": "eels"}, reference_assertion(bad, False), "eels")
    assert (pinned.case, pinned.new_case) == (4, True)
    short = pin_output(path, {"topic": "moles"}, reference_assertion(" Moles dig. ", None))
    assert short.assertion == {"type": "equals", "value": "Moles dig."}
    cases = list(load_suite(path).cases())
    assert [c.vars for c in cases] == [
        {"topic": t} for t in ("otters", "owls", "bats", "eels", "moles")
    ]
    eels = cases[3]
    assert eels.description == "eels" and eels.problem is None
    negated = eels.asserts[-1]
    assert negated.label == "not-similar" and negated.value == bad
    assert not grade(negated, Context(output=bad)).passed  # the bad answer fails its case
    assert grade(cases[4].asserts[-1], Context(output="Moles dig.\n")).passed
    # a list-shaped file stays a list, its own indent kept
    listed = tmp_path / "list.tests.yaml"
    listed.write_text(
        "# mine\n- vars: {topic: otters}\n  assert:\n  - {type: icontains, value: otter}\n"
    )
    pin_output(listed, {"topic": "otters"}, reference_assertion("Otters.", True))
    assert listed.read_text() == (
        "# mine\n- vars: {topic: otters}\n  assert:\n  - {type: icontains, value: otter}\n"
        "  - type: equals\n    value: Otters.\n"
    )


def test_a_dataset_backed_file_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "d.tests.yaml"
    path.write_text("cases: {file: rows.csv}\n", encoding="utf-8")
    with pytest.raises(PinError, match=r"cases come from a dataset \(rows.csv\)"):
        pin_output(path, {}, reference_assertion("x", True))
    assert path.read_text() == "cases: {file: rows.csv}\n"


def test_ratings_read_as_good_or_bad() -> None:
    assert [rating_is_good(s, "stars") for s in (1, 2, 3, 4, 5)] == [
        False, False, None, True, True,
    ]  # fmt: skip
    assert rating_is_good(1, "thumbs") is True and rating_is_good(-1, None) is False
    assert rating_is_good(None, None) is None
    assert parse_assertion(reference_assertion("x" * 80, True), 1).problem is None


async def test_t_pins_the_focused_answer_and_the_judge_agreement_is_shown(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    settings = write_workspace(tmp_path, loopback)
    tests = tmp_path / "prompts" / "about.tests.yaml"
    store = open_store(tmp_path)
    app = make_app(settings, store=store, prompt_file=tmp_path / "prompts" / "about.prompt")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_graded(pilot, app)
        (cell,) = cells_of(app)
        cell.focus()
        await pilot.pause()
        assert cell.result.output == "Birds are wonderful animals."  # case 3 (bats), failed
        # a bad rating: the judge (it said no) agrees with you
        store.rate(cell.result.id, -1, None, "thumbs")
        await app.screen.evals.update_agreement()
        assert "the judge agrees with you on 1 of 1 rated output" in app.screen.evals.panel.plain
        await pilot.press("t")
        await wait_for(pilot, lambda: "not-similar" in tests.read_text(), timeout=10)
        bats = list(load_suite(tests).cases())[2]
        assert bats.asserts[-1].label == "not-similar"
        assert bats.asserts[-1].value == "Birds are wonderful animals."
        assert tests.read_text().startswith(TESTS.rstrip("\n"))
        # an unrated, good answer on case 1 (otters): equals
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: cell.result.output == "Otters are wonderful animals.")
        await pilot.press("t")
        await wait_for(pilot, lambda: "type: equals" in tests.read_text(), timeout=10)
        otters = next(iter(load_suite(tests).cases()))
        assert otters.asserts[-1].value == "Otters are wonderful animals."
