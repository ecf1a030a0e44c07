"""A loopback HTTP server that speaks the four provider wire formats, for tests and benchmarks.

Real HTTP on 127.0.0.1, an ephemeral port, served from a background thread (one thread per
connection), so it answers async tests, Textual pilot tests and ``playground`` subprocesses
alike. Nothing here imports playground: the module also runs standalone
(``python tests/loopback.py --chunks 100 --duration 1``) for benchmarks that need the server's
CPU out of their own process.

Quick use (the ``loopback`` fixture in conftest.py does the start/stop)::

    from loopback import LoopbackServer, Reply

    with LoopbackServer() as srv:
        settings = srv.settings(read_timeout=0.5)      # playground Settings, keys in env
        srv.enqueue(Reply(status=429, headers={"retry-after": "0"}), Reply())
        ...                                             # run "lo-openai:gpt-x" etc.
        assert srv.requests[0].path == "/v1/chat/completions"
        assert srv.max_in_flight <= 2

Wire formats and paths (providers as ``settings()`` / ``write_config()`` configure them):

    lo-openai     kind openai     POST /v1/chat/completions   (base_url http://HOST:PORT/v1)
                                  GET  /v1/models
                                  POST /v1/embeddings (a 26-letter histogram per input text,
                                  kept in ``embedding_requests``, not in ``requests``)
    lo-anthropic  kind anthropic  POST /v1/messages, POST /v1/messages/count_tokens
    lo-gemini     kind gemini     POST /v1beta/models/{model}:streamGenerateContent?alt=sse
                                  POST /v1beta/models/{model}:countTokens
    lo-ollama     kind ollama     POST /api/chat (NDJSON), GET /api/tags

Count-tokens calls are answered (about one token per 4 bytes of the body) and kept in
``count_requests``, apart from ``requests``, so they never count as chat calls.

Default reply (no scripting): 200, streamed, text ``"model=<m> temperature=<t>: <DEFAULT_TEXT>"``
split at word boundaries, no delay, with usage (input 11, output = number of chunks), finish
"stop" (in each protocol's own spelling). ``<t>`` is the request's temperature as JSON
(``0.7``, ``0.0``) or ``default`` when absent.

Scripting. A ``Reply`` describes one response; every field is optional:

    text            the answer (None: the default text above)
    chunks          split the text into N nearly equal pieces (None: one piece per word);
                    a text shorter than N characters is padded with " lorem" words
    duration        seconds spread evenly between the pieces ("100 chunks over 1 s")
    delay           seconds between pieces (overrides duration)
    first_delay     seconds before the first piece (after headers)
    reasoning       reasoning text, streamed before the answer in the protocol's own field
                    (OpenAI reasoning_content, Anthropic thinking_delta, Gemini thought part,
                    Ollama message.thinking)
    usage           False: send no usage at all (OpenAI: no usage chunk)
    usage_null      OpenAI only: "usage": null on every chunk (and no usage chunk)
    input_tokens, output_tokens   the usage figures (output default: number of pieces)
    finish          finish reason as sent (None: stop / end_turn / STOP / stop)
    no_finish       end the stream cleanly but without the protocol's finish signal (OpenAI:
                    no finish_reason and no [DONE], usage still sent; Anthropic: no
                    message_delta stop_reason and no message_stop; Gemini: no finishReason;
                    Ollama: no done: true line), as a stream cut by a proxy would look
    content_null    OpenAI: role and finish chunks carry "content": null
    crlf            frame lines end with \\r\\n instead of \\n
    split_bytes     re-cut the whole body into pieces of this many bytes (1 = every byte,
                    so frames and UTF-8 characters are split), each flushed on its own,
                    split_delay seconds apart (default 0.001)
    status          HTTP status; >= 400 sends an error body in the protocol's shape
    error_message   the message in that error body or error event
    error_type      the error's type/status/code (default per protocol and status)
    body            raw bytes or a dict sent as the error body instead; with a status
                    below 400, sent whole as the (non-streamed) answer, e.g. an HTML page
                    (set headers={"content-type": "text/html"})
    headers         extra response headers, e.g. {"retry-after": "1"}
    error_after     after N answer pieces, send the protocol's error event and end
    drop_after      after N answer pieces, drop the connection (incomplete chunked body)
    malformed_after after N answer pieces, send a malformed frame and end
    stall_after     after N answer pieces, stop sending but keep the connection open until
                    the client goes away (or stall_max seconds, default 30, or stop())
    model           model name reported in the stream (default: the requested one)

Choosing the reply for a request, first match wins:
    1. ``srv.on_request`` if set: a callable(RecordedRequest) -> Reply | None (it also sees
       the GET routes; a Reply with status >= 400 makes them fail, a 3xx redirects them
       with its headers, e.g. {"location": ...});
    2. a queue for the request's model: ``srv.enqueue(r1, r2, model="m")`` (consumed in order);
    3. the global queue: ``srv.enqueue(r1, r2)``;
    4. ``srv.default`` (a Reply, default ``Reply()``).

What it records:
    srv.requests          list[RecordedRequest] in arrival order: kind, method, path, query,
                          headers (lower-case keys), body (parsed JSON or None), model,
                          temperature, reply, started/ended (time.monotonic()), pieces_sent,
                          disconnected (client went away before the response ended) and
                          disconnected_at (monotonic time it was noticed; noticed within
                          ~5 ms while the server waits between pieces or stalls),
                          peer (client host, port: the same port means a reused connection)
    srv.in_flight         requests being answered right now
    srv.max_in_flight     the most ever answered at once (srv.reset() clears records)
    srv.one_at_a_time     True: like llama-cpp-python's server, a chat request that arrives
                          while others stream makes them drop (connection closed mid-body,
                          before their next piece); their records say superseded=True
    srv.requests_for(kind=None, model=None)
    srv.max_in_flight_for(kind=None, model=None)   the same maximum, for some requests only
    srv.wait_requests(n, timeout)       block until n requests arrived (True/False)
    srv.wait_disconnects(n, timeout)    block until n requests saw a disconnect; returns them
    srv.wait_idle(timeout)              block until nothing is in flight

Config helpers:
    srv.models                          the list GET /v1/models and /api/tags answer with
                                        (default ["lo-model-a", "lo-model-b"])
    srv.base_url                        "http://127.0.0.1:PORT"
    srv.provider_urls()                 {"lo-openai": ".../v1", "lo-anthropic": ..., ...}
    srv.env()                           {"LO_OPENAI_KEY": "test-openai-key", ...}; the tests
                                        put these in os.environ (the fixture does)
    srv.config_toml(**opts) -> str      a playground.toml declaring the four providers
    srv.write_config(path, **opts)      writes it (path may be a folder: adds playground.toml)
    srv.settings(**opts) -> Settings    the same, built in-process (imports playground)
    opts: max_concurrency (int, or dict provider -> int), concurrency, read_timeout,
          connect_timeout, max_retries, fallbacks (dict model id -> list of model ids),
          models (default model list), temperatures, extra (raw TOML appended)

Standalone: ``python tests/loopback.py [--port 0] [--chunks N] [--duration S] [--text T]``
prints ``PORT <n>`` on its first stdout line, serves until stdin closes (or SIGTERM), then
prints one JSON line ``{"requests": n, "max_in_flight": m}``.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TEXT = "Hello from the loopback server, streaming one word at a time."
KEY_ENV = {
    "lo-openai": "LO_OPENAI_KEY",
    "lo-anthropic": "LO_ANTHROPIC_KEY",
    "lo-gemini": "LO_GEMINI_KEY",
}
KINDS = {
    "lo-openai": "openai",
    "lo-anthropic": "anthropic",
    "lo-gemini": "gemini",
    "lo-ollama": "ollama",
}


@dataclass
class Reply:
    """One scripted response; see the module docstring for each field."""

    text: str | None = None
    chunks: int | None = None
    duration: float = 0.0
    delay: float | None = None
    first_delay: float = 0.0
    reasoning: str | None = None
    usage: bool = True
    usage_null: bool = False
    input_tokens: int = 11
    output_tokens: int | None = None
    finish: str | None = None
    no_finish: bool = False
    content_null: bool = False
    crlf: bool = False
    split_bytes: int | None = None
    split_delay: float = 0.001
    status: int = 200
    error_message: str | None = None
    error_type: str | None = None
    body: bytes | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error_after: int | None = None
    drop_after: int | None = None
    malformed_after: int | None = None
    stall_after: int | None = None
    stall_max: float = 30.0
    model: str | None = None


@dataclass
class RecordedRequest:
    """A request the server saw, and what happened to its response."""

    kind: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    model: str | None
    temperature: Any
    started: float
    reply: Reply | None = None
    ended: float | None = None
    pieces_sent: int = 0
    superseded: bool = False  # one_at_a_time: a later request came; this one is dropped
    disconnected: bool = False
    disconnected_at: float | None = None
    peer: tuple[str, int] | None = None  # the client's address: same port = reused connection


# -- what each protocol sends ---------------------------------------------------------------


def _split_text(text: str, chunks: int | None) -> list[str]:
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


def _temp_label(temperature: Any) -> str:
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


class _Protocol:
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


class _OpenAI(_Protocol):
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
        return [self._chunk({"reasoning_content": p}) for p in _split_text(text, None)]

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


class _Anthropic(_Protocol):
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
        for p in _split_text(text, None):
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


class _Gemini(_Protocol):
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
        return [self._obj([{"text": p, "thought": True}], None, 0) for p in _split_text(text, None)]

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


class _Ollama(_Protocol):
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
        return [self._line(self._msg(content="", thinking=p)) for p in _split_text(text, None)]

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


_PROTOCOLS: dict[str, type[_Protocol]] = {
    "openai": _OpenAI,
    "anthropic": _Anthropic,
    "gemini": _Gemini,
    "ollama": _Ollama,
}


def _classify(method: str, path: str) -> tuple[str, str | None]:
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


def _temperature(kind: str, body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    if kind == "gemini":
        return (body.get("generationConfig") or {}).get("temperature")
    if kind == "ollama":
        return (body.get("options") or {}).get("temperature")
    return body.get("temperature")


# -- the server --------------------------------------------------------------------------------


class _Disconnected(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    # -- plumbing --------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        kind, path_model = _classify(method, parts.path)
        model = path_model or (body.get("model") if isinstance(body, dict) else None)
        if kind.endswith("-count"):  # count-tokens calls: answered, kept apart from chat calls
            self._count(owner, kind, parts.path, body)
            return
        if kind == "openai-embeddings":
            self._embed(owner, body, {k.lower(): v for k, v in self.headers.items()})
            return
        rec = RecordedRequest(
            kind=kind,
            method=method,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            model=model,
            temperature=_temperature(kind, body),
            started=time.monotonic(),
            peer=tuple(self.client_address[:2]),
        )
        owner._begin(rec)
        try:
            scripted = owner.on_request(rec) if method == "GET" and owner.on_request else None
            if scripted is not None and 300 <= scripted.status < 400:
                body = scripted.body if isinstance(scripted.body, bytes) else b""
                self._json(scripted.status, None, scripted.headers, raw=body)
            elif scripted is not None and scripted.status >= 400:
                self._json(scripted.status, {"error": {"message": f"error {scripted.status}"}})
            elif kind == "openai-models":
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": m, "object": "model"} for m in owner.models],
                    },
                )
            elif kind == "ollama-tags":
                self._json(200, {"models": [{"name": m, "model": m} for m in owner.models]})
            elif not kind:
                self._json(404, {"error": {"message": f"no route for {method} {parts.path}"}})
            else:
                reply = owner._choose(rec)
                rec.reply = reply
                self._answer(rec, reply)
        except (_Disconnected, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            if not rec.disconnected:
                rec.disconnected = True
                rec.disconnected_at = time.monotonic()
        finally:
            rec.ended = time.monotonic()
            owner._end(rec)

    def _count(self, owner: LoopbackServer, kind: str, path: str, body: Any) -> None:
        """Anthropic's and Gemini's count endpoints: about one token per 4 bytes of content."""
        with owner._cond:
            owner.count_requests.append((path, body))
        tokens = max(1, len(json.dumps(body)) // 4)
        answer = {"input_tokens": tokens} if kind == "anthropic-count" else {"totalTokens": tokens}
        self._json(200, answer)

    def _embed(self, owner: LoopbackServer, body: Any, headers: dict[str, str]) -> None:
        """OpenAI's embeddings: each input's letter counts (a-z), so similar texts are close."""
        with owner._cond:
            owner.embedding_requests.append((body, headers))
        texts = body.get("input", []) if isinstance(body, dict) else []
        texts = [texts] if isinstance(texts, str) else texts
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": [float(str(t).lower().count(c)) for c in "abcdefghijklmnopqrstuvwxyz"],
            }
            for i, t in enumerate(texts)
        ]
        self._json(200, {"object": "list", "data": data, "model": body.get("model")})

    def _json(
        self, status: int, obj: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> None:
        data = raw if raw is not None else json.dumps(obj).encode()
        headers = dict(headers or {})
        self.send_response(status)
        self.send_header("content-type", headers.pop("content-type", "application/json"))
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", "req_lo")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _write(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _wait(self, seconds: float, rec: RecordedRequest) -> None:
        """Sleep, but notice at once when the client goes away (or the server stops)."""
        deadline = time.monotonic() + seconds
        stopping = self.server.owner._stopping
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or stopping.is_set() or rec.superseded:
                return
            try:
                ready, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            except (OSError, ValueError):
                raise _Disconnected() from None
            if ready:
                try:
                    peek = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    peek = b""
                if not peek:
                    rec.disconnected = True
                    rec.disconnected_at = time.monotonic()
                    raise _Disconnected()
                time.sleep(min(left, 0.005))  # pipelined bytes: not ours to read

    def _answer(self, rec: RecordedRequest, reply: Reply) -> None:
        proto = _PROTOCOLS[rec.kind](reply, rec.model or "loopback")
        if reply.status >= 400 or reply.body is not None:
            if isinstance(reply.body, bytes):
                self._json(reply.status, None, reply.headers, raw=reply.body)
            else:
                self._json(
                    reply.status, reply.body or proto.error_body(reply.status), reply.headers
                )
            return
        self.send_response(reply.status)
        self.send_header("content-type", proto.content_type)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", "req_lo")
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()

        text = reply.text
        if text is None:
            text = f"model={rec.model} temperature={_temp_label(rec.temperature)}: {DEFAULT_TEXT}"
        pieces = _split_text(text, reply.chunks) if text else []
        gap = (
            reply.delay
            if reply.delay is not None
            else (reply.duration / len(pieces) if pieces else 0.0)
        )
        crlf = reply.crlf

        def fix(frame: bytes) -> bytes:
            return frame.replace(b"\n", b"\r\n") if crlf else frame

        def send(frames: list[bytes]) -> None:
            data = b"".join(fix(f) for f in frames)
            if reply.split_bytes:
                n = reply.split_bytes
                for i in range(0, len(data), n):
                    self._write(data[i : i + n])
                    if reply.split_delay:
                        time.sleep(reply.split_delay)
            else:
                self._write(data)

        send(proto.prelude())
        if reply.reasoning:
            send(proto.reasoning(reply.reasoning))
        if isinstance(proto, _Anthropic):
            send([proto.text_block_start()])
        if reply.first_delay:
            self._wait(reply.first_delay, rec)
        for i, piece in enumerate(pieces):
            if self._fault(i, rec, proto, reply):
                return
            if i and gap:
                self._wait(gap, rec)
            send([proto.piece(piece)])
            rec.pieces_sent += 1
        if self._fault(len(pieces), rec, proto, reply):
            return
        end = proto.unfinished_epilogue if reply.no_finish else proto.epilogue
        send(end(len(pieces)))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _fault(self, sent: int, rec: RecordedRequest, proto: _Protocol, reply: Reply) -> bool:
        """Apply a scripted fault due after `sent` pieces; True when the response is over."""
        if rec.superseded:  # one_at_a_time: a later request took the server
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return True
        fix = (lambda b: b.replace(b"\n", b"\r\n")) if reply.crlf else (lambda b: b)
        if reply.error_after == sent:
            self._write(fix(proto.error_event()))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return True
        if reply.malformed_after == sent:
            self._write(fix(proto.malformed()))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return True
        if reply.drop_after == sent:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if reply.stall_after == sent:
            self._wait(reply.stall_max, rec)
            self.close_connection = True
            return True
        return False


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # the default 5 drops bursts of connects (1 s SYN retry)
    owner: LoopbackServer

    def server_bind(self) -> None:
        super().server_bind()
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def process_request(self, request: Any, client_address: Any) -> None:
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that vanished is a normal event here


class LoopbackServer:
    """The server: start()/stop() or use as a context manager. Thread-safe records."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.default = Reply()
        self.on_request: Callable[[RecordedRequest], Reply | None] | None = None
        self.models: list[str] = ["lo-model-a", "lo-model-b"]
        self.requests: list[RecordedRequest] = []  # chat and model-list calls
        self.count_requests: list[tuple[str, Any]] = []  # count-tokens calls: (path, body)
        self.embedding_requests: list[tuple[Any, dict[str, str]]] = []  # (body, headers)
        self.in_flight = 0
        self.max_in_flight = 0
        self.one_at_a_time = False
        self._queues: dict[str | None, deque[Reply]] = {}
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> LoopbackServer:
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting ----------------------------------------------------------------------------
    def enqueue(self, *replies: Reply, model: str | None = None) -> None:
        with self._cond:
            self._queues.setdefault(model, deque()).extend(replies)

    def reset(self) -> None:
        """Forget recorded requests, queued replies and the in-flight maximum."""
        with self._cond:
            self.requests.clear()
            self._queues.clear()
            self.max_in_flight = self.in_flight

    def _choose(self, rec: RecordedRequest) -> Reply:
        if self.on_request is not None:
            reply = self.on_request(rec)
            if reply is not None:
                return reply
        with self._cond:
            for key in (rec.model, None) if rec.model is not None else (None,):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
        return replace(self.default)

    # -- records ------------------------------------------------------------------------------
    def _begin(self, rec: RecordedRequest) -> None:
        with self._cond:
            if self.one_at_a_time and rec.kind in _PROTOCOLS:
                for other in self.requests:
                    if other.ended is None and other.kind in _PROTOCOLS:
                        other.superseded = True
            self.requests.append(rec)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._cond.notify_all()

    def _end(self, rec: RecordedRequest) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def requests_for(
        self, kind: str | None = None, model: str | None = None
    ) -> list[RecordedRequest]:
        with self._cond:
            return [
                r
                for r in self.requests
                if (kind is None or r.kind == kind) and (model is None or r.model == model)
            ]

    def max_in_flight_for(self, kind: str | None = None, model: str | None = None) -> int:
        """The most requests of this kind/model that were being answered at the same time."""
        edges: list[tuple[float, int]] = []
        for r in self.requests_for(kind, model):
            edges.append((r.started, 1))
            edges.append((r.ended if r.ended is not None else float("inf"), -1))
        best = now = 0
        for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
            now += step
            best = max(best, now)
        return best

    def wait_requests(self, n: int, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.requests) >= n, timeout)

    def wait_disconnects(self, n: int = 1, timeout: float = 2.0) -> list[RecordedRequest]:
        def seen() -> list[RecordedRequest]:
            return [r for r in self.requests if r.disconnected]

        with self._cond:
            self._cond.wait_for(lambda: len(seen()) >= n, timeout)
            return seen()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.in_flight == 0, timeout)

    # -- config -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def provider_urls(self) -> dict[str, str]:
        return {
            name: self.base_url + ("/v1" if kind == "openai" else "")
            for name, kind in KINDS.items()
        }

    @staticmethod
    def env() -> dict[str, str]:
        return {var: f"test-{name[3:]}-key" for name, var in KEY_ENV.items()}

    def config_toml(
        self,
        *,
        max_concurrency: int | dict[str, int] = 8,
        concurrency: int | None = None,
        read_timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        fallbacks: dict[str, list[str]] | None = None,
        models: list[str] | None = None,
        temperatures: list[float] | None = None,
        extra: str = "",
    ) -> str:
        lines: list[str] = []
        for name, kind in KINDS.items():
            limit = (
                max_concurrency.get(name, 8)
                if isinstance(max_concurrency, dict)
                else max_concurrency
            )
            lines += [
                f"[providers.{name}]",
                f'kind = "{kind}"',
                f'base_url = "{self.provider_urls()[name]}"',
            ]
            if name in KEY_ENV:
                lines.append(f'api_key_env = "{KEY_ENV[name]}"')
            lines += [f"max_concurrency = {limit}", ""]
        for model_id, chain in (fallbacks or {}).items():
            lines += [f'[models."{model_id}"]', f"fallbacks = {json.dumps(chain)}", ""]
        defaults = {
            "concurrency": concurrency,
            "read_timeout": read_timeout,
            "connect_timeout": connect_timeout,
            "max_retries": max_retries,
            "models": models,
            "temperatures": temperatures,
        }
        set_ = {k: v for k, v in defaults.items() if v is not None}
        if set_:
            lines.append("[defaults]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in set_.items()]
        return "\n".join(lines) + "\n" + extra

    def write_config(self, path: str | Path, **opts: Any) -> Path:
        target = Path(path)
        if target.is_dir():
            target = target / "playground.toml"
        target.write_text(self.config_toml(**opts), encoding="utf-8")
        return target

    def settings(self, **opts: Any) -> Any:
        """playground Settings with the four loopback providers (plus the built-ins)."""
        import tempfile

        from playground.config import load_settings

        with tempfile.TemporaryDirectory() as tmp:
            path = self.write_config(Path(tmp) / "playground.toml", **opts)
            return load_settings(path, cwd=Path(tmp))


@contextlib.contextmanager
def serving(**attrs: Any) -> Iterator[LoopbackServer]:
    """A started server with attributes set (e.g. default=Reply(...)); stopped on exit."""
    srv = LoopbackServer()
    for k, v in attrs.items():
        setattr(srv, k, v)
    with srv:
        yield srv


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="loopback provider server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=None)
    parser.add_argument("--duration", type=float, default=0.0)
    parser.add_argument("--text", default=None)
    args = parser.parse_args(argv)
    srv = LoopbackServer(args.host, args.port)
    srv.default = Reply(text=args.text, chunks=args.chunks, duration=args.duration)
    srv.start()
    print(f"PORT {srv.port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    srv.stop()
    print(
        json.dumps({"requests": len(srv.requests), "max_in_flight": srv.max_in_flight}), flush=True
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
