"""Estimates before a run: per-cell tokens and cost, history corrections, live re-estimates."""

from __future__ import annotations

import threading

import pytest

from playground.config import Settings
from playground.core import pricing, tokens
from playground.core.estimate import Estimator, PlanEstimate, UsageStats, estimate_plan
from playground.core.plan import RunPlan
from playground.core.template import Message, PromptTemplate

SYSTEM = "You are a concise naturalist."
USER = "Describe {{animal}} in two sentences."


def plan_for(*models: str, user: str = USER, **kw: object) -> RunPlan:
    p = RunPlan(
        PromptTemplate.from_parts(SYSTEM, user),
        variables={"animal": "the sea otter"},
        models=list(models),
        temperatures=[0.0, 0.7],
        max_tokens=400,
    )
    for k, v in kw.items():
        setattr(p, k, v)
    return p


class History:
    """A stand-in for the session store's run history."""

    def __init__(self, stats: dict[str, UsageStats]) -> None:
        self.stats = stats
        self.calls = 0

    def usage_stats(self, model_id: str) -> UsageStats | None:
        self.calls += 1
        return self.stats.get(model_id)


def rendered(plan: RunPlan) -> list[Message]:
    return plan.render()


def test_each_cell_has_tokens_method_and_costs_in_the_json_contract() -> None:
    plan = plan_for("openai:gpt-4o", "anthropic:claude-haiku-4-5")
    doc = estimate_plan(Settings(), plan).to_json()
    assert len(doc["cells"]) == 4  # 2 models x 2 temperatures
    for cell in doc["cells"]:
        assert {
            "model",
            "temperature",
            "input_tokens",
            "method",
            "input_cost_usd",
            "max_output_cost_usd",
        } <= set(cell)
    assert {"input_tokens", "max_cost_usd"} <= set(doc["total"])
    by_model = {c["model"]: c for c in doc["cells"]}
    gpt = by_model["openai:gpt-4o"]
    assert gpt["method"] == "exact"
    assert gpt["input_tokens"] == tokens.count_messages("openai:gpt-4o", rendered(plan)).tokens
    assert by_model["anthropic:claude-haiku-4-5"]["method"] == "estimate"
    assert [c["temperature"] for c in doc["cells"]] == [0.0, 0.7, 0.0, 0.7]


def test_costs_are_input_price_and_max_tokens_times_output_price() -> None:
    settings = Settings()
    est = estimate_plan(settings, plan_for("openai:gpt-4.1-mini"))
    cell = est.cells[0]
    inp, out = pricing.cost_parts(settings, "openai:gpt-4.1-mini", cell.input_tokens, 400) or (0, 0)
    assert cell.input_cost_usd == pytest.approx(inp)
    assert cell.max_output_cost_usd == pytest.approx(out)
    assert est.max_cost_usd == pytest.approx(2 * (inp + out))
    assert est.total_input_tokens == 2 * cell.input_tokens


def test_unpriced_models_are_listed_and_left_out_of_the_totals() -> None:
    settings = Settings()
    est = estimate_plan(settings, plan_for("openai:gpt-4o", "openai:not-a-real-model"))
    assert est.unpriced == ["openai:not-a-real-model"]
    unpriced = [c for c in est.cells if c.model == "openai:not-a-real-model"]
    assert all(c.input_cost_usd is None and c.max_cost_usd is None for c in unpriced)
    priced = [c for c in est.cells if c.model == "openai:gpt-4o"]
    assert est.max_cost_usd == pytest.approx(sum(c.max_cost_usd or 0 for c in priced))
    only_unpriced = estimate_plan(settings, plan_for("openai:not-a-real-model"))
    assert only_unpriced.max_cost_usd is None and only_unpriced.input_cost_usd is None


def test_free_models_cost_zero_not_unpriced() -> None:
    est = estimate_plan(Settings(), plan_for("ollama:llama3.2", "echo"))
    assert est.unpriced == [] and est.max_cost_usd == 0.0


def test_history_corrects_estimates_but_never_exact_counts() -> None:
    plan = plan_for("openai:gpt-4o", "anthropic:claude-haiku-4-5")
    base = estimate_plan(Settings(), plan).by_model()
    history = History(
        {
            "anthropic:claude-haiku-4-5": UsageStats(5, 120.0, 1.25),
            "openai:gpt-4o": UsageStats(5, 80.0, 2.0),
        }
    )
    corrected = estimate_plan(Settings(), plan, history).by_model()
    claude = corrected["anthropic:claude-haiku-4-5"]
    assert claude.method == "estimate"
    assert claude.input_tokens == round(base["anthropic:claude-haiku-4-5"].input_tokens * 1.25)
    assert corrected["openai:gpt-4o"].input_tokens == base["openai:gpt-4o"].input_tokens


