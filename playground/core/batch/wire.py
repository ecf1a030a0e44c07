"""HTTP for batch jobs: the provider's key only to its own origin, the runner's retry rules.

The client is the engine's one kind (``providers.httpclient``: the configured transport, no
cookies, a redirect to another origin refused). On top of that, a URL the provider hands us on
another origin (a ``results_url``) is fetched without the key headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from playground.core.providers.base import Provider, ProviderError, error_from_status, one_line
from playground.core.secrets import is_secret_name

KEY_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key"})


def origin(url: str) -> tuple[str, str, int | None]:
    u = httpx.URL(url)
    port = u.port or {"http": 80, "https": 443}.get(u.scheme)
    return u.scheme, u.host, port


def same_origin(url: str, base_url: str) -> bool:
    return origin(url) == origin(base_url)


async def _read(fh: Any, size: int = 1 << 20) -> AsyncIterator[bytes]:
    """A file's bytes from its start, a MB at a time (the body is never all in memory)."""
    fh.seek(0)
    while chunk := fh.read(size):
        yield chunk


def new_client(settings: Any) -> httpx.AsyncClient:
    from playground.core.providers.httpclient import new_client as engine_client

    d = settings.defaults
    timeout = httpx.Timeout(
        connect=d.connect_timeout, read=max(d.read_timeout, 60.0), write=300.0, pool=None
    )
    return engine_client(d.transport, timeout=timeout, max_keepalive=4)


class BatchHTTP:
    """One provider's batch calls through a shared client."""

    def __init__(self, provider: Provider, client: httpx.AsyncClient, settings: Any) -> None:
        self.provider = provider
        self.client = client
        self.max_retries = settings.defaults.max_retries
        self.connect_timeout = settings.defaults.connect_timeout
        self.read_timeout = max(settings.defaults.read_timeout, 60.0)

    def headers_for(self, url: str) -> dict[str, str]:
        """The provider's headers; those that carry a key only for its own origin."""
        headers = self.provider.headers()
        if same_origin(url, self.provider.base_url):
            return headers
        return {
            k: v
            for k, v in headers.items()
            if k.lower() not in KEY_HEADERS and not is_secret_name(k)
        }

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        files: Callable[[], dict[str, Any]] | None = None,
        data: dict[str, str] | None = None,
        content: Any = None,
    ) -> Any:
        """The JSON answer; a failure is a ProviderError after the runner's retries
        (``files`` is called again for each attempt, so file objects are fresh; ``content``
        is a body already encoded as JSON: a file, sent from its start at each attempt)."""
        from playground.core.retry import error_from_exception, gives_up, retry_wait

        for attempt in range(self.max_retries + 1):
            headers = self.headers_for(url)
            body = None
            if content is not None:
                headers["content-type"] = "application/json"
                headers["content-length"] = str(content.seek(0, 2))
                body = _read(content)
            try:
                response = await self.client.request(
                    method,
                    url,
                    json=json,
                    files=files() if files else None,
                    data=data,
                    content=body,
                    headers=headers,
                )
                if response.status_code >= 400:
                    raise error_from_status(
                        response.status_code, response.content, response.headers
                    )
                if 300 <= response.status_code < 400:
                    raise ProviderError(
                        f"HTTP {response.status_code}: {method} {url} redirects; not followed",
                        status=response.status_code,
                    )
                try:
                    return response.json()
                except ValueError:
                    raise ProviderError(
                        f"{method} {url}: the answer is not JSON (check base_url)", code="malformed"
                    ) from None
            except ProviderError as exc:
                error = exc
            except httpx.HTTPError as exc:
                error = error_from_exception(
                    exc,
                    base_url=self.provider.base_url,
                    connect_timeout=self.connect_timeout,
                    read_timeout=self.read_timeout,
                ) or ProviderError(one_line(str(exc)) or type(exc).__name__)
            if gives_up(error, started=False, attempt=attempt, max_retries=self.max_retries):
                raise error
            await asyncio.sleep(retry_wait(error, attempt))
        raise AssertionError("unreachable")

    async def lines(self, url: str) -> AsyncIterator[bytes]:
        """A results file, line by line as it downloads (memory stays flat)."""
        async with self.client.stream("GET", url, headers=self.headers_for(url)) as response:
            if response.status_code >= 400:
                body = await response.aread()
                raise error_from_status(response.status_code, body, response.headers)
            buffer = b""
            async for chunk in response.aiter_bytes():
                buffer += chunk
                *complete, buffer = buffer.split(b"\n")
                for line in complete:
                    if line.strip():
                        yield line
            if buffer.strip():
                yield buffer
