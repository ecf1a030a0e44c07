"""The raw response as the store keeps it: zstd-compressed (``responses.raw_response_zst``).

A streamed response is mostly the same JSON frame again and again: a 24-cell run's 1.5 MB of
server-sent events is about 30 KB compressed, and writing it uncompressed was most of what
recording a run cost (bench_store.py part 3). Rows written before m009 keep the plain
``raw_response`` column; reading a row (store._response) gives either as ``raw_response``.
"""

from __future__ import annotations

import threading

LEVEL = 3  # zstd's default: on SSE as fast as level 1, and smaller
_local = threading.local()  # a compressor per thread (one may not be shared between threads)


def pack(text: str | None) -> bytes | None:
    """``text`` (keys already hidden) compressed; None for no text."""
    if not text:
        return None
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        import zstandard

        compressor = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return compressor.compress(text.encode("utf-8", "surrogatepass"))


def unpack(packed: bytes) -> str:
    """What ``pack`` gave back as text."""
    import zstandard

    data = zstandard.ZstdDecompressor().decompress(packed)
    return data.decode("utf-8", "surrogatepass")
