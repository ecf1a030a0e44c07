"""Prices: genai-prices for known models (cache tokens at the provider's rates), config
prices, free providers, and null (never $0) for models nobody prices."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from genai_prices import Usage, calc_price

from playground.config import ProviderConfig, Settings, load_settings
from playground.core import pricing
from playground.core.plan import RunPlan
from playground.core.providers.base import UsageReport
from playground.core.runner import Runner
from playground.core.template import PromptTemplate


def genai(model: str, provider_id: str, **usage: int) -> float:
    return float(calc_price(Usage(**usage), model, provider_id=provider_id).total_price)


@pytest.mark.parametrize(
    ("model_id", "ref", "provider_id"),
    [
        ("openai:gpt-4o", "gpt-4o", "openai"),
        ("openai:gpt-4.1-mini", "gpt-4.1-mini", "openai"),
        ("anthropic:claude-sonnet-4-5", "claude-sonnet-4-5", "anthropic"),
        ("anthropic:claude-haiku-4-5", "claude-haiku-4-5", "anthropic"),
        ("gemini:gemini-2.5-flash", "gemini-2.5-flash", "google"),
        ("openrouter:openai/gpt-4o", "openai/gpt-4o", "openrouter"),
    ],
)
def test_known_models_cost_what_genai_prices_says_cache_tokens_included(
    model_id: str, ref: str, provider_id: str
) -> None:
    settings = Settings()
    plain = pricing.cost_usd(settings, model_id, UsageReport(12_000, 800))
    assert plain == pytest.approx(genai(ref, provider_id, input_tokens=12_000, output_tokens=800))
    assert plain and plain > 0
    cached = pricing.cost_usd(settings, model_id, UsageReport(12_000, 800, 10_000, 0))
    assert cached == pytest.approx(
        genai(ref, provider_id, input_tokens=12_000, output_tokens=800, cache_read_tokens=10_000)
    )
    assert cached is not None and cached < plain  # cached reads are cheaper than input


def test_anthropic_cache_reads_and_writes_use_anthropics_multipliers() -> None:
    settings, model = Settings(), "anthropic:claude-haiku-4-5"
    plain = pricing.cost_usd(settings, model, UsageReport(100_000, 0))
    read = pricing.cost_usd(settings, model, UsageReport(100_000, 0, 100_000, 0))
    write = pricing.cost_usd(settings, model, UsageReport(100_000, 0, 0, 100_000))
    assert plain and read and write
    assert read == pytest.approx(plain * 0.1)  # cache hits: 10% of the input price
    assert write == pytest.approx(plain * 1.25)  # 5-minute cache writes: 125%


@pytest.mark.parametrize("model_id", ["openai:no-such-model", "nowhere:model", "anthropic:x"])
def test_models_with_no_known_price_are_null_never_zero(model_id: str) -> None:
    settings = Settings()
    assert pricing.cost_usd(settings, model_id, UsageReport(1000, 1000)) is None
    assert pricing.rates(settings, model_id) is None


def test_a_local_openai_compatible_server_is_unpriced_until_the_config_prices_it(
    tmp_path: Path,
) -> None:
    cfg = tmp_path / "playground.toml"
    cfg.write_text(
        '[providers.local]\nkind = "openai"\nbase_url = "http://127.0.0.1:8080/v1"\n'
        '[models."local:priced"]\nprice = {input_per_mtok = 0.2, output_per_mtok = 0.6}\n'
    )
    settings = load_settings(cfg, cwd=tmp_path)
    usage = UsageReport(1_000_000, 500_000)
    assert pricing.cost_usd(settings, "local:other", usage) is None
    assert pricing.cost_usd(settings, "local:priced", usage) == pytest.approx(0.2 + 0.3)


def test_a_config_price_overrides_genai_prices(tmp_path: Path) -> None:
    cfg = tmp_path / "playground.toml"
    cfg.write_text('[models."openai:gpt-4o"]\nprice = {input_per_mtok = 1, output_per_mtok = 2}\n')
    settings = load_settings(cfg, cwd=tmp_path)
    assert pricing.cost_usd(settings, "openai:gpt-4o", UsageReport(1_000_000, 1_000_000)) == 3.0


def test_free_providers_cost_zero(tmp_path: Path) -> None:
    cfg = tmp_path / "playground.toml"
    cfg.write_text(
        '[providers.box]\nkind = "openai"\nbase_url = "http://127.0.0.1:8080/v1"\nfree = true\n'
    )
    settings = load_settings(cfg, cwd=tmp_path)
    usage = UsageReport(5000, 5000)
    assert pricing.cost_usd(settings, "box:anything", usage) == 0.0
    assert pricing.cost_usd(settings, "ollama:llama3.2", usage) == 0.0
    assert pricing.cost_usd(settings, "echo", usage) == 0.0


def test_a_configured_provider_is_priced_by_its_api_url_when_genai_prices_knows_it() -> None:
    settings = Settings()
    settings.providers["groq"] = ProviderConfig(
        "groq", "openai", "https://api.groq.com/openai/v1", "GROQ_API_KEY"
    )
    got = pricing.cost_usd(settings, "groq:llama-3.3-70b-versatile", UsageReport(10_000, 1000))
    want = calc_price(
        Usage(input_tokens=10_000, output_tokens=1000),
        "llama-3.3-70b-versatile",
        provider_api_url="https://api.groq.com/openai/v1",
    ).total_price
    assert got == pytest.approx(float(want))


def test_rates_per_million_tokens() -> None:
    settings = Settings()
    rates = pricing.rates(settings, "openai:gpt-4o")
    assert rates is not None and rates.source == "genai-prices"
    assert rates.input_per_mtok == pytest.approx(genai("gpt-4o", "openai", input_tokens=10**6))
    assert rates.output_per_mtok == pytest.approx(genai("gpt-4o", "openai", output_tokens=10**6))


# -- end to end: what a run reports ---------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Answers OpenAI chat completions and Anthropic messages, streamed, with cache usage."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length))
        frames: list[str] = []
        if self.path.endswith("/chat/completions"):
            chunk = {"id": "c1", "object": "chat.completion.chunk", "model": body["model"]}
            frames.append(
                json.dumps(chunk | {"choices": [{"index": 0, "delta": {"content": "Hi"}}]})
            )
            frames.append(
                json.dumps(
                    chunk
                    | {
                        "choices": [],
                        "usage": {
                            "prompt_tokens": 2000,
                            "completion_tokens": 100,
                            "total_tokens": 2100,
                            "prompt_tokens_details": {"cached_tokens": 1536},
                        },
                    }
                )
            )
            frames.append("[DONE]")
            payload = "".join(f"data: {f}\n\n" for f in frames)
        else:
            usage = {
                "input_tokens": 200,
                "cache_read_input_tokens": 1500,
                "cache_creation_input_tokens": 300,
                "output_tokens": 1,
            }
            events = [
                (
                    "message_start",
                    {"type": "message_start", "message": {"id": "m", "usage": usage}},
                ),
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": "Hi"},
                    },
                ),
                (
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "end_turn"},
                        "usage": {"output_tokens": 100},
                    },
                ),
                ("message_stop", {"type": "message_stop"}),
            ]
            payload = "".join(f"event: {e}\ndata: {json.dumps(d)}\n\n" for e, d in events)
        data = payload.encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_a_run_prices_each_cell_from_reported_usage_with_cache_rates(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_OPENAI_KEY", "k1")
    monkeypatch.setenv("TEST_ANTHROPIC_KEY", "k2")
    settings = Settings()
    for name, base in (("openai", f"{server}/v1"), ("anthropic", server)):
        cfg = settings.providers[name]
        cfg.base_url, cfg.base_url_env = base, None
        cfg.api_key_env = f"TEST_{name.upper()}_KEY"
    settings.providers["lo"] = ProviderConfig("lo", "openai", f"{server}/v1", None)
    plan = RunPlan(
        PromptTemplate.from_parts("", "hello"),
        models=["openai:gpt-4o", "anthropic:claude-haiku-4-5", "lo:whatever"],
        temperatures=[0.0],
    )
    runner = Runner(settings)
    try:
        handle = await runner.run(plan)
    finally:
        await runner.aclose()
    cells = {r.cell.model: r.to_json() for r in handle.results}
    assert all(c["status"] == "ok" for c in cells.values()), cells
    gpt = cells["openai:gpt-4o"]
    assert (gpt["input_tokens"], gpt["cached_input_tokens"]) == (2000, 1536)
    assert gpt["cost_usd"] == pytest.approx(
        genai("gpt-4o", "openai", input_tokens=2000, output_tokens=100, cache_read_tokens=1536)
    )
    claude = cells["anthropic:claude-haiku-4-5"]
    assert claude["input_tokens"] == 2000  # 200 + 1500 read + 300 written
    assert claude["cost_usd"] == pytest.approx(
        genai(
            "claude-haiku-4-5",
            "anthropic",
            input_tokens=2000,
            output_tokens=100,
            cache_read_tokens=1500,
            cache_write_tokens=300,
        )
    )
    assert cells["lo:whatever"]["cost_usd"] is None  # unpriced, not $0


@pytest.mark.parametrize(
    ("model_id", "ref", "provider_id"),
    [
        ("anthropic:claude-sonnet-4-5", "claude-sonnet-4-5", "anthropic"),
        ("gemini:gemini-2.5-pro", "gemini-2.5-pro", "google"),
        ("openai:gpt-4o", "gpt-4o", "openai"),
    ],
)
def test_long_prompts_are_priced_at_the_long_context_tier_on_both_sides_of_it(
    model_id: str, ref: str, provider_id: str
) -> None:
    settings = Settings()
    # in any order, so no cached per-token rate carries over from the wrong tier
    for n in (300_000, 150_000, 200_001, 200_000, 199_999, 1, 0, 1_000_000):
        parts = pricing.cost_parts(settings, model_id, n, 2048)
        calc = calc_price(Usage(input_tokens=n, output_tokens=2048), ref, provider_id=provider_id)
        assert parts == (
            pytest.approx(float(calc.input_price)),
            pytest.approx(float(calc.output_price)),
        ), n
