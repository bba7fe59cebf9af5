"""Many writers: ``workers`` threads, processes or Dask workers writing disjoint
chunks (or shards) of one array at the same time.

Dask runs on a ``distributed`` cluster: a local one on loopback (``workers``
single-threaded processes, no dashboard) or, if ``ZARR_BENCHMARKS_DASK_SCHEDULER``
is set, an existing scheduler (its workers must see this folder; work is restricted
to ``workers`` of them). Pools and clusters are started once per benchmark process,
outside the timed region, and closed when it exits.
"""

import atexit
import concurrent.futures as cf
from pathlib import Path

from zarr_benchmarks.suite import patterns, zarr_io
from zarr_benchmarks.suite.asv_support import (
    MATRIX,
    data_file,
    generate_data_files,
    keep_suite,
    load_data,
)
from zarr_benchmarks.suite.asv_timing import OneCallPerSample
from zarr_benchmarks.suite.codecs import get_codec

_POOLS = {}


def _pool(kind, workers):
    key = (kind, workers)
    if key not in _POOLS:
        if kind == "threads":
            pool = cf.ThreadPoolExecutor(workers)
            atexit.register(pool.shutdown)
        elif kind == "processes":
            pool = patterns.ProcessWriters(workers)
            atexit.register(pool.close)
        else:
            try:
                import distributed  # noqa: F401
            except ImportError as exc:
                raise NotImplementedError(
                    "Dask benchmarks need the 'dask' extra: pip install 'zarr-benchmarks[dask]'"
                ) from exc
            pool = patterns.start_dask_cluster(workers)
            atexit.register(pool.close)
            pool.warm_up()
        _POOLS[key] = pool
    return _POOLS[key]


class ParallelWrite(OneCallPerSample):
    params = (
        list(MATRIX.modalities[:1]),
        list(MATRIX.detail_codecs[:1]),
        ["threads", "processes", "dask"],
        [1, 2],
    )
    param_names = ["modality", "codec", "writers", "workers"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, writers, workers):
        self.data = load_data(modality, MATRIX.size)
        self.npy = data_file(modality, MATRIX.size)
        layout = patterns.layout_with_units(
            self.data.shape, [*MATRIX.layouts, "cube32", "cube16"], min_units=8
        )
        settings = zarr_io.ArraySettings(get_codec(codec), layout)
        self.path = Path.cwd() / f"parallel-{modality}-{codec}-{writers}-{workers}.zarr"
        self.array = zarr_io.create_array(self.path, self.data.shape, self.data.dtype, settings)
        self.groups = patterns.writer_groups(self.array, workers)
        self.pool = _pool(writers, workers)

    def teardown(self, modality, codec, writers, workers):
        zarr_io.remove_tree(self.path)

    def time_write(self, modality, codec, writers, workers):
        if writers == "threads":
            patterns.write_with_threads(self.array, self.data, self.groups, self.pool)
        elif writers == "processes":
            self.pool.write(self.path, self.npy, self.groups)
        else:
            patterns.dask_write(self.pool, self.npy, self.array, workers=workers)


keep_suite("parallel", globals(), "ParallelWrite")
