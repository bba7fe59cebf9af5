"""``zarr-benchmarks recommend``: benchmark codecs on one dataset and recommend one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zarr_benchmarks.cli._common import fail, write_json_atomic

console = Console()


def _parse_shape(text: str) -> tuple[int, ...]:
    parts = text.split(",") if "," in text else text.split("x")
    try:
        shape = tuple(int(s) for s in parts)
    except ValueError:
        fail(f"--shape: expected comma-separated integers such as 64,256,256, got {text!r}")
    if not shape or any(s <= 0 for s in shape):
        fail(f"--shape: every axis must be a positive integer, got {text!r}")
    return shape


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def memory_needed(shape: tuple[int, ...], dtype: Any, *, loaded: bool) -> tuple[int, int]:
    """``(data bytes, estimated bytes still to allocate)`` for benchmarking an array.

    The runner holds the data and one decoded copy of it at a time; synthetic data
    (``loaded=False``) is generated as float32 volumes (plus the generator's float32
    temporaries) before being quantised to ``dtype``. ``loaded=True``: the data is
    already in memory, only the decoded copy is still to come.
    """
    import math

    import numpy as np

    voxels = math.prod(shape)
    data = voxels * np.dtype(dtype).itemsize
    if loaded:
        return data, data  # the copy read back from the store
    # generation: float32 working volumes, then the result; the run: data + decoded copy
    return data, max(2 * data, data + 3 * 4 * voxels)


def check_fits_in_memory(
    shape: tuple[int, ...], dtype: Any, *, loaded: bool = False, what: str = "--shape"
) -> None:
    """Exit 2 with one line naming the sizes when the benchmark cannot fit in the
    memory available now (``psutil.virtual_memory().available``), before allocating."""
    import numpy as np
    import psutil

    data, peak = memory_needed(shape, dtype, loaded=loaded)
    available = int(psutil.virtual_memory().available)
    if peak > available:
        dims = "x".join(map(str, shape))
        fail(
            f"{what} {dims} {np.dtype(dtype)}: the data is {_gib(data)} and the benchmark "
            f"needs about {_gib(peak)}, more than the {_gib(available)} of memory available; "
            "choose a smaller --shape or --crop"
        )


def print_results(results: dict[str, Any]) -> None:
    """Print the per-codec table and the recommendation per goal."""
    ds = results["dataset"]
    cfg = results["config"]
    title = (
        f"{ds['name']} ({ds['type']}, {'x'.join(map(str, ds['shape']))} {ds['dtype']}), "
        f"chunks {cfg['layout']}, Zarr v{cfg['zarr_format']}, median of {cfg['num_runs']}"
    )
    if cfg.get("implementation", "zarr-python") != "zarr-python":
        title += f", {cfg['implementation']}"
    title += f", write_empty_chunks={cfg.get('write_empty_chunks')}"
    if ds.get("voxel_size"):
        voxel = " x ".join(f"{v:g}" for v in ds["voxel_size"])
        axes = ", ".join("tzyx"[-len(ds["voxel_size"]) :])
        title += f"\nvoxel size {voxel} {ds.get('units') or ''} ({axes})"
        if ds.get("modality_specific", {}).get("loaded_from"):
            title += f" from the {ds['modality_specific']['loaded_from']} header"
    lossy = any("quality" in r for r in results["results"])
    # Narrow terminals (80 columns) get a compact table: no seconds (MB/s says it),
    # short headers and no borders, so the whole codec id and the PSNR/SSIM columns
    # of lossy codecs still fit.
    wide = console.width >= 100
    seconds = wide
    if wide:
        table = Table(title=title)
        columns = ["codec", "ratio", "write MB/s", "read MB/s", "write s", "read s"]
        quality = ["PSNR dB", "SSIM"]
    else:
        table = Table(
            title=title,
            caption="write, read: MB/s" + ("; PSNR: dB" if lossy else ""),
            box=box.SIMPLE_HEAD,
            show_edge=False,
        )
        columns = ["codec", "ratio", "write", "read"]
        quality = ["PSNR", "SSIM"]
    for col in columns + (quality if lossy else []):
        if col == "codec":  # ids whole: a cut id cannot be typed back
            table.add_column(col, no_wrap=True)
        else:
            table.add_column(col, justify="right", no_wrap=True)
    for r in results["results"]:
        row = [
            r["codec"],
            f"{r['ratio']:.2f}",
            f"{r['write_mb_s']:.0f}",
            f"{r['read_mb_s']:.0f}",
        ]
        if seconds:
            row += [f"{r['write_time_s']:.4f}", f"{r['read_time_s']:.4f}"]
        if lossy:  # lossy codecs: quality of the decoded data beside ratio and speed
            q = r.get("quality")
            row += [f"{q['psnr']:.1f}", f"{q['ssim']:.4f}"] if q else ["-", "-"]
        table.add_row(*row)
    console.print(table)
    bw, br, bc, bb = (
        results[k] for k in ("best_write", "best_read", "best_compression", "best_balanced")
    )
    console.print(f"Best write:       [bold]{bw['codec']}[/] ({bw['throughput_mb_s']:.0f} MB/s)")
    console.print(f"Best read:        [bold]{br['codec']}[/] ({br['throughput_mb_s']:.0f} MB/s)")
    console.print(f"Best compression: [bold]{bc['codec']}[/] ({bc['ratio']:.2f}x)")
    console.print(
        f"Balanced:         [bold]{bb['codec']}[/] ({bb['ratio']:.2f}x at "
        f"{bb['throughput_mb_s']:.0f} MB/s write)"
    )
    if "storage" in results:
        _print_storage(results["storage"])
    rec = results["recommended"]
    where = f" on {rec['storage']}" if rec.get("storage") else ""
    console.print(
        f"Recommended for profile [bold]{cfg['compression_profile']}[/] "
        f"(goal: {rec['goal']}){where}: [bold green]{rec['codec']}[/]"
    )
    if rec.get("tied_with"):
        console.print(
            f"  tie: {rec['codec']} and {', '.join(rec['tied_with'])} are within the "
            "measured noise of each other"
        )
    if rec.get("reason"):
        console.print(f"  why: {rec['reason']}", soft_wrap=True)


def _print_storage(doc: dict[str, Any]) -> None:
    """The codecs ranked by the throughput seen on the user's storage."""
    st = doc["storage"]
    console.print(
        f"Storage [bold]{st['name']}[/]: {st['write_mb_s']:.0f} MB/s write, "
        f"{st['read_mb_s']:.0f} MB/s read ({st['basis']})",
        soft_wrap=True,
    )
    table = Table(
        title=f"Throughput as seen on {st['name']} (codec time + stored bytes / bandwidth)"
    )
    table.add_column("codec", no_wrap=True)
    for col in ("ratio", "write MB/s", "+-", "read MB/s", "+-"):
        table.add_column(col, justify="right", no_wrap=True)
    reads = {r["codec"]: r for r in doc["read"]["ranking"]}
    for w in doc["write"]["ranking"]:
        r = reads[w["codec"]]
        table.add_row(
            w["codec"],
            f"{w['ratio']:.2f}",
            f"{w['effective_mb_s']:.0f}",
            f"{w['noise_mb_s']:.0f}",
            f"{r['effective_mb_s']:.0f}",
            f"{r['noise_mb_s']:.0f}",
        )
    console.print(table)
    for op in ("write", "read"):
        pick = doc[op]["pick"]
        tie = f" (tie with {', '.join(pick['tied_with'])})" if pick["tied_with"] else ""
        fastest = doc[op]["ranking"][0]["codec"]
        console.print(
            f"Pick for {op} on {st['name']}: [bold]{pick['codec']}[/] (fastest median: "
            f"{fastest}){tie}"
        )


