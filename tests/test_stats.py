"""Unit tests of zarr_benchmarks.stats against hand-checked values and simulation."""

from __future__ import annotations

import numpy as np
import pytest

from zarr_benchmarks import stats


def test_benjamini_hochberg_matches_hand_computation() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    # sorted: .005 .01 .03 .04 .5 -> p*m/rank = .025 .025 .05 .05 .5, then running min
    expected = [0.025, 0.05, 0.05, 0.025, 0.5]
    assert stats.benjamini_hochberg(p) == pytest.approx(expected)


def test_benjamini_hochberg_skips_untested_and_rejects_bad() -> None:
    q = stats.benjamini_hochberg([0.01, float("nan"), 0.02])
    assert np.isnan(q[1])
    assert q[0] == pytest.approx(0.02) and q[2] == pytest.approx(0.02)  # family of 2
    assert stats.benjamini_hochberg([]) == []
    with pytest.raises(ValueError):
        stats.benjamini_hochberg([1.5])


def test_mann_whitney_exact_small_sample() -> None:
    # Complete separation of 3 vs 3: exact two-sided p = 2 / C(6, 3) = 0.1
    assert stats.mann_whitney_p([1, 2, 3], [4, 5, 6]) == pytest.approx(0.1)
    assert stats.mann_whitney_p([1.0] * 5, [1.0] * 5) == 1.0
    assert stats.mann_whitney_p([1, 2, 3, 4], [1, 2, 3, 4]) == pytest.approx(1.0)


def test_mann_whitney_p_uniform_under_null() -> None:
    rng = np.random.default_rng(7)
    ps = np.array(
        [
            stats.mann_whitney_p(rng.lognormal(0, 0.1, 15), rng.lognormal(0, 0.1, 15))
            for _ in range(400)
        ]
    )
    # Valid test: about 5 % below 0.05 (binomial sd ~ 1.1 %), never wildly more.
    assert 0.01 <= (ps < 0.05).mean() <= 0.09


def test_bootstrap_ratio_ci_is_reproducible_and_brackets_ratio() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.lognormal(0, 0.05, 15), 1.2 * rng.lognormal(0, 0.05, 15)
    r1 = stats.bootstrap_ratio_ci(a, b, rng=42)
    r2 = stats.bootstrap_ratio_ci(a, b, rng=42)
    assert r1 == r2
    ratio, low, high = r1
    assert ratio == pytest.approx(np.median(b) / np.median(a))
    assert low <= ratio <= high
    assert low > 1.0 and high < 1.45


def test_bootstrap_ci_coverage_of_true_ratio() -> None:
    """The 95 % interval covers the true ratio of medians in roughly 95 % of runs."""
    rng = np.random.default_rng(11)
    covered = 0
    trials = 150
    for _ in range(trials):
        a = rng.lognormal(0, 0.08, 15)
        b = 1.2 * rng.lognormal(0, 0.08, 15)
        _, low, high = stats.bootstrap_ratio_ci(a, b, rng=rng, n_boot=1000)
        covered += low <= 1.2 <= high
    assert covered / trials >= 0.88


def test_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="positive"):
        stats.bootstrap_ratio_ci([1, 0, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-finite"):
        stats.bootstrap_ratio_ci([1, float("nan")], [1, 2])
    with pytest.raises(ValueError, match="confidence"):
        stats.bootstrap_ratio_ci([1, 2], [1, 2], confidence=1.5)


def test_pair_stats_insufficient_samples() -> None:
    ps = stats.pair_stats([1.0, 1.1], [2.0, 2.1, 2.2])
    assert not ps.sufficient
    assert ps.p_value is None and ps.ci_low is None
    assert ps.ratio == pytest.approx(2.1 / 1.05)


def test_pair_stats_seed_depends_on_key_not_order() -> None:
    a, b = [1.0, 1.1, 0.9, 1.05], [1.2, 1.3, 1.1, 1.25]
    assert stats.pair_stats(a, b, key="x") == stats.pair_stats(a, b, key="x")
    x, y = stats.pair_stats(a, b, key="x"), stats.pair_stats(a, b, key="y")
    assert (x.ci_low, x.ci_high) != (y.ci_low, y.ci_high)


@pytest.mark.parametrize(
    ("ratio", "q", "expected"),
    [(1.2, 0.001, True), (0.8, 0.001, True), (1.05, 1e-9, False), (1.5, 0.02, False)],
)
def test_is_change_needs_significance_and_factor(ratio: float, q: float, expected: bool) -> None:
    assert stats.is_change(ratio, q, factor=1.1, alpha=0.01) is expected
