"""The one way the engine makes an HTTP client: a maintained transport, no cookies, keys
that stay with their provider.

Transport (``[defaults] transport``): ``aiohttp`` (default) is httpx's API over aiohttp's C
HTTP parser (the ``httpx-aiohttp`` package, the transport OpenAI's SDK offers for many
concurrent streams); ``httpx`` is httpx's own (httpcore + h11). Behind a proxy set in the
environment httpx's own is used either way: httpx honours environment proxies only with it.

Every client made here:

- sends and keeps no cookies (aiohttp's ``DummyCookieJar``; an httpx store that holds none
  and never reads a response's);
- follows a redirect only to the same origin (scheme, host, port): one to another origin is
  refused (``RedirectRefused``, one line on the cell), so a provider's key header
  (``Authorization``, ``x-api-key``, ``x-goog-api-key``) never reaches another host;
- refuses a ``Transfer-Encoding`` other than ``chunked`` (httpx's own does; aiohttp would pass
  a ``gzip, chunked`` body on still compressed);
- raises httpx's exceptions only: aiohttp's are mapped to the httpx class the runner's
  error kinds expect (``core.retry``), with a one-line message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.cookiejar
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from playground.core.providers.base import one_line

TRANSPORTS = ("aiohttp", "httpx")


class RedirectRefused(httpx.RequestError):
    """A redirect to another origin: not followed. An httpx error, so every caller that
    handles the client's errors handles this one."""


class _NoCookies(http.cookiejar.CookieJar):
    """httpx's jar: nothing a response sets is stored, so nothing is ever sent back."""

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        pass

    def extract_cookies(self, response: Any, request: Any) -> None:
        pass


class _NoCookieStore(httpx.Cookies):
    """A client's cookie store: empty, and a response is not even looked at (httpx would wrap
    each one in urllib's request and response objects for the jar first: ~70 µs a request)."""

    def __init__(self) -> None:
        super().__init__(_NoCookies())

    def extract_cookies(self, response: httpx.Response) -> None:
        pass


class _Client(httpx.AsyncClient):
    """httpx's client with a ``_NoCookieStore``, whatever is assigned to its cookies."""

    _no_cookies = _NoCookieStore()  # holds nothing, so every client may share it

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        pass  # nothing is kept


def new_client(
    transport: str = "aiohttp",
    *,
    timeout: httpx.Timeout | float = 60.0,
    max_keepalive: int = 32,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the chosen transport and the guards above."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {TRANSPORTS}, got {transport!r}")
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=max_keepalive)
    common: dict[str, Any] = {
        "timeout": timeout,
        "limits": limits,
        "cookies": _NoCookies(),
        "follow_redirects": True,
        "event_hooks": {"response": [_check_response]},
    }
    if transport == "httpx" or env_proxies():  # httpx's own: it makes its TLS context now
        return _Client(verify=ssl_context(), **common)
    # aiohttp is imported, and the TLS context made, at the first request (never for echo)
    return _Client(transport=AiohttpStreamingTransport(limits=limits), **common)


def env_proxies() -> bool:
    """A proxy set in the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, lower case too).
    httpx honours them only with its own transport, so then that one is used."""
    import urllib.request

    return any(k != "no" for k in urllib.request.getproxies())


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CAs, or SSL_CERT_FILE/SSL_CERT_DIR), made once per
    process: loading the CA bundle costs ~100 ms of CPU, which every client and every
    transport would otherwise pay again."""
    return httpx.create_ssl_context()


async def _check_response(response: httpx.Response) -> None:
    """Runs on every response (each hop of a redirect too) before its body is read."""
    te = response.headers.get("transfer-encoding")
    if te is not None and te.strip().lower() != "chunked":
        raise httpx.RemoteProtocolError(
            f"unsupported Transfer-Encoding: {one_line(te, 60)} (only chunked)",
            request=response.request,
        )
    if response.has_redirect_location:
        origin = response.request.url
        target = origin.join(response.headers["location"])
        if (target.scheme, target.host, target.port) != (origin.scheme, origin.host, origin.port):
            from playground.core.secrets import redact_url

            raise RedirectRefused(
                f"the server redirected to {redact_url(str(target))}: not followed "
                "(keys stay with their provider)",
                request=response.request,
            )


# -- aiohttp ----------------------------------------------------------------------------------


class AiohttpStreamingTransport(httpx.AsyncBaseTransport):
    """httpx-aiohttp's transport, with a session that keeps no cookies and opens as many
    connections as asked (one per running cell), made afresh when the event loop changes
    (a front end may run each task under its own ``asyncio.run``), and aiohttp's exceptions
    mapped onto httpx's classes with one-line messages."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._inner: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _transport(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._inner is None or self._loop is not loop:
            import aiohttp
            from httpx_aiohttp import AiohttpTransport

            inner = AiohttpTransport(verify=ssl_context(), limits=self._limits)
            connector = aiohttp.TCPConnector(
                limit=0,  # no cap here: the runner's semaphores decide how many run
                keepalive_timeout=self._limits.keepalive_expiry,
                ssl=inner.ssl_context,
            )
            inner.client = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )
            self._inner, self._loop = inner, loop
        return self._inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.userinfo:  # httpx made it an Authorization header; aiohttp refuses both
            request.url = request.url.copy_with(username=None, password=None)
        with aiohttp_errors_as_httpx():
            response = await self._transport().handle_async_request(request)
        response.stream = _MappedStream(response.stream)
        return response

    async def aclose(self) -> None:
        inner, self._inner = self._inner, None
        if inner is not None:
            with contextlib.suppress(RuntimeError):  # its loop is gone: nothing left to close
                await inner.aclose()


