"""Token counting per model: exact for OpenAI models, a marked estimate for everyone else.

OpenAI models are counted with tiktoken and the two vocabularies that ship in
``playground/core/encodings`` (checked against their SHA-256 on load), so counting never
touches the network and never reads or writes tiktoken's download cache. Chat input is
counted the way OpenAI publishes it (the cookbook's ``num_tokens_from_messages``): 3 tokens
per message plus its role and content (plus 1 for a name), plus 3 that prime the reply.

Other providers tokenize differently and publish no offline tokenizer, so their count is the
same formula over ``o200k_base`` and flagged ``exact=False``; the estimator corrects it with
what the provider reported on earlier runs. Functions here return that raw, uncorrected count
(the runner stores it as ``estimated_input_tokens`` to calibrate against).

Long prompts are counted in chunks cut only where tiktoken's pre-tokenizer can never join the
two sides (see ``safe_boundaries``), so the sum of the chunk counts equals one full encode and
an edit re-encodes only the chunk around it (``IncrementalCounter``).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from playground.core.template import Message

if TYPE_CHECKING:
    import tiktoken

ENCODINGS_DIR = Path(__file__).parent / "encodings"

# The pattern and special tokens are tiktoken's own (tiktoken_ext/openai_public.py); a test
# checks they still equal what tiktoken builds from the same files.
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@dataclass(frozen=True)
class EncodingSpec:
    name: str
    sha256: str
    pat_str: str
    special_tokens: dict[str, int]

    @property
    def path(self) -> Path:
        return ENCODINGS_DIR / f"{self.name}.tiktoken"


SPECS: dict[str, EncodingSpec] = {
    "cl100k_base": EncodingSpec(
        "cl100k_base",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        _CL100K_PAT,
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
    "o200k_base": EncodingSpec(
        "o200k_base",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        _O200K_PAT,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
}

ESTIMATE_ENCODING = "o200k_base"  # what non-OpenAI models are estimated with
TOKENS_PER_MESSAGE = 3  # <|start|>{role}<|message|>...<|end|> around each message
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3  # <|start|>assistant<|message|>


class EncodingFileError(RuntimeError):
    """A bundled vocabulary is missing or does not match its published SHA-256."""


@dataclass(frozen=True)
class TokenCount:
    tokens: int
    exact: bool


_load_lock = threading.Lock()
_loaded: dict[str, tiktoken.Encoding] = {}


def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken Encoding built from the bundled file; loaded once, thread-safe, offline."""
    enc = _loaded.get(name)
    if enc is not None:
        return enc
    with _load_lock:
        enc = _loaded.get(name)
        if enc is None:
            enc = _loaded[name] = _build(SPECS[name])
    return enc


