"""The frames each of the four wire formats sends, and which route a request is."""

from __future__ import annotations

import json
import re
from typing import Any

from .records import Reply


def split_text(text: str, chunks: int | None) -> list[str]:
    if chunks is None:
        parts = re.findall(r"\S+\s*|\s+", text)
        return parts or [text]
    while len(text) < chunks:
        text += " lorem"
    size, extra = divmod(len(text), chunks)
    out, pos = [], 0
    for i in range(chunks):
        n = size + (1 if i < extra else 0)
        out.append(text[pos : pos + n])
        pos += n
    return out


def temp_label(temperature: Any) -> str:
    return "default" if temperature is None else json.dumps(temperature)


def _sse(obj: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return (head + "data: " + json.dumps(obj, ensure_ascii=False) + "\n\n").encode()


_DEFAULT_ERROR = {
    400: ("invalid_request_error", "INVALID_ARGUMENT"),
    401: ("authentication_error", "UNAUTHENTICATED"),
    404: ("not_found_error", "NOT_FOUND"),
    429: ("rate_limit_error", "RESOURCE_EXHAUSTED"),
    500: ("api_error", "INTERNAL"),
    503: ("overloaded_error", "UNAVAILABLE"),
    529: ("overloaded_error", "UNAVAILABLE"),
}


class Protocol:
    """Frames for one wire format. Subclasses fill in the shapes."""

    content_type = "text/event-stream"

    def __init__(self, reply: Reply, model: str) -> None:
        self.reply = reply
        self.model = reply.model or model

    def prelude(self) -> list[bytes]:
        return []

    def reasoning(self, text: str) -> list[bytes]:
        return []

    def piece(self, text: str) -> bytes:
        raise NotImplementedError

    def epilogue(self, pieces: int) -> list[bytes]:
        return []

    def unfinished_epilogue(self, pieces: int) -> list[bytes]:
        """What ends a stream that never says it finished (``Reply.no_finish``)."""
        return []

    def error_event(self) -> bytes:
        raise NotImplementedError

    def malformed(self) -> bytes:
        return b'data: {"choices": [{"delta": {"content": "tru\n\n'

    def error_body(self, status: int) -> dict[str, Any]:
        raise NotImplementedError

    def output_tokens(self, pieces: int) -> int:
        r = self.reply
        return r.output_tokens if r.output_tokens is not None else pieces

    def error_kind(self, status: int, which: int) -> str:
        if self.reply.error_type:
            return self.reply.error_type
        return _DEFAULT_ERROR.get(status, ("api_error", "INTERNAL"))[which]

    def message(self, default: str) -> str:
        return self.reply.error_message or default


class OpenAIProtocol(Protocol):
    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        obj: dict[str, Any] = {
            "id": "chatcmpl-lo",
            "object": "chat.completion.chunk",
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if self.reply.usage_null:
            obj["usage"] = None
        return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"

    def prelude(self) -> list[bytes]:
        return [
            self._chunk({"role": "assistant", "content": None if self.reply.content_null else ""})
        ]

    def reasoning(self, text: str) -> list[bytes]:
        return [self._chunk({"reasoning_content": p}) for p in split_text(text, None)]

    def piece(self, text: str) -> bytes:
        return self._chunk({"content": text})

    def epilogue(self, pieces: int) -> list[bytes]:
        r = self.reply
        delta: dict[str, Any] = {"content": None} if r.content_null else {}
        out = [self._chunk(delta, r.finish or "stop")]
        if r.usage and not r.usage_null:
            n = self.output_tokens(pieces)
            usage = {
                "id": "chatcmpl-lo",
                "object": "chat.completion.chunk",
                "model": self.model,
                "choices": [],
                "usage": {
                    "prompt_tokens": r.input_tokens,
                    "completion_tokens": n,
                    "total_tokens": r.input_tokens + n,
                    "prompt_tokens_details": {"cached_tokens": 0},
                },
            }
            out.append(_sse(usage))
        out.append(b"data: [DONE]\n\n")
        return out

    def unfinished_epilogue(self, pieces: int) -> list[bytes]:
        return self.epilogue(pieces)[1:-1]  # usage (when sent), no finish chunk, no [DONE]

    def error_event(self) -> bytes:
        err = {"message": self.message("The server had an error"), "type": "server_error"}
        return _sse({"error": {**err, "code": self.reply.error_type}})

    def error_body(self, status: int) -> dict[str, Any]:
        code = self.reply.error_type or {429: "rate_limit_exceeded"}.get(status)
        return {
            "error": {
                "message": self.message(f"loopback error {status}"),
                "type": "requests" if status == 429 else "server_error",
                "code": code,
            }
        }


class AnthropicProtocol(Protocol):
    def prelude(self) -> list[bytes]:
        r = self.reply
        message: dict[str, Any] = {
            "id": "msg_lo",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": self.model,
            "stop_reason": None,
        }
        if r.usage:
            message["usage"] = {"input_tokens": r.input_tokens, "output_tokens": 1}
        return [
            _sse({"type": "message_start", "message": message}, "message_start"),
            _sse({"type": "ping"}, "ping"),
        ]

    def reasoning(self, text: str) -> list[bytes]:
        out = [
            _sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": ""},
                },
                "content_block_start",
            )
        ]
        for p in split_text(text, None):
            delta = {"type": "thinking_delta", "thinking": p}
            out.append(
                _sse(
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                    "content_block_delta",
                )
            )
        sig = {"type": "signature_delta", "signature": "c2ln"}
        out.append(
            _sse({"type": "content_block_delta", "index": 0, "delta": sig}, "content_block_delta")
        )
        out.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        return out

    def _index(self) -> int:
        return 1 if self.reply.reasoning else 0

    def piece(self, text: str) -> bytes:
        delta = {"type": "text_delta", "text": text}
        return _sse(
            {"type": "content_block_delta", "index": self._index(), "delta": delta},
            "content_block_delta",
        )

    def text_block_start(self) -> bytes:
        block = {"type": "text", "text": ""}
        return _sse(
            {"type": "content_block_start", "index": self._index(), "content_block": block},
            "content_block_start",
        )

    def epilogue(self, pieces: int) -> list[bytes]:
        r = self.reply
        delta: dict[str, Any] = {
            "type": "message_delta",
            "delta": {"stop_reason": r.finish or "end_turn", "stop_sequence": None},
        }
        if r.usage:
            delta["usage"] = {"output_tokens": self.output_tokens(pieces)}
        return [
            _sse({"type": "content_block_stop", "index": self._index()}, "content_block_stop"),
            _sse(delta, "message_delta"),
            _sse({"type": "message_stop"}, "message_stop"),
        ]

    def unfinished_epilogue(self, pieces: int) -> list[bytes]:
        return self.epilogue(pieces)[:1]  # the text block ends; the message never does

    def error_event(self) -> bytes:
        err = {
            "type": self.reply.error_type or "overloaded_error",
            "message": self.message("Overloaded"),
        }
        return _sse({"type": "error", "error": err}, "error")

    def malformed(self) -> bytes:
        return b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": {\n\n'

    def error_body(self, status: int) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {
                "type": self.error_kind(status, 0),
                "message": self.message(f"loopback error {status}"),
            },
        }


