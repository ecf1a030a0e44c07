"""The streaming transport under httpx: HTTP/1.1 framings, keep-alive, timeouts, errors.

Odd framings come from a tiny canned-response server; streaming behaviour from the loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback import LoopbackServer, Reply

from playground.core.providers.transport import StreamingTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]


async def serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def canned(*responses: bytes, close: bool = False) -> Handler:
    """Answer each request on a connection with the next canned bytes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for response in responses:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            writer.write(response)
            await writer.drain()
        if close:
            writer.close()
        else:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await reader.read()  # hold the connection until the client lets go

    return handler


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=StreamingTransport(), timeout=2.0) as c:
        yield c


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"b\r\nhello world\r\n0\r\nX-Trailer: 1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
        b"HTTP/1.0 200 OK\r\n\r\nhello world",
    ],
    ids=["sized", "chunked", "trailers", "100-continue", "to-close"],
)
async def test_body_framings(client: httpx.AsyncClient, response: bytes) -> None:
    server, url = await serve(canned(response, close=True))
    async with server:
        r = await client.post(url + "/x?q=1", json={"a": 1})
        assert r.status_code == 200
        assert r.text == "hello world"


@pytest.mark.parametrize(
    "body",
    [b"5\r\nhello!!\r\n0\r\n\r\n", b"zz\r\nhello\r\n0\r\n\r\n"],
    ids=["wrong-size", "bad-size"],
)
async def test_bad_chunk_framing_is_a_protocol_error(
    client: httpx.AsyncClient, body: bytes
) -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    server, url = await serve(canned(head + body, close=True))
    async with server:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(url)


async def test_request_goes_out_intact(loopback: LoopbackServer, client: httpx.AsyncClient) -> None:
    r = await client.post(
        loopback.base_url + "/api/chat?x=1", json={"model": "m", "ü": "✓"}, headers={"X-A": "b"}
    )
    assert r.status_code == 200
    [req] = loopback.requests
    assert (req.path, req.query, req.body) == ("/api/chat", "x=1", {"model": "m", "ü": "✓"})
    assert req.headers["x-a"] == "b" and req.headers["host"] == f"127.0.0.1:{loopback.port}"


async def test_keep_alive_reuses_the_connection(
    loopback: LoopbackServer, client: httpx.AsyncClient
) -> None:
    for _ in range(3):
        async with client.stream("POST", loopback.base_url + "/api/chat", json={}) as r:
            assert "loopback" in (await r.aread()).decode()
    assert len({req.peer for req in loopback.requests}) == 1


async def test_stream_cut_short_is_not_reused(
    loopback: LoopbackServer, client: httpx.AsyncClient
) -> None:
    loopback.enqueue(Reply(drop_after=1))
    with pytest.raises(httpx.RemoteProtocolError):
        async with client.stream("POST", loopback.base_url + "/api/chat", json={}) as r:
            await r.aread()
    r = await client.post(loopback.base_url + "/api/chat", json={})
    assert r.status_code == 200
    first, second = loopback.requests
    assert first.peer != second.peer


async def test_response_left_unread_is_not_reused(
    loopback: LoopbackServer, client: httpx.AsyncClient
) -> None:
    # The caller stops reading mid-stream: the rest of that body must never be read as the
    # next response, so its connection is closed, not pooled.
    loopback.default = Reply(chunks=50, duration=0.1)
    async with client.stream("POST", loopback.base_url + "/api/chat", json={}) as r:
        async for _ in r.aiter_bytes():
            break
    r = await asyncio.wait_for(client.post(loopback.base_url + "/api/chat", json={}), 3)
    assert r.content.count(b'"done": false') == 50
    first, second = loopback.requests
    assert first.peer != second.peer


async def test_stale_pooled_connection_is_replaced(client: httpx.AsyncClient) -> None:
    # The server answers once per connection and then hangs up: the next request finds the
    # pooled connection dead and must go out on a fresh one, invisibly.
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server, url = await serve(canned(ok, close=True))
    async with server:
        assert (await client.post(url, json={})).text == "ok"
        await asyncio.sleep(0.05)
        assert (await client.post(url, json={})).text == "ok"


