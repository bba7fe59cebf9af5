"""Streaming acquisition: frames written as they arrive, growing the array along time."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.suite import zarr_io
from zarr_benchmarks.suite.codecs import get_codec

# --------------------------------------------------------------- streaming acquisition
#: axis order of the arrays a streaming acquisition writes (one array per position)
STREAM_AXES = ("t", "c", "z", "y", "x")


@dataclass(frozen=True)
class FrameCoords:
    """The label of one acquired frame, as an acquisition engine attaches it."""

    time: int
    channel: str
    z: int
    position: str

    def as_dict(self) -> dict[str, Any]:
        return {"time": self.time, "channel": self.channel, "z": self.z, "position": self.position}


def acquisition_stack(
    data: np.ndarray, axes: str, time_points: int | None = None, positions: int = 1
) -> np.ndarray:
    """Shape a modality's data into an acquisition ``(position, t, c, z, y, x)``.

    Axes ``t``, ``c`` and ``z`` of ``data`` (named by ``axes``, e.g. ``"tyx"``,
    ``"czyx"``) are kept; missing ones have length 1. Data without a time axis is
    repeated ``time_points`` times (each copy shifted by a pixel, so frames differ);
    further positions are shifted copies too.

    Raises
    ------
    ValueError
        For axes that do not match ``data`` or contain unknown names.
    """
    axes = axes[-data.ndim :] if len(axes) >= data.ndim else axes
    if len(axes) != data.ndim or axes[-2:] != "yx" or set(axes) - set("tczyx"):
        raise ValueError(f"axes {axes!r} do not describe data of shape {data.shape}")
    if positions < 1:
        raise ValueError(f"positions must be at least 1, got {positions}")
    order = [axes.index(a) for a in "tczyx" if a in axes]
    arr = np.transpose(data, order)
    full = [a for a in "tczyx" if a in axes]
    for i, a in enumerate("tczyx"):
        if a not in full:
            arr = np.expand_dims(arr, i)
            full.insert(i, a)
    if "t" not in axes and time_points and time_points > 1:
        arr = np.concatenate([np.roll(arr, t, axis=-1) for t in range(time_points)], axis=0)
    return np.stack([np.roll(arr, 3 * p, axis=-2) for p in range(positions)])


def channel_names(n: int) -> list[str]:
    base = ["DAPI", "GFP", "mCherry", "Cy5"]
    return [base[i] if i < len(base) else f"ch{i}" for i in range(n)]


def position_names(n: int) -> list[str]:
    return [f"pos{i}" for i in range(n)]


def iter_frames(stack: np.ndarray) -> Iterator[tuple[FrameCoords, np.ndarray]]:
    """The frames of an acquisition ``(p, t, c, z, y, x)`` in acquisition order.

    For each time point, each position is visited and its channels and z planes
    recorded in turn (time, then position, then channel, then z), as in a
    multi-position time-lapse.
    """
    n_p, n_t, n_c, n_z = stack.shape[:4]
    channels, positions = channel_names(n_c), position_names(n_p)
    for t in range(n_t):
        for p in range(n_p):
            for c in range(n_c):
                for z in range(n_z):
                    yield FrameCoords(t, channels[c], z, positions[p]), stack[p, t, c, z]


def frames_in_stack(stack: np.ndarray) -> int:
    return math.prod(stack.shape[:4])


@dataclass
class StreamingWriter:
    """Writes labelled frames as they arrive, growing each position's array in time.

    One Zarr array per position under ``root`` (``root/<position>``), axes
    ``t, c, z, y, x``, created with zero time points and grown with
    ``Array.resize`` when the first frame of a new time point arrives.

    Parameters
    ----------
    root
        Folder for the arrays (replaced).
    channels, n_z, frame_shape, dtype
        What each time point holds.
    settings_for
        ``callable(final-like shape) -> ArraySettings``; the layout is resolved
        against ``(1, C, Z, Y, X)`` so chunks are 1 along time.
    positions
        Position names.
    buffered
        ``False``: every frame is written to Zarr the moment it arrives (a frame
        that fills only part of a chunk costs a read-modify-write of it).
        ``True``: frames are held until a chunk's worth along z is complete, then
        written at once (what a careful acquisition writer does).
    """

    root: Path
    channels: Sequence[str]
    n_z: int
    frame_shape: tuple[int, int]
    dtype: Any
    settings: zarr_io.ArraySettings
    positions: Sequence[str]
    buffered: bool = False
    frames_written: int = 0
    coords: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        zarr_io.remove_tree(self.root)
        self.root.mkdir(parents=True)
        self._channel_index = {c: i for i, c in enumerate(self.channels)}
        self._arrays: dict[str, zarr.Array] = {}
        base = (0, len(self.channels), self.n_z, *self.frame_shape)
        for pos in self.positions:
            self._arrays[pos] = zarr_io.create_array(
                self.root / pos, base, self.dtype, self.settings
            )
        self._zc = self.settings.layout.chunks[2]
        self._pending: dict[tuple[str, int, int, int], tuple[np.ndarray, int]] = {}

    def write_frame(self, coords: FrameCoords, frame: np.ndarray) -> None:
        """Timed: store one frame at its coordinates (growing the array if needed)."""
        array = self._arrays[coords.position]
        c = self._channel_index[coords.channel]
        if coords.time >= array.shape[0]:
            array.resize((coords.time + 1, *array.shape[1:]))
        self.coords.append([coords.time, coords.channel, coords.z, coords.position])
        self.frames_written += 1
        if not self.buffered:
            array[coords.time, c, coords.z] = frame
            return
        z0 = (coords.z // self._zc) * self._zc
        depth = min(self._zc, self.n_z - z0)
        key = (coords.position, coords.time, c, z0)
        pending = self._pending.get(key)
        if pending is None:
            # Planes that never arrive stay at the fill value when flushed on close.
            buf = np.full((depth, *self.frame_shape), array.fill_value, dtype=self.dtype)
            count = 0
        else:
            buf, count = pending
        buf[coords.z - z0] = frame
        count += 1
        if count == depth:
            self._pending.pop(key, None)
            array[coords.time, c, z0 : z0 + depth] = buf
        else:
            self._pending[key] = (buf, count)

    def close(self) -> None:
        """Flush incomplete buffers and record the acquisition in the attributes."""
        for (pos, t, c, z0), (buf, _count) in self._pending.items():
            self._arrays[pos][t, c, z0 : z0 + buf.shape[0]] = buf
        self._pending.clear()
        for pos, array in self._arrays.items():
            array.attrs.update(
                {
                    "acquisition": {
                        "axes": list(STREAM_AXES),
                        "channels": list(self.channels),
                        "position": pos,
                        "frames": [c for c in self.coords if c[3] == pos],
                        "frame_order": ["time", "position", "channel", "z"],
                    }
                }
            )

    def arrays(self) -> dict[str, zarr.Array]:
        return dict(self._arrays)


def stream_settings(
    stack: np.ndarray, codec: Any, layout: str | Sequence[int], zarr_format: int = 3
) -> zarr_io.ArraySettings:
    """Array settings for a streamed ``(p, t, c, z, y, x)`` stack: chunks of one time
    point (the layout is resolved against ``(1, c, z, y, x)``)."""

    lay = resolve_layout(layout, (1, *stack.shape[2:]))
    return zarr_io.ArraySettings(get_codec(codec), lay, zarr_format)


def open_streaming_writer(
    root: Path, stack: np.ndarray, settings: zarr_io.ArraySettings, *, buffered: bool = False
) -> StreamingWriter:
    """Untimed set-up: empty, growable arrays for ``stack``'s positions."""
    return StreamingWriter(
        root=Path(root),
        channels=channel_names(stack.shape[2]),
        n_z=stack.shape[3],
        frame_shape=(stack.shape[4], stack.shape[5]),
        dtype=stack.dtype,
        settings=settings,
        positions=position_names(stack.shape[0]),
        buffered=buffered,
    )


