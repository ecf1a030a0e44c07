"""Each batch API's size limits, and cutting a stream of encoded requests to fit them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The most requests and bytes one job may hold. Tests pass small ones."""

    max_requests: int
    max_bytes: int


OPENAI = Limits(50_000, 200 * MB)  # per input file (one model per file)
ANTHROPIC = Limits(100_000, 256 * MB)  # per Message Batch


class TooLarge(Exception):
    """One request alone is over the byte limit: it cannot go in any job."""


def split(
    items: Iterable[tuple[str, bytes]], limits: Limits, overhead: int = 1
) -> Iterator[list[tuple[str, bytes]]]:
    """Consecutive groups of (custom_id, encoded request) within the limits; ``overhead``
    bytes are counted per item (a newline, a comma). An item that alone is over the byte limit
    is yielded as a group of its own for the caller to refuse (see ``fits``)."""
    group: list[tuple[str, bytes]] = []
    size = 0
    for item in items:
        n = len(item[1]) + overhead
        if group and (len(group) >= limits.max_requests or size + n > limits.max_bytes):
            yield group
            group, size = [], 0
        group.append(item)
        size += n
    if group:
        yield group


def fits(group: list[tuple[str, bytes]], limits: Limits, overhead: int = 1) -> bool:
    return sum(len(b) + overhead for _, b in group) <= limits.max_bytes
