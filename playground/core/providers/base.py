"""What every provider adapter shares: the request it takes, the events it yields, its errors.

An adapter turns one ``ChatRequest`` into an async stream of small events. It never retries,
never times, never prices: the runner does that, the same way for every wire protocol.
"""

from __future__ import annotations

import email.utils
import functools
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import httpx

from playground.config import ProviderConfig
from playground.core.template import Message

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class ChatRequest:
    """One call: the provider's own model name plus rendered messages and sampling params."""

    model: str
    messages: tuple[Message, ...]
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        """The sampling parameters, all of them, in field order (``stop`` as a list). Read
        field by field: ``asdict`` would deep-copy the messages only to drop them."""
        d = {name: getattr(self, name) for name in _PARAM_FIELDS}
        d["stop"] = list(self.stop)
        return d

    def wire_params(self, names: dict[str, str]) -> dict[str, Any]:
        """The sampling parameters that are set, under one protocol's names (in ``names``
        order; ``stop`` as a list, left out when empty)."""
        out: dict[str, Any] = {}
        for name, wire in names.items():
            value = getattr(self, name)
            if value is None or value == ():
                continue
            out[wire] = list(value) if name == "stop" else value
        return out


_PARAM_FIELDS = tuple(f.name for f in fields(ChatRequest) if f.name not in ("model", "messages"))


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """Thinking text: recorded, shown apart, never part of the answer."""

    text: str


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Token usage as the provider reported it. input_tokens includes cached reads/writes."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Finish:
    reason: str


StreamEvent = TextDelta | ReasoningDelta | UsageReport | Finish


@dataclass
class ProviderError(Exception):
    """A failed call, with what the runner needs to decide on a retry."""

    message: str
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None
    code: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class Provider:
    """Base adapter. Subclasses set ``kind`` and implement ``stream``."""

    kind: ClassVar[str] = ""
    needs_key: ClassVar[bool] = True

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.name = config.name

    @property
    def base_url(self) -> str:
        return self.config.resolved_base_url()

    def api_key(self) -> str | None:
        """The key from the environment. One holding a control character is refused (a CR/LF
        would put a header of its own on the wire): ProviderError, before any request."""
        key = self.config.api_key()
        if key is not None and _CONTROL.search(key):
            raise ProviderError(
                f"{self.config.api_key_env} contains a control character", code="bad_key"
            )
        return key

    def missing_key_error(self) -> ProviderError | None:
        """Why this provider cannot be called now: its key is missing or unusable."""
        try:
            key = self.api_key()
        except ProviderError as exc:
            return exc
        if self.needs_key and self.config.api_key_env and not key:
            return ProviderError(
                f"no API key: set {self.config.api_key_env} in the environment",
                code="missing_key",
            )
        return None

    def endpoint(self, request: ChatRequest) -> str:
        raise NotImplementedError

    def body(self, request: ChatRequest) -> dict[str, Any]:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        return {}

    def describe(self, request: ChatRequest) -> dict[str, Any]:
        """The request as it goes on the wire, with no secret in it (for the store and views)."""
        return {"url": self.endpoint(request), "body": self.body(request)}

    def new_decoder(self) -> Any:
        """The framing of this protocol's stream: SSE unless a subclass says otherwise."""
        from playground.core.providers.framing import SSEDecoder

        return SSEDecoder()

    def parse(self, item: Any, state: dict[str, Any]) -> list[StreamEvent]:
        """Events in one decoded frame (or line); ``state`` lives for one stream."""
        raise NotImplementedError

    async def stream(
        self, client: httpx.AsyncClient, request: ChatRequest, raw: list[Any] | None = None
    ) -> AsyncIterator[StreamEvent]:
        """POST the request, decode the framing as bytes arrive, parse each frame to events.
        ``raw`` (when given) receives the response as it came: status, headers, body bytes."""
        decoder = self.new_decoder()
        parse = self.parse
        state: dict[str, Any] = {}
        async for chunk in post_stream(
            client, self.endpoint(request), self.body(request), self.headers(), raw
        ):
            for item in decoder.feed(chunk):
                for event in parse(item, state):
                    yield event
        for item in decoder.close():
            for event in parse(item, state):
                yield event

    async def list_models(self, client: httpx.AsyncClient) -> list[str]:
        """What can be run: the server's list when it has one (remembered, see
        ``model_list``), else the configured models."""
        from playground.core.providers.model_list import listed_models

        return (await listed_models(self, client)).models

    async def server_models(self, client: httpx.AsyncClient) -> list[str] | None:
        """The models the server lists now; None when it has no list (or did not answer)."""
        return None

    async def check_ready(self, client: httpx.AsyncClient) -> tuple[bool, str]:
        """(ready, why not). Remote APIs are ready when their key is present."""
        err = self.missing_key_error()
        if err:
            return False, err.message if err.code == "bad_key" else f"set {self.config.api_key_env}"
        return True, "key present" if self.config.api_key_env else "ready"


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """retry-after-ms, or retry-after in seconds or as an HTTP date; only 0..60 s counts."""
    value: float | None = None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000
        except ValueError:
            value = None
    if value is None and (ra := headers.get("retry-after")):
        try:
            value = float(ra)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(ra)
                value = when.timestamp() - time.time()
            except (TypeError, ValueError):
                value = None
    if value is not None and 0 <= value <= 60:
        return value
    return None