async def test_error_status_body_is_readable(
    loopback: LoopbackServer, client: httpx.AsyncClient
) -> None:
    loopback.enqueue(Reply(status=429, headers={"retry-after": "7"}, error_message="slow"))
    r = await client.post(loopback.base_url + "/v1/messages", json={})
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert r.json()["error"]["message"] == "slow"


async def test_read_timeout_between_chunks(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply(stall_after=2))
    timeout = httpx.Timeout(5.0, read=0.2)
    async with httpx.AsyncClient(transport=StreamingTransport(), timeout=timeout) as c:
        t0 = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            async with c.stream("POST", loopback.base_url + "/api/chat", json={}) as r:
                async for _ in r.aiter_bytes():
                    pass
        assert 0.2 <= time.monotonic() - t0 < 0.6


async def test_read_timeout_fires_while_the_tick_holds_the_stream(
    loopback: LoopbackServer,
) -> None:
    # A fast stream (held by a 100 ms tick between reads) that stalls: the read timeout is
    # armed whether or not reading is paused, so it fires, and on time.
    loopback.enqueue(Reply(chunks=200, duration=0.2, stall_after=60))
    timeout = httpx.Timeout(5.0, read=0.3)
    transport = StreamingTransport(tick=0.1)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as c:
        seen, last = 0, time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            async with c.stream("POST", loopback.base_url + "/api/chat", json={}) as r:
                async for chunk in r.aiter_bytes():
                    seen += chunk.count(b'"done": false')
                    last = time.monotonic()
        assert seen == 60
        assert 0.3 <= time.monotonic() - last < 0.7


async def test_connection_refused(client: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ConnectError):
        await client.post("http://127.0.0.1:9/x", json={})


async def test_gathering_never_delays_first_reads_or_slow_streams(
    loopback: LoopbackServer, client: httpx.AsyncClient
) -> None:
    # Chunks 50 ms apart (slower than the 25 ms tick): each must arrive when sent.
    loopback.default = Reply(text="a b c d e", delay=0.05, first_delay=0.05)
    arrivals: list[float] = []
    async with client.stream("POST", loopback.base_url + "/api/chat", json={}) as r:
        t0 = time.monotonic()
        async for chunk in r.aiter_bytes():
            arrivals += [time.monotonic() - t0] * chunk.count(b'"done": false')
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(arrivals) == 5
    assert 0.04 <= arrivals[0] < 0.08
    assert all(0.03 < g < 0.09 for g in gaps), gaps  # (margin for a loaded 2-CPU machine)


async def test_fast_stream_arrives_whole(
    loopback: LoopbackServer, client: httpx.AsyncClient
) -> None:
    loopback.default = Reply(chunks=200, duration=0.4)
    async with client.stream("POST", loopback.base_url + "/api/chat", json={}) as r:
        reads = [c async for c in r.aiter_bytes()]
    body = b"".join(reads)
    assert len(reads) < 60  # gathered on the 25 ms tick, not one wakeup per piece
    assert body.count(b'"done": false') == 200 and body.endswith(b'"eval_duration": 400000000}\n')


async def test_https_with_keep_alive() -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    ok = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhey\r\n0\r\n\r\n"
    connections: list[object] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await canned(ok, ok)(reader, writer)

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    transport = StreamingTransport(ssl_context=client_ctx)
    async with server, httpx.AsyncClient(transport=transport) as client:
        for _ in range(2):
            r = await client.post(f"https://localhost:{port}/v1/x", json={"a": 1})
            assert r.text == "hey"
        with pytest.raises(httpx.ConnectError):  # an untrusted certificate is refused
            async with httpx.AsyncClient(transport=StreamingTransport()) as other:
                await other.post(f"https://localhost:{port}/v1/x", json={})
    assert len(connections) == 1  # both requests on one kept-alive TLS connection


