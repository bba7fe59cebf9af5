"""Lossy codecs (bit-rounding, quantisation) on floating-point modalities: speed,
compression ratio, and the quality of the decoded data (PSNR, SSIM, MAE).

The first codec is a lossless reference. Modalities are the float ones of the
preset (``cryoet`` and ``mri`` when the preset has none); codecs come from
``zarr_benchmarks.suite.codecs.lossy.benchmark_lossy_codecs`` or
``ZARR_BENCHMARKS_LOSSY_CODECS``. A codec that does not apply to a modality's
dtype raises ``NotImplementedError`` in ``setup`` (skipped).
"""

from pathlib import Path

import numpy as np

from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import quality
from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, keep_suite, load_data
from zarr_benchmarks.suite.asv_timing import OneCallPerSample
from zarr_benchmarks.suite.cases import Case
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.codecs.lossy import benchmark_lossy_codecs

MODALITIES = tuple(m for m in MATRIX.modalities if np.dtype(get_modality(m).dtype).kind == "f")
MODALITIES = MODALITIES or (("cryoet",) if MATRIX.name == "quick" else ("cryoet", "mri"))
CODECS = benchmark_lossy_codecs(MATRIX.name)
LAYOUT = MATRIX.layouts[0]


def _case(modality, codec):
    data = load_data(modality, MATRIX.size)
    label = f"lossy-{modality}-{get_codec(codec).id}-{LAYOUT}-{MATRIX.size}"
    return Case(data, codec, LAYOUT, Path.cwd(), 3, label)


class _LossyBase(OneCallPerSample):
    params = (list(MODALITIES), list(CODECS))
    param_names = ["modality", "codec"]

    def setup_cache(self):
        generate_data_files(MODALITIES, MATRIX.size)


class LossyWrite(_LossyBase):
    def setup(self, modality, codec):
        self.case = _case(modality, codec)
        self.case.prepare_write()

    def teardown(self, modality, codec):
        # asv calls teardown after a skipped (NotImplementedError) setup too.
        if hasattr(self, "case"):
            self.case.cleanup()

    def time_write(self, modality, codec):
        self.case.write()

    def track_compression_ratio(self, modality, codec):
        self.case.write()
        return self.case.written_ratio()

    track_compression_ratio.unit = "ratio"


class LossyRead(_LossyBase):
    def setup(self, modality, codec):
        # Written and checked against the codec's documented error once, untimed.
        self.case = _case(modality, codec)
        self.case.prepare_read()

    def time_read(self, modality, codec):
        self.case.read()

    def _decoded(self):
        return np.asarray(self.case.read())

    def track_psnr(self, modality, codec):
        value = quality.psnr(self.case.data, self._decoded())
        # asv stores JSON numbers: report an exact round trip as a very large PSNR.
        return value if np.isfinite(value) else 999.0

    track_psnr.unit = "dB"

    def track_ssim(self, modality, codec):
        return quality.ssim(self.case.data, self._decoded())

    track_ssim.unit = "index"

    def track_mae(self, modality, codec):
        return quality.mae(self.case.data, self._decoded())

    track_mae.unit = "data units"


keep_suite("lossy", globals(), "LossyWrite", "LossyRead")
