"""OpenAI Chat Completions, and every server that speaks it (OpenRouter, vLLM, llama.cpp, ...)."""

from __future__ import annotations

import re
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
from playground.core.providers.framing import SSEEvent
from playground.core.providers.httpclient import RedirectRefused

# Reasoning models take max_completion_tokens and only the default temperature.
_REASONING = re.compile(r"^(o\d|gpt-5)")
# Error types/codes inside a 200 stream that a retry can fix (before any answer text).
_TRANSIENT = frozenset({"server_error", "rate_limit_exceeded", "overloaded_error", "timeout"})


class OpenAIProvider(Provider):
    kind = "openai"

    def endpoint(self, request: ChatRequest) -> str:
        return f"{self.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        key = self.api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        reasoning = self.name == "openai" and _REASONING.match(request.model)
        max_tokens = "max_completion_tokens" if reasoning else "max_tokens"
        body |= request.wire_params(
            {
                "temperature": "temperature",
                "max_tokens": max_tokens,
                "top_p": "top_p",
                "seed": "seed",
                "stop": "stop",
            }
        )
        return body

    def parse(self, item: SSEEvent, state: dict[str, Any]) -> list[StreamEvent]:
        data = item.data.strip()
        if data == "[DONE]":
            return [Finish("")]  # the end, whether or not a finish_reason came
        if not data:
            return []
        obj = loads_frame(data)
        if not isinstance(obj, dict):
            return []
        if obj.get("error"):
            err = obj["error"]
            msg = err.get("message") if isinstance(err, dict) else str(err)
            code = err.get("code") if isinstance(err, dict) else None
            etype = err.get("type") if isinstance(err, dict) else None
            raise ProviderError(
                f"error in stream: {one_line(msg or 'unknown error')}",
                code=code,
                retryable=bool({code, etype} & _TRANSIENT),
            )
        events: list[StreamEvent] = []
        for choice in obj.get("choices") or ():
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                events.append(ReasoningDelta(reasoning))
            content = delta.get("content")
            if content:
                events.append(TextDelta(content))
            if choice.get("finish_reason"):
                events.append(Finish(choice["finish_reason"]))
        usage = obj.get("usage")
        if isinstance(usage, dict) and usage.get("prompt_tokens") is not None:
            details = usage.get("prompt_tokens_details") or {}
            events.append(
                UsageReport(
                    input_tokens=usage.get("prompt_tokens"),
                    output_tokens=usage.get("completion_tokens"),
                    cached_input_tokens=details.get("cached_tokens") or 0,
                )
            )
        return events

    async def server_models(self, client: httpx.AsyncClient) -> list[str] | None:
        """GET /models, for every OpenAI-compatible server (OpenRouter, local ones) but
        OpenAI's own (its list mixes in embedding, audio and image models); a server that
        needs a key is asked only with it."""
        if self.name == "openai" or self.missing_key_error() is not None:
            return None
        try:
            r = await client.get(f"{self.base_url}/models", headers=self.headers(), timeout=2.0)
            r.raise_for_status()
            return [str(m["id"]) for m in r.json().get("data", [])]
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
            return None

    async def check_ready(self, client: httpx.AsyncClient) -> tuple[bool, str]:
        err = self.missing_key_error()
        if err is not None:
            return False, err.message if err.code == "bad_key" else f"set {self.config.api_key_env}"
        if self.name in ("openai", "openrouter"):
            return True, "key present"
        try:
            r = await client.get(f"{self.base_url}/models", headers=self.headers(), timeout=2.0)
        except RedirectRefused as exc:
            return False, str(exc)
        except httpx.HTTPError:
            return False, f"server not reachable at {self.base_url}"
        status = r.status_code
        if status in (401, 403):
            return False, f"key refused (HTTP {status} from {self.base_url}/models)"
        if status >= 500:
            return False, f"server error (HTTP {status} from {self.base_url}/models)"
        # Some compatible servers have no /models: answering at all is reachable enough.
        return True, "reachable" if status < 400 else f"reachable (no model list: HTTP {status})"