async def test_first_token_of_a_fast_stream_is_not_held(loopback: LoopbackServer) -> None:
    # Head and role chunk at once, the first token 5 ms later, then a fast stream: the first
    # token must not wait for a tick (50 ms here), as it is what time to first token measures.
    loopback.default = Reply(chunks=40, delay=0.002, first_delay=0.005)
    first: float | None = None
    url = loopback.base_url + "/v1/chat/completions"
    async with (
        httpx.AsyncClient(transport=StreamingTransport(tick=0.05)) as client,
        client.stream("POST", url, json={}) as r,
    ):
        t0 = time.monotonic()
        async for chunk in r.aiter_bytes():
            if first is None and b'"content": "' in chunk.replace(b'"content": ""', b""):
                first = time.monotonic() - t0
    assert first is not None and first < 0.03


@settings(max_examples=200, deadline=None)
@given(
    payloads=st.lists(st.binary(min_size=1, max_size=40), min_size=0, max_size=8),
    points=st.lists(st.integers(min_value=0, max_value=700), max_size=12),
    trailers=st.booleans(),
)
def test_response_split_anywhere(payloads: list[bytes], points: list[int], trailers: bool) -> None:
    """Head and chunked body cut at any bytes (a chunk split across reads, say) decode the
    same, without spinning: each piece arrives on its own pass of the event loop."""
    from playground.core.providers.transport import _Conn

    wire = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    wire += b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in payloads)
    wire += b"0\r\nX-Checksum: 1\r\n\r\n" if trailers else b"0\r\n\r\n"
    bounds = [0, *sorted({p % (len(wire) + 1) for p in points}), len(wire)]
    pieces = [wire[a:b] for a, b in itertools.pairwise(bounds)]

    async def main() -> tuple[int, bytes, bool]:
        conn = _Conn()
        request = httpx.Request("GET", "http://x/")

        async def feed() -> None:
            for piece in pieces:
                await asyncio.sleep(0)
                conn.data_received(piece)

        feeder = asyncio.create_task(feed())
        transport = StreamingTransport()
        response = await asyncio.wait_for(
            transport._response(("http", "x", 80), conn, request, 1.0), 2
        )
        body = await asyncio.wait_for(response.aread(), 2)
        await feeder
        return response.status_code, body, not conn.buf

    status, body, drained = asyncio.run(main())
    assert (status, body, drained) == (200, b"".join(payloads), True)


async def test_response_dribbled_byte_by_byte(client: httpx.AsyncClient) -> None:
    response = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"8\r\ndata: \xc3\xa9\r\n5\r\n\n\nok\n\r\n0\r\n\r\n"
    )

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for i in range(len(response)):
            writer.write(response[i : i + 1])
            await writer.drain()
            await asyncio.sleep(0.001)
        writer.close()

    server, url = await serve(handler)
    async with server:
        r = await asyncio.wait_for(client.get(url), 5)
    assert r.content == "data: é\n\nok\n".encode()


