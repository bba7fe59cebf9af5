"""DICOM (pydicom, extra ``dicom``): a multi-frame file, a single slice, or a folder of
slices of one series ordered by position.

Frames are decoded one at a time when sliced (``pydicom.pixels.pixel_array`` with
``index``), so a crop along the first axis decodes only its frames; stored values
are kept (no rescale slope/intercept applied: that is what gets compressed).

Voxel size (mm): pixel spacing from ``PixelSpacing`` (or the enhanced multi-frame
``PixelMeasuresSequence``); the slice step from the slices' positions, else
``SpacingBetweenSlices``, else ``SliceThickness``.

A folder's slices are ordered by their position along the slice normal
(``ImagePositionPatient`` projected on the cross product of
``ImageOrientationPatient``'s row and column directions) when all slices share one
orientation, else by ``InstanceNumber``.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import numpy as np

from zarr_benchmarks.data.readers import FrameStack, Reader, Source, UserDataError, register_reader

SUFFIXES = (".dcm", ".dicom", ".ima")


def _is_dicom_file(path: Path) -> bool:
    """Files with the DICOM preamble (``DICM`` at byte 128)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(128)
            return fh.read(4) == b"DICM"
    except OSError:
        return False


def _slice_files(folder: Path) -> list[Path]:
    return [
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.name.upper() != "DICOMDIR"
        and (p.name.lower().endswith(SUFFIXES) or _is_dicom_file(p))
    ]


def _claims(path: Path) -> bool:
    if path.is_file():
        return _is_dicom_file(path)
    return path.is_dir() and bool(_slice_files(path))


def _read_header(path: Path) -> Any:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError as exc:
        raise UserDataError(f"{path}: not a DICOM file ({exc})") from None
    except Exception as exc:  # pydicom raises many types for damaged files
        raise UserDataError(f"{path}: not a readable DICOM file ({exc})") from None


