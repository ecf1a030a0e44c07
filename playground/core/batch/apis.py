"""Which batch API speaks for a provider (kept apart from ``api``, which both import)."""

from __future__ import annotations

from typing import Any

import httpx

from playground.core.batch.anthropic import AnthropicBatches
from playground.core.batch.api import BatchAPI
from playground.core.batch.openai import OpenAIBatches
from playground.core.providers.base import Provider


def api_for(provider: Provider, client: httpx.AsyncClient, settings: Any) -> BatchAPI:
    """The batch API of a provider whose ``config.can_batch()``."""
    if provider.config.kind == "anthropic":
        return AnthropicBatches(provider, client, settings)
    return OpenAIBatches(provider, client, settings)
