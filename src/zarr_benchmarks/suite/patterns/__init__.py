"""Access patterns over a Zarr array: the set-up is untimed, the call is timed.

Beyond whole-array writes and reads (:mod:`zarr_benchmarks.suite.zarr_io`), this module
provides the patterns real acquisition and analysis code uses:

* **Regions**: chunk by chunk, plane by plane, and ``n`` small random regions of
  interest (seeded). :func:`chunk_regions`, :func:`plane_regions` and
  :func:`random_rois` build the selections (untimed); :func:`write_regions` and
  :func:`read_regions` are the timed calls.
* **Cold and warm reads**: :func:`drop_page_cache` evicts a store's files from the
  OS page cache with ``posix_fadvise(POSIX_FADV_DONTNEED)`` and reports whether a
  following read is really *cold* (and if not, why).
* **Pattern ceilings**: :class:`PatternCeiling` decodes, with the codec alone, every
  chunk a pattern touches, as often as the pattern touches it.
* **Streaming acquisition** (frames arrive one at a time labelled by coordinates
  ``time, channel, z, position`` and are written as they arrive, growing the array
  along time): :func:`acquisition_stack`, :func:`iter_frames`,
  :class:`StreamingWriter`, :func:`stream_frames`, :func:`write_stack_in_one_go`.
* **Many writers**: threads (:func:`write_with_threads`), processes
  (:class:`ProcessWriters`) and Dask on a ``distributed`` cluster
  (:func:`dask_cluster`, :func:`dask_write`), each writing disjoint chunks (or
  shards) so no two writers ever touch the same stored object.
"""

from __future__ import annotations

from zarr_benchmarks.suite.patterns._cold import (
    CacheState,
    PatternCeiling,
    drop_page_cache,
    fadvise_available,
)
from zarr_benchmarks.suite.patterns._regions import (
    Region,
    chunk_regions,
    plane_regions,
    random_rois,
    read_regions,
    roi_shape_for,
    write_regions,
    write_unit,
)
from zarr_benchmarks.suite.patterns._streaming import (
    STREAM_AXES,
    FrameCoords,
    StreamingWriter,
    acquisition_stack,
    channel_names,
    frames_in_stack,
    iter_frames,
    open_streaming_writer,
    position_names,
    prepare_one_go,
    read_stack,
    stream_frames,
    stream_settings,
    write_stack_in_one_go,
)
from zarr_benchmarks.suite.patterns._writers import (
    DASK_SCHEDULER_ENV,
    DaskCluster,
    NpyBlocks,
    ProcessWriters,
    dask_cluster,
    dask_write,
    layout_with_units,
    partition_regions,
    start_dask_cluster,
    write_with_threads,
    writer_groups,
)

__all__ = [
    "DASK_SCHEDULER_ENV",
    "STREAM_AXES",
    "CacheState",
    "DaskCluster",
    "FrameCoords",
    "NpyBlocks",
    "PatternCeiling",
    "ProcessWriters",
    "Region",
    "StreamingWriter",
    "acquisition_stack",
    "channel_names",
    "chunk_regions",
    "dask_cluster",
    "dask_write",
    "drop_page_cache",
    "fadvise_available",
    "frames_in_stack",
    "iter_frames",
    "layout_with_units",
    "open_streaming_writer",
    "partition_regions",
    "plane_regions",
    "position_names",
    "prepare_one_go",
    "random_rois",
    "read_regions",
    "read_stack",
    "roi_shape_for",
    "start_dask_cluster",
    "stream_frames",
    "stream_settings",
    "write_regions",
    "write_stack_in_one_go",
    "write_unit",
    "write_with_threads",
    "writer_groups",
]
