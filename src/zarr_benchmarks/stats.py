"""Pure statistics for comparing benchmark samples.

Three building blocks, each independent of the result file formats:

- :func:`bootstrap_ratio_ci` -- ratio of medians (NEW / BASE) with a percentile
  bootstrap confidence interval, drawn from a seeded :class:`numpy.random.Generator`
  so that the same inputs always give the same interval.
- :func:`mann_whitney_p` -- two-sided Mann-Whitney U p-value on the raw samples
  (rank based, so robust to the heavy right tail of timing noise).
- :func:`benjamini_hochberg` -- false-discovery-rate adjusted p-values across a
  family of comparisons (hundreds of benchmarks would otherwise guarantee false
  alarms at any per-test level).

:func:`compare_samples` combines them into one verdict for a pair of samples.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _scipy_stats

#: Fewer samples than this on either side never give a verdict.
MIN_SAMPLES = 3
#: Default number of bootstrap resamples.
N_BOOTSTRAP = 2000
#: Default seed: results are reproducible unless the caller asks otherwise.
DEFAULT_SEED = 20261122


def _as_samples(values: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values")
    return arr


def seed_for(key: str, seed: int = DEFAULT_SEED) -> np.random.Generator:
    """Return a generator seeded by ``seed`` and a stable hash of ``key``.

    Seeding per benchmark (not one stream for all) keeps each interval
    independent of the order and number of the other benchmarks.
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def bootstrap_ratio_ci(
    base: Sequence[float],
    new: Sequence[float],
    *,
    confidence: float = 0.95,
    n_boot: int = N_BOOTSTRAP,
    rng: np.random.Generator | int | None = None,
) -> tuple[float, float, float]:
    """Ratio of medians ``median(new) / median(base)`` with a bootstrap CI.

    Both sides are resampled independently with replacement (a two-sample
    percentile bootstrap); the interval is the central ``confidence`` quantile
    range of the resampled ratios.

    Parameters
    ----------
    base, new
        Raw samples, at least one each, all positive.
    confidence
        Coverage of the interval, in (0, 1).
    n_boot
        Number of bootstrap resamples.
    rng
        A generator, or a seed for :func:`numpy.random.default_rng`;
        ``None`` uses :data:`DEFAULT_SEED`.

    Returns
    -------
    tuple of float
        ``(ratio, low, high)``.
    """
    a = _as_samples(base, "base")
    b = _as_samples(new, "new")
    if a.size == 0 or b.size == 0:
        raise ValueError("both sides need at least one sample")
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError("a ratio of medians needs positive samples")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(DEFAULT_SEED if rng is None else rng)
    ratio = float(np.median(b) / np.median(a))
    boot_a = np.median(a[rng.integers(0, a.size, size=(n_boot, a.size))], axis=1)
    boot_b = np.median(b[rng.integers(0, b.size, size=(n_boot, b.size))], axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(boot_b / boot_a, [tail, 1.0 - tail])
    return ratio, float(low), float(high)


def mann_whitney_p(base: Sequence[float], new: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value of ``base`` against ``new``.

    Uses the exact distribution for small samples without ties and the normal
    approximation with tie correction otherwise (``scipy.stats.mannwhitneyu``
    with ``method="auto"``). Identical constant samples give ``1.0``.
    """
    a = _as_samples(base, "base")
    b = _as_samples(new, "new")
    if a.size == 0 or b.size == 0:
        raise ValueError("both sides need at least one sample")
    if np.ptp(np.concatenate([a, b])) == 0.0:
        return 1.0  # all values tied: no evidence of any difference
    result = _scipy_stats.mannwhitneyu(a, b, alternative="two-sided", method="auto")
    p = float(result.pvalue)
    return 1.0 if math.isnan(p) else min(max(p, 0.0), 1.0)


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order.

    A comparison is a discovery at false-discovery rate ``alpha`` when its
    adjusted value is ``<= alpha``. ``NaN`` entries (pairs that were not tested)
    stay ``NaN`` and do not count towards the family size.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        if np.any((p[tested] < 0) | (p[tested] > 1)):
            raise ValueError("p-values must lie in [0, 1]")
        out[tested] = _scipy_stats.false_discovery_control(p[tested], method="bh")
    return [float(v) for v in out]


@dataclass(frozen=True)
class PairStats:
    """Statistics of one NEW-versus-BASE pair.

    ``ratio``, ``ci_low`` and ``ci_high`` are NEW / BASE medians; ``p_value`` is the
    raw Mann-Whitney p-value (adjust it across the family before deciding).
    ``None`` fields mean "not computed" (too few samples).
    """

    n_base: int
    n_new: int
    median_base: float
    median_new: float
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None

    @property
    def sufficient(self) -> bool:
        """Whether both sides have at least :data:`MIN_SAMPLES` samples."""
        return self.p_value is not None


def pair_stats(
    base: Sequence[float],
    new: Sequence[float],
    *,
    key: str = "",
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
    n_boot: int = N_BOOTSTRAP,
    min_samples: int = MIN_SAMPLES,
) -> PairStats:
    """Compute ratio, bootstrap CI and Mann-Whitney p-value for one pair.

    With fewer than ``min_samples`` on a side, only the medians and their ratio
    are filled in: such a pair can never raise an alarm.
    """
    a = _as_samples(base, "base")
    b = _as_samples(new, "new")
    med_a = float(np.median(a)) if a.size else math.nan
    med_b = float(np.median(b)) if b.size else math.nan
    ratio = med_b / med_a if a.size and b.size and med_a > 0 else None
    if a.size < min_samples or b.size < min_samples or ratio is None:
        return PairStats(a.size, b.size, med_a, med_b, ratio, None, None, None)
    ratio, low, high = bootstrap_ratio_ci(
        a, b, confidence=confidence, n_boot=n_boot, rng=seed_for(key, seed)
    )
    return PairStats(a.size, b.size, med_a, med_b, ratio, low, high, mann_whitney_p(a, b))


def is_change(ratio: float, q_value: float, *, factor: float, alpha: float) -> bool:
    """A change is significant after correction *and* beyond ``factor`` either way."""
    if factor < 1.0:
        raise ValueError(f"factor must be >= 1, got {factor}")
    return q_value <= alpha and (ratio > factor or ratio < 1.0 / factor)


# ------------------------------------------------------------------ block statistics
#
# Samples inside one process are not independent (they share the process's state and
# the machine's state of that moment), so testing them as if they were is
# over-confident: that is how an A/A run of identical code raised a "37% faster" alarm.
# The unit of replication is the block (one process / one interleaved round). Blocks of
# the two sides that ran next to each other (A B B A ...) are paired by position; the
# statistic is the mean of the per-pair log ratios of block medians, with a Student-t
# interval over pairs.

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
    t = float(_scipy_stats.t.ppf(0.5 + confidence / 2.0, n - 1))
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


def verdict(low: float, high: float, threshold: float) -> str:
    """``"up"``, ``"down"``, ``"unchanged"`` or ``"inconclusive"`` for a ratio interval.

    The interval ``[low, high]`` (NEW / BASE) is compared with the band
    ``[1 / (1 + threshold), 1 + threshold]`` of changes too small to matter (or to be
    told from this benchmark's noise): entirely above is ``up``, entirely below
    ``down``, entirely inside ``unchanged``; an interval that straddles an edge of the
    band cannot decide, ``inconclusive``.
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    upper, lower = 1.0 + threshold, 1.0 / (1.0 + threshold)
    if low > upper:
        return "up"
    if high < lower:
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

    def minimum_detectable(self, t_crit: float, power_z: float = 0.8416) -> float:
        """Smallest change found with ~80% power: threshold plus the interval's reach."""
        reach = (t_crit + power_z) * self.se_log
        return math.expm1(math.log1p(self.threshold) + reach)


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
