"""An httpx transport for many long streaming responses at low CPU: HTTP/1.1 on asyncio directly.

Why: a matrix run reads thousands of small SSE chunks, one network read each. Through
httpcore + h11 + anyio a read costs ~120 µs of CPU; on an asyncio Protocol it costs a few.
The httpx client API stays the same above it (providers call ``client.stream`` as usual),
and errors are httpx's own exceptions (ConnectError, ConnectTimeout, ReadTimeout,
ReadError, RemoteProtocolError), so the runner's handling does not change.

Scope: HTTP/1.1, http and https, keep-alive pooling per host. Proxies are not handled here:
``Runner`` uses a plain httpx client when a proxy is configured in the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
import weakref
from collections.abc import AsyncIterator

import httpx

_MAX_HEAD = 64 * 1024
_HIGH_WATER = 1 << 20


class _Ticker:
    """Gathers reads: a connection that just received data sleeps until the next tick.

    Many streams then share one pass of the event loop instead of waking it a chunk at a time
    (thousands of wakeups a second in a big matrix). A tick is 25 ms: under what a reader can
    see. Only a stream already flowing faster than the tick is held; a response's first
    reads (head, first frames, so the time to first token) never are.

    One ticker per event loop (``StreamingTransport._ticker_for``): a tick only ever touches
    connections of its own loop, so a loop that is gone cannot strand another loop's streams.
    Invariant: a held connection is in ``sleeping`` and a tick is scheduled.
    """

    FREE_READS = 4  # reads of each response passed on at once

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.sleeping: list[_Conn] = []
        self.handle: asyncio.TimerHandle | None = None

    def hold(self, conn: _Conn) -> None:
        assert conn.transport is not None
        conn.transport.pause_reading()
        conn.held = True
        self.sleeping.append(conn)
        if self.handle is None:
            self.handle = conn.loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        self.handle = None
        sleeping, self.sleeping = self.sleeping, []
        for conn in sleeping:
            conn.release_hold()


class _Conn(asyncio.Protocol):
    """One connection: bytes land in a buffer; a reader awaits more with a deadline."""

    def __init__(self, ticker: _Ticker | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.ticker = ticker
        self.held = False
        self.last_read = 0.0
        self.reads = 0  # since the current response began
        self.deadline = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False
        self.idle_since = 0.0

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > _HIGH_WATER and self.transport and not self.paused:
            self.paused = True
            if not self.held:
                self.transport.pause_reading()
        elif self.ticker is not None and not self.held and not self.paused:
            self.reads += 1
            now = time.monotonic()
            if self.reads > _Ticker.FREE_READS and now - self.last_read < self.ticker.interval:
                self.ticker.hold(self)
            self.last_read = now
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- pausing -----------------------------------------------------------------------------
    # Two reasons to pause reading: ``held`` (the tick, at most one interval) and ``paused``
    # (the buffer is over the high-water mark). Reading is on exactly when neither holds.
    def _resume(self) -> None:
        transport = self.transport
        if self.held or self.paused or transport is None or transport.is_closing():
            return
        with contextlib.suppress(RuntimeError, OSError):  # (its event loop is closed)
            transport.resume_reading()

    def release_hold(self) -> None:
        """The tick came (or the connection goes idle): read again unless the buffer is full."""
        if self.held:
            self.held = False
            self._resume()

    def need_more(self) -> None:
        """The reader can use nothing in the buffer until more bytes come: read, whatever the
        high-water mark says (a chunk bigger than it must still arrive), and at once when the
        connection is idle or between responses (no tick to wait for then)."""
        if self.paused:
            self.paused = False
            self._resume()

    # -- reading -----------------------------------------------------------------------------
    @property
    def usable(self) -> bool:
        return (
            self.transport is not None
            and not self.transport.is_closing()
            and not self.eof
            and not self.buf
        )

    def take(self, n: int | None = None) -> bytes:
        if n is None or n >= len(self.buf):
            data = bytes(self.buf)
            self.buf.clear()
        else:
            data = bytes(self.buf[:n])
            del self.buf[:n]
        if self.paused and len(self.buf) < _HIGH_WATER // 2:
            self.paused = False
            self._resume()
        return data

    async def wait(self, timeout: float | None, request: httpx.Request, have: int = 0) -> bool:
        """Wait until the buffer holds more than ``have`` bytes (what the caller already saw
        and could not use); False at end of stream. Raises ReadTimeout / ReadError."""
        while len(self.buf) <= have:
            if self.eof:
                if self.error is not None:
                    message = str(self.error) or type(self.error).__name__
                    raise httpx.ReadError(message, request=request)
                return False
            self.need_more()
            loop = asyncio.get_running_loop()
            waiter = self.waiter = loop.create_future()
            if timeout is not None:
                self.deadline = loop.time() + timeout
                if self.timer is None:  # one timer per connection, re-armed only when due
                    self.timer = loop.call_at(self.deadline, self._check_deadline)
            try:
                await waiter
            except _Expired:
                raise httpx.ReadTimeout(f"no data for {timeout:g} s", request=request) from None
            finally:
                self.waiter = None
        return True

    def _check_deadline(self) -> None:
        self.timer = None
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        loop = asyncio.get_running_loop()
        if loop.time() >= self.deadline:
            waiter.set_exception(_Expired())
        else:
            self.timer = loop.call_at(self.deadline, self._check_deadline)

    def close(self) -> None:
        """Close now: the server must see a cancel at once, not when the loop next idles."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:  # asyncio only closes the socket on a later loop pass
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(RuntimeError):  # its event loop is already closed
            transport.abort()


