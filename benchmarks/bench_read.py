"""Reads: the whole array, exactly one chunk, and one plane; peak memory.

``setup`` writes each case's array once (into asv's shared cache folder) and
checks, outside the timed region, that reading it back gives the data written.
"""

from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, make_case
from zarr_benchmarks.suite.asv_timing import OneCallPerSample


class _ReadBase(OneCallPerSample):
    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, chunks):
        self.case = make_case(modality, codec, chunks)
        self.case.prepare_read()


class Read(_ReadBase):
    params = (list(MATRIX.modalities), list(MATRIX.codecs), list(MATRIX.layouts))
    param_names = ["modality", "codec", "chunks"]

    def time_read(self, modality, codec, chunks):
        self.case.read()


class ReadRegion(_ReadBase):
    params = (list(MATRIX.modalities), list(MATRIX.detail_codecs), list(MATRIX.layouts))
    param_names = ["modality", "codec", "chunks"]

    def time_read_chunk(self, modality, codec, chunks):
        self.case.read_chunk()

    def time_read_plane(self, modality, codec, chunks):
        self.case.read_plane()

    def peakmem_read(self, modality, codec, chunks):
        self.case.read()
