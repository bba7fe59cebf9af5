"""Print figures for the access patterns, many writers and the local object store.

    .venv/bin/python scripts/pattern_figures.py [--modality ct] [--size small]

Streaming frames/s against writing the same data in one go; thread, process and
Dask scaling with 1 and 2 workers; S3 write/read MB/s with requests and bytes
(obstore and s3fs against a SeaweedFS server on loopback). Medians of a few runs;
nothing is asserted (a shared 2-core machine gives noisy figures).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.data.modalities import get_modality
from zarr_benchmarks.suite import patterns, remote, zarr_io
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.presets import shape_for


def _median(fn, prepare=lambda: None, n=5) -> float:
    """Median seconds of ``fn(prepare())``; ``prepare`` is untimed."""
    times = []
    for _ in range(n):
        obj = prepare()
        start = time.perf_counter()
        fn(obj)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def streaming(data, axes, codec, work: Path) -> None:
    stack = patterns.acquisition_stack(data, axes, time_points=3, positions=2)
    frames = patterns.frames_in_stack(stack)
    print(f"\nstreaming: {frames} frames of {stack.shape[-2:]} ({stack.nbytes / 1e6:.1f} MB)")
    for layout in ("plane", "cube64"):
        settings = patterns.stream_settings(stack, codec, layout)
        for mode in ("frame", "buffered", "one_go"):
            if mode == "one_go":
                t = _median(
                    lambda arrays: patterns.write_stack_in_one_go(arrays, stack),
                    lambda s=settings: patterns.prepare_one_go(work / "s", stack, s),
                    n=3,
                )
            else:
                t = _median(
                    lambda w: patterns.stream_frames(w, patterns.iter_frames(stack)),
                    lambda s=settings, m=mode: patterns.open_streaming_writer(
                        work / "s", stack, s, buffered=m == "buffered"
                    ),
                    n=1 if mode == "frame" else 3,  # frame by frame into deep chunks is slow
                )
            print(f"  {layout:7s} {mode:9s} {frames / t:10.0f} frames/s  {t * 1e3:8.1f} ms")


def writers(data, codec, work: Path) -> None:
    npy = work / "data.npy"
    np.save(npy, data)
    layout = patterns.layout_with_units(data.shape, ["cube64", "cube32"], 8)
    settings = zarr_io.ArraySettings(get_codec(codec), layout)
    path = work / "w.zarr"

    def prepare():
        return zarr_io.create_array(path, data.shape, data.dtype, settings)

    print(f"\nmany writers: {data.nbytes / 1e6:.1f} MB, chunks {layout.chunks}")
    for k in (1, 2):
        with cf.ThreadPoolExecutor(k) as ex:
            t = _median(
                lambda a, ex=ex, k=k: patterns.write_with_threads(
                    a, data, patterns.writer_groups(a, k), ex
                ),
                prepare,
            )
        print(f"  threads   {k}: {data.nbytes / t / 1e6:8.1f} MB/s")
    for k in (1, 2):
        with patterns.ProcessWriters(k) as pool:
            t = _median(
                lambda a, pool=pool, k=k: pool.write(path, npy, patterns.writer_groups(a, k)),
                prepare,
            )
        print(f"  processes {k}: {data.nbytes / t / 1e6:8.1f} MB/s")
    for k in (1, 2):
        with patterns.dask_cluster(k) as dc:
            dc.warm_up()
            t = _median(lambda a, dc=dc: patterns.dask_write(dc, npy, a), prepare)
        print(f"  dask      {k}: {data.nbytes / t / 1e6:8.1f} MB/s")


def object_store(data, codec, work: Path) -> None:
    layout = resolve_layout("cube64", data.shape)
    settings = zarr_io.ArraySettings(get_codec(codec), layout)
    print(f"\nS3 (SeaweedFS on loopback): {data.nbytes / 1e6:.1f} MB, chunks {layout.chunks}")
    with remote.local_object_store(data_dir=work / "s3") as srv:
        for client in remote.CLIENTS:
            store = remote.zarr_store(srv.endpoint, srv.bucket, f"{client}.zarr", client)

            def prepare(store=store):
                array = remote.create_array_in(store, data.shape, data.dtype, settings)
                store.stats.reset()
                return array

            tw = _median(lambda a: a.__setitem__(Ellipsis, data), prepare)
            w = store.stats.snapshot()
            reader = remote.zarr_store(
                srv.endpoint, srv.bucket, f"{client}.zarr", client, read_only=True
            )
            arr = remote.open_array_in(reader)
            assert np.array_equal(arr[...], data)
            reader.stats.reset()
            tr = _median(lambda _o, arr=arr: arr[...], reader.stats.reset)
            r = reader.stats.snapshot()
            print(
                f"  {client:8s} write {data.nbytes / tw / 1e6:7.1f} MB/s "
                f"({w['total_requests']} requests, {w['bytes_written'] / 1e6:.2f} MB sent)  "
                f"read {data.nbytes / tr / 1e6:7.1f} MB/s "
                f"({r['total_requests']} requests, {r['bytes_read'] / 1e6:.2f} MB received)"
            )
            store.close()
            reader.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modality", default="light_sheet")
    parser.add_argument("--size", default="small")
    parser.add_argument("--codec", default="blosc-zstd-5-shuffle")
    args = parser.parse_args()
    mod = get_modality(args.modality)
    data = mod.generate(shape_for(mod, args.size), mod.dtype, 0)
    print(f"{mod.id} {data.shape} {data.dtype}, codec {args.codec}")
    with tempfile.TemporaryDirectory(prefix="zb-figures-") as tmp:
        work = Path(tmp)
        streaming(data, mod.axes, args.codec, work)
        writers(data, args.codec, work)
        object_store(data, args.codec, work)


if __name__ == "__main__":
    main()