def error_from_status(status: int, body: bytes, headers: httpx.Headers) -> ProviderError:
    """Turn an HTTP error response into a ProviderError with a one-line message."""
    import json

    message = ""
    code = None
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]  # Gemini without alt=sse answers with a JSON array
    err: Any = None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            message = str(err.get("message") or "")
            code = err.get("code") or err.get("type") or err.get("status")
            code = str(code) if code is not None else None
        elif isinstance(err, str):
            message = err
    if not message:
        message = body.decode("utf-8", "replace").strip()[:200] or httpx.codes.get_reason_phrase(
            status
        )
    retryable = status in RETRYABLE_STATUS or status >= 500
    if code == "insufficient_quota":
        retryable = False
    hint = {
        401: " (check the API key)",
        403: " (check the API key's permissions)",
        404: " (check the model name)",
    }.get(status, "")
    retry_after = parse_retry_after(headers)
    if retry_after is None and isinstance(err, dict):
        retry_after = _retry_info(err)
    return ProviderError(
        f"HTTP {status}: {one_line(message)}{hint}",
        status=status,
        retryable=retryable,
        retry_after=retry_after,
        code=code,
    )


def _retry_info(err: dict[str, Any]) -> float | None:
    """Gemini's wait hint: details[].retryDelay ("30s") of a google.rpc.RetryInfo."""
    for detail in err.get("details") or ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = str(detail.get("retryDelay", "")).strip()
            try:
                value = float(delay.removesuffix("s"))
            except ValueError:
                return None
            return value if 0 <= value <= 60 else None
    return None


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.lru_cache(maxsize=64)
def _parsed(url: str) -> httpx.URL:
    """An endpoint parsed once, not once per request (httpx copies a URL it is given, cheaply,
    where it parses a string: IDNA, quoting, an IP check)."""
    return httpx.URL(url)


async def post_stream(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    raw: list[Any] | None = None,
) -> AsyncIterator[bytes]:
    """POST and yield raw body bytes; an HTTP error status becomes a ProviderError.
    ``raw`` receives the status line and headers (str), then every body chunk (bytes)."""
    async with client.stream("POST", _parsed(url), json=body, headers=headers) as response:
        if raw is not None:
            raw.append(status_and_headers(response))
        if response.status_code >= 400:
            content = await response.aread()
            if raw is not None:
                raw.append(content)
            raise error_from_status(response.status_code, content, response.headers)
        if "text/html" in response.headers.get("content-type", ""):
            raise ProviderError(
                f"{url} answered with a web page, not a stream (check base_url)", code="html"
            )
        if raw is None:
            async for chunk in response.aiter_bytes():
                yield chunk
        else:
            keep = raw.append
            async for chunk in response.aiter_bytes():
                keep(chunk)
                yield chunk


RAW_LIMIT = 256 * 1024  # bytes of a response kept for the inspect view; more is cut


def status_and_headers(response: httpx.Response) -> str:
    """The response's status line and headers as they read on the wire (credential-like
    headers hidden by name)."""
    from playground.core.secrets import REDACTED, is_secret_name

    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}".rstrip()]
    for name, value in response.headers.items():
        lines.append(f"{name}: {REDACTED if is_secret_name(name) else value}")
    return "\n".join(lines) + "\n\n"


def raw_text(parts: list[Any]) -> str:
    """What a ``raw`` sink collected, as text, cut at RAW_LIMIT bytes of body."""
    head = "".join(p for p in parts if isinstance(p, str))
    body = b"".join(p for p in parts if isinstance(p, bytes))
    cut = len(body) > RAW_LIMIT
    text = body[:RAW_LIMIT].decode("utf-8", "replace")
    return head + text + (f"\n… ({len(body) - RAW_LIMIT} more bytes not kept)" if cut else "")


def loads_frame(data: str) -> Any:
    """Parse one JSON frame; a malformed one is an error that keeps what came before."""
    import json

    try:
        return json.loads(data)
    except ValueError:
        raise ProviderError(
            f"malformed data from server: {one_line(data, 80)!r}", code="malformed"
        ) from None
