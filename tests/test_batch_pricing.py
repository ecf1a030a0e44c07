"""The batch price: half the live price unless ``[models."ID"] batch_price`` says otherwise,
shown by `estimate` next to the live one; which providers batch at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import clean_env, playground

from playground.config import ConfigError, load_settings
from playground.core import pricing
from playground.core.estimate import estimate_plan
from playground.core.plan import RunPlan
from playground.core.providers.base import UsageReport
from playground.core.template import PromptTemplate

CONFIG = """
[providers.box]
kind = "openai"
base_url = "http://127.0.0.1:9/v1"

[providers.nobatch]
kind = "anthropic"
base_url = "http://127.0.0.1:9"
batch = false

[providers.gem]
kind = "gemini"
base_url = "http://127.0.0.1:9"

[models."box:m"]
price = {input_per_mtok = 2, output_per_mtok = 8}

[models."box:own"]
price = {input_per_mtok = 2, output_per_mtok = 8}
batch_price = {input_per_mtok = 1.5, output_per_mtok = 3}

[models."nobatch:m"]
price = {input_per_mtok = 2, output_per_mtok = 8}

[models."gem:m"]
price = {input_per_mtok = 2, output_per_mtok = 8}
"""


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "playground.toml").write_text(CONFIG, encoding="utf-8")
    return load_settings(tmp_path / "playground.toml", cwd=tmp_path)


def test_openai_and_anthropic_kinds_batch_unless_turned_off(settings) -> None:  # type: ignore[no-untyped-def]
    can = {name: cfg.can_batch() for name, cfg in settings.providers.items()}
    assert can["openai"] and can["anthropic"] and can["box"]
    assert not can["nobatch"]  # batch = false
    assert not can["gem"] and not can["ollama"] and not can["echo"]


def test_batch_cost_is_half_the_live_cost_unless_configured(settings) -> None:  # type: ignore[no-untyped-def]
    usage = UsageReport(1_000_000, 1_000_000)
    assert pricing.cost_usd(settings, "box:m", usage) == pytest.approx(10.0)
    assert pricing.batch_cost_usd(settings, "box:m", usage) == pytest.approx(5.0)
    assert pricing.batch_cost_usd(settings, "box:own", usage) == pytest.approx(4.5)
    # a genai-prices model: half its live price, cache rates included
    cached = UsageReport(10_000, 2_000, cached_input_tokens=4_000)
    live = pricing.cost_usd(settings, "openai:gpt-4.1-mini", cached)
    assert live and pricing.batch_cost_usd(
        settings, "openai:gpt-4.1-mini", cached
    ) == pytest.approx(live / 2)
    assert pricing.batch_cost_usd(settings, "box:unpriced-model", usage) is None


def test_a_bad_batch_price_or_flag_is_a_one_line_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "playground.toml"
    cfg.write_text('[models."openai:x"]\nbatch_price = {input_per_mtok = -1}\n')
    with pytest.raises(ConfigError, match=r"batch_price.input_per_mtok: must be a number"):
        load_settings(cfg, cwd=tmp_path)
    cfg.write_text('[providers.openai]\nbatch = "no"\n')
    with pytest.raises(ConfigError, match="batch: must be true or false"):
        load_settings(cfg, cwd=tmp_path)


def test_estimate_gives_the_batch_worst_case_beside_the_live_one(settings) -> None:  # type: ignore[no-untyped-def]
    plan = RunPlan(
        template=PromptTemplate.from_parts("", "hello there"),
        models=["box:m", "box:own", "nobatch:m", "gem:m"],
        temperatures=[0.0],
        max_tokens=1000,
    )
    est = estimate_plan(settings, plan)
    by_model = {c.model: c for c in est.cells}
    box = by_model["box:m"]
    assert box.batched and box.batch_max_cost_usd == pytest.approx(box.max_cost_usd / 2)
    own = by_model["box:own"]
    assert own.batch_max_cost_usd == pytest.approx((own.input_tokens * 1.5 + 1000 * 3) / 1_000_000)
    for live_only in ("nobatch:m", "gem:m"):  # they run live in a --batch run: live price
        cell = by_model[live_only]
        assert not cell.batched and cell.batch_max_cost_usd == pytest.approx(cell.max_cost_usd)
    assert est.batch_max_cost_usd == pytest.approx(sum(c.batch_max_cost_usd for c in est.cells))
    assert est.batch_max_cost_usd < est.max_cost_usd
    doc = est.to_json()
    assert doc["total"]["batch_max_cost_usd"] == pytest.approx(est.batch_max_cost_usd)
    assert doc["cells"][0]["batch_max_cost_usd"] == pytest.approx(box.batch_max_cost_usd)


def test_estimate_command_shows_the_batch_price(tmp_path: Path) -> None:
    (tmp_path / "playground.toml").write_text(CONFIG, encoding="utf-8")
    args = ("estimate", "-p", "hello", "-m", "box:m", "-t", "0", "--max-tokens", "1000")
    text = playground(tmp_path, *args, env=clean_env(tmp_path, COLUMNS="160"))
    assert text.returncode == 0, text.stderr
    doc = json.loads(playground(tmp_path, *args, "--json").stdout)
    worst = doc["total"]["max_cost_usd"]
    assert doc["total"]["batch_max_cost_usd"] == pytest.approx(worst / 2, abs=1e-8)
    assert "with --batch" in text.stdout
