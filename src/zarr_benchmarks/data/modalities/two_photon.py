"""TWO_PHOTON: a two-photon calcium-imaging movie of cortical neurons (t, y, x), uint16.

Model
-----
* A 256x256 px field (~1 um pixels) of layer-2/3 neurons expressing a cytosolic
  calcium indicator (GCaMP-like): ~120 somata per field, ring-shaped (bright
  cytoplasm, dark nucleus), ~12 px across, over neuropil (smooth, textured, dimmer).
* Activity: each neuron fires Poisson spikes (~0.3 Hz at 30 frames/s); each spike
  adds dF/F ~ 0.8-2 decaying with tau ~ 0.4 s (12 frames); the neuropil fluctuates
  slowly.
* Brain motion: a rigid, heartbeat-and-breathing-like sub-pixel shift per frame
  (a smooth random walk of ~1-3 px), applied to the whole field.
* Resonant-scanning photon statistics: very few photons per pixel per frame
  (0.5-20), Poisson, then the PMT's broad gain distribution (~25 ADU per photon)
  plus an electronic noise floor and a digitiser offset (~50 ADU), 13-14 bits used.

Expected ratio
--------------
blosc-zstd-5-shuffle at 64^3 chunks (64 frames x 64 x 64 px): 1.5-2.6 (measured
~2.1). Rationale: shot and PMT gain noise fill ~7-8 bits of every pixel, the
(mostly zero-information) high byte compresses well; raw two-photon movies are
known to compress poorly losslessly (~1.5-2.5x).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from zarr_benchmarks.data.modalities import Modality, RatioBand, register_modality
from zarr_benchmarks.data.modalities._physics import blur, grid, quantise, smooth_noise

FRAME_RATE_HZ = 30.0


def _field(ny: int, nx: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """Neuropil baseline and a label image of ring-shaped somata (0 = none)."""
    n_cells = max(3, int(ny * nx / 550))
    y, x = grid((ny, nx))
    labels = np.zeros((ny, nx), dtype=np.int32)
    cy = rng.uniform(0, ny, n_cells)
    cx = rng.uniform(0, nx, n_cells)
    radius = rng.uniform(4.5, 7.0, n_cells)
    for k in range(n_cells):
        r0 = int(np.ceil(radius[k])) + 1
        ys = slice(max(0, int(cy[k]) - r0), min(ny, int(cy[k]) + r0 + 1))
        xs = slice(max(0, int(cx[k]) - r0), min(nx, int(cx[k]) + r0 + 1))
        d = np.sqrt((y[ys] - cy[k]) ** 2 + (x[:, xs] - cx[k]) ** 2)
        ring = (d < radius[k]) & (d > 0.55 * radius[k])
        labels[ys, xs][ring & (labels[ys, xs] == 0)] = k + 1
    neuropil = 1.0 + 0.35 * smooth_noise((ny, nx), 2.0, rng) + 0.2 * smooth_noise((ny, nx), 10, rng)
    vessels = smooth_noise((ny, nx), 6.0, rng)
    neuropil *= 1.0 - 0.8 * np.exp(-(vessels**2) / 0.02)  # dark blood vessels
    return np.clip(neuropil, 0.05, None).astype(np.float32), labels, n_cells


def generate(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    """Calcium-imaging movie with transients, motion and PMT noise (see module docs)."""
    rng = np.random.default_rng(seed)
    if len(shape) < 2:
        raise ValueError(f"two_photon needs at least (y, x) axes, got shape {shape}")
    nt = int(np.prod(shape[:-2], dtype=int))
    ny, nx = shape[-2:]
    neuropil, labels, n_cells = _field(ny, nx, rng)
    # Calcium traces: Poisson spikes convolved with an exponential decay.
    t = np.arange(nt)
    spikes = rng.poisson(0.3 / FRAME_RATE_HZ, (n_cells, nt)).astype(np.float32)
    spikes *= rng.uniform(0.8, 2.0, (n_cells, 1)).astype(np.float32)
    kernel = np.exp(-np.arange(min(nt, 60)) / (0.4 * FRAME_RATE_HZ)).astype(np.float32)
    dff = np.stack([np.convolve(s, kernel)[:nt] for s in spikes])
    baseline = rng.uniform(1.5, 3.0, n_cells).astype(np.float32)
    cell_trace = np.concatenate([np.zeros((1, nt), np.float32), baseline[:, None] * (1 + dff)])
    neuropil_trace = 1.0 + 0.1 * np.sin(2 * np.pi * t / max(nt, 1) + rng.uniform(0, 6.3))
    # Motion: smooth random walk (breathing + heartbeat) of a few pixels.
    walk = np.cumsum(rng.normal(0, 0.35, (nt, 2)), axis=0)
    walk = ndi.gaussian_filter1d(walk, 2.0, axis=0) + 0.6 * np.sin(
        2 * np.pi * t[:, None] * np.array([4.0, 1.5]) / FRAME_RATE_HZ
    )
    in_cell = labels > 0
    frames = np.empty((nt, ny, nx), dtype=np.float32)
    psf = 0.8
    for i in range(nt):
        frame = neuropil * neuropil_trace[i]
        frame = np.where(in_cell, cell_trace[labels, i], frame)
        frame = blur(frame, psf)
        frames[i] = ndi.shift(frame, walk[i], order=1, mode="nearest")
    photons = 2.0 * frames
    n = rng.poisson(photons).astype(np.float32)
    # PMT: per-photon gain ~ exponential-like (gamma shape 1.5), mean 25 ADU.
    charge = rng.gamma(np.maximum(1.5 * n, 1e-3), 25.0 / 1.5).astype(np.float32)
    adu = 50.0 + charge * (n > 0) + 4.0 * rng.standard_normal(n.shape, dtype=np.float32)
    return quantise(adu.reshape(shape), dtype)


TWO_PHOTON = register_modality(
    Modality(
        id="two_photon",
        name="TWO_PHOTON",
        title="Two-photon calcium imaging (time series)",
        dtype="uint16",
        shape=(64, 256, 256),
        axes="tyx",
        generator=generate,
        ratio_band=RatioBand(
            codec="blosc-zstd-5-shuffle",
            low=1.5,
            high=2.6,
            chunks=64,
            source=(
                "rationale + measured on the generator: resonant-scan photon counts are "
                "low, so Poisson and PMT gain noise fill ~7-8 bits of every pixel"
            ),
        ),
        voxel_size=(1 / FRAME_RATE_HZ, 1.0, 1.0),
        units="um",
        suggested_codec="blosc-zstd-3-shuffle",
        chunk_layouts=("slab16", "cube64", "plane"),
        modality_specific={
            "indicator": "GCaMP6s",
            "frame_rate_hz": FRAME_RATE_HZ,
            "excitation_nm": 920,
            "scanner": "resonant",
            "depth_um": 200,
            "objective": "16x/0.8 W",
        },
    )
)
