"""Stage 5a, share: results leaving the machine.

Uploading to the results service and aggregating a store of results into tables.
Depends on the stages before it, never on :mod:`zarr_benchmarks.analyse` or the CLI.
"""