def stream_frames(writer: StreamingWriter, frames: Iterable[tuple[FrameCoords, np.ndarray]]) -> int:
    """Timed: feed every frame to ``writer`` as it arrives, then close it."""
    for coords, frame in frames:
        writer.write_frame(coords, frame)
    writer.close()
    return writer.frames_written


def prepare_one_go(
    root: Path, stack: np.ndarray, settings: zarr_io.ArraySettings
) -> dict[str, zarr.Array]:
    """Untimed set-up: final-shape arrays for writing ``stack`` in one go."""
    root = Path(root)
    zarr_io.remove_tree(root)
    root.mkdir(parents=True)
    return {
        pos: zarr_io.create_array(root / pos, stack.shape[1:], stack.dtype, settings)
        for pos in position_names(stack.shape[0])
    }


def write_stack_in_one_go(arrays: dict[str, zarr.Array], stack: np.ndarray) -> None:
    """Timed: the same data as the stream, one assignment per position."""
    for p, array in enumerate(arrays.values()):
        array[...] = stack[p]


def read_stack(root: Path, stack_shape: Sequence[int]) -> np.ndarray:
    """Read every position's array back into one ``(p, t, c, z, y, x)`` array."""
    names = position_names(stack_shape[0])
    return np.stack([zarr_io.open_array(Path(root) / n)[...] for n in names])
