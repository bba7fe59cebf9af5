"""``zarr-benchmarks ab``: the same suite against two environments (e.g. two Zarr releases),
and ``zarr-benchmarks noise learn``: each benchmark's noise from A/A comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from zarr_benchmarks.cli._common import fail, shown_path


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def _suite_env(
    preset: str,
    size: str,
    modality: list[str] | None,
    codec: list[str] | None,
    layout: list[str] | None = None,
    suite: list[str] | None = None,
) -> dict[str, str]:
    """The suite's ``ZARR_BENCHMARKS_*`` selection, validated before anything runs."""
    from zarr_benchmarks.run.asv_run import PRESETS, SIZES, RunOptions, filter_env
    from zarr_benchmarks.suite.presets import get_matrix

    if preset not in PRESETS:
        fail(f"--preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    if size not in SIZES:
        fail(f"--size must be one of {', '.join(SIZES)}, not {size!r}")
    options = RunOptions(
        modalities=_split(modality),
        codecs=_split(codec),
        layouts=_split(layout),
        suites=_split(suite) or ["cputime"],
        preset=preset,
        size=size,
    )
    env = {k: v for k, v in filter_env(options, {}).items() if k.startswith("ZARR_BENCH")}
    try:
        get_matrix(preset, environ=env)
    except ValueError as exc:
        fail(str(exc))
    return env


def _clone_and_machine() -> tuple[Path, str, Any]:
    """This clone's root, its HEAD and the checked machine (exit 2/1 with the reason)."""
    from zarr_benchmarks.run.asv_run import RunError, check_asv, find_clone, head_commit
    from zarr_benchmarks.run.machine import MachineError, check_machine

    try:
        check_asv()
        root = find_clone(".")
        return root, head_commit(root), check_machine(root)
    except RunError as exc:
        fail(str(exc), exc.code)
    except MachineError as exc:
        fail(str(exc), 1)


def _build(label: str, spec: Any, root: Path) -> Any:
    """Build (or take from the cache) one side's environment, saying which."""
    from rich.console import Console

    from zarr_benchmarks.run import envs

    err = Console(stderr=True)

    def log(line: str) -> None:
        err.print(f"{label}: {line}", highlight=False, markup=False)

    try:
        side = envs.build_env(spec, root=root, log=log)
    except envs.EnvError as exc:
        fail(f"{label} environment: {exc}", exc.code)
    how = "cached" if side.cached else "built"
    Console().print(f"{label}: {spec.text} ({how})", highlight=False, markup=False)
    return side


def register(app: typer.Typer) -> None:
    """Add ``ab``, ``history-run`` and ``noise`` to ``app``."""

    @app.command("ab")
    def ab_cmd(
        base: Annotated[
            str,
            typer.Option(
                "--base",
                help="BASE side: requirements ('zarr==3.0.10 numcodecs==0.15.1'), a local "
                "wheel or source checkout, or venv:PATH of an existing environment.",
            ),
        ],
        new: Annotated[str, typer.Option("--new", help="NEW side, same forms as --base.")],
        blocks: Annotated[
            int, typer.Option(help="Interleaved blocks per side (the unit of replication).")
        ] = 12,
        samples: Annotated[int, typer.Option(help="Samples per benchmark per block.")] = 7,
        preset: Annotated[str, typer.Option(help="Parameter matrix: quick, default, full.")] = (
            "quick"
        ),
        size: Annotated[str, typer.Option(help="Data size: tiny, small, medium, large.")] = (
            "small"
        ),
        bench: Annotated[
            list[str] | None, typer.Option("--bench", "-b", help="asv benchmark regex.")
        ] = None,
        modality: Annotated[list[str] | None, typer.Option(help="Only these modalities.")] = None,
        codec: Annotated[list[str] | None, typer.Option(help="Only these codecs.")] = None,
        layout: Annotated[list[str] | None, typer.Option(help="Only these layouts.")] = None,
        suite: Annotated[
            list[str] | None, typer.Option(help="Suites (default: core and cputime).")
        ] = None,
        noise: Annotated[
            Path | None,
            typer.Option(
                help="Noise model (`zarr-benchmarks noise learn`): per-benchmark "
                "thresholds instead of --min-effect."
            ),
        ] = None,
        min_effect: Annotated[
            float,
            typer.Option(
                help="Relative change below which a block verdict is "
                "'unchanged' (without a noise model)."
            ),
        ] = 0.03,
        alpha: Annotated[float, typer.Option(help="1 - confidence of each interval.")] = 0.01,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Folder for the comparison.")
        ] = None,
    ) -> None:
        """Benchmark this suite against two environments, interleaved; compare.

        Builds (and caches) each side's virtual environment, runs the selected benchmarks
        in alternating blocks (A B, B A, ...), reduces both sides, compares them with
        paired block statistics and writes comparison.md and comparison.json. Exit 1 on a
        regression, 2 on bad input.
        """
        from rich.console import Console

        from zarr_benchmarks.analyse import compare as cmp
        from zarr_benchmarks.analyse import envab
        from zarr_benchmarks.run import envs

        console, err = Console(), Console(stderr=True)
        suite_env = _suite_env(preset, size, modality, codec, layout, suite)
        try:
            base_spec = envs.parse_spec(base, side="base")
            new_spec = envs.parse_spec(new, side="new")
        except envs.EnvError as exc:
            fail(str(exc), exc.code)
        model = None
        if noise is not None:
            from zarr_benchmarks.analyse.noise import load_noise

            try:
                model = load_noise(noise)
            except cmp.CompareInputError as exc:
                fail(str(exc), 2)
        root, commit, machine = _clone_and_machine()
        sides = {
            label: _build(label, spec, root)
            for label, spec in (("base", base_spec), ("new", new_spec))
        }
        options = envab.ABOptions(
            blocks=blocks,
            samples=samples,
            bench=list(bench or []),
            suite_env=suite_env,
            preset=preset,
            size=size,
            alpha=alpha,
            min_effect=min_effect,
            noise=model,
        )

        from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

        with Progress(
            BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), console=err, transient=True
        ) as progress:
            task = progress.add_task("A/B", total=None)

            def on_progress(done: int, total: int, name: str) -> None:
                progress.update(task, completed=done, total=total, description=name)

            try:
                outcome = envab.run_env_ab(
                    sides["base"],
                    sides["new"],
                    root=root,
                    commit=commit,
                    machine=machine.document,
                    options=options,
                    output=None if output is None else output.resolve(),
                    on_progress=on_progress,
                )
            except envab.EnvABError as exc:
                fail(str(exc), exc.code)
        console.print(cmp.render_rich(outcome.comparison))
        for path in outcome.written[:2]:
            console.print(f"wrote {shown_path(path, root)}", highlight=False, markup=False)
        if outcome.comparison.has_regression:
            raise typer.Exit(1)

    @app.command("history-run")
    def history_run_cmd(
        package: Annotated[str, typer.Option(help="The package whose releases to benchmark.")] = (
            "zarr"
        ),
        versions: Annotated[
            list[str] | None,
            typer.Option(help="Versions, in order (comma list); default: every 3.x on the index."),
        ] = None,
        with_: Annotated[
            str,
            typer.Option(
                "--with", help="Requirements added to every side, e.g. 'numcodecs==0.16.6'."
            ),
        ] = "",
        blocks: Annotated[int, typer.Option(help="Interleaved blocks per release.")] = 6,
        samples: Annotated[int, typer.Option(help="Samples per benchmark per block.")] = 5,
        preset: Annotated[str, typer.Option(help="Parameter matrix.")] = "quick",
        size: Annotated[str, typer.Option(help="Data size.")] = "small",
        bench: Annotated[
            list[str] | None, typer.Option("--bench", "-b", help="asv benchmark regex.")
        ] = None,
        modality: Annotated[list[str] | None, typer.Option(help="Only these modalities.")] = None,
        codec: Annotated[list[str] | None, typer.Option(help="Only these codecs.")] = None,
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Folder for the reduced results.")
        ] = Path("results/history"),
    ) -> None:
        """Benchmark several releases of a package side by side (interleaved per benchmark),
        write one reduced result per release, then show the history with step changes."""
        from rich.console import Console

        from zarr_benchmarks._jsonio import atomic_write_json
        from zarr_benchmarks.analyse import envab, interleave
        from zarr_benchmarks.analyse import history as hist
        from zarr_benchmarks.analyse.compare import CompareInputError
        from zarr_benchmarks.results.reduce import result_filename
        from zarr_benchmarks.run import envs

        console, err = Console(), Console(stderr=True)
        suite_env = _suite_env(preset, size, modality, codec)
        try:
            chosen = _split(versions) or envs.index_versions(package, prefix="3.")
            if len(chosen) < 2:
                fail(f"--versions: need at least two versions of {package}, got {chosen}")
            specs = {v: envs.parse_spec(f"{package}=={v} {with_}".strip(), side=v) for v in chosen}
        except envs.EnvError as exc:
            fail(str(exc), exc.code)
        root, commit, machine = _clone_and_machine()
        sides = {v: _build(f"{package} {v}", spec, root) for v, spec in specs.items()}
        options = envab.ABOptions(
            blocks=blocks,
            samples=samples,
            bench=list(bench or []),
            suite_env=suite_env,
            preset=preset,
            size=size,
        )
        try:
            run = interleave.run_interleaved(
                sides, root=root, commit=commit, machine=machine.document, options=options
            )
        except envab.EnvABError as exc:
            fail(str(exc), exc.code)
        folder = output if output.is_absolute() else root / output
        atomic_write_json(folder / hist.HISTORY_MANIFEST, {"package": package, "versions": chosen})
        for version, doc in run.docs.items():
            env_doc = run.environments[version]
            atomic_write_json(folder / result_filename(doc), doc)
            atomic_write_json(
                folder / f"info_environment-{env_doc['environment_id']}.json", env_doc
            )
        console.print(
            f"{len(sides)} releases, {blocks} interleaved blocks each, "
            f"{run.seconds / 60:.1f} min; wrote {shown_path(folder, root)}",
            highlight=False,
        )
        try:
            h = hist.history_from_path(folder, package=package, axis="version")
        except CompareInputError as exc:
            fail(str(exc), 1)
        console.print(hist.render_rich(h))
        err.print("details: zarr-benchmarks history " + str(shown_path(folder, root)) + " --all")

    noise_app = typer.Typer(help="Each benchmark's noise on this machine, from A/A runs.")
    app.add_typer(noise_app, name="noise")

    @noise_app.command("learn")
    def noise_learn(
        comparisons: Annotated[
            list[Path], typer.Argument(help="comparison.json files of A/A runs (`ab`).")
        ],
        output: Annotated[Path, typer.Option("--output", "-o", help="Noise model to write.")],
    ) -> None:
        """Learn per-benchmark noise thresholds from A/A comparisons."""
        from zarr_benchmarks._jsonio import atomic_write_json
        from zarr_benchmarks.analyse.compare import CompareInputError
        from zarr_benchmarks.analyse.noise import learn

        try:
            model, document = learn(comparisons)
        except CompareInputError as exc:
            fail(str(exc), 2)
        atomic_write_json(output, document)
        worst = max(model.values(), key=lambda n: n.threshold)
        typer.echo(
            f"learned {len(model)} benchmarks from {len(comparisons)} A/A runs; thresholds "
            f"{min(n.threshold for n in model.values()):.1%} to {worst.threshold:.1%}; "
            f"wrote {output}"
        )
