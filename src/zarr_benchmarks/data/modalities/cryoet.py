"""CRYOET: a reconstructed cryo-electron tomogram (float32, ~13 A voxels).

Model
-----
A slab of vitreous ice (the lamella, ~70 % of z) crowded with macromolecules
(ribosome-sized blobs, ~25 nm) and a few lipid vesicles (bilayer shells ~4 nm thick),
seen through the microscope transfer function and the tilt-series geometry:

* the phase-contrast transfer function ``-sin(chi(k))`` at ~3-4 um defocus, which
  flips contrast in rings and suppresses low frequencies, times an envelope;
* the missing wedge: Fourier components beyond the +-60 deg tilt range about the
  y axis are absent (for signal and noise alike);
* very low SNR (signal/noise variance ~0.15): electron shot noise dominates, and
  after weighted back-projection it is band-limited by the binning (Nyquist).

The tomogram is stored as float32 normalised to zero mean and unit variance, as
reconstruction software writes it: every voxel carries a full 23-bit mantissa of
noise, so tomograms are nearly incompressible.

Expected ratio
--------------
blosc-zstd-5-shuffle at 128^3 chunks: 1.10-1.25 (measured ~1.15; blosc-lz4 ~1.07).
Calibration: published
measurements on real float32 CZ cryoET Data Portal tomograms give 1.17 with
blosc-zstd and 1.09 with blosc-lz4; only the sign/exponent byte of float32 noise is
redundant after byte shuffling.
"""

from __future__ import annotations

import numpy as np

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import blur, grid, impulses, per_volume

VOXEL_A = 13.48  # CZ cryoET Data Portal "bin 4" voxel size, Angstrom


def _density(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """Projected scattering potential: macromolecules and vesicles in a lamella."""
    nz, ny, nx = shape
    vol = np.zeros(shape, dtype=np.float32)
    # Crowded cytoplasm: ~1 ribosome-sized particle per (30 voxels)^3 ~ 400 nm^3 box.
    n_particles = max(8, int(nz * ny * nx / 1_500))
    idx, amp = impulses(shape, n_particles, rng)
    np.add.at(vol, idx, 0.5 + amp)
    vol = blur(vol, 25.0 / (VOXEL_A / 10) / 4)  # ~25 nm particles -> sigma ~4.6 voxels
    vol /= max(float(vol.max()), 1e-6)
    # Smaller complexes (~10 nm) everywhere.
    small = np.zeros(shape, dtype=np.float32)
    idx, amp = impulses(shape, n_particles * 6, rng)
    np.add.at(small, idx, amp)
    vol += 0.6 * blur(small, 1.8) / max(float(blur(small, 1.8).max()), 1e-6)
    # Vesicles: bilayer shells (two leaflets ~4 nm apart).
    z, y, x = grid(shape)
    for _ in range(max(1, int(nz * ny * nx / 400_000))):
        c = [rng.uniform(0.2, 0.8) * s for s in shape]
        r = rng.uniform(0.15, 0.3) * min(shape)
        d = np.sqrt((z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2) - r
        vol += 1.2 * (np.exp(-((d - 1.5) ** 2) / 1.0) + np.exp(-((d + 1.5) ** 2) / 1.0))
    # Lamella: only the middle ~70 % of z holds sample; outside is vacuum/ice.
    lamella = np.clip((np.minimum(z, nz - 1 - z) - 0.15 * nz) / 3.0 + 0.5, 0.0, 1.0)
    return vol * lamella


def _transfer(shape: tuple[int, int, int], defocus_um: float) -> tuple[np.ndarray, np.ndarray]:
    """CTF (with envelope) and missing-wedge mask on the rfftn frequency grid."""
    kz = np.fft.fftfreq(shape[0]).astype(np.float32)[:, None, None]
    ky = np.fft.fftfreq(shape[1]).astype(np.float32)[None, :, None]
    kx = np.fft.rfftfreq(shape[2]).astype(np.float32)[None, None, :]
    k2 = (kz**2 + ky**2 + kx**2) / (VOXEL_A**2)  # 1/A^2
    wavelength = 0.0197  # A, 300 kV electrons
    cs = 2.7e7  # A, spherical aberration
    chi = np.pi * wavelength * defocus_um * 1e4 * k2 - 0.5 * np.pi * cs * wavelength**3 * k2**2
    ctf = -(np.sqrt(1 - 0.07**2) * np.sin(chi) + 0.07 * np.cos(chi))
    ctf *= np.exp(-120.0 * k2)  # B-factor-like envelope
    # Missing wedge about y: tilts of +-60 deg sample |kz| <= tan(60 deg) |kx|.
    wedge = (np.abs(kz) <= np.tan(np.deg2rad(60)) * np.abs(kx) + 1e-6).astype(np.float32)
    return ctf.astype(np.float32), wedge


def _tomogram(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """One tomogram: a new lamella and defocus, normalised to zero mean, unit variance."""
    density = _density(shape, rng)
    ctf, wedge = _transfer(shape, defocus_um=rng.uniform(3.0, 4.5))
    signal = np.fft.irfftn(np.fft.rfftn(density) * ctf * wedge, s=shape, axes=(0, 1, 2))
    signal /= max(float(signal.std()), 1e-12)
    noise: np.ndarray = rng.standard_normal(shape, dtype=np.float32)
    # Back-projection weighting: noise shares the wedge and loses the highest
    # frequencies to binning (a mild low-pass).
    noise = np.fft.irfftn(np.fft.rfftn(noise) * wedge, s=shape, axes=(0, 1, 2))
    noise = blur(noise, 0.6)
    noise /= max(float(noise.std()), 1e-12)
    tomo = np.sqrt(0.15) * signal + noise
    return (tomo - tomo.mean()) / tomo.std()


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Low-SNR CTF-filtered tomogram of a crowded lamella (see module docs)."""
    return per_volume(shape, dtype, np.random.default_rng(seed), _tomogram)


CRYOET = register_modality(
    Modality(
        id="cryoet",
        name="CRYOET",
        title="Cryo-electron tomography (reconstructed tomogram)",
        dtype="float32",
        shape=(128, 128, 128),
        axes="zyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=1.10,
            high=1.25,
            chunks=128,
            source=(
                "published: real float32 CZ cryoET Data Portal tomograms reach 1.17 with "
                "blosc-zstd and 1.09 with blosc-lz4 (full-mantissa noise)"
            ),
        ),
        voxel_size=(VOXEL_A, VOXEL_A, VOXEL_A),
        units="angstrom",
        suggested_codec="blosc-lz4-5-shuffle",
        chunk_layouts=("cube128", "cube64", "cube32-shard128"),
        modality_specific={
            "acceleration_voltage_kv": 300,
            "tilt_range_deg": [-60, 60],
            "tilt_step_deg": 3,
            "defocus_um": -3.5,
            "total_dose_e_per_a2": 120,
            "reconstruction": "WBP",
            "binning": 4,
        },
    )
)
