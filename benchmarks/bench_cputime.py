"""Process CPU time (all threads) of the whole-array write and read.

The same cases as ``bench_write.Write.time_write`` and ``bench_read.Read.time_read``,
timed with :func:`time.process_time` instead of the wall clock. Zarr encodes and
decodes chunks on a thread pool, so this is the CPU work of every thread of the
benchmark process: it ignores time spent waiting for a CPU that another process holds,
which makes it steadier than wall time on shared machines for CPU-bound cases
(measured in docs/regression-tracking.md). Included with the ``cputime`` suite (in the
default preset, and in ``zarr-benchmarks ab``'s default selection).
"""

import time

from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, keep_suite, make_case
from zarr_benchmarks.suite.asv_timing import OneCallPerSample


class _CPUBase(OneCallPerSample):
    # The detail codecs on the first layout: enough to follow CPU-bound cases run to run
    # (where CPU time is steadier) without doubling the whole matrix.
    params = (list(MATRIX.modalities), list(MATRIX.detail_codecs), list(MATRIX.layouts[:1]))
    param_names = ["modality", "codec", "chunks"]
    timer = time.process_time

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)


class WriteCPU(_CPUBase):
    def setup(self, modality, codec, chunks):
        self.case = make_case(modality, codec, chunks)
        self.case.prepare_write()

    def teardown(self, modality, codec, chunks):
        self.case.cleanup()

    def time_write(self, modality, codec, chunks):
        self.case.write()


class ReadCPU(_CPUBase):
    def setup(self, modality, codec, chunks):
        self.case = make_case(modality, codec, chunks)
        self.case.prepare_read()

    def time_read(self, modality, codec, chunks):
        self.case.read()


keep_suite("cputime", globals(), "WriteCPU", "ReadCPU")
