"""Stage 2, suite: how it is benchmarked.

Codecs (one module per family, a registry), Zarr implementations, the benchmark case
and its Zarr I/O, presets, access patterns, object stores, codec ceilings, quality
metrics of lossy codecs, calibration against real volumes, and the machinery the asv
classes in ``benchmarks/`` share. Depends on :mod:`zarr_benchmarks.data` only.
"""
