"""The one format version of every document this project writes.

Machine, environment, run-record, result, comparison, history and noise documents all
carry ``"schema_version": SCHEMA_VERSION``. Readers accept this version; a document of
another version is refused with a message naming it (there is one version so far, so
there is nothing to migrate yet: a new version adds its migration next to its loader in
:mod:`zarr_benchmarks.results`).
"""

SCHEMA_VERSION = 1
