"""The HTTP client under the providers, as a user sees it on a cell: malformed HTTP is an error
(never a silently cut answer), and refused, stalled or dropped connections say what happened.
Both transports (`[defaults] transport`) behave the same.

Malformed framing comes from a tiny canned-response server on 127.0.0.1; streams from the
loopback server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from loopback import LoopbackServer, Reply

from playground.core.model import CellResult
from playground.core.plan import RunPlan
from playground.core.providers.httpclient import new_client
from playground.core.runner import Runner
from playground.core.template import PromptTemplate

TRANSPORTS = ["aiohttp", "httpx"]
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


def sse(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


GOOD_BODY = sse("Hello") + sse(" world", "stop") + b"data: [DONE]\n\n"


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return head


def canned(response: bytes) -> Handler:
    """Answer every request with these bytes, then hang up."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await read_request(reader)
            writer.write(response)
            await writer.drain()
        writer.close()

    return handler


@contextlib.asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/v1"
        server.close()


async def run_openai(
    loopback: LoopbackServer, base_url: str, transport: str, **opts: Any
) -> CellResult:
    """One lo-openai cell against ``base_url``, no retries unless asked."""
    opts.setdefault("max_retries", 0)
    settings = loopback.settings(**opts)
    settings.defaults.transport = transport
    settings.providers["lo-openai"].base_url = base_url
    runner = Runner(settings)
    try:
        plan = RunPlan(PromptTemplate.from_parts("", "Say hi"), models=["lo-openai:m"])
        handle = await asyncio.wait_for(runner.run(plan), 20)
    finally:
        await runner.aclose()
    return handle.results[0]


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"

MALFORMED = {
    "length-1_0": HEAD + b"Content-Length: 1_0\r\n\r\n" + GOOD_BODY,
    "length-negative": HEAD + b"Content-Length: -5\r\n\r\n" + GOOD_BODY,
    "length-twice": HEAD
    + b"Content-Length: 5\r\nContent-Length: %d\r\n\r\n" % len(GOOD_BODY)
    + GOOD_BODY,
    "chunk-size--2": HEAD + b"Transfer-Encoding: chunked\r\n\r\n-2\r\nhi\r\n0\r\n\r\n",
    "chunk-size-0x10": HEAD + b"Transfer-Encoding: chunked\r\n\r\n0x10\r\n" + b"x" * 16 + b"\r\n",
    "chunk-size-1_0": HEAD + b"Transfer-Encoding: chunked\r\n\r\n1_0\r\n" + b"x" * 16 + b"\r\n",
    "status-ICY": b"ICY 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n"
    % len(GOOD_BODY)
    + GOOD_BODY,
    "status--200": b"HTTP/1.1 -200 OK\r\nContent-Length: %d\r\n\r\n" % len(GOOD_BODY) + GOOD_BODY,
    "gzip-chunked": HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked(GOOD_BODY),
    "nul-in-header": HEAD
    + b"X-A: a\x00b\r\nContent-Length: %d\r\n\r\n" % len(GOOD_BODY)
    + GOOD_BODY,
}


async def test_a_well_formed_answer_is_ok(loopback: LoopbackServer, transport: str) -> None:
    """The canned server's control case: the same body, framed right, is a good answer."""
    response = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(GOOD_BODY)
    async with serving(canned(response)) as url:
        result = await run_openai(loopback, url, transport)
    assert (result.status, result.output) == ("ok", "Hello world"), result.error


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_framing_is_an_error_on_the_cell(
    loopback: LoopbackServer, transport: str, case: str
) -> None:
    async with serving(canned(MALFORMED[case])) as url:
        result = await run_openai(loopback, url, transport)
    assert result.status == "error"
    assert result.error.startswith("the server's answer is not valid HTTP: "), result.error
    assert "\n" not in result.error
    assert result.output == ""


async def test_bad_chunk_mid_stream_keeps_the_text_and_fails(
    loopback: LoopbackServer, transport: str
) -> None:
    response = (
        HEAD
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n" % (len(sse("Hello")), sse("Hello"))
        + b"zz\r\n more\r\n0\r\n\r\n"
    )

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        head, _, rest = response.partition(b"zz")
        writer.write(head)  # the good part first, on its own, then the bad chunk size
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"zz" + rest)
        await writer.drain()
        writer.close()

    async with serving(handler) as url:
        result = await run_openai(loopback, url, transport)
    assert result.status == "error"
    assert result.output == "Hello"
    assert result.error.startswith("the server's answer is not valid HTTP: "), result.error