class _MappedStream(httpx.AsyncByteStream):
    """The body, with aiohttp's errors mapped.

    aiohttp 3.14's C parser, failing in the middle of a body (a chunk size ``zz``), puts the
    error on the connection and closes it, but never tells the body: a reader would wait
    forever (the read timeout is dropped too). So when the connection closes before the
    body has ended, the body is given the connection's error (public API: the protocol's
    ``closed`` future, the body's ``set_exception``)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._unwatch: Any = None
        aio = getattr(stream, "_aiohttp_response", None)  # the httpx-aiohttp stream's response
        protocol: Any = getattr(getattr(aio, "connection", None), "protocol", None)
        closed = getattr(protocol, "closed", None)
        if aio is not None and isinstance(closed, asyncio.Future) and not closed.done():
            body = aio.content

            def on_close(_: asyncio.Future[None]) -> None:
                if not body.is_eof() and body.exception() is None:
                    import aiohttp

                    failed = protocol.exception()
                    body.set_exception(
                        aiohttp.ClientPayloadError(_reason(failed))
                        if failed is not None
                        else aiohttp.ClientPayloadError("Response payload is not completed")
                    )

            closed.add_done_callback(on_close)
            self._unwatch = lambda: closed.remove_done_callback(on_close)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            with aiohttp_errors_as_httpx():
                async for chunk in self._stream:
                    yield chunk
        finally:
            self._stop_watching()

    async def aclose(self) -> None:
        self._stop_watching()
        with aiohttp_errors_as_httpx():
            await self._stream.aclose()

    def _stop_watching(self) -> None:
        unwatch, self._unwatch = self._unwatch, None
        if unwatch is not None:
            unwatch()


@contextlib.contextmanager
def aiohttp_errors_as_httpx() -> Iterator[None]:
    """Re-raise an aiohttp exception (raw, or already wrapped by httpx-aiohttp in a class that
    may not fit: a server that hung up reads there as a connect timeout) as the httpx class
    httpx's own transport would raise for the same event."""
    import aiohttp

    try:
        yield
    except httpx.HTTPError as exc:
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ClientError):
            raise _as_httpx(cause) from cause
        raise
    except aiohttp.ClientError as exc:
        raise _as_httpx(exc) from exc


def _as_httpx(exc: Exception) -> httpx.HTTPError:
    import aiohttp

    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(one_line(str(exc)) or "connect timed out")
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(one_line(str(exc)) or "read timed out")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(one_line(str(exc)))
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError("server disconnected without sending a response")
    if isinstance(exc, aiohttp.ClientPayloadError):
        if "not completed" in str(exc):
            return httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            )
        return httpx.RemoteProtocolError(_reason(exc))
    if isinstance(exc, aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(_reason(exc))
    if isinstance(exc, aiohttp.ClientOSError):
        return httpx.ReadError(one_line(str(exc)) or type(exc).__name__)
    return httpx.TransportError(one_line(str(exc)) or type(exc).__name__)


def _reason(exc: Exception) -> str:
    """aiohttp's parser message on one line: 'Invalid character in chunk size: b'-2''."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    message = getattr(cause, "message", None) or getattr(exc, "message", None) or str(exc)
    lines = [line.strip() for line in str(message).splitlines()]
    lines = [line for line in lines if line and set(line) != {"^"}]  # drop the caret line
    return one_line(" ".join(lines), 160) or type(exc).__name__