def test_proxy_in_environment_means_plain_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    from playground.config import Settings
    from playground.core.providers.transport import wants_proxy
    from playground.core.runner import Runner

    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "localhost")
    assert not wants_proxy()
    assert isinstance(Runner(Settings()).client._transport, StreamingTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert wants_proxy()
    assert not isinstance(Runner(Settings()).client._transport, StreamingTransport)


def test_one_client_across_event_loops(loopback: LoopbackServer) -> None:
    # A front end that runs each request under its own asyncio.run must not find the pool or
    # the read-gathering tick tied to a loop that is gone.
    loopback.default = Reply(chunks=30, duration=0.15)
    client = httpx.AsyncClient(transport=StreamingTransport(), timeout=2.0)

    async def fetch() -> bytes:
        return (await client.post(loopback.base_url + "/api/chat", json={})).content

    first, second = asyncio.run(fetch()), asyncio.run(fetch())
    assert first == second and first.count(b'"done": false') == 30


def _chunked(body: bytes, size: int) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return head + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


async def test_chunk_bigger_than_the_buffer_limit_arrives() -> None:
    # One 1.5 MB chunk: reading pauses at the 1 MB mark, but the reader needs the rest of the
    # chunk before it can use any of it, so reading must go on (it used to stall to a timeout).
    body = bytes(range(256)) * 6144
    server, url = await serve(canned(_chunked(body, len(body)), close=True))
    timeout = httpx.Timeout(5.0, read=1.0)
    async with server, httpx.AsyncClient(transport=StreamingTransport(), timeout=timeout) as c:
        r = await asyncio.wait_for(c.get(url), 3)
    assert r.content == body


async def test_connection_reused_after_a_body_that_filled_the_buffer() -> None:
    # The whole 1.1 MB response is buffered before the caller reads it (reading paused at the
    # high-water mark); the connection then goes back to the pool and must answer again.
    body = b"x" * (1100 * 1024)
    response = _chunked(body, 64 * 1024)
    connections: list[object] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await canned(response, response)(reader, writer)

    server, url = await serve(handler)
    timeout = httpx.Timeout(5.0, read=1.0)
    async with server, httpx.AsyncClient(transport=StreamingTransport(), timeout=timeout) as c:
        async with c.stream("GET", url) as r:
            await asyncio.sleep(0.2)  # a slow consumer: everything arrives meanwhile
            assert await r.aread() == body
        r2 = await asyncio.wait_for(c.get(url), 3)
    assert r2.content == body
    assert len(connections) == 1


def test_a_loop_that_ended_mid_stream_does_not_stall_the_next(loopback: LoopbackServer) -> None:
    # A front end's loop ends while a fast stream is held by the read-gathering tick (its
    # response never closed). Streams on the next loop must still be resumed by their tick.
    loopback.default = Reply(chunks=200, duration=0.4)
    timeout = httpx.Timeout(5.0, read=1.5)
    client = httpx.AsyncClient(transport=StreamingTransport(tick=0.2), timeout=timeout)
    url = loopback.base_url + "/api/chat"
    leaked: list[httpx.Response] = []

    async def abandon() -> None:
        response = await client.send(client.build_request("POST", url, json={}), stream=True)
        leaked.append(response)
        seen = 0
        async for chunk in response.aiter_bytes():
            seen += chunk.count(b'"done": false')
            if seen >= 40:
                break
        # The loop ends here with the stream open, held by the (200 ms) tick.

    async def fetch_all() -> list[bytes]:
        async def one() -> bytes:
            return (await client.post(url, json={})).content

        return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(4))), 5)

    async def abandon_some() -> None:
        await asyncio.gather(abandon(), abandon(), abandon())

    asyncio.run(abandon_some())
    t0 = time.monotonic()
    bodies = asyncio.run(fetch_all())
    assert all(b.count(b'"done": false') == 200 for b in bodies)
    assert time.monotonic() - t0 < 1.4  # no stream waited for a read timeout


async def test_streams_cancelled_mid_flight_leave_the_client_healthy(
    loopback: LoopbackServer,
) -> None:
    # Cancel half of 16 fast streams at odd moments (a read waiting, held by the tick, or
    # paused); the rest finish, and a second round on the same client and pool is whole.
    loopback.default = Reply(chunks=150, duration=0.3)
    url = loopback.base_url + "/api/chat"
    timeout = httpx.Timeout(5.0, read=1.0)

    async def one(c: httpx.AsyncClient) -> int:
        async with c.stream("POST", url, json={}) as r:
            return sum([chunk.count(b'"done": false') async for chunk in r.aiter_bytes()])

    async with httpx.AsyncClient(transport=StreamingTransport(), timeout=timeout) as c:
        tasks = [asyncio.create_task(one(c)) for _ in range(16)]
        for i, task in enumerate(tasks[::2]):
            await asyncio.sleep(0.013 * (i % 5))
            task.cancel()
        done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
        assert [d for d in done[1::2]] == [150] * 8
        again = await asyncio.wait_for(asyncio.gather(*(one(c) for _ in range(16))), 5)
    assert again == [150] * 16