async def test_connection_refused_says_nothing_listens(
    loopback: LoopbackServer, transport: str
) -> None:
    result = await run_openai(loopback, "http://127.0.0.1:9/v1", transport)
    assert result.status == "error"
    assert result.error == (
        "cannot connect to http://127.0.0.1:9/v1: "
        "nothing is listening there (is the server running? check base_url)"
    )


async def test_hang_up_before_answering_is_a_drop_and_retried(
    loopback: LoopbackServer, transport: str
) -> None:
    calls = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        await read_request(reader)
        if calls > 1:
            writer.write(HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(GOOD_BODY))
            await writer.drain()
        writer.close()

    async with serving(handler) as url:
        result = await run_openai(loopback, url, transport, max_retries=1)
    assert (result.status, result.output, result.attempts) == ("ok", "Hello world", 2)


async def test_hang_up_without_retries_says_dropped(
    loopback: LoopbackServer, transport: str
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.close()

    async with serving(handler) as url:
        result = await run_openai(loopback, url, transport)
    assert result.status == "error"
    assert result.error.startswith("connection dropped mid-stream: "), result.error


async def test_dropped_stream_keeps_its_text(loopback: LoopbackServer, transport: str) -> None:
    loopback.enqueue(Reply(text="alpha beta gamma", drop_after=2))
    result = await run_openai(loopback, loopback.base_url + "/v1", transport)
    assert result.status == "error"
    assert result.output == "alpha beta "
    assert result.error.startswith("connection dropped mid-stream: "), result.error


async def test_stalled_stream_times_out(loopback: LoopbackServer, transport: str) -> None:
    loopback.enqueue(Reply(text="alpha beta gamma", stall_after=1))
    result = await run_openai(loopback, loopback.base_url + "/v1", transport, read_timeout=0.3)
    assert (result.status, result.output) == ("error", "alpha ")
    assert result.error.startswith("timed out: no data for 0.3 s")
    assert loopback.wait_disconnects(1, timeout=2)  # the connection was let go


async def test_keep_alive_reuses_one_connection(loopback: LoopbackServer, transport: str) -> None:
    async with new_client(transport) as client:
        for _ in range(3):
            async with client.stream("POST", loopback.base_url + "/api/chat", json={}) as r:
                assert b'"done": true' in await r.aread()
    assert len({req.peer for req in loopback.requests}) == 1


def test_one_client_across_event_loops(loopback: LoopbackServer) -> None:
    """A front end that runs each task under its own asyncio.run keeps one client (the default
    transport; httpx's own pool is tied to its first loop)."""
    loopback.default = Reply(chunks=30)
    client = new_client("aiohttp", timeout=5.0)

    async def fetch() -> bytes:
        return (await client.post(loopback.base_url + "/api/chat", json={})).content

    first, second = asyncio.run(fetch()), asyncio.run(fetch())
    asyncio.run(client.aclose())
    assert first == second and first.count(b'"done": false') == 30


def test_unknown_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="aiohttp"):
        new_client("fast")


async def test_password_in_base_url_goes_as_basic_auth(
    loopback: LoopbackServer, transport: str
) -> None:
    settings = loopback.settings(max_retries=0)
    settings.defaults.transport = transport
    settings.providers["lo-ollama"].base_url = f"http://alice:s3cret@127.0.0.1:{loopback.port}"
    runner = Runner(settings)
    try:
        plan = RunPlan(PromptTemplate.from_parts("", "Say hi"), models=["lo-ollama:m"])
        handle = await runner.run(plan)
    finally:
        await runner.aclose()
    assert handle.results[0].status == "ok", handle.results[0].error
    assert loopback.requests[0].headers["authorization"] == "Basic YWxpY2U6czNjcmV0"


async def test_calls_go_through_a_proxy_set_in_the_environment(
    loopback: LoopbackServer, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is honoured with either transport (httpx's proxy transport carries it)."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", loopback.base_url)  # the loopback plays the proxy
    settings = loopback.settings(max_retries=0)
    settings.defaults.transport = transport
    settings.providers["lo-ollama"].base_url = "http://provider.invalid:11434"
    runner = Runner(settings)
    try:
        plan = RunPlan(PromptTemplate.from_parts("", "Say hi"), models=["lo-ollama:m"])
        handle = await runner.run(plan)
    finally:
        await runner.aclose()
    assert handle.results[0].status == "ok", handle.results[0].error
    [request] = loopback.requests
    assert (request.path, request.headers["host"]) == ("/api/chat", "provider.invalid:11434")
