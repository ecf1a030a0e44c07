"""Ollama's native /api/chat: newline-delimited JSON, durations in nanoseconds."""

from __future__ import annotations

from typing import Any

import httpx

from playground.core.providers.base import (
    ChatRequest,
    Finish,
    Provider,
    ProviderError,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    UsageReport,
    loads_frame,
    one_line,
)
from playground.core.providers.framing import NDJSONDecoder
from playground.core.providers.httpclient import RedirectRefused


class OllamaProvider(Provider):
    kind = "ollama"
    needs_key = False

    def endpoint(self, request: ChatRequest) -> str:
        return f"{self.base_url}/api/chat"

    def headers(self) -> dict[str, str]:
        key = self.api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def body(self, request: ChatRequest) -> dict[str, Any]:
        options = request.wire_params(
            {
                "temperature": "temperature",
                "max_tokens": "num_predict",
                "top_p": "top_p",
                "seed": "seed",
                "stop": "stop",
            }
        )
        return {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "options": options,
        }

    def new_decoder(self) -> NDJSONDecoder:
        return NDJSONDecoder()

    def parse(self, item: str, state: dict[str, Any]) -> list[StreamEvent]:
        obj = loads_frame(item)
        if not isinstance(obj, dict):
            return []
        if obj.get("error"):
            raise ProviderError(f"error in stream: {one_line(str(obj['error']))}")
        events: list[StreamEvent] = []
        message = obj.get("message") or {}
        if message.get("thinking"):
            events.append(ReasoningDelta(message["thinking"]))
        if message.get("content"):
            events.append(TextDelta(message["content"]))
        if obj.get("done"):
            if obj.get("prompt_eval_count") is not None or obj.get("eval_count") is not None:
                events.append(UsageReport(obj.get("prompt_eval_count"), obj.get("eval_count")))
            events.append(Finish(obj.get("done_reason") or "stop"))
        return events

    async def server_models(self, client: httpx.AsyncClient) -> list[str] | None:
        try:
            r = await client.get(f"{self.base_url}/api/tags", timeout=1.5)
            r.raise_for_status()
            return [str(m["name"]) for m in r.json().get("models", [])]
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
            return None

    async def check_ready(self, client: httpx.AsyncClient) -> tuple[bool, str]:
        try:
            r = await client.get(f"{self.base_url}/api/tags", timeout=1.5)
        except RedirectRefused as exc:
            return False, str(exc)
        except httpx.HTTPError:
            return False, f"server not reachable at {self.base_url}"
        return r.status_code < 400, "reachable" if r.status_code < 400 else f"HTTP {r.status_code}"
