"""Whole-array writes: time, compression ratio and peak memory.

Parameters come from the preset (``ZARR_BENCHMARKS_PRESET``, see
``zarr_benchmarks.suite.presets``). Each sample writes into a fresh, empty array
created in ``setup``; the timed region is the single Zarr assignment.
``write_empty_chunks`` is an explicit parameter (zarr's default, ``False``: every
chunk is compared with the fill value and all-fill chunks are skipped);
``WriteEmptyChunks`` times both values side by side on a slice of the matrix.
"""

import dataclasses

from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, make_case
from zarr_benchmarks.suite.asv_timing import OneCallPerSample


def _case(modality, codec, chunks, write_empty_chunks):
    case = make_case(modality, codec, chunks)
    flag = bool(write_empty_chunks)
    return dataclasses.replace(case, write_empty_chunks=flag, label=f"{case.label}-wec{int(flag)}")


class Write(OneCallPerSample):
    params = (
        list(MATRIX.modalities),
        list(MATRIX.codecs),
        list(MATRIX.layouts),
        list(MATRIX.write_empty_chunks),
    )
    param_names = ["modality", "codec", "chunks", "write_empty_chunks"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, chunks, write_empty_chunks):
        self.case = _case(modality, codec, chunks, write_empty_chunks)
        self.case.prepare_write()

    def teardown(self, modality, codec, chunks, write_empty_chunks):
        self.case.cleanup()

    def time_write(self, modality, codec, chunks, write_empty_chunks):
        self.case.write()

    def track_compression_ratio(self, modality, codec, chunks, write_empty_chunks):
        self.case.write()
        return self.case.written_ratio()

    track_compression_ratio.unit = "ratio"

    def peakmem_write(self, modality, codec, chunks, write_empty_chunks):
        self.case.write()


class WriteEmptyChunks(OneCallPerSample):
    """Both ``write_empty_chunks`` values on the same data, side by side."""

    params = (
        list(MATRIX.empty_chunks_modalities),
        list(MATRIX.empty_chunks_codecs),
        ["cube64"],
        [False, True],
    )
    param_names = ["modality", "codec", "chunks", "write_empty_chunks"]

    def setup_cache(self):
        generate_data_files(MATRIX.empty_chunks_modalities, MATRIX.size)

    def setup(self, modality, codec, chunks, write_empty_chunks):
        self.case = _case(modality, codec, chunks, write_empty_chunks)
        self.case.prepare_write()

    def teardown(self, modality, codec, chunks, write_empty_chunks):
        self.case.cleanup()

    def time_write(self, modality, codec, chunks, write_empty_chunks):
        self.case.write()

    def track_compression_ratio(self, modality, codec, chunks, write_empty_chunks):
        self.case.write()
        return self.case.written_ratio()

    track_compression_ratio.unit = "ratio"


if not MATRIX.empty_chunks_modalities:  # e.g. the quick preset
    del WriteEmptyChunks
