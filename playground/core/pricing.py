"""Cost from usage, in USD: config prices, free providers, then genai-prices' bundled data.

The order: an explicit ``[models."id"] price`` wins; then a provider marked ``free`` (and
every ``ollama``/``echo`` provider) costs $0; then genai-prices, which prices cached reads and
cache writes at the provider's own rates. A model nobody knows a price for costs ``None``,
shown as "unpriced", never $0. genai-prices is used offline: its updater is never started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from playground.config import Settings, split_model_id
from playground.core.providers.base import UsageReport

# our built-in provider names -> genai-prices provider ids (model refs pass through as-is:
# OpenRouter's are "openai/gpt-4o" in both)
PROVIDER_IDS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "openrouter": "openrouter",
}
FREE_KINDS = frozenset({"ollama", "echo"})
MTOK = 1_000_000
BATCH_DISCOUNT = 0.5  # both providers' batch APIs charge half the live price


@dataclass(frozen=True)
class PriceRef:
    """Where a model's price comes from."""

    source: str  # config | free | genai-prices
    model_ref: str = ""
    provider_id: str | None = None
    provider_api_url: str | None = None
    input_per_mtok: float | None = None  # config prices only
    output_per_mtok: float | None = None


def price_ref(settings: Settings, model_id: str) -> PriceRef | None:
    """How to price this model, or None when it has no price at all (unpriced)."""
    provider, model = split_model_id(model_id)
    mc = settings.models.get(model_id)
    if mc is not None and mc.input_per_mtok is not None:
        return PriceRef(
            "config",
            input_per_mtok=mc.input_per_mtok,
            output_per_mtok=mc.output_per_mtok or 0.0,
        )
    cfg = settings.providers.get(provider)
    if cfg is not None and (cfg.free or cfg.kind in FREE_KINDS):
        return PriceRef("free")
    if provider in PROVIDER_IDS:
        ref = PriceRef("genai-prices", model, provider_id=PROVIDER_IDS[provider])
    elif cfg is not None and cfg.base_url:
        # a configured provider: genai-prices knows many APIs by URL (Groq, DeepSeek, ...)
        ref = PriceRef("genai-prices", model, provider_api_url=cfg.resolved_base_url())
    else:
        return None
    return ref if _calc(ref, 1, 1, 0, 0) is not None else None


@lru_cache(maxsize=8192)
def _calc(
    ref: PriceRef, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int
) -> tuple[float, float] | None:
    """(input USD, output USD) from genai-prices; None when it does not know the model."""
    import warnings

    from genai_prices import Usage

    usage: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if cache_read:
        usage["cache_read_tokens"] = cache_read
    if cache_write:
        usage["cache_write_tokens"] = cache_write
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calc = _price_calculation(Usage(**usage), ref)
    except (LookupError, ValueError):
        return None
    return float(calc.input_price), float(calc.output_price)


