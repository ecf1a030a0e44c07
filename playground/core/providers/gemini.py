"""Google Gemini streamGenerateContent (SSE); no end marker, cumulative usage."""

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


class GeminiProvider(Provider):
    kind = "gemini"

    def endpoint(self, request: ChatRequest) -> str:
        return f"{self.base_url}/v1beta/models/{model_segment(request.model)}:streamGenerateContent?alt=sse"

    def headers(self) -> dict[str, str]:
        key = self.api_key()
        return {"x-goog-api-key": key} if key else {}

    def body(self, request: ChatRequest) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        contents = [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in request.messages
            if m.role != "system"
        ]
        config = request.wire_params(
            {
                "temperature": "temperature",
                "max_tokens": "maxOutputTokens",
                "top_p": "topP",
                "seed": "seed",
                "stop": "stopSequences",
            }
        )
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        if config:
            body["generationConfig"] = config
        return body

    def parse(self, item: SSEEvent, state: dict[str, Any]) -> list[StreamEvent]:
        data = item.data
        if not data.strip():
            return []
        obj = loads_frame(data)
        if not isinstance(obj, dict):
            return []
        if obj.get("error"):
            err = obj["error"]
            msg = err.get("message") if isinstance(err, dict) else str(err)
            status = err.get("status") if isinstance(err, dict) else None
            raise ProviderError(
                f"error in stream: {status or 'error'}: {one_line(msg or '')}",
                code=status,
                retryable=status in ("UNAVAILABLE", "RESOURCE_EXHAUSTED", "INTERNAL"),
            )
        events: list[StreamEvent] = []
        for cand in obj.get("candidates") or ():
            for part in (cand.get("content") or {}).get("parts") or ():
                text = part.get("text")
                if not text:
                    continue
                events.append(ReasoningDelta(text) if part.get("thought") else TextDelta(text))
            if cand.get("finishReason"):
                events.append(Finish(cand["finishReason"]))
        meta = obj.get("usageMetadata")
        if isinstance(meta, dict) and meta.get("promptTokenCount") is not None:
            output = (meta.get("candidatesTokenCount") or 0) + (meta.get("thoughtsTokenCount") or 0)
            events.append(
                UsageReport(
                    meta.get("promptTokenCount"), output, meta.get("cachedContentTokenCount") or 0
                )
            )
        return events


def model_segment(model: str) -> str:
    """A model id as one URL path segment: a '/', '?' or '#' in it must not leave it."""
    from urllib.parse import quote

    return quote(model, safe="-._~")
