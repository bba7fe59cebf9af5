"""Zarr format 2 against format 3 for the same codec and chunks."""

from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, keep_suite, make_case
from zarr_benchmarks.suite.asv_timing import OneCallPerSample


class Format(OneCallPerSample):
    params = (list(MATRIX.modalities), list(MATRIX.detail_codecs), list(MATRIX.formats))
    param_names = ["modality", "codec", "zarr_format"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, zarr_format):
        self.case = make_case(modality, codec, MATRIX.layouts[0], zarr_format)
        self.case.prepare_write()
        self.case.prepare_read()

    def teardown(self, modality, codec, zarr_format):
        self.case.cleanup_write()

    def time_write(self, modality, codec, zarr_format):
        self.case.write()

    def time_read(self, modality, codec, zarr_format):
        self.case.read()


keep_suite("format", globals(), "Format")