class GeminiProtocol(Protocol):
    def _obj(self, parts: list[dict[str, Any]], finish: str | None, out_tokens: int) -> bytes:
        r = self.reply
        cand: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        obj: dict[str, Any] = {"candidates": [cand], "modelVersion": self.model}
        if r.usage:
            obj["usageMetadata"] = {
                "promptTokenCount": r.input_tokens,
                "candidatesTokenCount": out_tokens,
                "totalTokenCount": r.input_tokens + out_tokens,
            }
        return _sse(obj)

    def reasoning(self, text: str) -> list[bytes]:
        return [self._obj([{"text": p, "thought": True}], None, 0) for p in split_text(text, None)]

    def piece(self, text: str) -> bytes:
        self.sent = getattr(self, "sent", 0) + 1
        return self._obj([{"text": text}], None, self.sent)

    def epilogue(self, pieces: int) -> list[bytes]:
        return [self._obj([{"text": ""}], self.reply.finish or "STOP", self.output_tokens(pieces))]

    def error_event(self) -> bytes:
        err = {
            "code": 503,
            "status": self.reply.error_type or "UNAVAILABLE",
            "message": self.message("The model is overloaded."),
        }
        return _sse({"error": err})

    def malformed(self) -> bytes:
        return b'data: {"candidates": [{"content": \n\n'

    def error_body(self, status: int) -> dict[str, Any]:
        err: dict[str, Any] = {
            "code": status,
            "status": self.error_kind(status, 1),
            "message": self.message(f"loopback error {status}"),
        }
        return {"error": err}


