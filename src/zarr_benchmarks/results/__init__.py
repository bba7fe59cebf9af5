"""Stage 4, results: the result documents.

Their schemas, blocks of independent measurements, and ``reduce`` (asv's raw results to
this project's reduced documents). Depends on data, suite and run.
"""