def _frame_geometry(ds: Any, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    try:
        rows, cols = int(ds.Rows), int(ds.Columns)
        bits = int(ds.BitsAllocated)
        signed = int(ds.get("PixelRepresentation", 0)) == 1
        samples = int(ds.get("SamplesPerPixel", 1))
    except (AttributeError, TypeError, ValueError) as exc:
        raise UserDataError(f"{path}: DICOM header lacks the image geometry ({exc})") from None
    if bits not in (8, 16, 32, 64):
        raise UserDataError(f"{path}: DICOM BitsAllocated {bits} is not supported")
    dtype = np.dtype(f"{'i' if signed else 'u'}{bits // 8}")
    return ((rows, cols, samples) if samples > 1 else (rows, cols)), dtype


def _slice_step(ds: Any) -> float | None:
    for key in ("SpacingBetweenSlices", "SliceThickness"):
        value = ds.get(key)
        if value not in (None, ""):
            return float(value)
    for group in ds.get("SharedFunctionalGroupsSequence") or []:
        for measures in group.get("PixelMeasuresSequence") or []:
            for key in ("SpacingBetweenSlices", "SliceThickness"):
                value = measures.get(key)
                if value not in (None, ""):
                    return float(value)
    return None


def _in_plane(ds: Any) -> tuple[float, float] | None:
    spacing = ds.get("PixelSpacing")
    if spacing is None:
        for group in ds.get("SharedFunctionalGroupsSequence") or []:
            for measures in group.get("PixelMeasuresSequence") or []:
                spacing = measures.get("PixelSpacing")
    if spacing is None or len(spacing) != 2:
        return None
    return float(spacing[0]), float(spacing[1])


def _decode(path: Path, index: int | None) -> np.ndarray:
    from pydicom.pixels import pixel_array

    try:
        return pixel_array(str(path), index=index, raw=True)
    except Exception as exc:  # missing pixel data, truncated file, unknown transfer syntax
        where = f" (frame {index})" if index is not None else ""
        raise UserDataError(f"{path}: cannot decode the DICOM pixel data{where} ({exc})") from None


def _open_file(path: Path, inner: str | None) -> Source:
    ds = _read_header(path)
    if "PixelData" not in ds and "FloatPixelData" not in ds:
        # stop_before_pixels hides the element; look for it in the file itself
        import pydicom

        try:
            full = pydicom.dcmread(path, defer_size=256)
        except Exception as exc:
            raise UserDataError(f"{path}: not a readable DICOM file ({exc})") from None
        if "PixelData" not in full:
            raise UserDataError(f"{path}: the DICOM file holds no pixel data (no image)")
    frame_shape, dtype = _frame_geometry(ds, path)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    spacing = _in_plane(ds)
    info = {
        "dicom_modality": str(ds.get("Modality", "")) or None,
        "frames": frames,
        "transfer_syntax": str(getattr(ds.file_meta, "TransferSyntaxUID", "")) or None,
    }
    voxel = None
    if spacing is not None:
        step = _slice_step(ds) or 1.0
        voxel = (step, *spacing) if frames > 1 else spacing
    if frames == 1:
        stack = FrameStack(frame_shape, dtype, 1, lambda i: _decode(path, None))
        return Source(_Single(stack), "dicom", voxel, "mm" if voxel else None, info)
    stack = FrameStack(frame_shape, dtype, frames, lambda i: _decode(path, i))
    return Source(stack, "dicom", voxel, "mm" if voxel else None, info)


class _Single:
    """A single-frame file as a 2-D lazy array."""

    def __init__(self, stack: FrameStack) -> None:
        self._stack = stack
        self.shape = stack.frame_shape
        self.dtype = stack.dtype

    def __getitem__(self, key: Any) -> np.ndarray:
        if key is Ellipsis:
            return self._stack[0]
        key = key if isinstance(key, tuple) else (key,)
        return self._stack[(0, *key)]


def _position(ds: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    pos, ori = ds.get("ImagePositionPatient"), ds.get("ImageOrientationPatient")
    if pos is None or ori is None or len(pos) != 3 or len(ori) != 6:
        return None, None
    return np.asarray(pos, float), np.asarray(ori, float)


def _open_folder(folder: Path, inner: str | None) -> Source:
    files = _slice_files(folder)
    headers = [(f, _read_header(f)) for f in files]
    series = {str(ds.get("SeriesInstanceUID", "")) for _, ds in headers}
    if len(series) > 1:
        raise UserDataError(
            f"{folder}: holds slices of {len(series)} DICOM series; give a folder with one series"
        )
    first_file, first = headers[0]
    frame_shape, dtype = _frame_geometry(first, first_file)
    for f, ds in headers[1:]:
        shape, dt = _frame_geometry(ds, f)
        if (shape, dt) != (frame_shape, dtype):
            raise UserDataError(
                f"{f}: slice is {shape} {dt} but {first_file.name} is {frame_shape} {dtype}; "
                "all slices of a series must match"
            )
        if int(ds.get("NumberOfFrames", 1) or 1) != 1:
            raise UserDataError(f"{f}: a multi-frame file inside a folder of slices")
    geometry = [_position(ds) for _, ds in headers]
    # _position gives both or neither; parallel needs every slice's, all one orientation
    known = [(p, o) for p, o in geometry if p is not None and o is not None]
    parallel = len(known) == len(geometry) and all(
        np.allclose(o, known[0][1], atol=1e-4) for _, o in known
    )
    step: float | None = None
    if parallel:
        ori = known[0][1]
        normal = np.cross(ori[:3], ori[3:])
        where = [float(np.dot(normal, p)) for p, _ in known]
        order = sorted(range(len(headers)), key=lambda i: where[i])
        ordered_by = "position"
        gaps = np.diff(sorted(where))
        if len(gaps) and np.all(gaps > 1e-6):
            step = float(statistics.median(gaps.tolist()))
        elif len(gaps):
            raise UserDataError(
                f"{folder}: two slices share one position; the folder holds a repeated "
                "or mixed acquisition"
            )
    else:
        numbers = [ds.get("InstanceNumber") for _, ds in headers]
        if any(n is None for n in numbers):
            raise UserDataError(
                f"{folder}: slices have neither one shared orientation with positions nor "
                "InstanceNumber; cannot order them"
            )
        order = sorted(range(len(headers)), key=lambda i: int(numbers[i]))
        ordered_by = "InstanceNumber"
    ordered = [headers[i][0] for i in order]
    spacing = _in_plane(first)
    if step is None:
        step = _slice_step(first)
    voxel = (step or 1.0, *spacing) if spacing is not None else None
    stack = FrameStack(frame_shape, dtype, len(ordered), lambda i: _decode(ordered[i], None))
    info = {
        "dicom_modality": str(first.get("Modality", "")) or None,
        "files": len(ordered),
        "ordered_by": ordered_by,
    }
    return Source(stack, "dicom-series", voxel, "mm" if voxel else None, info)


def _open(path: Path, inner: str | None) -> Source:
    return _open_folder(path, inner) if path.is_dir() else _open_file(path, inner)


DICOM = register_reader(
    Reader(
        "dicom",
        "DICOM",
        SUFFIXES,
        _open,
        requires=("pydicom",),
        extra="dicom",
        claims=_claims,
    )
)
