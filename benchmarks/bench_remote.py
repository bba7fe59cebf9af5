"""Writes and reads against an S3-compatible object store (SeaweedFS) on loopback,
through obstore or fsspec/s3fs, with the requests made and bytes moved.

Each benchmark process starts its own server on first use (outside the timed
region) and stops it when the process exits; the server also dies with the
process if it is killed. Skipped with the reason when the ``s3`` extra is missing.
"""

import atexit

from zarr_benchmarks.suite.asv_support import MATRIX, generate_data_files, keep_suite, load_data
from zarr_benchmarks.suite.asv_timing import OneCallPerSample
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.patterns import layout_with_units
from zarr_benchmarks.suite.zarr_io import ArraySettings

_SERVER = []


def _server():
    from zarr_benchmarks.suite import remote

    if not _SERVER:
        try:
            import obstore  # noqa: F401
            import s3fs  # noqa: F401
        except ImportError as exc:
            raise NotImplementedError(
                "remote benchmarks need the 's3' extra: pip install 'zarr-benchmarks[s3]'"
            ) from exc
        try:
            server = remote.start_object_store()
        except remote.ObjectStoreUnavailable as exc:
            raise NotImplementedError(str(exc)) from exc
        atexit.register(server.stop)
        _SERVER.append(server)
    return _SERVER[0]


class _RemoteBase(OneCallPerSample):
    params = (list(MATRIX.modalities[:1]), list(MATRIX.detail_codecs[:1]), ["obstore", "fsspec"])
    param_names = ["modality", "codec", "client"]

    def setup_cache(self):
        generate_data_files(MATRIX.modalities, MATRIX.size)

    def _prepare(self, modality, codec, client):
        from zarr_benchmarks.suite import remote

        self.remote = remote
        self.server = _server()
        self.data = load_data(modality, MATRIX.size)
        # At least a few chunks, so requests scale with the data even on tiny arrays.
        layout = layout_with_units(
            self.data.shape, [*MATRIX.layouts, "cube32", "cube16"], min_units=8
        )
        self.settings = ArraySettings(get_codec(codec), layout)
        self.prefix = f"{type(self).__name__}/{modality}-{codec}-{client}.zarr"

    def _store(self, client, read_only=False):
        return self.remote.zarr_store(
            self.server.endpoint, self.server.bucket, self.prefix, client, read_only=read_only
        )

    def teardown(self, modality, codec, client):
        self.store.close()


class RemoteWrite(_RemoteBase):
    def setup(self, modality, codec, client):
        self._prepare(modality, codec, client)
        self.store = self._store(client)
        self.array = self.remote.create_array_in(
            self.store, self.data.shape, self.data.dtype, self.settings
        )
        self.store.stats.reset()

    def time_write(self, modality, codec, client):
        self.array[...] = self.data

    def track_write_requests(self, modality, codec, client):
        self.array[...] = self.data
        return self.store.stats.total_requests

    track_write_requests.unit = "requests"

    def track_write_megabytes(self, modality, codec, client):
        self.array[...] = self.data
        return self.store.stats.bytes_written / 1e6

    track_write_megabytes.unit = "MB"


class RemoteRead(_RemoteBase):
    def setup(self, modality, codec, client):
        import numpy as np

        self._prepare(modality, codec, client)
        if not getattr(self, "_written", False):
            writer = self._store(client)
            array = self.remote.create_array_in(
                writer, self.data.shape, self.data.dtype, self.settings
            )
            array[...] = self.data
            writer.close()
            self._written = True
        self.store = self._store(client, read_only=True)
        self.array = self.remote.open_array_in(self.store)
        if not np.array_equal(self.array[...], self.data):
            raise AssertionError(f"{self.prefix}: data read back differs from the data written")
        self.store.stats.reset()

    def time_read(self, modality, codec, client):
        self.array[...]

    def track_read_requests(self, modality, codec, client):
        self.array[...]
        return self.store.stats.total_requests

    track_read_requests.unit = "requests"

    def track_read_megabytes(self, modality, codec, client):
        self.array[...]
        return self.store.stats.bytes_read / 1e6

    track_read_megabytes.unit = "MB"


keep_suite("remote", globals(), "RemoteWrite", "RemoteRead")
