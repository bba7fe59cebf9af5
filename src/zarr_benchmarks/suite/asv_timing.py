"""The asv timing attributes of the benchmark classes in ``benchmarks/``, in one place.

asv looks each setting up on the benchmark method, then its class (``getattr``, so
inherited attributes count), then the module: a class that inherits one of these
mixins runs with exactly these settings, and one that needs another value sets its
own (``Streaming`` takes fewer samples). Samples (``repeat``) come from the preset
(``ZARR_BENCHMARKS_PRESET``, see :mod:`zarr_benchmarks.suite.presets`).

Only attributes live here. The benchmark methods, ``setup`` and ``setup_cache`` stay
in the benchmark files: asv's version of a benchmark hashes their source together
with the name of the class that defines them, so moving one would change every
affected version and make earlier results "not comparable".
"""

from __future__ import annotations

from zarr_benchmarks.suite.asv_support import MATRIX

__all__ = ["OneCallPerSample", "PresetTiming"]


class PresetTiming:
    """The preset's samples, one round, no warm-up, 300 s per benchmark; how many calls
    make one sample (``number``) is left to asv (the codec-ceiling classes)."""

    repeat = MATRIX.repeat
    rounds = 1
    warmup_time = 0.0
    timeout = 300


class OneCallPerSample(PresetTiming):
    """As :class:`PresetTiming`, with each sample exactly one call of the timed method
    (``number = 1``): one Zarr write or read is long enough to time on its own."""

    number = 1
