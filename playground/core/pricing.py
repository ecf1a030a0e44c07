"""Cost from usage. (Placeholder until the tokens-and-cost issue lands.)"""

from __future__ import annotations

from playground.config import Settings
from playground.core.providers.base import UsageReport


def cost_usd(settings: Settings, model_id: str, usage: UsageReport) -> float | None:
    """USD for this usage, or None when the model has no known price."""
    provider = model_id.partition(":")[0]
    cfg = settings.providers.get(provider)
    if cfg is not None and cfg.free:
        return 0.0
    mc = settings.models.get(model_id)
    if mc and mc.input_per_mtok is not None:
        return (
            (usage.input_tokens or 0) * mc.input_per_mtok
            + (usage.output_tokens or 0) * (mc.output_per_mtok or 0)
        ) / 1e6
    return None
