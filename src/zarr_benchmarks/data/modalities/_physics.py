"""Building blocks shared by the modality generators: optics, detectors, geometry.

Every function takes an explicit :class:`numpy.random.Generator` so generators stay
deterministic. Arrays are float32 until the final :func:`quantise`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import ndimage as ndi

__all__ = [
    "blur",
    "camera",
    "filaments",
    "grid",
    "impulses",
    "label_id_bound",
    "per_volume",
    "quantise",
    "smooth_noise",
    "spatial_shape",
    "splat",
    "volume_shape",
    "voronoi_labels",
]

#: ``volume(vol_shape, rng) -> ndarray``: one 3-D volume (float) drawn from ``rng``.
Volume = Callable[[tuple[int, int, int], np.random.Generator], np.ndarray]


def spatial_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The last (up to) three axes of ``shape``: the spatial part of a volume."""
    return tuple(shape[-3:])


def volume_shape(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The 3-D shape of one volume of ``shape``: its last three axes, with leading
    length-1 axes added to shapes of fewer than three."""
    nz, ny, nx = (1, 1, 1, *shape)[-3:]
    return nz, ny, nx


def per_volume(
    shape: tuple[int, ...], dtype: np.dtype, rng: np.random.Generator, volume: Volume
) -> np.ndarray:
    """Data of ``shape`` as independent volumes along its leading (time, channel) axes.

    ``volume(volume_shape(shape), rng)`` is called once per volume, in order, all
    drawing from the one ``rng``; the volumes are held as float32, then reshaped to
    ``shape`` and :func:`quantise`-d to ``dtype``.
    """
    vol_shape = volume_shape(shape)
    n = int(np.prod(shape[:-3], dtype=int))
    out = np.empty((n, *vol_shape), dtype=np.float32)
    for i in range(n):
        out[i] = volume(vol_shape, rng)
    return quantise(out.reshape(shape), dtype)


def label_id_bound(dtype: np.dtype, wide: int) -> int:
    """Exclusive upper bound for label ids stored as ``dtype``: ``wide`` for 64-bit
    integers, the largest value of a narrower integer dtype, and for a float dtype the
    first integer it cannot hold exactly (``2 ** (mantissa bits + 1)``)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return wide if dtype.itemsize >= 8 else int(np.iinfo(dtype).max)
    return int(2 ** (np.finfo(dtype).nmant + 1))


def blur(a: np.ndarray, sigma: float | Sequence[float]) -> np.ndarray:
    """Gaussian point-spread function (separable, reflecting borders), float32."""
    return ndi.gaussian_filter(a.astype(np.float32, copy=False), sigma, truncate=3.0)


def smooth_noise(
    shape: tuple[int, ...], sigma: float | Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    """A Gaussian random field with correlation length ``sigma``, zero mean, unit std.

    Fields with ``sigma >= 4`` are drawn on a 2x coarser grid and interpolated: they
    have no detail at that scale, and it is ~8x cheaper in 3-D.
    """
    sig = np.broadcast_to(np.asarray(sigma, dtype=float), (len(shape),))
    if len(shape) >= 2 and sig.min() >= 4:
        small = tuple(-(-s // 2) for s in shape)
        coarse = blur(rng.standard_normal(small, dtype=np.float32), tuple(sig / 2))
        field = ndi.zoom(coarse, 2, order=1, mode="nearest", grid_mode=True)
        field = np.ascontiguousarray(field[tuple(slice(0, s) for s in shape)])
    else:
        field = blur(rng.standard_normal(shape, dtype=np.float32), sigma)
    field -= field.mean()
    std = float(field.std())
    return field / std if std > 0 else field


def grid(shape: tuple[int, ...]) -> list[np.ndarray]:
    """Open (broadcastable) float32 index grids, one per axis."""
    return [
        np.arange(n, dtype=np.float32).reshape([-1 if j == i else 1 for j in range(len(shape))])
        for i, n in enumerate(shape)
    ]


def impulses(
    shape: tuple[int, ...], n: int, rng: np.random.Generator, weights: np.ndarray | None = None
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """``n`` random point sources (index tuples and amplitudes) in a volume.

    Blurring an array holding them with a Gaussian renders ``n`` Gaussian spots at
    once, far faster than drawing each spot.
    """
    size = int(np.prod(shape))
    if weights is None:
        flat = rng.integers(0, size, n)
    else:
        p = weights.ravel().astype(np.float64)
        flat = rng.choice(size, size=n, p=p / p.sum())
    return np.unravel_index(flat, shape), rng.random(n).astype(np.float32)


def camera(
    photons: np.ndarray,
    rng: np.random.Generator,
    *,
    offset: float = 100.0,
    read_noise: float = 1.5,
    gain: float = 1.0,
) -> np.ndarray:
    """A camera read-out: Poisson shot noise, Gaussian read noise, gain and offset (ADU)."""
    electrons = rng.poisson(np.maximum(photons, 0.0)).astype(np.float32)
    electrons += read_noise * rng.standard_normal(photons.shape, dtype=np.float32)
    return offset + gain * electrons


def quantise(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Round and clip to an integer dtype (what an ADC does), or cast to a float dtype."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def voronoi_labels(
    shape: tuple[int, ...],
    n_seeds: int,
    rng: np.random.Generator,
    *,
    scale: Sequence[float] | None = None,
    coarse: int = 1,
) -> np.ndarray:
    """Space-filling Voronoi segmentation with ids ``1..n_seeds`` (int64).

    ``scale`` stretches the metric per axis (values > 1 make cells thinner along that
    axis, e.g. elongated neurites). ``coarse > 1`` computes the tessellation on a
    grid ``coarse`` times coarser and repeats it (faster; boundaries get steps of
    ``coarse`` voxels, invisible once an image is blurred by its PSF).
    """
    if coarse > 1:
        small = tuple(-(-s // coarse) for s in shape)
        labels = voronoi_labels(small, min(n_seeds, int(np.prod(small))), rng, scale=scale)
        for axis in range(len(shape)):
            labels = np.repeat(labels, coarse, axis=axis)
        return labels[tuple(slice(0, s) for s in shape)]
    mask = np.ones(shape, dtype=bool)
    seeds = np.unravel_index(rng.choice(mask.size, size=n_seeds, replace=False), shape)
    mask[seeds] = False
    ids = np.zeros(shape, dtype=np.int64)
    ids[seeds] = np.arange(1, n_seeds + 1)
    sampling = None if scale is None else tuple(float(s) for s in scale)
    nearest = ndi.distance_transform_edt(
        mask, sampling=sampling, return_distances=False, return_indices=True
    )
    return ids[tuple(nearest)]


def filaments(
    shape: tuple[int, ...],
    n: int,
    length: int,
    rng: np.random.Generator,
    *,
    step: float = 0.5,
    stiffness: float = 0.95,
) -> np.ndarray:
    """Points along ``n`` worm-like chains (persistent random walks), ``(m, ndim)`` float.

    Each chain starts anywhere, moves ``step`` voxels per point and keeps
    ``stiffness`` of its direction from one point to the next; points leaving the
    volume are dropped.
    """
    ndim = len(shape)
    direction = rng.standard_normal((n, ndim))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    pos = rng.random((n, ndim)) * np.asarray(shape)
    points: np.ndarray = np.empty((length, n, ndim))
    for i in range(length):
        kick = rng.standard_normal((n, ndim))
        direction = stiffness * direction + (1 - stiffness) * kick
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        pos = pos + step * direction
        points[i] = pos
    points = points.reshape(-1, ndim)
    inside = np.all((points >= 0) & (points < np.asarray(shape) - 0.5), axis=1)
    return points[inside]


def splat(
    shape: tuple[int, ...], points: np.ndarray, weights: np.ndarray | float = 1.0
) -> np.ndarray:
    """Accumulate point weights into the nearest voxels (float32)."""
    out = np.zeros(shape, dtype=np.float32)
    idx = tuple(
        np.clip(np.rint(points[:, k]).astype(np.intp), 0, s - 1) for k, s in enumerate(shape)
    )
    np.add.at(out, idx, np.broadcast_to(np.asarray(weights, np.float32), len(points)))
    return out