def test_expected_cost_comes_from_the_average_output_of_earlier_runs() -> None:
    settings = Settings()
    plan = plan_for("openai:gpt-4o", "anthropic:claude-haiku-4-5")
    history = History(
        {
            "openai:gpt-4o": UsageStats(3, 120.0, None),
            "anthropic:claude-haiku-4-5": UsageStats(3, 9999.0, 1.0),  # longer than max_tokens
        }
    )
    est = estimate_plan(settings, plan, history)
    gpt = est.by_model()["openai:gpt-4o"]
    inp, out = pricing.cost_parts(settings, "openai:gpt-4o", gpt.input_tokens, 120) or (0, 0)
    assert gpt.expected_cost_usd == pytest.approx(inp + out)
    claude = est.by_model()["anthropic:claude-haiku-4-5"]
    assert claude.expected_output_tokens == 400  # capped at max_tokens
    assert claude.expected_cost_usd == pytest.approx(claude.max_cost_usd or 0)
    assert est.expected_cost_usd == pytest.approx(sum(c.expected_cost_usd or 0 for c in est.cells))
    no_history = estimate_plan(settings, plan)
    assert no_history.expected_cost_usd is None


def test_a_failing_history_source_does_not_break_the_estimate() -> None:
    class Broken:
        def usage_stats(self, model_id: str) -> UsageStats | None:
            raise RuntimeError("database is locked")

    est = estimate_plan(Settings(), plan_for("anthropic:claude-haiku-4-5"), Broken())
    assert est.cells[0].input_tokens > 0


def test_missing_variables_count_as_empty_for_the_live_estimate() -> None:
    plan = plan_for("openai:gpt-4o", user="About {{animal}} and {{habitat}}: {{#if x}}{{y}}{{/if}}")
    plan.variables = {"animal": "otters"}
    est = Estimator(Settings()).estimate(plan)
    assert est.missing_variables == ["habitat", "x", "y"]
    assert est.render_error is None
    filled = plan.template.render({"animal": "otters", "habitat": "", "x": "", "y": ""})
    assert est.cells[0].input_tokens == tokens.count_messages("openai:gpt-4o", filled).tokens


def test_a_template_that_cannot_render_is_counted_as_written() -> None:
    plan = plan_for("openai:gpt-4o", user="Broken {{#if}} template")
    est = Estimator(Settings()).estimate(plan)
    assert est.render_error
    assert est.cells[0].input_tokens == (
        tokens.count_messages("openai:gpt-4o", plan.template.messages).tokens
    )


def test_re_estimating_after_edits_matches_a_fresh_estimate() -> None:
    paragraph = "Sea otters hold hands while they sleep so they don't drift apart.\n"
    estimator = Estimator(Settings())
    models = ("openai:gpt-4o", "openai:gpt-4", "gemini:gemini-2.5-flash")
    text = paragraph * 300
    for edit in range(6):
        position = (edit * 7919) % len(text)
        text = text[:position] + "xyz "[edit % 4] + text[position:]
        plan = plan_for(*models, user=text)
        live = estimator.estimate(plan)
        fresh = estimate_plan(Settings(), plan)
        assert [c.input_tokens for c in live.cells] == [c.input_tokens for c in fresh.cells]
        assert live.cells[0].input_tokens == (
            tokens.count_messages("openai:gpt-4o", plan.render()).tokens
        )


def test_a_long_prompt_counted_on_two_threads_is_still_exact() -> None:
    text = "".join(
        f"Line {i}: otters, kelp & urchins; it's {i % 7} o'clock.\n" for i in range(6000)
    )
    plan = plan_for("openai:gpt-4o", "openai:gpt-4", user=text)
    est = Estimator(Settings(), parallel=True).estimate(plan)
    msgs = plan.render()
    got = est.by_model()
    assert got["openai:gpt-4o"].input_tokens == tokens.count_messages("openai:gpt-4o", msgs).tokens
    assert got["openai:gpt-4"].input_tokens == tokens.count_messages("openai:gpt-4", msgs).tokens


def test_estimates_from_several_threads_agree() -> None:
    estimator = Estimator(Settings())
    plans = [plan_for("openai:gpt-4o", "openai:gpt-4", user=USER + " x" * i) for i in range(8)]
    results: dict[int, PlanEstimate] = {}

    def work(i: int) -> None:
        for _ in range(5):
            results[i] = estimator.estimate(plans[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, plan in enumerate(plans):
        want = tokens.count_messages("openai:gpt-4", plan.render()).tokens
        assert results[i].by_model()["openai:gpt-4"].input_tokens == want


def test_history_is_read_once_per_model_not_on_every_keystroke() -> None:
    history = History({})
    estimator = Estimator(Settings(), history)
    for i in range(10):
        estimator.estimate(plan_for("openai:gpt-4o", "anthropic:claude-haiku-4-5", user=f"v{i}"))
    assert history.calls == 2
    estimator.refresh_stats()
    estimator.estimate(plan_for("openai:gpt-4o"))
    assert history.calls == 3


def test_tokens_label_marks_estimates() -> None:
    est = estimate_plan(Settings(), plan_for("openai:gpt-4o", "gemini:gemini-2.5-flash"))
    labels = {c.model: c.tokens_label for c in est.cells}
    assert not labels["openai:gpt-4o"].startswith("≈")
    assert labels["gemini:gemini-2.5-flash"].startswith("≈")