class _Expired(Exception):
    pass


class _Body(httpx.AsyncByteStream):
    """The response body: chunked, sized, or to end of stream; hands the connection back."""

    def __init__(
        self,
        owner: StreamingTransport,
        key: tuple[str, str, int],
        conn: _Conn,
        request: httpx.Request,
        *,
        chunked: bool,
        length: int | None,
        keep_alive: bool,
        read_timeout: float | None,
    ) -> None:
        self.owner, self.key, self.conn, self.request = owner, key, conn, request
        self.chunked, self.length, self.keep_alive = chunked, length, keep_alive
        self.read_timeout = read_timeout
        self.complete = False
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.chunked:
            async for data in self._chunked():
                yield data
        elif self.length is not None:
            left = self.length
            while left > 0:
                if not await self.conn.wait(self.read_timeout, self.request):
                    raise self._cut_short()
                data = self.conn.take(left)
                left -= len(data)
                yield data
            self.complete = True
        else:
            while await self.conn.wait(self.read_timeout, self.request):
                yield self.conn.take()
            self.keep_alive = False
            self.complete = True

    async def _chunked(self) -> AsyncIterator[bytes]:
        conn, buf = self.conn, self.conn.buf
        timeout, request = self.read_timeout, self.request
        out = bytearray()
        while True:
            # Decode every complete chunk in the buffer, then hand the data on in one piece.
            while True:
                eol = buf.find(b"\r\n")
                if eol < 0:
                    if len(buf) > 4096:
                        raise httpx.RemoteProtocolError("bad chunk header", request=request)
                    break
                try:
                    size = int(bytes(buf[:eol]).split(b";", 1)[0], 16)
                except ValueError:
                    raise httpx.RemoteProtocolError("bad chunk header", request=request) from None
                if size == 0:
                    end = buf.find(b"\r\n\r\n", eol)
                    if end < 0:
                        break  # the end (and any trailers) not all here yet
                    del buf[: end + 4]
                    if out:
                        yield bytes(out)
                    self.complete = True
                    if buf:  # bytes after the body: not a clean connection to reuse
                        self.keep_alive = False
                    return
                start, stop = eol + 2, eol + 2 + size
                if len(buf) < stop + 2:
                    break
                if buf[stop : stop + 2] != b"\r\n":
                    raise httpx.RemoteProtocolError("bad chunk framing", request=request)
                out += buf[start:stop]
                del buf[: stop + 2]
            if out:
                yield bytes(out)
                out.clear()
            if conn.paused and len(buf) < _HIGH_WATER // 2:
                conn.paused = False
                conn._resume()
            if not await conn.wait(timeout, request, len(buf)):  # a part chunk waits for more
                raise self._cut_short()

    def _cut_short(self) -> httpx.RemoteProtocolError:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=self.request
        )

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.complete and self.keep_alive and self.conn.usable:
            self.owner._release(self.key, self.conn)
        else:
            self.conn.close()


class StreamingTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio with keep-alive; see the module docstring for why and its scope."""

    def __init__(
        self,
        *,
        max_idle_per_host: int = 32,
        keepalive_expiry: float = 5.0,
        tick: float | None = 0.025,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.tick = tick
        self._ssl = ssl_context
        self._tickers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Ticker] = (
            weakref.WeakKeyDictionary()
        )
        self.max_idle_per_host = max_idle_per_host
        self.keepalive_expiry = keepalive_expiry
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
            self._ssl.set_alpn_protocols(["http/1.1"])
        return self._ssl

    def _ticker_for(self, loop: asyncio.AbstractEventLoop) -> _Ticker | None:
        if not self.tick:
            return None
        ticker = self._tickers.get(loop)
        if ticker is None:
            for gone in [old for old in self._tickers if old.is_closed()]:
                del self._tickers[gone]  # what it held belongs to a loop that will not run again
            ticker = self._tickers[loop] = _Ticker(self.tick)
        return ticker

    def _release(self, key: tuple[str, str, int], conn: _Conn) -> None:
        pool = self._idle.setdefault(key, [])
        if self._closed or len(pool) >= self.max_idle_per_host:
            conn.close()
            return
        # Idle, it reads at once: a server's close is seen, and the next head is not held.
        conn.release_hold()
        conn.need_more()
        conn.idle_since = time.monotonic()
        pool.append(conn)

    def _reuse(self, key: tuple[str, str, int]) -> _Conn | None:
        pool = self._idle.get(key)
        now = time.monotonic()
        while pool:
            conn = pool.pop()
            if (
                conn.usable
                and now - conn.idle_since < self.keepalive_expiry
                and conn.loop is asyncio.get_running_loop()
            ):
                return conn
            conn.close()
        return None

    async def _connect(
        self, key: tuple[str, str, int], timeout: float | None, request: httpx.Request
    ) -> _Conn:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        ctx = self._ssl_context() if scheme == "https" else None
        ticker = self._ticker_for(loop)
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Conn(ticker),
                    host,
                    port,
                    ssl=ctx,
                    server_hostname=host if ctx else None,
                ),
                timeout,
            )
        except TimeoutError:
            message = f"connect: no answer in {timeout:g} s"
            raise httpx.ConnectTimeout(message, request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None
        return conn

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported scheme {scheme!r}", request=request)
        port = url.port or (443 if scheme == "https" else 80)
        key = (scheme, url.host, port)
        timeouts = request.extensions.get("timeout") or {}
        body = await request.aread()
        head = _request_head(request)
        for attempt in (0, 1):
            conn = self._reuse(key) if attempt == 0 else None
            reused = conn is not None
            if conn is None:
                conn = await self._connect(key, timeouts.get("connect"), request)
            try:
                assert conn.transport is not None
                conn.transport.write(head + body if len(body) < 65536 else head)
                if len(body) >= 65536:
                    conn.transport.write(body)
                return await self._response(key, conn, request, timeouts.get("read"))
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                conn.close()
                # A kept-alive connection the server had already closed: try once on a new one.
                if reused and getattr(exc, "_before_response", False):
                    continue
                raise
            except BaseException:
                conn.close()
                raise
        raise AssertionError("unreachable")

    async def _response(
        self,
        key: tuple[str, str, int],
        conn: _Conn,
        request: httpx.Request,
        read_timeout: float | None,
    ) -> httpx.Response:
        conn.reads = 0
        while True:  # skip 1xx informational responses
            end = -1
            got_any = bool(conn.buf)
            while True:
                end = conn.buf.find(b"\r\n\r\n")
                if end >= 0:
                    break
                if len(conn.buf) > _MAX_HEAD:
                    raise httpx.RemoteProtocolError("response head too large", request=request)
                try:
                    more = await conn.wait(read_timeout, request, len(conn.buf))
                except httpx.ReadError as exc:
                    exc._before_response = not got_any  # type: ignore[attr-defined]
                    raise
                if not more:
                    exc2 = httpx.RemoteProtocolError(
                        "server disconnected without sending a response", request=request
                    )
                    exc2._before_response = not got_any  # type: ignore[attr-defined]
                    raise exc2
                got_any = True
            head = conn.take(end + 4)
            lines = head[:-4].split(b"\r\n")
            try:
                version, status_text, *reason = lines[0].split(b" ", 2)
                status = int(status_text)
            except ValueError:
                raise httpx.RemoteProtocolError(
                    f"bad status line {lines[0][:80]!r}", request=request
                ) from None
            if 100 <= status < 200 and status != 101:
                continue
            break
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise httpx.RemoteProtocolError("bad header line", request=request)
            headers.append((name.strip(), value.strip()))
        lower = {k.lower(): v for k, v in headers}
        chunked = b"chunked" in lower.get(b"transfer-encoding", b"").lower()
        length = None
        if not chunked and b"content-length" in lower:
            try:
                length = int(lower[b"content-length"])
            except ValueError:
                raise httpx.RemoteProtocolError("bad content-length", request=request) from None
        if request.method == "HEAD" or status in (204, 304):
            chunked, length = False, 0
        keep_alive = version == b"HTTP/1.1" and lower.get(b"connection", b"").lower() != b"close"
        stream = _Body(
            self,
            key,
            conn,
            request,
            chunked=chunked,
            length=length,
            keep_alive=keep_alive,
            read_timeout=read_timeout,
        )
        return httpx.Response(
            status,
            headers=headers,
            stream=stream,
            extensions={
                "http_version": version,
                "reason_phrase": reason[0] if reason else b"",
            },
        )

    async def aclose(self) -> None:
        self._closed = True
        for pool in self._idle.values():
            for conn in pool:
                conn.close()
        self._idle.clear()


def _request_head(request: httpx.Request) -> bytes:
    target = request.url.raw_path or b"/"
    lines = [request.method.encode() + b" " + target + b" HTTP/1.1"]
    for name, value in request.headers.raw:
        lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def wants_proxy() -> bool:
    """True when the environment configures a proxy (then plain httpx handles the calls)."""
    import urllib.request

    return any(scheme != "no" for scheme in urllib.request.getproxies())


__all__ = ["StreamingTransport", "wants_proxy"]
