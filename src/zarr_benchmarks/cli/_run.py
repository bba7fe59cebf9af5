"""``zarr-benchmarks run``: run the asv suite here, reduce the results, optionally upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, JustifyMethod
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from zarr_benchmarks._units import format_value
from zarr_benchmarks.cli._common import fail, shown_path

console = Console()
err_console = Console(stderr=True)


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def summary_table(rows: list[dict]) -> Table:
    """Per benchmark and parameters: status, median and throughput (when known)."""
    table = Table(title="Summary (median)")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("benchmark", "left"),
        ("parameters", "left"),
        ("status", "left"),
        ("median", "right"),
        ("MB/s", "right"),
    )
    for col, justify in columns:
        table.add_column(col, justify=justify, overflow="fold")
    for i, r in enumerate(rows):
        status = {"failed": "[red]failed[/]", "skipped": "[dim]skipped[/]"}.get(
            r["status"], r["status"]
        )
        last_of_benchmark = i + 1 == len(rows) or rows[i + 1]["benchmark"] != r["benchmark"]
        table.add_row(
            # "Write.time_write" and "ct · zstd-3 · cube64" keep the table narrow.
            r["benchmark"].split(".", 1)[-1],
            " · ".join(part.split("=", 1)[-1] for part in r["params"].split(", ")),
            status,
            format_value(r["median"], r["unit"]),
            f"{r['mb_per_s']:.0f}" if r["mb_per_s"] else "",
            end_section=last_of_benchmark,
        )
    return table


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to ``app``."""

    @app.command("run")
    def run(
        bench: Annotated[
            list[str] | None,
            typer.Option("--bench", "-b", help="asv benchmark regex (repeatable)."),
        ] = None,
        modality: Annotated[
            list[str] | None,
            typer.Option(help="Only these modalities (repeatable or comma list)."),
        ] = None,
        codec: Annotated[
            list[str] | None, typer.Option(help="Only these codecs (repeatable or comma list).")
        ] = None,
        layout: Annotated[
            list[str] | None,
            typer.Option(help="Only these chunk layouts, e.g. cube64,plane (repeatable)."),
        ] = None,
        suite: Annotated[
            list[str] | None,
            typer.Option(
                help="Benchmark suites beyond the preset's (patterns, streaming, parallel, "
                "implementations, lossy, remote, format; or all)."
            ),
        ] = None,
        preset: Annotated[
            str, typer.Option(help="Parameter matrix: quick, default or full.")
        ] = "default",
        size: Annotated[
            str | None, typer.Option(help="Data size: tiny, small, medium or large.")
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
                    progress.console.print(f"{mark} {name} [dim]{status}[/]", highlight=False)
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
        console.print(summary_table(summary_rows(outcome.report.documents, size)))
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
