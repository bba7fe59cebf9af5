"""Quality of decoded data against the original: the figures reported beside lossy codecs.

All metrics are computed in float64, whatever the input dtype, so that integer
differences do not wrap around.

``data_range`` (for PSNR and SSIM) defaults to ``max - min`` of the original data,
the dynamic range actually used. (The seed's example used ``original.max()``,
which overstates the range of data with a large offset, such as cryo-ET densities
centred on zero or camera data with a baseline.)
"""

from __future__ import annotations

import math

import numpy as np


def _pair(original: np.ndarray, decoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(original)
    b = np.asarray(decoded)
    if a.shape != b.shape:
        raise ValueError(f"original has shape {a.shape} but decoded has shape {b.shape}")
    if a.size == 0:
        raise ValueError("cannot compare empty arrays")
    return a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)


def _range(original: np.ndarray, data_range: float | None) -> float:
    if data_range is not None:
        if not data_range > 0:
            raise ValueError(f"data_range must be positive, got {data_range!r}")
        return float(data_range)
    rng = float(np.max(original) - np.min(original))
    # A constant image has no range; use its magnitude (or 1) so PSNR stays defined.
    return rng if rng > 0 else (abs(float(np.max(original))) or 1.0)


def mse(original: np.ndarray, decoded: np.ndarray) -> float:
    """Mean squared error."""
    a, b = _pair(original, decoded)
    return float(np.mean((a - b) ** 2))


def mae(original: np.ndarray, decoded: np.ndarray) -> float:
    """Mean absolute error."""
    a, b = _pair(original, decoded)
    return float(np.mean(np.abs(a - b)))


def max_abs_error(original: np.ndarray, decoded: np.ndarray) -> float:
    """Largest absolute difference."""
    a, b = _pair(original, decoded)
    return float(np.max(np.abs(a - b)))


def psnr(original: np.ndarray, decoded: np.ndarray, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio in dB: ``10 log10(range^2 / MSE)``; ``inf`` when equal."""
    a, b = _pair(original, decoded)
    err = float(np.mean((a - b) ** 2))
    if err == 0:
        return math.inf
    return 10.0 * math.log10(_range(a, data_range) ** 2 / err)


def ssim(original: np.ndarray, decoded: np.ndarray, data_range: float | None = None) -> float:
    """Mean structural similarity index (``skimage.metrics.structural_similarity``).

    Works on 2-D and N-D arrays; the window shrinks to fit small arrays (odd, at
    least 3), and axes shorter than 3 are squeezed out or compared plane by plane.
    """
    from skimage.metrics import structural_similarity

    a, b = _pair(original, decoded)
    keep = [i for i, n in enumerate(a.shape) if n >= 3]
    if not keep:
        raise ValueError(f"SSIM needs at least one axis of length >= 3, got shape {a.shape}")
    # Short axes (a few channels or time points): average SSIM over their planes.
    short = [i for i in range(a.ndim) if i not in keep]
    a = np.moveaxis(a, short, list(range(len(short)))).reshape(-1, *[a.shape[i] for i in keep])
    b = np.moveaxis(b, short, list(range(len(short)))).reshape(-1, *[b.shape[i] for i in keep])
    rng = _range(np.asarray(original, dtype=np.float64), data_range)
    win = min(7, *(a.shape[1:]))
    win = win if win % 2 else win - 1
    values = [structural_similarity(x, y, data_range=rng, win_size=win) for x, y in zip(a, b)]
    return float(np.mean(values))


def snr(
    image: np.ndarray, roi_mask: np.ndarray, background_mask: np.ndarray | None = None
) -> float:
    """Signal-to-noise ratio: mean inside the ROI over the standard deviation of the
    background (the complement of the ROI unless ``background_mask`` is given).

    Returns ``inf`` for a noiseless background.
    """
    img, roi, bg = _masks(image, roi_mask, background_mask)
    noise = float(np.std(img[bg]))
    signal = float(np.mean(img[roi]))
    return signal / noise if noise > 0 else math.inf


def cnr(
    image: np.ndarray, roi_mask: np.ndarray, background_mask: np.ndarray | None = None
) -> float:
    """Contrast-to-noise ratio: ``|mean(ROI) - mean(background)| / std(background)``.

    Returns ``inf`` for a noiseless background with contrast, ``0`` with none.
    """
    img, roi, bg = _masks(image, roi_mask, background_mask)
    contrast = abs(float(np.mean(img[roi])) - float(np.mean(img[bg])))
    noise = float(np.std(img[bg]))
    if noise > 0:
        return contrast / noise
    return math.inf if contrast > 0 else 0.0


def _masks(
    image: np.ndarray, roi_mask: np.ndarray, background_mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    img = np.asarray(image).astype(np.float64, copy=False)
    roi = np.asarray(roi_mask)
    if roi.dtype != bool:
        raise ValueError(f"roi_mask must be a boolean array, got dtype {roi.dtype}")
    if roi.shape != img.shape:
        raise ValueError(f"roi_mask has shape {roi.shape} but the image has {img.shape}")
    bg = ~roi if background_mask is None else np.asarray(background_mask)
    if bg.dtype != bool or bg.shape != img.shape:
        raise ValueError("background_mask must be a boolean array of the image's shape")
    if not roi.any():
        raise ValueError("roi_mask selects no voxels")
    if not bg.any():
        raise ValueError("the background (outside the ROI) has no voxels")
    return img, roi, bg


def quality_metrics(
    original: np.ndarray,
    decoded: np.ndarray,
    roi_mask: np.ndarray | None = None,
    background_mask: np.ndarray | None = None,
    data_range: float | None = None,
) -> dict[str, float]:
    """PSNR (dB), SSIM, MSE, MAE and the largest error of ``decoded``; with a ROI mask
    also CNR and SNR of the original and of the decoded data.

    Returns
    -------
    dict
        ``psnr``, ``ssim``, ``mse``, ``mae``, ``max_abs_error``, and when ``roi_mask``
        is given ``cnr``, ``snr``, ``cnr_original``, ``snr_original``.
    """
    out = {
        "psnr": psnr(original, decoded, data_range),
        "ssim": ssim(original, decoded, data_range),
        "mse": mse(original, decoded),
        "mae": mae(original, decoded),
        "max_abs_error": max_abs_error(original, decoded),
    }
    if roi_mask is not None:
        out["cnr"] = cnr(decoded, roi_mask, background_mask)
        out["snr"] = snr(decoded, roi_mask, background_mask)
        out["cnr_original"] = cnr(original, roi_mask, background_mask)
        out["snr_original"] = snr(original, roi_mask, background_mask)
    return out
