"""Word and line diffs between two outputs, as spans a front end can colour.

Word diffs go line-first: lines that match are kept whole, and only the blocks of lines that
differ are compared word by word. That keeps long, mostly similar answers fast (difflib's
matcher is quadratic in the worst case) and the result readable. Whitespace rides along with
the word after it and never counts as a change on its own.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["equal", "insert", "delete"]

# difflib's work grows with the pairs of equal words across the two sides; past this many
# pairs (about 0.2 s at worst), very common words are skipped (autojunk) to stay interactive
EXACT_LIMIT = 1_000_000

# a word is a number ("0.7", "1,000"), a run of word characters or a run of punctuation, with
# the whitespace before it
_TOKEN = re.compile(r"\s*(?:\w+(?:[.,]\d+)+|\w+|[^\w\s]+)|\s+$", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of text that is in both sides (equal), only in the right (insert) or left (delete)."""

    op: Op
    text: str


@dataclass(frozen=True, slots=True)
class DiffStats:
    """How much changed, counted in words (word mode) or lines (line mode)."""

    inserted: int
    deleted: int
    equal: int

    @property
    def identical(self) -> bool:
        return not self.inserted and not self.deleted


def tokenize(text: str) -> list[str]:
    """Split text into words and punctuation, each keeping the whitespace before it."""
    return _TOKEN.findall(text)


def _key(token: str) -> str:
    return token.strip()


def _merge(spans: list[Span]) -> list[Span]:
    """Join neighbours with the same op; drop empty spans."""
    out: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        if out and out[-1].op == span.op:
            out[-1] = Span(span.op, out[-1].text + span.text)
        else:
            out.append(span)
    return out


def _pairs(a: list[str], b: list[str]) -> int:
    """How many (i, j) with a[i] == b[j]: the cost of an exact match."""
    cb = Counter(b)
    return sum(cb[k] * n for k, n in Counter(a).items())


def _word_block(a: str, b: str) -> list[Span]:
    """Word-level diff of two blocks of text; equal words take the right side's spacing."""
    la, lb = a.splitlines(keepends=True), b.splitlines(keepends=True)
    if len(la) == len(lb) > 1:  # the same lines, each edited: pair them up, keeps blocks small
        return [span for x, y in zip(la, lb, strict=True) for span in _word_block(x, y)]
    ta, tb = tokenize(a), tokenize(b)
    ka, kb = [_key(t) for t in ta], [_key(t) for t in tb]
    matcher = SequenceMatcher(None, ka, kb, autojunk=_pairs(ka, kb) > EXACT_LIMIT)
    spans: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans.append(Span("equal", "".join(tb[j1:j2])))
            continue
        if i2 > i1:
            spans.append(Span("delete", "".join(ta[i1:i2])))
        if j2 > j1:
            spans.append(Span("insert", "".join(tb[j1:j2])))
    return spans


def word_diff(left: str, right: str) -> list[Span]:
    """Spans that turn ``left`` into ``right``, word by word; their texts interleave both sides."""
    la, lb = left.splitlines(keepends=True), right.splitlines(keepends=True)
    matcher = SequenceMatcher(None, la, lb, autojunk=False)
    spans: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans.append(Span("equal", "".join(lb[j1:j2])))
        else:
            spans.extend(_word_block("".join(la[i1:i2]), "".join(lb[j1:j2])))
    return _merge(spans)


def line_diff(left: str, right: str) -> list[Span]:
    """One span per line (without its newline): kept, added or removed."""
    la, lb = left.splitlines(), right.splitlines()
    matcher = SequenceMatcher(None, la, lb, autojunk=False)
    spans: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans.extend(Span("equal", line) for line in lb[j1:j2])
            continue
        spans.extend(Span("delete", line) for line in la[i1:i2])
        spans.extend(Span("insert", line) for line in lb[j1:j2])
    return spans


def stats(spans: list[Span], *, lines: bool = False) -> DiffStats:
    """Count changed words (or lines, for a line diff)."""
    counts = {"equal": 0, "insert": 0, "delete": 0}
    for span in spans:
        counts[span.op] += 1 if lines else len(span.text.split())
    return DiffStats(counts["insert"], counts["delete"], counts["equal"])


def side(spans: list[Span], which: Literal["left", "right"]) -> str:
    """Rebuild one side from word-diff spans (the right exactly; the left up to spacing)."""
    drop = "insert" if which == "left" else "delete"
    return "".join(s.text for s in spans if s.op != drop)


Row = tuple[list[Span] | None, list[Span] | None]


def side_by_side(left: str, right: str, *, words: bool = True) -> list[Row]:
    """Both texts line by line, aligned by difflib's line opcodes: (left spans, right spans)
    per row, None where a side has no line. Lines that changed are paired up and, with
    ``words``, compared word by word (the left keeps deletes, the right inserts); each side's
    text is exactly its own, spacing included."""
    la, lb = left.splitlines(), right.splitlines()
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [
                ([Span("equal", a)], [Span("equal", b)])
                for a, b in zip(la[i1:i2], lb[j1:j2], strict=True)
            ]
            continue
        a_lines, b_lines = la[i1:i2], lb[j1:j2]
        for k in range(max(len(a_lines), len(b_lines))):
            a = a_lines[k] if k < len(a_lines) else None
            b = b_lines[k] if k < len(b_lines) else None
            if a is not None and b is not None and words:
                rows.append(_word_pair(a, b))
            else:
                rows.append(
                    (
                        None if a is None else [Span("delete", a)],
                        None if b is None else [Span("insert", b)],
                    )
                )
    return rows


def _word_pair(a: str, b: str) -> Row:
    """One changed line and its counterpart, word by word, each side with its own text."""
    ta, tb = tokenize(a), tokenize(b)
    ka, kb = [_key(t) for t in ta], [_key(t) for t in tb]
    matcher = SequenceMatcher(None, ka, kb, autojunk=_pairs(ka, kb) > EXACT_LIMIT)
    left: list[Span] = []
    right: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        kept = tag == "equal"
        left.append(Span("equal" if kept else "delete", "".join(ta[i1:i2])))
        right.append(Span("equal" if kept else "insert", "".join(tb[j1:j2])))
    return _merge(left) or [Span("equal", "")], _merge(right) or [Span("equal", "")]
