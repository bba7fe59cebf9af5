"""``zarr-benchmarks codecs`` / ``modalities`` / ``presets``: what can be benchmarked.

Ids (modalities, codecs, chunk layouts) are never cut or folded: their columns are
``no_wrap`` and the descriptions wrap instead; where a table cannot hold every id
whole (``modalities`` on an 80-column terminal) each entry is printed as a block.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()

_JSON_HELP = "Print JSON on stdout (and nothing else)."


def _id_column(table: Table, header: str) -> None:
    table.add_column(header, no_wrap=True, overflow="ignore")


def _fits(rows: list[tuple[str, ...]], headers: tuple[str, ...], wrap: int, least: int) -> bool:
    """Whether a boxed table of ``rows`` fits the console with every cell line whole
    except column ``wrap`` (a description, given ``least`` columns)."""
    widths = [
        least
        if i == wrap
        else max(len(line) for cell in (h, *(r[i] for r in rows)) for line in cell.split("\n"))
        for i, h in enumerate(headers)
    ]
    return sum(widths) + 3 * len(widths) + 1 <= console.width


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
    _id_column(table, "id")
    table.add_column("config", overflow="fold")
    for cid in ids:
        table.add_row(cid, escape(json.dumps(get_codec(cid).config)))
    console.print(table)


def _modality_doc(m: Any) -> dict[str, Any]:
    band = m.ratio_band
    return {
        "id": m.id,
        "title": m.title,
        "dtype": m.dtype,
        "shape": list(m.shape),
        "axes": m.axes,
        "suggested_codec": m.suggested_codec,
        "chunk_layouts": list(m.chunk_layouts),
        "expected_ratio": (
            {"codec": band.codec, "low": band.low, "high": band.high} if band else None
        ),
    }


def modalities(
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """List every registered modality with its defaults and expected ratio band."""
    from zarr_benchmarks.data.modalities import list_modalities

    docs = [_modality_doc(m) for m in list_modalities()]
    if as_json:
        typer.echo(json.dumps(docs, indent=2))
        return
    headers = ("id", "title", "dtype", "shape", "suggested codec", "chunks", "expected ratio")
    table = Table(title="modalities")
    _id_column(table, headers[0])
    table.add_column(headers[1], ratio=1)  # the description wraps
    for header in headers[2:]:  # ids (layouts and the ratio's codec one per line)
        _id_column(table, header)
    rows: list[tuple[str, ...]] = []
    for d in docs:
        band = d["expected_ratio"]
        rows.append(
            (
                d["id"],
                d["title"],
                d["dtype"],
                "x".join(map(str, d["shape"])),
                d["suggested_codec"],
                "\n".join(d["chunk_layouts"]),
                f"{band['low']:g}-{band['high']:g}\n({band['codec']})" if band else "-",
            )
        )
        table.add_row(*rows[-1])
    if _fits(rows, headers, wrap=1, least=16):
        console.print(table)
        return
    # Too narrow for a table holding every id whole: one block per modality.
    console.print(f"[bold]{len(docs)} modalities[/]")
    for d, row in zip(docs, rows, strict=True):
        console.print(f"[bold]{d['id']}[/]  {escape(d['title'])}")
        console.print(f"  dtype {d['dtype']}, shape {row[3]}")
        console.print(f"  suggested codec: {d['suggested_codec']}")
        console.print(f"  chunks: {', '.join(d['chunk_layouts'])}")
        console.print(f"  expected ratio: {row[6].replace(chr(10), ' ')}")


def presets(
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Show the benchmark matrix of each preset."""
    import dataclasses

    from zarr_benchmarks.suite.presets import get_matrix

    names = ("quick", "default", "full")
    if as_json:
        doc = {n: dataclasses.asdict(get_matrix(n, environ={})) for n in names}
        typer.echo(json.dumps(doc, indent=2))
        return
    for name in names:
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
