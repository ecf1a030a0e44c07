"""The eval's figures against values worked out by hand."""

from __future__ import annotations

import pytest

from playground.core.evals.stats import (
    binomial_two_sided,
    mcnemar,
    pass_k,
    samples_needed,
    wilson,
)


def test_wilson_interval_matches_hand_computed_values() -> None:
    # 8/10: centre 0.8 + z²/2n = 0.99207, half-width 0.31362, over 1 + z²/n = 1.38415
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)
    # 0/10: the interval starts at 0 and reaches z²/n / (1 + z²/n) = 0.2775
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 1.0)


def test_pass_k_counts_cases_whose_every_sample_passed() -> None:
    assert pass_k([[True, True], [True, False], [True, True]]) == pytest.approx(2 / 3)
    assert pass_k([]) is None


def test_exact_mcnemar_on_the_discordant_pairs() -> None:
    # 1 pair passed only in A, 6 only in B: 2 * (C(7,0) + C(7,1)) / 2^7 = 0.125
    pairs = [(True, False)] + [(False, True)] * 6 + [(True, True)] * 5
    test = mcnemar(pairs)
    assert (test.pairs, test.only_a, test.only_b) == (12, 1, 6)
    assert test.p_value == pytest.approx(0.125)
    assert not test.significant
    # 0 vs 6: 2 / 2^6 = 0.03125, significant, B better
    strong = mcnemar([(False, True)] * 6)
    assert strong.p_value == pytest.approx(0.03125)
    assert strong.significant and strong.direction == 1
    assert mcnemar([(True, True)] * 4).p_value == 1.0
    assert binomial_two_sided(5, 10) == 1.0


def test_samples_needed_at_the_rates_seen() -> None:
    # 3 of 10 pairs favour B, none favour A (p = 0.25): at that rate 20 pairs give 6 vs 0
    # (p = 0.031) and 19 give 5.7, 5 whole ones (p = 0.0625), so 10 more
    test = mcnemar([(False, True)] * 3 + [(True, True)] * 7)
    assert samples_needed(test) == 10
    assert samples_needed(mcnemar([(True, False), (False, True)])) is None  # no difference
    assert samples_needed(mcnemar([(False, True)] * 6)) == 0  # already significant