def cost_parts(
    settings: Settings,
    model_id: str,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> tuple[float, float] | None:
    """(input USD, output USD) for these counts; None when the model is unpriced.

    ``input_tokens`` includes cached reads and cache writes, as UsageReport's does.
    """
    ref = price_ref(settings, model_id)
    if ref is None:
        return None
    return price_with(ref, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens)


def price_with(
    ref: PriceRef,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> tuple[float, float] | None:
    if ref.source == "free":
        return 0.0, 0.0
    if ref.source == "config":
        # a config price has one input rate: cached tokens are charged at it too
        return (
            input_tokens * (ref.input_per_mtok or 0.0) / MTOK,
            output_tokens * (ref.output_per_mtok or 0.0) / MTOK,
        )
    input_tokens, output_tokens = max(0, input_tokens), max(0, output_tokens)
    if not cached_input_tokens and not cache_write_tokens:
        fast = _linear(ref, input_tokens, output_tokens)
        if fast is not None:
            return fast
    return _calc(
        ref, input_tokens, output_tokens, max(0, cached_input_tokens), max(0, cache_write_tokens)
    )


# Live estimates price every model on every keystroke, and genai-prices takes ~0.5 ms a call.
# Without cache tokens a price is linear in the token counts between tier thresholds (a tier
# applies when the input exceeds its start), so one exact call per model and tier gives
# per-token rates that price every other count in that tier.
_rates: dict[tuple[PriceRef, int], tuple[float, float]] = {}


def _price_calculation(usage: Any, ref: PriceRef) -> Any:
    """genai-prices takes a provider id or its API URL, not both (the id wins when set)."""
    from genai_prices import calc_price

    if ref.provider_id is not None:
        return calc_price(usage, ref.model_ref, provider_id=ref.provider_id)
    return calc_price(usage, ref.model_ref, provider_api_url=ref.provider_api_url)


@lru_cache(maxsize=1024)
def _tier_starts(ref: PriceRef) -> tuple[int, ...] | None:
    """The input-token thresholds of this model's tiers; None when it is not linear."""
    from genai_prices import Usage

    try:
        price = _price_calculation(Usage(input_tokens=1, output_tokens=1), ref).model_price
    except (LookupError, ValueError):
        return None
    if getattr(price, "requests_kcount", None):  # a fee per request: not linear
        return None
    starts: set[int] = set()
    for value in vars(price).values():
        for tier in getattr(value, "tiers", None) or ():
            starts.add(int(tier.start))
    return tuple(sorted(starts))


def _linear(ref: PriceRef, input_tokens: int, output_tokens: int) -> tuple[float, float] | None:
    starts = _tier_starts(ref)
    if starts is None or input_tokens in starts:
        return None
    region = sum(1 for start in starts if input_tokens > start)
    rates = _rates.get((ref, region))
    if rates is None:
        probe = max(1, input_tokens)
        if sum(1 for start in starts if probe > start) != region:
            return None
        exact = _calc(ref, probe, MTOK, 0, 0)
        if exact is None:
            return None
        rates = _rates[(ref, region)] = (exact[0] / probe, exact[1] / MTOK)
    return input_tokens * rates[0], output_tokens * rates[1]


def cost_usd(settings: Settings, model_id: str, usage: UsageReport) -> float | None:
    """USD for this usage, or None when the model has no known price."""
    return _total(cost_parts, settings, model_id, usage)


def _total(
    parts_of: Callable[..., tuple[float, float] | None],
    settings: Settings,
    model_id: str,
    usage: UsageReport,
) -> float | None:
    """Input plus output USD of a usage report through ``parts_of``; None when unpriced."""
    parts = parts_of(
        settings,
        model_id,
        usage.input_tokens or 0,
        usage.output_tokens or 0,
        usage.cached_input_tokens or 0,
        usage.cache_write_tokens or 0,
    )
    return None if parts is None else parts[0] + parts[1]


def batch_cost_parts(
    settings: Settings,
    model_id: str,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> tuple[float, float] | None:
    """(input USD, output USD) through the provider's batch API: ``[models."ID"]
    batch_price`` when set, else half the live price; None when the model is unpriced."""
    mc = settings.models.get(model_id)
    if mc is not None and mc.batch_input_per_mtok is not None:
        return (
            input_tokens * mc.batch_input_per_mtok / MTOK,
            output_tokens * (mc.batch_output_per_mtok or 0.0) / MTOK,
        )
    parts = cost_parts(
        settings, model_id, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens
    )
    return None if parts is None else (parts[0] * BATCH_DISCOUNT, parts[1] * BATCH_DISCOUNT)


def batch_cost_usd(settings: Settings, model_id: str, usage: UsageReport) -> float | None:
    """USD for this usage at the batch price, or None when the model has no known price."""
    return _total(batch_cost_parts, settings, model_id, usage)


@dataclass(frozen=True)
class Rates:
    """USD per million tokens, for showing next to a model name."""

    input_per_mtok: float
    output_per_mtok: float
    source: str


def rates(settings: Settings, model_id: str) -> Rates | None:
    """Base rates (the first tier, no caching), or None when unpriced."""
    ref = price_ref(settings, model_id)
    if ref is None:
        return None
    # priced at 1k tokens and scaled, so tiered models show their first tier
    inp = price_with(ref, 1000, 0)
    out = price_with(ref, 1000, 1000)
    if inp is None or out is None:
        return None
    return Rates(inp[0] * 1000, out[1] * 1000, ref.source)
