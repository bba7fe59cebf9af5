"""Streaming acquisition: frames labelled (time, channel, z, position) arrive one at
a time and are written as they arrive, growing each position's array along time.

``mode``: ``frame`` writes each frame the moment it arrives; ``buffered`` holds
frames until a chunk's depth along z is complete; ``one_go`` writes the same data
in one assignment per position (the reference). Figures: time per acquisition and
frames per second.
"""

from pathlib import Path

from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import patterns
from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, keep_suite, load_data
from zarr_benchmarks.suite.asv_timing import OneCallPerSample

TIME_POINTS = 3
POSITIONS = 2
LAYOUTS = list(dict.fromkeys(["plane", MATRIX.layouts[0]]))


class Streaming(OneCallPerSample):
    params = (
        list(MATRIX.modalities[:1]),
        list(MATRIX.detail_codecs[:1]),
        LAYOUTS,
        ["frame", "buffered", "one_go"],
    )
    param_names = ["modality", "codec", "chunks", "mode"]
    # Frame-by-frame writes into deep chunks rewrite each chunk once per plane:
    # few samples keep the run time bounded.
    repeat = (min(3, MATRIX.repeat[0]), MATRIX.repeat[1], MATRIX.repeat[2])

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def setup(self, modality, codec, chunks, mode):
        mod = get_modality(modality)
        data = load_data(modality, MATRIX.size)
        self.stack = patterns.acquisition_stack(data, mod.axes, TIME_POINTS, POSITIONS)
        self.frames = patterns.frames_in_stack(self.stack)
        settings = patterns.stream_settings(self.stack, codec, chunks)
        self.root = Path.cwd() / f"stream-{modality}-{codec}-{chunks}-{mode}"
        if mode == "one_go":
            self.arrays = patterns.prepare_one_go(self.root, self.stack, settings)
        else:
            self.writer = patterns.open_streaming_writer(
                self.root, self.stack, settings, buffered=mode == "buffered"
            )

    def teardown(self, modality, codec, chunks, mode):
        from zarr_benchmarks.suite.zarr_io import remove_tree

        remove_tree(self.root)

    def _run(self, mode):
        if mode == "one_go":
            patterns.write_stack_in_one_go(self.arrays, self.stack)
        else:
            patterns.stream_frames(self.writer, patterns.iter_frames(self.stack))

    def time_acquisition(self, modality, codec, chunks, mode):
        self._run(mode)

    def track_frames_per_second(self, modality, codec, chunks, mode):
        import time

        start = time.perf_counter()
        self._run(mode)
        return self.frames / (time.perf_counter() - start)

    track_frames_per_second.unit = "frames/s"


keep_suite("streaming", globals(), "Streaming")
