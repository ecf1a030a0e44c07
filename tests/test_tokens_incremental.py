"""Chunked and incremental counts are exact: they equal one full tiktoken encode, always.

tiktoken splits text into pieces with a regex before BPE, so a count can only be reused
across a cut that no piece spans. These properties check our cut points against full
encodes on random texts and random edit sequences, in both encodings, with tiny chunks so
that every edit lands near a cut.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.core import tokens

ENCODINGS = ("cl100k_base", "o200k_base")

# Characters chosen to sit on either side of every alternative of both pre-tokenizer
# patterns: letters of each case, digits, spaces, newlines, \r, tabs, apostrophes
# (contractions), slashes (o200k's punctuation tail), punctuation, non-ASCII letters,
# a combining mark, CJK, an emoji, a no-break space and a few whole words.
ATOMS = [
    *"aAzZ09 \n\r\t'/.,!?-_:é日\u0301\u00a0🦦",
    " the",
    "The ",
    "don't",
    "'s",
    "\n\n",
    "  ",
    "123456",
    "http://a.b/c",
    " \n",
    "!\n/",
    "\nx",
    "x y",
]
text_st = st.lists(st.sampled_from(ATOMS), max_size=120).map("".join)
edit_st = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.floats(0, 1),
    st.lists(st.sampled_from(ATOMS), min_size=1, max_size=3).map("".join),
    st.integers(1, 6),
)


def full(encoding: str, text: str) -> int:
    return len(tokens.get_encoding(encoding).encode_ordinary(text))


def apply(text: str, edit: tuple[str, float, str, int]) -> str:
    op, where, piece, width = edit
    pos = round(where * len(text))
    if op == "insert":
        return text[:pos] + piece + text[pos:]
    if op == "delete":
        return text[:pos] + text[pos + width :]
    return text[:pos] + piece + text[pos + width :]


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=text_st, chunk=st.integers(1, 24))
def test_chunked_counts_equal_a_full_encode(text: str, chunk: int) -> None:
    cuts = tokens.safe_boundaries(text, chunk_chars=chunk)
    bounds = [0, *cuts, len(text)]
    for encoding in ENCODINGS:
        enc = tokens.get_encoding(encoding)
        parts = sum(len(enc.encode_ordinary(text[a:b])) for a, b in itertools.pairwise(bounds))
        assert parts == full(encoding, text)


@settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(start=text_st, edits=st.lists(edit_st, min_size=1, max_size=12), chunk=st.integers(1, 16))
def test_incremental_counts_equal_a_full_encode_after_every_edit(
    start: str, edits: list[tuple[str, float, str, int]], chunk: int
) -> None:
    counters = {e: tokens.IncrementalCounter(e, chunk_chars=chunk) for e in ENCODINGS}
    text = start
    for step in [None, *edits]:
        if step is not None:
            text = apply(text, step)
        for encoding, counter in counters.items():
            assert counter.count(text) == full(encoding, text), (encoding, text)
            assert "".join(counter.chunks) == text


def test_a_one_character_edit_in_a_long_prompt_re_encodes_one_small_region() -> None:
    paragraph = (
        "The otter is a semiaquatic mammal. It eats fish, crabs and frogs; "
        "it's playful and doesn't mind the cold.\n"
    )
    text = paragraph * 4000  # ~440k characters, ~100k tokens
    counter = tokens.IncrementalCounter("o200k_base")
    assert counter.count(text) == full("o200k_base", text)
    middle = len(text) // 2
    edited = text[:middle] + "x" + text[middle:]
    pending = counter.prepare(edited)
    assert sum(map(len, pending)) <= 3 * tokens.CHUNK_CHARS  # not the whole prompt
    counter.commit([full("o200k_base", p) for p in pending])
    assert counter.total == full("o200k_base", edited)


def test_text_without_any_safe_cut_is_still_counted_exactly() -> None:
    blob = "é" * 5000 + "/" * 3000 + "日本" * 2000  # no ASCII word or line starts
    counter = tokens.IncrementalCounter("cl100k_base")
    assert counter.count(blob) == full("cl100k_base", blob)
    assert counter.count(blob[:-1]) == full("cl100k_base", blob[:-1])
