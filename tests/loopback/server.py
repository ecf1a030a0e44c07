"""The HTTP server: a handler that answers each route with scripted replies, and
LoopbackServer, which starts it on a background thread and keeps thread-safe records."""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .config import ConfigHelpers
from .protocols import (
    PROTOCOLS,
    AnthropicProtocol,
    Protocol,
    classify,
    request_temperature,
    split_text,
    temp_label,
)
from .records import DEFAULT_TEXT, RecordedRequest, Reply


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
        kind, path_model = classify(method, parts.path)
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
            temperature=request_temperature(kind, body),
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
            if rec.ended is None:
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
        proto = PROTOCOLS[rec.kind](reply, rec.model or "loopback")
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
            text = f"model={rec.model} temperature={temp_label(rec.temperature)}: {DEFAULT_TEXT}"
        pieces = split_text(text, reply.chunks) if text else []
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
        if isinstance(proto, AnthropicProtocol):
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
        # over before its last bytes go: once they do, the client may send its next request
        # before this thread runs again (max_in_flight_for counted that as an overlap)
        rec.ended = time.monotonic()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _fault(self, sent: int, rec: RecordedRequest, proto: Protocol, reply: Reply) -> bool:
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


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading server for which a client that hangs up early (BrokenPipe, ConnectionReset,
    a closed socket) is a normal event, with no traceback; any other error in a handler is
    still printed, so a bug in a scripted reply shows."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (OSError, _Disconnected)):
            super().handle_error(request, client_address)


def print_last(line: str) -> None:
    """A standalone server's closing report; a reader that has gone (the bench that started it
    stopped first) is no error: stdout then points at /dev/null, so the exit is quiet too."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _HTTPServer(QuietHTTPServer):
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


class LoopbackServer(ConfigHelpers):
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
            if self.one_at_a_time and rec.kind in PROTOCOLS:
                for other in self.requests:
                    if other.ended is None and other.kind in PROTOCOLS:
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


@contextlib.contextmanager
def serving(**attrs: Any) -> Iterator[LoopbackServer]:
    """A started server with attributes set (e.g. default=Reply(...)); stopped on exit."""
    srv = LoopbackServer()
    for k, v in attrs.items():
        setattr(srv, k, v)
    with srv:
        yield srv
