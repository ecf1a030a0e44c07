"""Stability: which outputs of one slot say the same thing.

Outputs are grouped in three passes, cheapest first: identical text; the same after folding
whitespace and case; then near-identical, a word-level similarity (rapidfuzz's normalised
Indel over word ids) at or above a threshold against each group's first member. Lengths
and the words two texts share bound the similarity, so most pairs are ruled out without
comparing them in order. 100 outputs of 4k
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
    reps: list[tuple[str, set[int], int]] = []  # each group's first text: word ids, bag, length
    for norm, parts in folded.items():
        members = sorted(i for part in parts for i in part)
        how = "identical" if len(parts) == 1 else "normalized"
        ids, bag = _encode(norm, vocab)
        n = len(ids)
        home = None
        for gi, (rep, rep_bag, m) in enumerate(reps):
            total = n + m
            if not total:
                home = gi
                break
            if 2 * min(n, m) / total < threshold:
                continue  # the lengths alone rule it out
            if 2 * len(bag & rep_bag) / total < threshold:
                continue  # too few words in common (an upper bound of the similarity)
            if Indel.normalized_similarity(ids, rep, score_cutoff=threshold) >= threshold:
                home = gi
                break
        if home is None:
            groups.append(Group(members, how))
            reps.append((ids, bag, n))
        else:
            group = groups[home]
            group.members = sorted(group.members + members)
            group.how = "near"
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), groups[g].members[0]))
    return Stability([groups[g] for g in order], len(outputs))


def _encode(text: str, vocab: dict[str, int]) -> tuple[str, set[int]]:
    """The text as one character per word (rapidfuzz compares strings fastest), and its
    words as a bag: each word numbered by its occurrence, so a set intersection counts the
    words two texts share (which bounds their longest common subsequence)."""
    chars: list[str] = []
    bag: set[int] = set()
    seen: dict[int, int] = {}
    for word in text.split():
        wid = vocab.setdefault(word, len(vocab))
        k = seen.get(wid, 0)
        seen[wid] = k + 1
        bag.add(wid * 1_000_003 + k)
        code = wid + 0x100
        chars.append(chr(code + 0x800 if code >= 0xD800 else code))  # no surrogates
    return "".join(chars), bag


def same_group(a: str, b: str, threshold: float = NEAR_THRESHOLD) -> bool:
    """Would these two outputs be grouped together?"""
    return len(group_outputs([a, b], threshold).groups) == 1