def recommend(
    dataset_type: Annotated[
        str, typer.Option("--dataset-type", "-t", help="Modality, e.g. cryoet, light_sheet, ct.")
    ] = "synthetic",
    shape: Annotated[str | None, typer.Option(help="Array shape, e.g. 128,256,256.")] = None,
    dtype: Annotated[str | None, typer.Option(help="dtype (default: the modality's).")] = None,
    codecs: Annotated[
        list[str] | None,
        typer.Option("--codecs", "-c", help="Codec ids; several may follow one --codecs."),
    ] = None,
    more_codecs: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
    profile: Annotated[
        str, typer.Option(help="archival, balanced, fast, lossless or analysis.")
    ] = "balanced",
    data: Annotated[
        str | None,
        typer.Option(
            help="Your own data: TIFF, .npy, Zarr/OME-Zarr, DICOM (file or folder of "
            "slices), NIfTI .nii/.nii.gz, MRC/.map, or HDF5 as FILE.h5:/dataset."
        ),
    ] = None,
    crop: Annotated[str | None, typer.Option(help="Crop of --data, e.g. 0:64,:,:")] = None,
    chunks: Annotated[
        str | None,
        # no "cube32-shard128...)" word: help columns at 80 cut a word that long with "…"
        typer.Option(
            help="Chunk layout: cube64, plane, cube32-shard128 and others; or a shape, "
            "e.g. 64,64,64."
        ),
    ] = None,
    zarr_format: Annotated[int, typer.Option(help="Zarr format, 2 or 3.")] = 3,
    implementation: Annotated[
        str, typer.Option(help="Zarr library: zarr-python, tensorstore or zarrs.")
    ] = "zarr-python",
    runs: Annotated[int, typer.Option(help="Timed runs per codec (medians reported).")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 0,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Where the data will live: local, nfs, s3 (loopback SeaweedFS) or a "
            "bandwidth in MB/s; ranks codecs by the throughput seen there."
        ),
    ] = None,
    write_empty_chunks: Annotated[
        bool | None,
        typer.Option(
            "--write-empty-chunks/--skip-empty-chunks",
            help="zarr's write_empty_chunks for the written arrays (default: zarr's "
            "own default, skip).",
        ),
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results as JSON.")] = None,
) -> None:
    """Benchmark codecs on one dataset and print the best per goal.

    Several codecs may follow one --codecs: `--codecs blosc-zstd-5-shuffle zstd-3`.
    """
    from zarr_benchmarks.data.chunking import resolve_layout
    from zarr_benchmarks.data.dataset_types import DatasetType, create_metadata
    from zarr_benchmarks.run.runner import DatasetBenchmarkRunner
    from zarr_benchmarks.suite.config import BenchmarkConfig

    if more_codecs and not codecs:
        fail(f"unexpected argument(s) {' '.join(more_codecs)}; codec ids follow --codecs")
    codec_list = [*(codecs or ()), *(more_codecs or ())]
    codec_list = [c for item in codec_list for c in item.split(",") if c]
    layout: Any = chunks
    if chunks and chunks[0].isdigit():
        layout = _parse_shape(chunks)
    try:
        if data is not None:
            from zarr_benchmarks.data.userdata import load_user_data

            array, meta = load_user_data(data, crop=crop)
            # The data is loaded; the benchmark needs room for one decoded copy beside it.
            check_fits_in_memory(
                tuple(array.shape), array.dtype, loaded=True, what=f"--data {data}"
            )
            if dataset_type not in ("synthetic", "custom"):
                meta.dataset_type = type(meta.dataset_type)(dataset_type)
        else:
            meta = create_metadata(
                dataset_type, _parse_shape(shape) if shape else None, dtype=dtype
            )
            check_fits_in_memory(tuple(meta.shape), meta.dtype)
            array = DatasetType(meta.dataset_type).modality.generate(meta.shape, meta.dtype, seed)
        config = BenchmarkConfig(
            meta,
            compression_profile=profile,
            codecs_to_test=codec_list,
            num_runs=runs,
            chunk_layout=layout,
            zarr_format=zarr_format,
            implementation=implementation,
            write_empty_chunks=write_empty_chunks,
            storage=storage,
        )
        # Validate codecs, chunks and the storage before any work starts.
        _ = config.codecs
        if storage is not None:
            from zarr_benchmarks.suite.storage import parse_storage

            if parse_storage(storage) == "s3":
                from zarr_benchmarks.suite.remote import ObjectStoreUnavailable, weed_binary

                try:
                    weed_binary()
                except ObjectStoreUnavailable as exc:
                    fail(f"--storage s3: {exc}")
        resolve_layout(
            layout or DatasetType(meta.dataset_type).modality.chunk_layouts[0], meta.shape
        )
    except (ValueError, TypeError, OSError) as exc:
        fail(str(exc))
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("benchmarking", total=1)

        def progress(message: str, done: int, total: int) -> None:
            bar.update(task, description=message, completed=done, total=total)

        try:
            results = DatasetBenchmarkRunner(config, progress).run(array)
        except (ValueError, OSError, NotImplementedError, RuntimeError) as exc:
            fail(str(exc), code=1)
    print_results(results)
    if json_path is not None:
        write_json_atomic(json_path, results)
        console.print(f"Wrote {json_path}")


def register(app: typer.Typer) -> None:
    app.command("recommend")(recommend)
