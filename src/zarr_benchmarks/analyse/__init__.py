"""Stage 5b, analyse: what results mean.

Statistics, noise models, ``compare``, release histories, the A/B drivers that run and
then compare, and the report. Depends on the stages before it, never on
:mod:`zarr_benchmarks.share` or the CLI.
"""
