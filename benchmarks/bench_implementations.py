"""The same write and read through different Zarr libraries: zarr-python (default),
TensorStore (``zarr3`` driver) and zarr-python with the zarrs (Rust) codec pipeline.

Every implementation gets the same data, codec, chunks and shards (translated to
its own spec); the timed region is the library's own whole-array call. A library
that is not installed, or that cannot express a codec (TensorStore has no
numcodecs filters), raises ``NotImplementedError`` in ``setup`` with the reason,
which asv records as skipped. ``ZARR_BENCHMARKS_IMPLEMENTATIONS`` (comma-separated)
narrows the list.
"""

from pathlib import Path

from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, keep_suite, load_data
from zarr_benchmarks.suite.asv_timing import OneCallPerSample
from zarr_benchmarks.suite.cases import Case
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.implementations import benchmark_implementations

IMPLEMENTATIONS = benchmark_implementations()


def _case(implementation, modality, codec, chunks):
    data = load_data(modality, MATRIX.size)
    label = f"impl-{implementation}-{modality}-{get_codec(codec).id}-{chunks}-{MATRIX.size}"
    return Case(data, codec, chunks, Path.cwd(), 3, label, implementation=implementation)


class _ImplementationsBase(OneCallPerSample):
    params = (
        list(IMPLEMENTATIONS),
        # A slice of the matrix: the comparison is between libraries, not codecs.
        list(MATRIX.modalities[:2]),
        list(MATRIX.detail_codecs),
        list(MATRIX.layouts[:2]),
    )
    param_names = ["implementation", "modality", "codec", "chunks"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)


class ImplementationWrite(_ImplementationsBase):
    """Each sample writes into a fresh, empty array created in ``setup``."""

    def setup(self, implementation, modality, codec, chunks):
        self.case = _case(implementation, modality, codec, chunks)
        self.case.prepare_write()

    def teardown(self, implementation, modality, codec, chunks):
        # asv calls teardown after a skipped (NotImplementedError) setup too.
        if hasattr(self, "case"):
            self.case.cleanup()

    def time_write(self, implementation, modality, codec, chunks):
        self.case.write()


class ImplementationRead(_ImplementationsBase):
    """Reads an array written (and checked) once by the same implementation."""

    def setup(self, implementation, modality, codec, chunks):
        self.case = _case(implementation, modality, codec, chunks)
        self.case.prepare_read()

    def time_read(self, implementation, modality, codec, chunks):
        self.case.read()


keep_suite("implementations", globals(), "ImplementationWrite", "ImplementationRead")
