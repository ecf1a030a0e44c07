"""A bundled tiktoken vocabulary held once in memory.

tiktoken's ``Encoding`` keeps the Python dict it was built from (``_mergeable_ranks``) beside
the Rust core's own copies, only to pickle itself: for ``o200k_base`` that dict is ~25 MB of
a run's peak. ``BundledEncoding`` drops it once the core is built and pickles by name (the
file is bundled, so the name is enough). ``parse_ranks`` reads the file a block at a time, so
the split fields of the whole file (~25 MB more) never exist at once.
"""

from __future__ import annotations

from binascii import a2b_base64
from collections.abc import Callable
from typing import Any

import tiktoken

BLOCK_BYTES = 1 << 18  # ~5,000 lines of "<base64 token> <rank>" per split


def parse_ranks(data: bytes, block: int = BLOCK_BYTES) -> dict[bytes, int]:
    """``{token bytes: rank}`` from a .tiktoken file's contents, the same as splitting it whole."""
    ranks: dict[bytes, int] = {}
    start, size = 0, len(data)
    while start < size:
        end = data.find(b"\n", min(start + block, size))
        end = size if end < 0 else end + 1
        fields = data[start:end].split()
        ranks.update(zip(map(a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
        start = end
    return ranks


class BundledEncoding(tiktoken.Encoding):
    """An Encoding whose vocabulary lives only in its Rust core; ``load(name)`` (a module-level
    function) gives it back when unpickled."""

    def __init__(self, load: Callable[[str], tiktoken.Encoding], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        del self._mergeable_ranks  # the core holds its own copies; tiktoken kept this to pickle
        self._load = load

    def __reduce__(self) -> tuple[Callable[[str], tiktoken.Encoding], tuple[str]]:
        return self._load, (self.name,)
