"""When a failed call is tried again, and how a transport's exception reads on its cell.

The providers turn HTTP error *responses* into ``ProviderError``s (``providers.base``); this
module does the same for *exceptions* the HTTP client raises (refused, timed out, dropped),
and holds the rules the runner applies to either: what is retried and how long it waits.
"""

from __future__ import annotations

import random
from typing import Any

import httpx

from playground.core.providers.base import ProviderError, one_line


def backoff(attempt: int) -> float:
    """The SDKs' wait: min(0.5 * 2**attempt, 8) s, less up to 25% jitter."""
    base = min(0.5 * 2**attempt, 8.0)
    return base * (1 - 0.25 * random.random())


def retry_wait(error: ProviderError, attempt: int) -> float:
    """The server's wait hint when it gave one, else the backoff for this attempt."""
    return error.retry_after if error.retry_after is not None else backoff(attempt)


def gives_up(error: ProviderError, *, started: bool, attempt: int, max_retries: int) -> bool:
    """No retry once output has been shown (it would be thrown away), for an error a retry
    cannot fix, or when the attempts are used up."""
    return started or not error.retryable or attempt >= max_retries


def error_from_exception(
    exc: Exception, *, base_url: str, connect_timeout: float, read_timeout: float
) -> ProviderError | None:
    """The HTTP client's exception as a cell's error (retryable or not); None when ``exc``
    is not an HTTP client's exception."""
    from playground.core.providers.httpclient import RedirectRefused

    if isinstance(exc, RedirectRefused):
        return ProviderError(str(exc), code="redirect")
    if isinstance(exc, httpx.TimeoutException):
        what = "connect" if isinstance(exc, httpx.ConnectTimeout) else "no data"
        secs = connect_timeout if what == "connect" else read_timeout
        return ProviderError(f"timed out: {what} for {secs:g} s", retryable=True, code="timeout")
    if isinstance(exc, httpx.ConnectError):
        return ProviderError(
            f"cannot connect to {base_url}: {connect_reason(exc)}",
            retryable=True,
            code="connect",
        )
    if isinstance(exc, httpx.RemoteProtocolError) and not _hung_up(exc):
        return ProviderError(
            f"the server's answer is not valid HTTP: {one_line(str(exc))}",
            retryable=False,
            code="protocol",
        )
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return ProviderError(
            f"connection dropped mid-stream: {one_line(str(exc)) or type(exc).__name__}",
            retryable=True,
            code="dropped",
        )
    if isinstance(exc, httpx.HTTPError):
        return ProviderError(
            f"HTTP error: {one_line(str(exc)) or type(exc).__name__}", retryable=False
        )
    return None


def _hung_up(exc: httpx.RemoteProtocolError) -> bool:
    """A protocol error that is only the connection ending early (not malformed data)."""
    low = str(exc).lower()
    return "peer closed" in low or "disconnected" in low


def unfinished(*, started: bool) -> ProviderError:
    """A stream that ended cleanly without the provider's finish signal: cut off somewhere.
    With output it is kept (and not retried, like any error after output); without, retried."""
    if started:
        return ProviderError(
            "the stream ended without a finish: partial output kept", code="unfinished"
        )
    return ProviderError("the stream ended without a finish", retryable=True, code="unfinished")


def one_at_a_time_hint(error: ProviderError, settings: Any, provider: str) -> ProviderError:
    """A stream dropped while another request to the same provider started: what local
    servers that serve one request at a time do (llama-cpp-python's). Say what to set,
    unless it is set already."""
    cfg = settings.providers.get(provider)
    if cfg is None or cfg.max_concurrency <= 1:
        return error
    return ProviderError(
        f"connection dropped mid-stream while another request to {provider!r} was running: "
        "if the server serves one request at a time, set max_concurrency = 1 in "
        f"[providers.{provider}]",
        retryable=error.retryable,
        code=error.code,
    )


def connect_reason(exc: Exception) -> str:
    """Why a connection failed, in words that say what to do."""
    text = one_line(str(exc))
    low = text.lower()
    if (
        any(isinstance(e, ConnectionRefusedError) for e in _causes(exc))
        or "refused" in low
        or "connect call failed" in low
        or "errno 111" in low
    ):
        return "nothing is listening there (is the server running? check base_url)"
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        return "unknown host (check base_url)"
    return text or "refused"


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it, through exception groups (anyio tries each address and
    says only "All connection attempts failed")."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        e = todo.pop()
        if any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [c for c in (e.__cause__, e.__context__) if c is not None]
        if isinstance(e, BaseExceptionGroup):
            todo += list(e.exceptions)
    return seen
