"""CellResult.from_dict: one way to rebuild a result from a store row or a --json cell."""

from __future__ import annotations

import re

import pytest

from playground.core.model import Cell, CellResult


def test_from_a_store_row() -> None:
    row = {
        "id": 7,
        "run_id": 3,
        "cell_index": 2,
        "model": "lo-openai:gpt-a",
        "temperature": 0.7,
        "sample": 2,
        "status": "ok",
        "output": "Otters hold hands.",
        "reasoning": None,
        "error": None,
        "input_tokens": 11,
        "output_tokens": 4,
        "cost_usd": 0.001,
        "ttft_ms": 12.5,
        "latency_ms": 80.0,
        "cached": 1,
        "request": {"model": "gpt-a"},
        "started_at": "2026-01-01T00:00:00.000Z",  # the store's stamps are not our floats
        "rating": {"score": 4, "note": None, "scale": "stars"},
    }
    r = CellResult.from_dict(row)
    assert r.cell == Cell(2, "lo-openai:gpt-a", 0.7, 2)
    assert (r.id, r.status, r.output, r.reasoning) == (7, "ok", "Otters hold hands.", "")
    assert r.cached is True and r.request == {"model": "gpt-a"}
    assert r.started_at is None and r.error is None
    assert r.tokens_per_s is not None and abs(r.tokens_per_s - 4 / 0.0675) < 1e-9


def test_round_trips_the_json_cell() -> None:
    original = CellResult(
        cell=Cell(0, "echo", None, 1), id=1, status="error", error="boom", cached=False
    )
    again = CellResult.from_dict(original.to_json())
    assert again.to_json() == original.to_json()
    assert CellResult.from_dict({}, index=5).cell == Cell(5, "?", None, 1)


@pytest.mark.parametrize(
    ("field_name", "value", "words"),
    [
        ("repeats", 101, "repeats 101: must be between 1 and 100"),
        ("repeats", 0, "repeats 0: must be between 1 and 100"),
        ("max_tokens", 10**20, "max_tokens 100000000000000000000: must be a positive integer"),
        ("seed", 2**63, "seed 9223372036854775808: must be an integer from"),
        ("top_p", float("nan"), "top_p nan: must be more than 0 and at most 1"),
        ("temperatures", [0.5, float("inf")], "temperature inf: must be between 0 and 2"),
    ],
)
def test_a_plan_outside_the_rules_is_refused(field_name: str, value: object, words: str) -> None:
    """RunPlan.validate: the one set of sampling-parameter rules (CLI, config, TUI)."""
    from playground.core.plan import PlanError, RunPlan
    from playground.core.template import PromptTemplate

    plan = RunPlan(PromptTemplate.from_parts("", "hi"), repeats=100, max_tokens=10**6, seed=-1)
    plan.validate()  # the edges are allowed
    setattr(plan, field_name, value)
    with pytest.raises(PlanError, match="^" + re.escape(words)):
        plan.validate()
