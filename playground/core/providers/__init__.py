"""Provider adapters, one module per wire protocol, built from Settings by kind."""

from __future__ import annotations

import importlib

from playground.config import Settings, split_model_id
from playground.core.providers.base import ChatRequest, Provider, ProviderError

_KINDS = {
    "openai": ("playground.core.providers.openai", "OpenAIProvider"),
    "anthropic": ("playground.core.providers.anthropic", "AnthropicProvider"),
    "gemini": ("playground.core.providers.gemini", "GeminiProvider"),
    "ollama": ("playground.core.providers.ollama", "OllamaProvider"),
    "echo": ("playground.core.providers.echo", "EchoProvider"),
}


def provider_class(kind: str) -> type[Provider]:
    module, name = _KINDS[kind]
    return getattr(importlib.import_module(module), name)


def build_providers(settings: Settings) -> dict[str, Provider]:
    """One adapter per configured provider, keyed by provider name."""
    return {name: provider_class(cfg.kind)(cfg) for name, cfg in settings.providers.items()}


def resolve(providers: dict[str, Provider], model_id: str) -> tuple[Provider, str]:
    """'openai:gpt-4.1' -> (the openai adapter, 'gpt-4.1'); unknown provider -> ProviderError."""
    name, model = split_model_id(model_id)
    provider = providers.get(name)
    if provider is None:
        known = ", ".join(sorted(providers))
        raise ProviderError(
            f"unknown provider {name!r} in {model_id!r} (known: {known})", code="unknown_provider"
        )
    return provider, model


__all__ = [
    "ChatRequest",
    "Provider",
    "ProviderError",
    "build_providers",
    "provider_class",
    "resolve",
]
