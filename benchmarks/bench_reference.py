"""Reference figures from the same run: raw codec throughput and memory bandwidth.

They show how much of a codec's own speed Zarr delivers, and let ``compare
--cross-machine`` normalise figures between machines.
"""

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, load_data
from zarr_benchmarks.suite.asv_timing import PresetTiming
from zarr_benchmarks.suite.ceilings import CodecCeiling, memory_copy_bandwidth
from zarr_benchmarks.suite.codecs import get_codec


class CodecCeilings(PresetTiming):
    params = (list(MATRIX.modalities), list(MATRIX.codecs))
    param_names = ["modality", "codec"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec):
        data = load_data(modality, MATRIX.size)
        self.ceiling = CodecCeiling(
            data, get_codec(codec), resolve_layout(MATRIX.layouts[0], data.shape)
        )

    def time_encode(self, modality, codec):
        self.ceiling.encode()

    def time_decode(self, modality, codec):
        self.ceiling.decode()


class MemoryBandwidth:
    timeout = 120

    def track_memory_copy_bandwidth(self):
        return memory_copy_bandwidth()

    track_memory_copy_bandwidth.unit = "GB/s"
