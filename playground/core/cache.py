"""The response cache: the identity of a call (its key) and answering a cell from a hit."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playground.core.model import CellResult
    from playground.core.template import Message


def cache_key(
    provider: str,
    endpoint: str,
    model: str,
    messages: Sequence[Message],
    params: dict[str, Any],
    sample: int,
) -> str:
    """Identity of a call for the response cache: same key, same question."""
    payload = {
        "provider": provider,
        "endpoint": endpoint,
        "model": model,
        "messages": [_message_dict(m) for m in messages],
        "params": params,
        "sample": sample,
    }
    return hashlib.sha256(_ENCODER.encode(payload).encode()).hexdigest()


# json.dumps(payload, sort_keys=True, ensure_ascii=False), without making an encoder per call
# (a run asks for a key per cell, on the event loop)
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


class CallKeys:
    """``cache_key`` for the calls of one run, which share their messages, byte for byte the
    same: the messages are encoded once, a model's text up to the sample (its JSON keys sort
    before "sample") is hashed once per model and temperature, and each call hashes only its
    sample. A run asks for a key per cell on the event loop: 24 cells of a short prompt took
    0.27 ms in place, and a long prompt was encoded and hashed again for every cell."""

    def __init__(self, messages: Sequence[Message]) -> None:
        self._messages = _ENCODER.encode([_message_dict(m) for m in messages])

    def prefix(self, provider: str, endpoint: str, model: str, params: dict[str, Any]) -> Any:
        """The hash of a call's key up to its sample (give it to ``key``)."""
        text = (
            f'{{"endpoint": {_ENCODER.encode(endpoint)}, "messages": {self._messages}, '
            f'"model": {_ENCODER.encode(model)}, "params": {_ENCODER.encode(params)}, '
            f'"provider": {_ENCODER.encode(provider)}, "sample": '
        )
        return hashlib.sha256(text.encode())

    def key(self, prefix: Any, sample: int) -> str:
        whole = prefix.copy()
        whole.update(f"{_ENCODER.encode(sample)}}}".encode())
        return str(whole.hexdigest())


def _message_dict(message: Message) -> dict[str, Any]:
    """``asdict(message)`` for a message of plain strings (all of them), without its deep copy."""
    role, content = message.role, message.content
    if type(role) is str and type(content) is str and len(message.__dataclass_fields__) == 2:
        return {"role": role, "content": content}
    return asdict(message)


# the fields a cache hit carries onto the new cell (its own timings and cost are its own)
HIT_FIELDS = (
    "output",
    "reasoning",
    "finish_reason",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "usage_source",
)


def apply_hit(result: CellResult, hit: dict[str, Any], priced: bool) -> None:
    """Answer the cell from the cache: the hit's text and usage, answered now (its own tiny
    timings, not the original call's), free unless the model is unpriced (null, never $0)."""
    for name in HIT_FIELDS:
        if name in hit:
            setattr(result, name, hit[name])
    result.cached = True
    elapsed = (time.time() - result.started_at) * 1000 if result.started_at else 0.0
    result.ttft_ms = result.latency_ms = round(elapsed, 1)
    result.cost_usd = 0.0 if priced else None
    result.status = "ok"
