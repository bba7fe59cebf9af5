"""``zarr-benchmarks codecs`` / ``modalities`` / ``presets``: what can be benchmarked."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def codecs(
    as_json: Annotated[bool, typer.Option("--json", help="Print ids and configs as JSON.")] = False,
) -> None:
    """List every registered codec id with its config."""
    from zarr_benchmarks.suite.codecs import get_codec, list_codec_ids

    ids = list_codec_ids()
    if as_json:
        typer.echo(json.dumps({cid: get_codec(cid).config for cid in ids}, indent=2))
        return
    table = Table(title=f"{len(ids)} codecs")
    table.add_column("id")
    table.add_column("config")
    for cid in ids:
        table.add_row(cid, json.dumps(get_codec(cid).config))
    console.print(table)


def modalities() -> None:
    """List every registered modality with its defaults and expected ratio band."""
    from zarr_benchmarks.data.modalities import list_modalities

    table = Table(title="modalities")
    for col in (
        "id",
        "title",
        "dtype",
        "default shape",
        "suggested codec",
        "chunks",
        "expected ratio",
    ):
        table.add_column(col)
    for m in list_modalities():
        band = m.ratio_band
        table.add_row(
            m.id,
            m.title,
            m.dtype,
            "x".join(map(str, m.shape)),
            m.suggested_codec,
            ", ".join(m.chunk_layouts),
            f"{band.low:g}-{band.high:g} ({band.codec})" if band else "-",
        )
    console.print(table)


def presets() -> None:
    """Show the benchmark matrix of each preset."""
    from zarr_benchmarks.suite.presets import get_matrix

    for name in ("quick", "default", "full"):
        m = get_matrix(name, environ={})
        console.print(
            f"[bold]{name}[/] (size {m.size}): {len(m.modalities)} modalities x "
            f"{len(m.codecs)} codecs x {len(m.layouts)} layouts"
        )
        console.print(f"  modalities: {', '.join(m.modalities)}")
        console.print(f"  codecs:     {', '.join(m.codecs)}")
        console.print(f"  layouts:    {', '.join(m.layouts)}")


def register(app: typer.Typer) -> None:
    app.command("codecs")(codecs)
    app.command("modalities")(modalities)
    app.command("presets")(presets)
