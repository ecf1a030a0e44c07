"""What every provider's batch API offers the rest of playground, in one shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from playground.core.batch.limits import Limits
from playground.core.batch.wire import BatchHTTP
from playground.core.providers.base import ChatRequest, Provider


@dataclass
class JobStatus:
    """A job as the provider last described it."""

    job_id: str
    state: str  # the provider's own word: in_progress, completed, ended, expired, ...
    done: bool  # it will change no more: results (if any) can be collected
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    finished: int = 0  # requests that ended one way or another
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results_url: str | None = None
    problem: str | None = None  # why the whole job failed (an invalid input file, ...)


@dataclass
class Outcome:
    """One request's result, as the responses columns it fills."""

    ok: bool
    output: str = ""
    reasoning: str = ""
    error: str | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0


class BadLine(ValueError):
    """A results line that is not what the API documents (truncated, not JSON)."""


class BatchAPI:
    """Base: the HTTP plumbing; subclasses speak one provider's batch endpoints."""

    kind: ClassVar[str] = ""
    limits: ClassVar[Limits]
    overhead: ClassVar[int] = 1  # bytes counted per request beside its encoding
    one_model_per_job: ClassVar[bool] = False

    def __init__(self, provider: Provider, client: httpx.AsyncClient, settings: Any) -> None:
        self.provider = provider
        self.http = BatchHTTP(provider, client, settings)
        self._params: dict[ChatRequest, bytes] = {}

    def params_json(self, request: ChatRequest) -> bytes:
        """``params`` as JSON, encoded once per distinct request (a sweep's repeats share one:
        only their custom_ids differ)."""
        encoded = self._params.get(request)
        if encoded is None:
            encoded = self._params[request] = json.dumps(
                self.params(request), ensure_ascii=False, separators=(",", ":")
            ).encode()
        return encoded

    @property
    def base(self) -> str:
        return self.provider.base_url

    def params(self, request: ChatRequest) -> dict[str, Any]:
        """The provider's usual request body, without streaming."""
        body = self.provider.body(request)
        body.pop("stream", None)
        body.pop("stream_options", None)
        return body

    def encode(self, custom_id: str, request: ChatRequest) -> bytes:
        raise NotImplementedError

    async def submit(self, group: list[tuple[str, bytes]], metadata: dict[str, str]) -> JobStatus:
        raise NotImplementedError

    async def retrieve(self, job_id: str) -> JobStatus:
        raise NotImplementedError

    async def cancel(self, job_id: str) -> JobStatus:
        raise NotImplementedError

    def result_urls(self, status: JobStatus) -> list[str]:
        raise NotImplementedError

    def parse(self, line: bytes) -> tuple[str, Outcome]:
        """(custom_id, outcome) of one results line; BadLine when it cannot be read."""
        raise NotImplementedError


SPOOL = 8 * 1024 * 1024  # a request body bigger than this is written to disk, not held


def spool(group: list[tuple[str, bytes]], sep: bytes, head: bytes = b"", tail: bytes = b"") -> Any:
    """The group's encoded requests joined by ``sep`` between head and tail, in a temporary
    file (in memory up to SPOOL, then on disk); the caller closes it."""
    import tempfile

    fh = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (the caller closes it)
    fh.write(head)
    for i, (_, line) in enumerate(group):
        if i:
            fh.write(sep)
        fh.write(line)
    fh.write(tail)
    return fh


def loads(line: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except ValueError:
        raise BadLine(f"not JSON: {line[:60]!r}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("custom_id"), str):
        raise BadLine(f"no custom_id: {line[:60]!r}")
    return obj


def error_text(err: Any) -> str:
    """The provider's reason, in one line, from its error object (however nested)."""
    from playground.core.providers.base import one_line

    while isinstance(err, dict) and isinstance(err.get("error"), dict):
        err = err["error"]
    if isinstance(err, dict):
        kind = err.get("code") or err.get("type")
        message = err.get("message") or ""
        text = f"{kind}: {message}" if kind and message else str(kind or message or "error")
        return one_line(text)
    return one_line(str(err or "error"))
