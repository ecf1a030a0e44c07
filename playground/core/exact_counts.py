"""Exact input counts from the providers that offer an endpoint for it, on demand.

Anthropic (``POST /v1/messages/count_tokens``) and Gemini (``POST
/v1beta/models/{model}:countTokens``) count a request with the model's own tokenizer, free
of charge, when a key is present. Each answer is cached by model and rendered messages, so
the estimator can show it (as exact) for as long as the prompt stays the same; the debounced
variant lets a front end ask on every keystroke and only call once typing pauses.
A failed count is not an error for the user: the estimate stays, marked ≈.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import httpx

from playground.config import Settings, split_model_id
from playground.core.providers import provider_class
from playground.core.providers.base import ChatRequest, Provider, error_from_status, one_line
from playground.core.template import Message

EXACT_KINDS = ("anthropic", "gemini")
CACHE_SIZE = 512


def messages_digest(messages: Sequence[Message]) -> str:
    """Identity of a rendered prompt (for caching counts)."""
    h = hashlib.blake2b(digest_size=16)
    for m in messages:
        h.update(m.role.encode())
        h.update(b"\0")
        h.update(m.content.encode("utf-8", "surrogatepass"))
        h.update(b"\1")
    return h.hexdigest()


class ExactCounter:
    """Asks Anthropic/Gemini for exact prompt counts; caches answers; thread-safe reads."""

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self._client = client
        self._own_client = client is None
        self._timeout = timeout
        self._cache: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()
        self._generation: dict[str, int] = {}
        self._providers: dict[str, Provider] = {}
        self.errors: dict[str, str] = {}  # model id -> why its last count failed

    # -- what can be counted ---------------------------------------------------------------
    def _provider(self, model_id: str) -> tuple[Provider, str] | None:
        name, model = split_model_id(model_id)
        cfg = self.settings.providers.get(name)
        if cfg is None or cfg.kind not in EXACT_KINDS or not cfg.api_key():
            return None
        provider = self._providers.get(name)
        if provider is None:
            provider = self._providers[name] = provider_class(cfg.kind)(cfg)
        if provider.missing_key_error() is not None:  # a key with a control character
            return None
        return provider, model

    def supports(self, model_id: str) -> bool:
        """True when this model's provider has a count endpoint and its key is set."""
        return self._provider(model_id) is not None

    # -- cache -----------------------------------------------------------------------------
    def cached(self, model_id: str, digest: str) -> int | None:
        """A count fetched earlier for this model and prompt digest, if any."""
        with self._lock:
            return self._cache.get((model_id, digest))

    def has_counts(self, model_id: str) -> bool:
        with self._lock:
            return any(key[0] == model_id for key in self._cache)

    def _store(self, model_id: str, digest: str, count: int) -> None:
        with self._lock:
            self._cache[(model_id, digest)] = count
            self._cache.move_to_end((model_id, digest))
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    # -- fetching --------------------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            from playground.core.providers.httpclient import new_client

            self._client = new_client(self.settings.defaults.transport, timeout=self._timeout)
        return self._client

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def count(self, model_id: str, messages: Sequence[Message]) -> int | None:
        """The provider's exact count (cached), or None when unsupported or it failed."""
        found = self._provider(model_id)
        if found is None:
            return None
        digest = messages_digest(messages)
        hit = self.cached(model_id, digest)
        if hit is not None:
            return hit
        provider, model = found
        url, body = _count_request(provider, model, messages)
        try:
            response = await self.client.post(url, json=body, headers=provider.headers())
        except httpx.HTTPError as exc:
            self.errors[model_id] = one_line(str(exc)) or type(exc).__name__
            return None
        if response.status_code >= 400:
            err = error_from_status(response.status_code, response.content, response.headers)
            self.errors[model_id] = err.message
            return None
        try:
            data = response.json()
            count = int(
                data["input_tokens"] if provider.kind == "anthropic" else data["totalTokens"]
            )
        except (ValueError, KeyError, TypeError):
            self.errors[model_id] = f"unexpected answer: {one_line(response.text, 80)!r}"
            return None
        self.errors.pop(model_id, None)
        self._store(model_id, digest, count)
        return count

    async def count_debounced(
        self, model_id: str, messages: Sequence[Message], delay: float = 0.6
    ) -> int | None:
        """Like ``count``, after ``delay`` s of quiet: a newer call for the model supersedes
        this one, which then returns None without calling out."""
        generation = self._generation.get(model_id, 0) + 1
        self._generation[model_id] = generation
        digest = messages_digest(messages)
        hit = self.cached(model_id, digest)
        if hit is not None:
            return hit
        await asyncio.sleep(delay)
        if self._generation.get(model_id) != generation:
            return None
        return await self.count(model_id, messages)

    async def count_many(
        self, model_ids: Sequence[str], messages: Sequence[Message]
    ) -> dict[str, int | None]:
        """Exact counts for every supported model, concurrently."""
        wanted = [m for m in dict.fromkeys(model_ids) if self.supports(m)]
        results = await asyncio.gather(*(self.count(m, messages) for m in wanted))
        return dict(zip(wanted, results, strict=True))


def _count_request(
    provider: Provider, model: str, messages: Sequence[Message]
) -> tuple[str, dict[str, Any]]:
    """URL and body of a count call, built from the adapter's own message conversion."""
    body = provider.body(ChatRequest(model=model, messages=tuple(messages), max_tokens=1))
    base = provider.base_url
    if provider.kind == "anthropic":
        keep: dict[str, Any] = {k: body[k] for k in ("model", "messages", "system") if k in body}
        return f"{base}/v1/messages/count_tokens", keep
    inner: dict[str, Any] = {"model": f"models/{model}", "contents": body["contents"]}
    if "systemInstruction" in body:
        inner["systemInstruction"] = body["systemInstruction"]
    from playground.core.providers.gemini import model_segment

    url = f"{base}/v1beta/models/{model_segment(model)}:countTokens"
    return url, {"generateContentRequest": inner}
