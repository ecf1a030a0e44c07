"""What a test scripts (Reply) and what the server records (RecordedRequest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_TEXT = "Hello from the loopback server, streaming one word at a time."


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
