"""Whole-array writes: time, compression ratio and peak memory.

Parameters come from the preset (``ZARR_BENCHMARKS_PRESET``, see
``zarr_benchmarks.presets``). Each sample writes into a fresh, empty array
created in ``setup``; the timed region is the single Zarr assignment.
"""

from zarr_benchmarks.asv_support import MATRIX, generate_data_files, make_case


class Write:
    params = (list(MATRIX.modalities), list(MATRIX.codecs), list(MATRIX.layouts))
    param_names = ["modality", "codec", "chunks"]
    repeat = MATRIX.repeat
    rounds = 1
    number = 1
    warmup_time = 0.0
    timeout = 300

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, chunks):
        self.case = make_case(modality, codec, chunks)
        self.case.prepare_write()

    def teardown(self, modality, codec, chunks):
        self.case.cleanup()

    def time_write(self, modality, codec, chunks):
        self.case.write()

    def track_compression_ratio(self, modality, codec, chunks):
        self.case.write()
        return self.case.written_ratio()

    track_compression_ratio.unit = "ratio"

    def peakmem_write(self, modality, codec, chunks):
        self.case.write()
