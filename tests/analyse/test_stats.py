"""Block statistics: paired intervals, verdicts, learned noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zarr_benchmarks.analyse import stats


def test_paired_block_stats_by_hand() -> None:
    base = [[1.0, 1.2, 1.1], [2.0], [4.0, 4.0]]
    new = [[1.1, 1.3, 1.2], [2.2], [4.4, 4.4]]  # every block median 10% up (1.2/1.1 ~ 9%)
    bs = stats.paired_block_stats(base, new, confidence=0.95)
    assert bs is not None and bs.n_pairs == 3
    d = np.log([1.2 / 1.1, 2.2 / 2.0, 4.4 / 4.0])
    assert bs.ratio == pytest.approx(math.exp(d.mean()))
    se = d.std(ddof=1) / math.sqrt(3)
    assert bs.se_log == pytest.approx(se)
    t = 4.302652729911275  # scipy.stats.t.ppf(0.975, 2)
    assert bs.ci_low == pytest.approx(math.exp(d.mean() - t * se))
    assert bs.ci_high == pytest.approx(math.exp(d.mean() + t * se))


def test_paired_block_stats_cancels_shared_drift() -> None:
    """A drift shared by the two blocks of each pair does not widen the interval."""
    drift = [1.0, 3.0, 0.5, 2.0, 1.5]
    base = [[d] for d in drift]
    new = [[d * 1.05] for d in drift]
    bs = stats.paired_block_stats(base, new)
    assert bs is not None
    assert bs.ratio == pytest.approx(1.05) and bs.ci_high / bs.ci_low == pytest.approx(1.0)


def test_paired_block_stats_needs_enough_positive_blocks() -> None:
    assert stats.paired_block_stats([[1.0], [1.0]], [[1.0], [1.0]]) is None
    assert stats.paired_block_stats([[1.0]] * 5, [[1.0]] * 2) is None  # pairs, not blocks
    with pytest.raises(ValueError, match="positive"):
        stats.paired_block_stats([[1.0]] * 3, [[0.0]] * 3)
    with pytest.raises(ValueError, match="confidence"):
        stats.paired_block_stats([[1.0]] * 3, [[1.0]] * 3, confidence=1.5)


@pytest.mark.parametrize(
    ("low", "high", "ratio", "expected"),
    [
        (1.05, 1.20, 1.12, "up"),
        (1.01, 1.10, 1.05, "up"),  # significant and beyond the band: found
        (1.01, 1.04, 1.02, "inconclusive"),  # significant but inside the band
        (0.99, 1.10, 1.05, "inconclusive"),  # beyond the band but not significant
        (0.80, 0.95, 0.87, "down"),
        (0.90, 0.99, 0.95, "down"),
        (0.99, 1.02, 1.00, "unchanged"),
        (0.90, 1.01, 0.95, "inconclusive"),
    ],
)
def test_verdict_needs_significance_and_size(
    low: float, high: float, ratio: float, expected: str
) -> None:
    assert stats.verdict(low, high, 0.03, ratio) == expected


def test_verdict_rejects_an_estimate_outside_its_interval() -> None:
    with pytest.raises(ValueError, match="outside"):
        stats.verdict(1.0, 1.1, 0.03, 1.2)
    with pytest.raises(ValueError, match="threshold"):
        stats.verdict(1.0, 1.1, -0.1, 1.05)


def test_interval_coverage_on_paired_noise() -> None:
    """The t interval over pairs covers the true ratio at about its nominal level."""
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(400):
        state = np.exp(rng.normal(0, 0.2, 8))
        base = [[s * np.exp(rng.normal(0, 0.03))] for s in state]
        new = [[s * 1.1 * np.exp(rng.normal(0, 0.03))] for s in state]
        bs = stats.paired_block_stats(base, new, confidence=0.9)
        assert bs is not None
        covered += bs.ci_low <= 1.1 <= bs.ci_high
    assert 0.85 <= covered / 400 <= 0.95


def test_learned_noise_threshold_and_minimum_detectable_change() -> None:
    noise = stats.learn_noise([0.01, -0.01, 0.02, -0.02], [0.005, 0.004, 0.006, 0.005])
    assert noise.n_runs == 4
    assert noise.sd_run_log == pytest.approx(math.sqrt((0.0001 * 2 + 0.0004 * 2) / 4))
    assert noise.se_log == pytest.approx(0.005)
    assert noise.threshold == pytest.approx(math.expm1(2 * noise.sd_run_log))
    quiet = stats.learn_noise([0.0, 0.0, 0.0], [0.001])
    assert quiet.threshold == stats.MODEL_FLOOR
    t = stats.t_critical(0.99, 10)
    assert noise.minimum_detectable(t) > noise.threshold
    assert stats.minimum_detectable(0.02, 0.0, t) == pytest.approx(0.02)
    # with a wide interval, significance (not the threshold) limits what is found
    assert stats.minimum_detectable(0.01, 0.05, t) == pytest.approx(
        math.expm1((t + stats.POWER_Z) * 0.05)
    )
    with pytest.raises(ValueError):
        stats.learn_noise([], [])