class OllamaProtocol(Protocol):
    content_type = "application/x-ndjson"

    def _line(self, obj: dict[str, Any]) -> bytes:
        return json.dumps(obj, ensure_ascii=False).encode() + b"\n"

    def _msg(self, **message: Any) -> dict[str, Any]:
        return {
            "model": self.model,
            "created_at": "2026-11-25T00:00:00Z",
            "message": {"role": "assistant", **message},
            "done": False,
        }

    def reasoning(self, text: str) -> list[bytes]:
        return [self._line(self._msg(content="", thinking=p)) for p in split_text(text, None)]

    def piece(self, text: str) -> bytes:
        return self._line(self._msg(content=text))

    def epilogue(self, pieces: int) -> list[bytes]:
        r = self.reply
        obj = self._msg(content="")
        obj["done"] = True
        obj["done_reason"] = r.finish or "stop"
        obj["total_duration"] = 512000000
        if r.usage:
            obj["prompt_eval_count"] = r.input_tokens
            obj["eval_count"] = self.output_tokens(pieces)
            obj["eval_duration"] = 400000000
        return [self._line(obj)]

    def error_event(self) -> bytes:
        return self._line({"error": self.message("model runner has unexpectedly stopped")})

    def malformed(self) -> bytes:
        return b'{"model": "m", "message": {"content": \n'

    def error_body(self, status: int) -> dict[str, Any]:
        return {"error": self.message(f"loopback error {status}")}


PROTOCOLS: dict[str, type[Protocol]] = {
    "openai": OpenAIProtocol,
    "anthropic": AnthropicProtocol,
    "gemini": GeminiProtocol,
    "ollama": OllamaProtocol,
}


def classify(method: str, path: str) -> tuple[str, str | None]:
    """(kind, model from the path) for a request path; kind '' when unknown."""
    if method == "GET":
        if path.endswith("/models"):
            return "openai-models", None
        if path == "/api/tags":
            return "ollama-tags", None
        return "", None
    if path.endswith("/chat/completions"):
        return "openai", None
    if path.endswith("/embeddings"):
        return "openai-embeddings", None
    if path.endswith("/v1/messages/count_tokens"):
        return "anthropic-count", None
    m = re.search(r"/models/([^/:]+):countTokens$", path)
    if m:
        return "gemini-count", m.group(1)
    if path.endswith("/v1/messages"):
        return "anthropic", None
    m = re.search(r"/models/([^/:]+):streamGenerateContent$", path)
    if m:
        return "gemini", m.group(1)
    if path.endswith("/api/chat"):
        return "ollama", None
    return "", None


def request_temperature(kind: str, body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    if kind == "gemini":
        return (body.get("generationConfig") or {}).get("temperature")
    if kind == "ollama":
        return (body.get("options") or {}).get("temperature")
    return body.get("temperature")
