"""Access patterns: chunk by chunk, plane by plane, small random regions, cold and
warm reads, and the codec-alone ceiling of each read pattern.

The regions are built in ``setup`` (untimed); the timed call is the loop of Zarr
reads or writes in :mod:`zarr_benchmarks.suite.patterns`.
"""

from pathlib import Path

from zarr_benchmarks.suite import patterns, zarr_io
from zarr_benchmarks.suite.asv_support import (
    MATRIX,
    generate_data_files,
    keep_suite,
    load_data,
    make_case,
)
from zarr_benchmarks.suite.asv_timing import OneCallPerSample, PresetTiming
from zarr_benchmarks.suite.codecs import get_codec

MODALITIES = list(MATRIX.modalities[:2])
N_ROIS = 32


def _regions(shape, chunks):
    return {
        "chunks": patterns.chunk_regions(shape, chunks),
        "planes": patterns.plane_regions(shape),
        "rois": patterns.random_rois(shape, patterns.roi_shape_for(shape), N_ROIS, seed=0),
    }


class RegionPatterns(OneCallPerSample):
    params = (MODALITIES, list(MATRIX.detail_codecs), list(MATRIX.layouts))
    param_names = ["modality", "codec", "chunks"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, chunks):
        self.case = make_case(modality, codec, chunks)
        self.case.prepare_read()
        self.reader = zarr_io.open_array(self.case.read_path)
        self.regions = _regions(self.case.data.shape, self.reader.chunks)
        self.writer = zarr_io.create_array(
            self.case.write_path, self.case.data.shape, self.case.data.dtype, self.case.settings
        )

    def teardown(self, modality, codec, chunks):
        zarr_io.remove_tree(self.case.write_path)

    def time_write_chunk_by_chunk(self, modality, codec, chunks):
        patterns.write_regions(self.writer, self.case.data, self.regions["chunks"])

    def time_write_plane_by_plane(self, modality, codec, chunks):
        patterns.write_regions(self.writer, self.case.data, self.regions["planes"])

    def time_read_chunk_by_chunk(self, modality, codec, chunks):
        patterns.read_regions(self.reader, self.regions["chunks"])

    def time_read_plane_by_plane(self, modality, codec, chunks):
        patterns.read_regions(self.reader, self.regions["planes"])

    def time_read_random_rois(self, modality, codec, chunks):
        patterns.read_regions(self.reader, self.regions["rois"])


class PatternCeilings(PresetTiming):
    """The codec alone decoding each chunk a read pattern touches (unsharded only)."""

    params = (MODALITIES, list(MATRIX.detail_codecs), list(MATRIX.layouts))
    param_names = ["modality", "codec", "chunks"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, chunks):
        from zarr_benchmarks.data.chunking import resolve_layout

        data = load_data(modality, MATRIX.size)
        layout = resolve_layout(chunks, data.shape)
        if layout.shards is not None:
            raise NotImplementedError("pattern ceilings are per chunk; sharded layouts skipped")
        regions = _regions(data.shape, layout.chunks)
        spec = get_codec(codec)
        self.ceilings = {
            k: patterns.PatternCeiling(data, spec, layout, r) for k, r in regions.items()
        }

    def time_decode_chunk_by_chunk(self, modality, codec, chunks):
        self.ceilings["chunks"].decode()

    def time_decode_plane_by_plane(self, modality, codec, chunks):
        self.ceilings["planes"].decode()

    def time_decode_random_rois(self, modality, codec, chunks):
        self.ceilings["rois"].decode()


class ColdWarmRead(OneCallPerSample):
    """Reads with the store's files in the page cache (warm) or evicted (cold).

    Cold needs ``posix_fadvise``; where it is unavailable or fails, the cold
    combination is skipped with the reason, so a "cold" figure is always cold.
    """

    params = (list(MATRIX.modalities[:1]), list(MATRIX.detail_codecs[:1]), ["warm", "cold"])
    param_names = ["modality", "codec", "cache"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, cache):
        self.case = make_case(modality, codec, MATRIX.layouts[0])
        self.case.prepare_read()
        shape = self.case.data.shape
        self.rois = patterns.random_rois(shape, patterns.roi_shape_for(shape), N_ROIS, seed=1)
        if cache == "cold":
            state = patterns.drop_page_cache(Path(self.case.read_path))
            if not state.cold:
                raise NotImplementedError(f"cold reads cannot be measured here: {state.reason}")
        self.array = zarr_io.open_array(self.case.read_path)
        if cache == "warm":
            zarr_io.read(self.array)  # pull every file into the page cache

    def time_read(self, modality, codec, cache):
        zarr_io.read(self.array)

    def time_read_random_rois(self, modality, codec, cache):
        patterns.read_regions(self.array, self.rois)


keep_suite("patterns", globals(), "RegionPatterns", "PatternCeilings", "ColdWarmRead")
