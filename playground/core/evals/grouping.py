"""Stability: which outputs of one slot say the same thing.

Outputs are grouped in three passes, cheapest first: identical text; the same after folding
whitespace and case; then near-identical, a word-level similarity (rapidfuzz's normalised
Indel over word ids) at or above a threshold against each group's first member. Lengths,
and a small sketch of the words two texts share (bottom-k MinHash, with a wide margin),
rule most pairs out without comparing them word by word. 100 outputs of 4k
tokens group in well under a second (bench/bench_eval.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NEAR_THRESHOLD = 0.9


@dataclass
class Group:
    """Outputs that agree: their indexes (in input order); the first is the representative."""

    members: list[int]
    how: str  # identical | normalized | near

    @property
    def representative(self) -> int:
        return self.members[0]

    def __len__(self) -> int:
        return len(self.members)


@dataclass
class Stability:
    groups: list[Group]  # largest first (ties: first seen first)
    total: int

    @property
    def agree(self) -> int:
        """How many outputs are in the modal group ("4/5 agree")."""
        return len(self.groups[0]) if self.groups else 0

    @property
    def modal(self) -> int | None:
        return self.groups[0].representative if self.groups else None

    def odd_ones(self) -> list[int]:
        return [i for g in self.groups[1:] for i in g.members]

    def label(self) -> str:
        return f"{self.agree}/{self.total} agree"

    def group_of(self, index: int) -> int:
        for number, group in enumerate(self.groups):
            if index in group.members:
                return number
        raise IndexError(index)


def group_outputs(outputs: Sequence[str], threshold: float = NEAR_THRESHOLD) -> Stability:
    """Group outputs by agreement (see the module docstring)."""
    from rapidfuzz.distance import Indel

    exact: dict[str, list[int]] = {}
    for i, text in enumerate(outputs):
        exact.setdefault(text, []).append(i)
    folded: dict[str, list[list[int]]] = {}
    for text, members in exact.items():
        folded.setdefault(" ".join(text.casefold().split()), []).append(members)
    vocab: dict[str, int] = {}
    groups: list[Group] = []
    reps: list[_Text] = []  # each group's first text
    # Indel similarity s of two word sequences bounds the Jaccard of their word bags:
    # J >= s / (2 - s). A pair whose sketched Jaccard is well below that is not compared.
    need = threshold / (2 - threshold) - SKETCH_MARGIN
    for norm, parts in folded.items():
        members = sorted(i for part in parts for i in part)
        how = "identical" if len(parts) == 1 else "normalized"
        sketch = _Text(norm)
        home = None
        for gi, rep in enumerate(reps):
            total = sketch.n + rep.n
            if not total:
                home = gi
                break
            if 2 * min(sketch.n, rep.n) / total < threshold:
                continue  # the lengths alone rule it out
            if sketch.jaccard(rep) < need:
                continue  # too few words in common
            score = Indel.normalized_similarity(
                sketch.ids(vocab), rep.ids(vocab), score_cutoff=threshold
            )
            if score >= threshold:
                home = gi
                break
        if home is None:
            groups.append(Group(members, how))
            reps.append(sketch)
        else:
            group = groups[home]
            group.members = sorted(group.members + members)
            group.how = "near"
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), groups[g].members[0]))
    return Stability([groups[g] for g in order], len(outputs))


SKETCH = 256  # bottom-k sketch size: the Jaccard estimate's error is about 0.03 at worst
SKETCH_MARGIN = 0.15  # five times that: a pair that could reach the threshold is never skipped
_MASK = (1 << 64) - 1


class _Text:
    """A folded output: its words, a bottom-k sketch of its word bag, its word ids."""

    __slots__ = ("_ids", "n", "sketch", "sorted", "top", "words")

    def __init__(self, norm: str) -> None:
        import zlib
        from collections import Counter

        self.words = norm.split()
        self.n = len(self.words)
        hashes = []
        for word, count in Counter(self.words).items():
            h = (zlib.crc32(word.encode("utf-8", "surrogatepass")) * 0x9E3779B97F4A7C15) & _MASK
            hashes.append(h)  # the word's first occurrence; later ones hashed with their number
            if count > 1:
                hashes.extend(((h ^ (k * 0xBF58476D1CE4E5B9)) * 0x94D049BB133111EB) & _MASK
                              for k in range(1, count))  # fmt: skip
        hashes.sort()
        self.sorted = hashes[:SKETCH]
        self.sketch = set(self.sorted)
        self.top = self.sorted[-1] if self.sorted else -1
        self._ids: str | None = None

    def jaccard(self, other: _Text) -> float:
        """The bottom-k estimate of the two word bags' Jaccard similarity (exact when both
        bags are smaller than the sketch): below the smaller of the two sketches' largest
        hashes, every element of either bag is in its sketch, so shared ÷ all there is it."""
        from bisect import bisect_right

        tau = min(self.top, other.top)
        if len(self.sorted) < SKETCH and len(other.sorted) < SKETCH:
            tau = max(self.top, other.top)  # both sketches are the whole bags
        both = len(self.sketch & other.sketch)  # in both sketches: at most both tops, so tau
        seen = bisect_right(self.sorted, tau) + bisect_right(other.sorted, tau) - both
        return both / seen if seen else 1.0

    def ids(self, vocab: dict[str, int]) -> str:
        """One character per word (rapidfuzz compares strings fastest); no surrogates."""
        if self._ids is None:
            chars = []
            for word in self.words:
                code = vocab.setdefault(word, len(vocab)) + 0x100
                chars.append(chr(code + 0x800 if code >= 0xD800 else code))
            self._ids = "".join(chars)
        return self._ids


def same_group(a: str, b: str, threshold: float = NEAR_THRESHOLD) -> bool:
    """Would these two outputs be grouped together?"""
    return len(group_outputs([a, b], threshold).groups) == 1
