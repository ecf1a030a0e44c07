"""The figures an eval reports: Wilson intervals, pass^k, and the exact paired test.

Pure arithmetic on counts (no numpy): cheap enough to recompute on every refresh.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.959963984540054  # the two-sided 95% normal quantile
ALPHA = 0.05


def wilson(passed: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for passed/total (95% by default); (0, 1) with no data.

    Unlike the normal approximation it stays inside [0, 1] and is honest at 0/n and n/n,
    which is where small evals live."""
    if total <= 0:
        return 0.0, 1.0
    p = passed / total
    z2 = z * z
    centre = p + z2 / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    denom = 1 + z2 / total
    return max(0.0, (centre - spread) / denom), min(1.0, (centre + spread) / denom)


def pass_k(per_case: Iterable[Iterable[bool]]) -> float | None:
    """pass^k: the share of cases whose every sample passed (None with no cases)."""
    cases = 0
    good = 0
    for samples in per_case:
        cases += 1
        good += all(samples)
    return good / cases if cases else None


def binomial_two_sided(k: int, n: int) -> float:
    """Exact two-sided p-value of k successes in n fair coin flips (the sign test)."""
    if n <= 0:
        return 1.0
    low = min(k, n - k)
    # sum in log space: exact enough and safe for large n
    total = 0.0
    log_half_n = n * math.log(0.5)
    for i in range(low + 1):
        total += math.exp(
            math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half_n
        )
    return min(1.0, 2 * total)


@dataclass(frozen=True)
class PairedTest:
    """Paired pass/fail on shared samples: b = passed only in A, c = passed only in B."""

    pairs: int
    only_a: int
    only_b: int
    p_value: float

    @property
    def discordant(self) -> int:
        return self.only_a + self.only_b

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    @property
    def direction(self) -> int:
        """+1 when B passes more often, -1 when A does, 0 when even."""
        return (self.only_b > self.only_a) - (self.only_b < self.only_a)


def mcnemar(pairs: Iterable[tuple[bool, bool]]) -> PairedTest:
    """The exact McNemar test (a sign test on the discordant pairs)."""
    n = only_a = only_b = 0
    for a, b in pairs:
        n += 1
        if a and not b:
            only_a += 1
        elif b and not a:
            only_b += 1
    return PairedTest(n, only_a, only_b, binomial_two_sided(only_a, only_a + only_b))


def samples_needed(test: PairedTest, limit: int = 100_000) -> int | None:
    """How many more paired samples would make the observed difference significant, if it
    held at the rates seen so far (expected counts rounded down, so it does not promise
    too few); None when there is no difference to confirm (or it
    would take more than ``limit``). 0 when it is significant already."""
    if test.significant:
        return 0
    if test.only_a == test.only_b or test.pairs == 0:
        return None
    rate_a = test.only_a / test.pairs
    rate_b = test.only_b / test.pairs
    n = test.pairs
    while n <= limit:
        n = max(n + 1, int(n * 1.25))
        a = int(rate_a * n)
        b = int(rate_b * n)
        if binomial_two_sided(a, a + b) < ALPHA:
            # walk back to the smallest n that does it
            lo = max(test.pairs + 1, int(n / 1.25))
            for m in range(lo, n + 1):
                a = int(rate_a * m)
                b = int(rate_b * m)
                if binomial_two_sided(a, a + b) < ALPHA:
                    return m - test.pairs
            return n - test.pairs
    return None
