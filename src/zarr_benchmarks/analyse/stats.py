"""Statistics for comparing benchmark results, matched to how samples are taken.

Samples taken back to back inside one process share that process's state (allocator,
caches, CPU frequency, the neighbours of the moment) and are not independent: a test
that treats each sample as independent is over-confident, which is how a real A/A run
of identical code once raised a "37% faster" alarm. The unit of replication here is
the *block*: one process (an asv run of one benchmark combination), in the A/B drivers
run next to the other side's block of the same benchmark.

- :func:`paired_block_stats` -- mean log ratio of paired block medians with a
  Student-t interval over the pairs;
- :func:`verdict` -- up / down for a significant change beyond a band of changes too
  small to matter, unchanged for an interval inside it, inconclusive otherwise;
- :class:`Noise` and :func:`learn_noise` -- a benchmark's own noise on a machine,
  learned from real A/A comparisons, giving its threshold and minimum detectable change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _scipy_stats

#: Fewer paired blocks than this never give a timing verdict.
MIN_BLOCKS = 3
#: Smallest relative change a verdict may call a change, without a noise model.
DEFAULT_MIN_EFFECT = 0.03
#: With a noise model: threshold = max(MODEL_FLOOR, NOISE_MULTIPLIER * run-to-run spread).
MODEL_FLOOR = 0.01
NOISE_MULTIPLIER = 2.0


@dataclass(frozen=True)
class BlockStats:
    """Paired block statistics of one NEW-versus-BASE pair.

    ``ratio`` is ``exp(mean(log(new_block_median / base_block_median)))`` over the
    paired blocks; ``ci_low``/``ci_high`` its interval at ``confidence``;
    ``se_log`` the standard error of the mean log ratio (the run's own noise).
    """

    n_pairs: int
    median_base: float
    median_new: float
    ratio: float
    ci_low: float
    ci_high: float
    se_log: float
    confidence: float


def block_medians(blocks: Sequence[Sequence[float]]) -> np.ndarray:
    """Median of each non-empty block, in order."""
    return np.asarray([float(np.median(b)) for b in blocks if len(b)], dtype=float)


def paired_block_stats(
    base_blocks: Sequence[Sequence[float]],
    new_blocks: Sequence[Sequence[float]],
    *,
    confidence: float = 0.95,
    min_blocks: int = MIN_BLOCKS,
) -> BlockStats | None:
    """Paired statistics over blocks; ``None`` with fewer than ``min_blocks`` pairs.

    Block ``i`` of BASE is paired with block ``i`` of NEW (the interleaved design runs
    them next to each other, so slow drifts of the machine cancel within a pair).
    Extra blocks on one side are ignored. Values must be positive.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    a = block_medians(base_blocks)
    b = block_medians(new_blocks)
    n = min(a.size, b.size)
    if n < min_blocks:
        return None
    a, b = a[:n], b[:n]
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("block medians must be finite")
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError("a ratio needs positive values")
    d = np.log(b / a)
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n))
    t = t_critical(confidence, n)
    return BlockStats(
        n_pairs=n,
        median_base=float(np.median(a)),
        median_new=float(np.median(b)),
        ratio=math.exp(mean),
        ci_low=math.exp(mean - t * se),
        ci_high=math.exp(mean + t * se),
        se_log=se,
        confidence=confidence,
    )


def t_critical(confidence: float, n_pairs: int) -> float:
    """Two-sided Student-t quantile for ``confidence`` with ``n_pairs - 1`` degrees of freedom."""
    return float(_scipy_stats.t.ppf(0.5 + confidence / 2.0, n_pairs - 1))


#: z quantile of 80% power
POWER_Z = 0.8416


def minimum_detectable(threshold: float, se_log: float, t_crit: float) -> float:
    """Smallest relative change found with about 80% power.

    A change is found when its estimate is both significant (beyond ``t_crit * se``)
    and beyond the threshold (see :func:`verdict`); it is so 80% of the time when the
    truth lies ``POWER_Z`` standard errors further out than the larger of the two.
    """
    return math.expm1(max(math.log1p(threshold), t_crit * se_log) + POWER_Z * se_log)


def verdict(low: float, high: float, threshold: float, ratio: float) -> str:
    """``"up"``, ``"down"``, ``"unchanged"`` or ``"inconclusive"`` for a ratio estimate.

    A change must be *significant* and *large enough*: ``up`` when the interval
    ``[low, high]`` (NEW / BASE) lies wholly above 1 and the estimate ``ratio`` above
    ``1 + threshold``; ``down`` mirrored. ``unchanged`` when the whole interval lies
    inside the band ``[1 / (1 + threshold), 1 + threshold]`` of changes too small to
    matter (or to be told from this benchmark's noise). Anything else cannot decide:
    ``inconclusive`` (a real but small change, or too few blocks).
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    if not low <= ratio <= high:
        raise ValueError(f"the estimate {ratio} lies outside its interval [{low}, {high}]")
    upper, lower = 1.0 + threshold, 1.0 / (1.0 + threshold)
    if low > 1.0 and ratio > upper:
        return "up"
    if high < 1.0 and ratio < lower:
        return "down"
    if low >= lower and high <= upper:
        return "unchanged"
    return "inconclusive"


@dataclass(frozen=True)
class Noise:
    """A benchmark's noise learned from A/A comparisons on one machine.

    ``sd_run_log`` is the root mean square of the A/A log-ratio estimates (their truth
    is 0: any spread is noise between runs, including what the blocks of one run do
    not see); ``se_log`` the median standard error within a run.
    """

    n_runs: int
    sd_run_log: float
    se_log: float

    @property
    def threshold(self) -> float:
        """Relative change below which this benchmark's verdicts say "unchanged"."""
        return max(MODEL_FLOOR, math.expm1(NOISE_MULTIPLIER * self.sd_run_log))

    def minimum_detectable(self, t_crit: float) -> float:
        """Smallest change found with ~80% power at a typical run's standard error."""
        return minimum_detectable(self.threshold, self.se_log, t_crit)


def learn_noise(log_ratios: Sequence[float], se_logs: Sequence[float]) -> Noise:
    """Noise of one benchmark from its A/A estimates (log ratios) and their standard errors."""
    d = np.asarray(log_ratios, dtype=float)
    se = np.asarray(se_logs, dtype=float)
    if d.size == 0:
        raise ValueError("learn_noise needs at least one A/A estimate")
    return Noise(
        n_runs=int(d.size),
        sd_run_log=float(np.sqrt(np.mean(d**2))),
        se_log=float(np.median(se)) if se.size else 0.0,
    )