def _build(spec: EncodingSpec) -> tiktoken.Encoding:
    from playground.core.bpe import BundledEncoding, parse_ranks

    try:
        data = spec.path.read_bytes()
    except OSError as exc:
        raise EncodingFileError(f"cannot read {spec.path}: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise EncodingFileError(f"{spec.path}: SHA-256 {digest} is not {spec.sha256}")
    ranks = parse_ranks(data)  # "<base64 token> <rank>" per line
    del data  # freed before the Rust core makes its copies: a lower peak
    return BundledEncoding(
        get_encoding,
        name=spec.name,
        pat_str=spec.pat_str,
        mergeable_ranks=ranks,
        special_tokens=dict(spec.special_tokens),
    )


def preload(names: Iterable[str] = ("o200k_base", "cl100k_base")) -> None:
    """Load the vocabularies ahead of time (a front end may do this in a background thread)."""
    for name in names:
        get_encoding(name)


# -- which encoding, and is it exact -----------------------------------------------------------


def openai_encoding_name(model: str) -> str | None:
    """The bundled encoding OpenAI uses for this model name, or None if it is not one of them."""
    from tiktoken.model import encoding_name_for_model

    try:
        name = encoding_name_for_model(model)
    except KeyError:
        return None
    return name if name in SPECS else None


def encoding_for(model_id: str) -> tuple[str, bool]:
    """(encoding name, exact) for a ``provider:model`` id.

    Exact only for the ``openai`` provider and a model tiktoken knows. OpenRouter's
    ``openai/...`` models use the matching encoding but stay marked as estimates: the count
    the router reports is its own business.
    """
    provider, _, model = model_id.partition(":")
    if not model:
        return ESTIMATE_ENCODING, False
    if provider == "openai":
        name = openai_encoding_name(model)
        if name:
            return name, True
    if provider == "openrouter" and model.startswith("openai/"):
        name = openai_encoding_name(model.removeprefix("openai/"))
        if name:
            return name, False
    return ESTIMATE_ENCODING, False


# -- chunking at pre-tokenizer boundaries -----------------------------------------------------

# Positions no pre-tokenizer piece of cl100k_base or o200k_base ever spans, and where cutting
# the text cannot change how either side splits:
#   * between an ASCII letter and a space that is followed by an ASCII letter ("word| word"):
#     word pieces take an optional non-letter prefix only at their start, and nothing else
#     holds both a letter and a space;
#   * after a newline, before an ASCII letter or digit ("\n|x"): no piece holds a newline
#     followed by a letter or digit (punctuation pieces may take newlines and "/" after
#     them, whitespace pieces hold only whitespace, word prefixes exclude \r and \n).
# tests/test_tokens_incremental.py checks the claim against full encodes on random edits.
_BOUNDARY = re.compile(r"(?<=[A-Za-z])(?= [A-Za-z])|(?<=\n)(?=[A-Za-z0-9])")
CHUNK_CHARS = 2048  # aim: ~500 tokens a chunk, so a one-character edit re-encodes ~500 tokens


def is_boundary(text: str, pos: int) -> bool:
    return 0 < pos < len(text) and _BOUNDARY.match(text, pos) is not None


def safe_boundaries(
    text: str, start: int = 0, end: int | None = None, chunk_chars: int = CHUNK_CHARS
) -> list[int]:
    """Cut points in (start, end), about ``chunk_chars`` apart, all at safe boundaries."""
    end = len(text) if end is None else end
    cuts: list[int] = []
    pos = start + chunk_chars
    search = _BOUNDARY.search
    while pos < end - chunk_chars // 4:  # no tiny last chunk
        m = search(text, pos, end)
        if m is None:
            break
        cuts.append(m.start())
        pos = m.start() + chunk_chars
    return cuts


def split_chunks(text: str) -> list[str]:
    bounds = [0, *safe_boundaries(text), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


class IncrementalCounter:
    """The token count of one text slot (a message) under one encoding, kept across edits.

    ``prepare(new_text)`` finds the chunks that changed (by comparing chunk by chunk from both
    ends, no full diff) and returns the texts that need encoding; ``commit(counts)`` stores
    their counts. ``count(text)`` does both. The chunk boundaries are re-checked where the edit
    touches them, so the total always equals ``len(encode_ordinary(text))``.
    """

    def __init__(self, encoding: str, chunk_chars: int = CHUNK_CHARS) -> None:
        self.encoding = encoding
        self.chunk_chars = chunk_chars
        self.text = ""
        self.starts: list[int] = []  # start offset of each chunk
        self.chunks: list[str] = []
        self.counts: list[int] = []
        self.total = 0
        self._pending: tuple[str, int, int, list[int], list[str]] | None = None

    def prepare(self, text: str) -> list[str]:
        """The chunk texts still to encode for ``text`` (empty when nothing changed)."""
        if text == self.text and self._pending is None:
            return []
        old, chunks, starts = self.text, self.chunks, self.starts
        n = len(chunks)
        delta = len(text) - len(old)
        # chunks unchanged in place, from the front
        a = 0
        while a < n and text.startswith(chunks[a], starts[a]):
            a += 1
        # chunks unchanged at their shifted place, from the back (not overlapping the front)
        front_end = starts[a] if a < n else len(old)
        b = n - 1
        while (
            b >= a
            and starts[b] + delta >= front_end
            and text.startswith(chunks[b], starts[b] + delta)
        ):
            b -= 1

        # widen until both ends of the changed region are still safe cut points in the new text
        def start_of(i: int) -> int:
            return starts[i] if i < n else len(old)

        while a > 0 and not is_boundary(text, start_of(a)):
            a -= 1
        while b + 1 < n and not is_boundary(text, starts[b + 1] + delta):
            b += 1
        lo = start_of(a)
        hi = start_of(b + 1) + delta
        cuts = safe_boundaries(text, lo, hi, self.chunk_chars)
        bounds = [lo, *cuts, hi] if hi > lo else [lo]
        new_starts = bounds[:-1]
        new_chunks = [text[x:y] for x, y in itertools.pairwise(bounds)]
        self._pending = (text, a, b, new_starts, new_chunks)
        return new_chunks

    def commit(self, counts: Sequence[int]) -> int:
        """Store the counts of the chunks ``prepare`` returned; the new total."""
        if self._pending is None:
            return self.total
        text, a, b, new_starts, new_chunks = self._pending
        delta = len(text) - len(self.text)
        self.starts = [
            *self.starts[:a],
            *new_starts,
            *(s + delta for s in self.starts[b + 1 :]),
        ]
        self.chunks = [*self.chunks[:a], *new_chunks, *self.chunks[b + 1 :]]
        self.counts = [*self.counts[:a], *counts, *self.counts[b + 1 :]]
        self.text = text
        self.total = sum(self.counts)
        self._pending = None
        return self.total

    def count(self, text: str) -> int:
        pending = self.prepare(text)
        enc = get_encoding(self.encoding)
        return self.commit([len(enc.encode_ordinary(c)) for c in pending])


# -- plain counting (the runner's API) --------------------------------------------------------

_text_cache: OrderedDict[tuple[str, str], int] = OrderedDict()
_cache_lock = threading.Lock()
_cache_chars = 0
CACHE_CHARS = 8_000_000  # the texts kept as keys, in total (a few long prompts' worth)


def encode_count(encoding: str, text: str) -> int:
    """Tokens in ``text`` under ``encoding`` (ordinary text: special tokens count as text)."""
    global _cache_chars
    if not text:
        return 0
    key = (encoding, text)
    with _cache_lock:
        hit = _text_cache.get(key)
        if hit is not None:
            _text_cache.move_to_end(key)
            return hit
    enc = get_encoding(encoding)
    n = sum(len(enc.encode_ordinary(c)) for c in split_chunks(text))
    if len(text) <= CACHE_CHARS // 4:
        with _cache_lock:
            if key not in _text_cache:
                _text_cache[key] = n
                _cache_chars += len(text)
            while _cache_chars > CACHE_CHARS:
                (_, old), _count = _text_cache.popitem(last=False)
                _cache_chars -= len(old)
    return n


def chat_framing(encoding: str, messages: Sequence[Message]) -> int:
    """Every token of a chat request except the message contents."""
    total = REPLY_PRIMING
    for m in messages:
        total += TOKENS_PER_MESSAGE + encode_count(encoding, m.role)
        name = getattr(m, "name", None)
        if name:
            total += TOKENS_PER_NAME + encode_count(encoding, name)
    return total


def count_text(model_id: str, text: str) -> TokenCount:
    """Tokens in a bare text (an output, say) for this model."""
    encoding, exact = encoding_for(model_id)
    return TokenCount(encode_count(encoding, text), exact)


def count_messages(model_id: str, messages: Sequence[Message]) -> TokenCount:
    """Input tokens of a chat request, as OpenAI counts them (exact=False off OpenAI)."""
    encoding, exact = encoding_for(model_id)
    n = chat_framing(encoding, messages) + sum(encode_count(encoding, m.content) for m in messages)
    return TokenCount(n, exact)
