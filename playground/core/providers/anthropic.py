"""Anthropic Messages: system as a top-level field, typed SSE events, cumulative usage."""

from __future__ import annotations

from typing import Any

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

API_VERSION = "2023-06-01"


class AnthropicProvider(Provider):
    kind = "anthropic"

    def endpoint(self, request: ChatRequest) -> str:
        return f"{self.base_url}/v1/messages"

    def headers(self) -> dict[str, str]:
        h = {"anthropic-version": API_VERSION}
        key = self.api_key()
        if key:
            h["x-api-key"] = key
        return h

    def body(self, request: ChatRequest) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        messages = [
            {"role": m.role, "content": m.content} for m in request.messages if m.role != "system"
        ]
        if messages and messages[-1]["role"] == "assistant":
            # a prefill: the answer continues it, and the API refuses one ending in whitespace
            messages[-1]["content"] = messages[-1]["content"].rstrip()
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or 1024,
            "messages": messages,
            "stream": True,
        }
        if system:
            body["system"] = system
        if request.temperature is not None:
            body["temperature"] = min(request.temperature, 1.0)  # Anthropic's range is 0..1
        body |= request.wire_params({"top_p": "top_p", "stop": "stop_sequences"})  # no seed
        return body

    def parse(self, item: SSEEvent, state: dict[str, Any]) -> list[StreamEvent]:
        name, data = item.event, item.data
        if not data.strip():
            return []
        obj = loads_frame(data)
        if not isinstance(obj, dict):
            return []
        kind = obj.get("type") or name
        if kind == "content_block_delta":
            delta = obj.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta" and delta.get("text"):
                return [TextDelta(delta["text"])]
            if dtype == "thinking_delta" and delta.get("thinking"):
                return [ReasoningDelta(delta["thinking"])]
            return []
        if kind == "message_start":
            usage = (obj.get("message") or {}).get("usage") or {}
            if not usage:  # some compatible servers send none: leave it to estimates
                return []
            cache_read = usage.get("cache_read_input_tokens") or 0
            cache_write = usage.get("cache_creation_input_tokens") or 0
            state["input"] = (usage.get("input_tokens") or 0) + cache_read + cache_write
            state["cache_read"] = cache_read
            state["cache_write"] = cache_write
            # message_start's output_tokens is a placeholder (1): the count comes with
            # message_delta; a stream cut before that has its output estimated (≈)
            state.pop("output", None)
            return [self._usage(state)]
        if kind == "message_delta":
            events: list[StreamEvent] = []
            usage = obj.get("usage") or {}
            if usage.get("output_tokens") is not None:
                state["output"] = usage["output_tokens"]
                events.append(self._usage(state))
            stop = (obj.get("delta") or {}).get("stop_reason")
            if stop:
                events.append(Finish(stop))
            return events
        if kind == "message_stop":
            return [Finish("")]  # the end, whether or not message_delta said why
        if kind == "error":
            err = obj.get("error") or {}
            etype = err.get("type") if isinstance(err, dict) else None
            msg = err.get("message") if isinstance(err, dict) else str(err)
            raise ProviderError(
                f"error in stream: {etype or 'error'}: {one_line(msg or '')}",
                retryable=etype in ("overloaded_error", "api_error", "rate_limit_error"),
                code=etype,
            )
        return []

    @staticmethod
    def _usage(state: dict[str, int]) -> UsageReport:
        return UsageReport(
            state.get("input"),
            state.get("output"),
            state.get("cache_read", 0),
            state.get("cache_write", 0),
        )
