"""``zarr-benchmarks run``: run the asv suite here, reduce the results, optionally upload."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from zarr_benchmarks._units import format_value
from zarr_benchmarks.cli._common import fail, shown_path

console = Console()
err_console = Console(stderr=True)


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def _params_text(params: str) -> str:
    # "ct · zstd-3 · cube64" keeps the table narrow
    return " · ".join(part.split("=", 1)[-1] for part in params.split(", ") if part)


def _status_text(status: str) -> str:
    return {"failed": "[red]failed[/]", "skipped": "[dim]skipped[/]"}.get(status, status)


def summary_table(rows: list[dict], width: int | None = None) -> Table | Group:
    """Per benchmark and parameters: status, median and throughput (when known).

    Wide terminals get one table; below 100 columns each benchmark gets its own small
    table under its name, so names and parameters never wrap mid-word.
    """
    width = width or console.width
    if width >= 100:
        table = Table(title="Summary (median)")
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("benchmark", "left"),
            ("parameters", "left"),
            ("status", "left"),
            ("median", "right"),
            ("MB/s", "right"),
        )
        for col, justify in columns:
            table.add_column(col, justify=justify, no_wrap=col != "parameters")
        for i, r in enumerate(rows):
            last = i + 1 == len(rows) or rows[i + 1]["benchmark"] != r["benchmark"]
            table.add_row(
                r["benchmark"].split(".", 1)[-1],
                _params_text(r["params"]),
                _status_text(r["status"]),
                format_value(r["median"], r["unit"]),
                f"{r['mb_per_s']:.0f}" if r["mb_per_s"] else "",
                end_section=last,
            )
        return table
    parts: list[RenderableType] = [Text("Summary (median)", style="bold")]
    by_bench: dict[str, list[dict]] = {}
    for r in rows:
        by_bench.setdefault(r["benchmark"], []).append(r)
    for bench, bench_rows in by_bench.items():
        # the name above its table (a title would wrap at the table's width)
        parts.append(Text(bench.split(".", 1)[-1], style="bold"))
        table = Table(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("parameters")
        table.add_column("status", no_wrap=True)
        table.add_column("median", justify="right", no_wrap=True)
        table.add_column("MB/s", justify="right", no_wrap=True)
        for r in bench_rows:
            table.add_row(
                _params_text(r["params"]) or "-",
                _status_text(r["status"]),
                format_value(r["median"], r["unit"]),
                f"{r['mb_per_s']:.0f}" if r["mb_per_s"] else "",
            )
        parts.append(table)
    return Group(*parts)


def machine_line(document: Mapping[str, Any]) -> str:
    """The machine in one line: name, CPU, cores, memory, disk, OS and Python."""
    hw = document.get("hardware") or {}
    cpu = hw.get("cpu") or {}
    disk = hw.get("disk") or {}
    osinfo = document.get("os") or {}
    py = document.get("python") or {}
    parts = [str(cpu.get("model") or "unknown CPU")]
    if cpu.get("logical_cores"):
        parts.append(f"{cpu['logical_cores']} cores")
    total = (hw.get("memory") or {}).get("total_bytes")
    if isinstance(total, int | float):
        parts.append(f"{format_value(total, 'bytes')} RAM")
    disk_text = " ".join(str(disk[k]) for k in ("filesystem", "kind") if disk.get(k))
    if disk_text:
        parts.append(f"{disk_text} disk")
    os_text = " ".join(str(osinfo[k]) for k in ("system", "release") if osinfo.get(k))
    if os_text:
        parts.append(os_text)
    if py.get("version"):
        parts.append(f"Python {py['version']}")
    return f"{document.get('name') or 'this machine'}: {', '.join(parts)}"


def _array_text(modality: str, size: str) -> str:
    import math

    import numpy as np

    from zarr_benchmarks.data.modalities import get_modality
    from zarr_benchmarks.suite.presets import shape_for

    try:
        mod = get_modality(modality)
        shape = shape_for(mod, size)
    except ValueError:
        return modality
    nbytes = math.prod(shape) * np.dtype(mod.dtype).itemsize
    dims = "x".join(str(n) for n in shape)
    return f"{modality} {dims} {np.dtype(mod.dtype).name} ({format_value(nbytes, 'bytes')})"


def _goal_figure(best: Any) -> str:
    ratio = "-" if best.ratio is None else f"{best.ratio:.2f}x"
    w = "-" if best.write_mb_s is None else f"{best.write_mb_s:.0f}"
    r = "-" if best.read_mb_s is None else f"{best.read_mb_s:.0f}"
    if best.goal == "write":
        return f"{w} MB/s write"
    if best.goal == "read":
        return f"{r} MB/s read"
    if best.goal == "compression":
        return f"ratio {ratio}"
    return f"{ratio}, {w}/{r} MB/s"


def _best_table(bests: list[Any], width: int) -> Table:
    """The best codec per goal: one row each; below 100 columns the modality heads its
    rows and the chunks sit under the codec, so ids and figures never wrap."""
    from zarr_benchmarks.analyse.report.recommend import GOAL_TITLES

    narrow = width < 100
    table = Table(
        title="Best codec per goal found in this run",
        title_justify="left",
        caption="balanced: the best ratio x write x read (each relative to the best); "
        "measured: ratio, write/read MB/s",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    if not narrow:
        table.add_column("modality", no_wrap=True)
    table.add_column("goal", no_wrap=True)
    table.add_column("codec" if not narrow else "codec / chunks", no_wrap=True)
    if not narrow:
        table.add_column("chunks", no_wrap=True)
    table.add_column("measured", no_wrap=True)
    for i, b in enumerate(bests):
        first = i == 0 or bests[i - 1].modality != b.modality
        last = i + 1 == len(bests) or bests[i + 1].modality != b.modality
        if narrow:
            if first:
                table.add_row(Text(b.modality, style="bold"), "", "")
            table.add_row(
                GOAL_TITLES[b.goal],
                Text.assemble(b.codec, "\n", (b.chunks, "dim")),
                _goal_figure(b),
                end_section=last,
            )
        else:
            table.add_row(
                b.modality if first else "",
                GOAL_TITLES[b.goal],
                b.codec,
                b.chunks,
                _goal_figure(b),
                end_section=last,
            )
    return table


def first_run_summary(
    documents: list[dict[str, Any]],
    machine: Mapping[str, Any],
    preset: str,
    size: str | None,
    folder: str | None = None,
    width: int | None = None,
) -> list[RenderableType]:
    """What a run measured, the best codec per goal it found and what to run next.

    Parameters
    ----------
    documents
        The run's reduced result documents.
    machine
        The machine document the run was made on.
    preset, size
        The preset and ``--size`` of the run (``None``: the preset's own size).
    folder
        The results folder, as shown to the user, when it is not ``results``
        (for the ``summary`` hint).
    width
        The terminal width the table is laid out for (default: the console's).
    """
    from zarr_benchmarks.analyse.report.recommend import best_per_goal
    from zarr_benchmarks.analyse.report.table import records_from_documents

    rs = records_from_documents(
        [(str(i), d) for i, d in enumerate(documents)],
        {str(machine.get("machine_id")): dict(machine)},
    )
    sizes = sorted({r.size for r in rs.records})
    run_size = size or (sizes[0] if sizes else "-")
    modalities = sorted({r.modality for r in rs.records if r.modality})
    out: list[RenderableType] = [
        Text("Summary of this run", style="bold underline"),
        Text.assemble(("Measured on ", "bold"), machine_line(machine)),
        Text.assemble(
            ("Arrays ", "bold"),
            f"({preset} preset, {run_size} size): ",
            "; ".join(_array_text(m, run_size) for m in modalities) or "-",
        ),
    ]
    if preset == "quick":
        out.append(
            Text.assemble(
                ("note: ", "yellow"),
                "quick is a smoke test on tiny arrays: it shows that everything runs. "
                "Its numbers are not for choosing a codec; run the default preset (below) "
                "for figures to compare.",
            )
        )
    bests = best_per_goal(rs.records)
    if bests:
        out.append(_best_table(bests, width or console.width))
    else:
        out.append(Text("No write/read/ratio measurements to rank codecs by in this run."))
    full = "zarr-benchmarks summary --full" + (f" {folder}" if folder else "")
    steps = Table(title="Next", title_justify="left", box=None, show_header=False, pad_edge=False)
    steps.add_column("command", no_wrap=True, style="bold")
    steps.add_column("what", ratio=1)
    if preset == "quick":
        steps.add_row("zarr-benchmarks run", "the default preset: small arrays, figures to compare")
    steps.add_row("zarr-benchmarks recommend --data FILE", "the best codec for your own data")
    steps.add_row("zarr-benchmarks report", "an HTML report of results/ (report/index.html)")
    steps.add_row(
        "zarr-benchmarks upload",
        "share this machine's results (quick results are never sent)",
    )
    out.append(steps)
    out.append(Text.assemble("The full table of this run: ", (full, "bold")))
    return out


def _status_value(status: str) -> str:
    """asv's progress status, a bare number (a track benchmark's value) rounded."""
    try:
        value = float(status)
    except ValueError:
        return status
    return f"{value:.4g}"


def register(app: typer.Typer) -> None:
    """Add the ``run`` and ``summary`` commands to ``app``."""
    register_summary(app)

    @app.command("run")
    def run(
        bench: Annotated[
            list[str] | None,
            typer.Option("--bench", "-b", help="asv benchmark regex (repeatable)."),
        ] = None,
        modality: Annotated[
            list[str] | None,
            typer.Option(
                help="Only these modalities (repeatable or comma list).",
                envvar="ZARR_BENCHMARKS_MODALITIES",
            ),
        ] = None,
        codec: Annotated[
            list[str] | None,
            typer.Option(
                help="Only these codecs (repeatable or comma list).",
                envvar="ZARR_BENCHMARKS_CODECS",
            ),
        ] = None,
        layout: Annotated[
            list[str] | None,
            typer.Option(
                help="Only these chunk layouts, e.g. cube64,plane (repeatable).",
                envvar="ZARR_BENCHMARKS_LAYOUTS",
            ),
        ] = None,
        suite: Annotated[
            list[str] | None,
            typer.Option(
                help="Benchmark suites beyond the preset's (patterns, streaming, parallel, "
                "implementations, lossy, remote, format; or all).",
                envvar="ZARR_BENCHMARKS_SUITES",
            ),
        ] = None,
        preset: Annotated[
            str,
            typer.Option(
                help="Parameter matrix: quick, default or full.", envvar="ZARR_BENCHMARKS_PRESET"
            ),
        ] = "default",
        size: Annotated[
            str | None,
            typer.Option(
                help="Data size: tiny, small, medium or large.", envvar="ZARR_BENCHMARKS_SIZE"
            ),
        ] = None,
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Folder for reduced results.")
        ] = Path("results"),
        upload: Annotated[
            bool, typer.Option("--upload", help="Upload the reduced results afterwards.")
        ] = False,
        url: Annotated[str | None, typer.Option(help="Service URL for --upload.")] = None,
        debug: Annotated[
            bool, typer.Option("--debug", help="Show asv's stderr and benchmark output.")
        ] = False,
        against: Annotated[
            str | None,
            typer.Option(
                "--against",
                help="A/B: benchmark this git ref and the working tree interleaved in this "
                "job and compare them (exit 1 on a significant regression).",
            ),
        ] = None,
        table: Annotated[
            bool,
            typer.Option("--table", help="Also print the full table of every benchmark's median."),
        ] = False,
        rounds: Annotated[
            int,
            typer.Option(
                "--rounds",
                help="With --against: interleaved rounds per side (blocks; at least 3 "
                "for block statistics).",
            ),
        ] = 4,
    ) -> None:
        """Run the benchmarks with asv in this environment and reduce the results.

        Wraps `asv run --python=same --set-commit-hash <HEAD> --record-samples --machine
        <name>`. Filters are passed to the suite as ZARR_BENCHMARKS_* variables. Exit code
        1 if any benchmark failed (the others' results are kept and reduced).
        """
        from zarr_benchmarks.results.pipeline import run_and_reduce, summary_rows
        from zarr_benchmarks.results.reduce import ReduceError
        from zarr_benchmarks.run.asv_run import (
            PRESETS,
            SIZES,
            ProgressParser,
            RunError,
            RunOptions,
            check_asv,
            find_clone,
            head_commit,
        )
        from zarr_benchmarks.run.environment import environment_document
        from zarr_benchmarks.run.machine import MachineError, check_machine

        if preset not in PRESETS:
            fail(f"--preset must be one of {', '.join(PRESETS)}, not {preset!r}")
        if size is not None and size not in SIZES:
            fail(f"--size must be one of {', '.join(SIZES)}, not {size!r}")
        options = RunOptions(
            bench=list(bench or []),
            modalities=_split(modality),
            codecs=_split(codec),
            layouts=_split(layout),
            suites=_split(suite),
            preset=preset,
            size=size,
            debug=debug,
            output=output,
        )
        # Bad modality/codec/layout/suite names fail here, not in asv's discovery.
        from zarr_benchmarks.run.asv_run import enable_bench_suites, filter_env
        from zarr_benchmarks.suite.presets import get_matrix

        try:
            get_matrix(preset, environ=filter_env(options, {}))
            # --bench bench_streaming means "run it": enable the suites it names.
            added = enable_bench_suites(options, get_matrix(preset, environ={}).suites)
        except ValueError as exc:
            fail(str(exc))
        for name in added:
            console.print(
                f"--bench names the [bold]{name}[/] suite, which the {preset} preset leaves "
                f"out: included (as with --suite {name}).",
                highlight=False,
            )
        try:
            check_asv()
            root = find_clone(".")
            head_commit(root)
            if not output.is_absolute():
                options.output = root / output
            machine = check_machine(root)
        except RunError as exc:
            fail(str(exc), exc.code)
        except MachineError as exc:
            fail(str(exc), 1)
        if machine.created:
            console.print(f"No machine set up yet: named this machine [bold]{machine.name}[/].")
        elif machine.changed:
            console.print(
                f"Machine changed ({', '.join(machine.changed[:6])}): re-enriched "
                f"[bold]{machine.name}[/]'s information."
            )
        environment = environment_document()
        if against is not None:
            from zarr_benchmarks.cli._compare import run_against

            run_against(
                against,
                root=root,
                machine=machine,
                environment=environment,
                options=options,
                rounds=rounds,
            )
            return
        parser = ProgressParser()
        with Progress(
            TextColumn("[bold]asv[/]"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("discovering benchmarks", total=100)

            def on_stdout(line: str) -> None:
                done = parser.feed(line)
                progress.update(task, completed=parser.percent, description=parser.current)
                if done:
                    name, status = done
                    mark = "[red]✗[/]" if "failed" in status else "[green]✓[/]"
                    progress.console.print(
                        f"{mark} {name} [dim]{_status_value(status)}[/]", highlight=False
                    )
                elif debug:
                    progress.console.print(line, markup=False, highlight=False)

            def on_stderr(line: str) -> None:
                if debug:
                    err_console.print(line, markup=False, highlight=False)

            try:
                outcome = run_and_reduce(
                    root, machine.document, environment, options, on_stdout, on_stderr
                )
            except RunError as exc:
                fail(str(exc), exc.code)
            except ReduceError as exc:
                fail(f"reducing asv's results failed: {exc}", 1)
        console.print(f"asv log: {shown_path(outcome.log, root)}", highlight=False)
        if outcome.report is None:
            hint = "" if debug else " or rerun with --debug"
            if options.bench:
                hint += (
                    f"; check that --bench {' '.join(options.bench)} matches a benchmark "
                    "(`asv check --python=same` lists them; suites: --suite NAME)"
                )
            fail(
                f"asv produced no results (exit {outcome.returncode}); see the log above{hint}",
                1,
            )
        shown = shown_path(options.output, root)
        if table:
            console.print(summary_table(summary_rows(outcome.report.documents, size)))
        for part in first_run_summary(
            outcome.report.documents,
            machine.document,
            preset,
            size,
            None if shown == Path("results") else str(shown),
        ):
            console.print(part, highlight=False)
        if outcome.dirty:
            console.print("[yellow]note:[/] working tree has uncommitted changes (dirty: true).")
        for path in outcome.report.results:
            console.print(
                f"wrote {shown_path(path, root)}", highlight=False, markup=False, soft_wrap=True
            )
        if outcome.failed:
            err_console.print(f"[red]failed:[/] {', '.join(outcome.failed)}", highlight=False)
        if upload:
            if options.preset == "quick":
                console.print("quick run: results are marked quick and not uploaded.")
            else:
                from zarr_benchmarks.cli._upload import do_upload

                if not do_upload([*outcome.report.infos, *outcome.report.results], url):
                    raise typer.Exit(1)
        if not outcome.ok:
            raise typer.Exit(1)


def register_summary(app: typer.Typer) -> None:
    """Add the ``summary`` command: the run summary of a result file already written."""

    @app.command("summary")
    def summary(
        path: Annotated[
            Path,
            typer.Argument(
                help="A reduced result file, or a folder (its newest result of this machine)."
            ),
        ] = Path("results"),
        full: Annotated[
            bool, typer.Option("--full", help="Also print every benchmark's median.")
        ] = False,
    ) -> None:
        """Print a run's summary again: machine, arrays, best codec per goal, next steps."""
        from zarr_benchmarks.results.model import ResultInputError, read_folder
        from zarr_benchmarks.results.pipeline import summary_rows
        from zarr_benchmarks.run.machine import MachineError, load_config

        try:
            config = load_config()
        except MachineError as exc:
            fail(str(exc), 1)
        local = (config or {}).get("machine_id")
        folder = path if path.is_dir() else path.parent
        try:
            loaded = read_folder(folder)
        except ResultInputError as exc:
            fail(str(exc))
        docs = loaded.results
        if not path.is_dir():
            docs = [d for d in docs if Path(d.source).name == path.name]
            if not docs:
                fail(f"{path}: not a result_*.json file")
        elif local and any(d.machine_id == local for d in docs):
            docs = [d for d in docs if d.machine_id == local]
        if not docs:
            fail(f"{path}: no result_*.json files (make some with `zarr-benchmarks run`)")
        newest = max(docs, key=lambda d: (d.timestamp, d.source))
        machine = loaded.machines.get(str(newest.machine_id))
        if machine is None and config and config.get("machine_id") == newest.machine_id:
            machine = config.get("document")
        machine = machine or {"name": f"machine {str(newest.machine_id)[:12]}"}
        preset = newest.preset or "default"
        if full:
            console.print(summary_table(summary_rows([dict(newest.data)], newest.size)))
        shown = None if folder == Path("results") else str(folder)
        for part in first_run_summary([dict(newest.data)], machine, preset, newest.size, shown):
            console.print(part, highlight=False)
