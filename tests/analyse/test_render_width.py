"""``compare`` and ``history`` read at 80 columns: ids whole, numbers unbroken, no line
too long; the wide table where there is room.

Rendered from the repository's own reduced results (results/history: one run per Zarr
release on one machine), through a real rich console and through the CLI as a process.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli
from regression_helpers import make_doc, paired_blocks
from rich.console import Console

from zarr_benchmarks._units import format_ratio, format_value
from zarr_benchmarks.analyse import compare as cmp
from zarr_benchmarks.analyse import history as hist

REPO = Path(__file__).resolve().parents[2]
HISTORY = REPO / "results" / "history"
RUNS = sorted(HISTORY.glob("result_*.json"))
BOX = "┃"  # the heavy header border: only the wide table has it


def render(renderable: object, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, force_terminal=False).print(renderable)
    return out.getvalue()


def check_lines(text: str, width: int) -> list[str]:
    lines = text.splitlines()
    assert lines
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long
    assert "…" not in text
    return lines


def assert_whole(lines: list[str], pieces: set[str]) -> None:
    """Each piece (an id, a number with its unit) appears unsplit on one line."""
    missing = sorted(p for p in pieces if not any(p in line for line in lines))
    assert not missing, missing


def row_pieces(rows: list[cmp.Row]) -> set[str]:
    pieces = set()
    for r in rows:
        pieces.add(r.name)
        pieces.update(f"{k}={v}" for k, v in r.params.items())
        pieces.add(format_value(r.median_base, r.unit))
        pieces.add(format_value(r.median_new, r.unit))
    return pieces


@pytest.fixture(scope="module")
def real_comparison() -> cmp.Comparison:
    assert len(RUNS) >= 2, "results/history holds the reference release history"
    return cmp.compare_paths(RUNS[0], RUNS[-1])


@pytest.mark.parametrize("width", [80, 140])
def test_compare_of_real_results_fits_the_width(
    real_comparison: cmp.Comparison, width: int
) -> None:
    text = render(cmp.render_rich(real_comparison, show_all=True), width)
    lines = check_lines(text, width)
    assert_whole(lines, row_pieces(real_comparison.rows))
    assert (BOX in text) == (width >= 140)  # compact at 80, the one table at 140
    # compression ratios read like everywhere else ("1.31x"), never "1.314 ratio"
    ratios = [r for r in real_comparison.rows if r.unit == "ratio"]
    assert ratios
    assert_whole(lines, {format_ratio(r.median_base) for r in ratios})
    assert " ratio" not in text.replace("track_compression_ratio", "")


def test_compact_compare_keeps_each_verdict_and_the_summary(
    real_comparison: cmp.Comparison,
) -> None:
    lines = render(cmp.render_rich(real_comparison, show_all=True), 80).splitlines()
    flowing = " ".join(line.strip() for line in lines)
    for r in real_comparison.rows:
        assert cmp._render._verdict_text(r) in flowing
    assert cmp.summary_line(real_comparison) in flowing


def test_compare_regression_with_markup_like_and_long_ids() -> None:
    """A value that looks like rich markup prints as itself; an id that fits the width
    is on one line, and one wider than the console is folded onto the next line,
    never cropped or cut with an ellipsis."""
    rng = np.random.default_rng(3)
    long_codec = "blosc-zstd-9-bitshuffle-typesize-8-blocksize-0-very-long-codec-id"
    params = {"modality": "[bold]ct[/bold]", "codec": long_codec}
    name = "bench_write.Write.time_write"
    b, n = paired_blocks(rng, 0.02, change=1.5)
    base = make_doc([{"name": name, "params": params, "blocks": b}])
    new = make_doc([{"name": name, "params": params, "blocks": n}])
    comp = cmp.compare_docs([("base", base)], [("new", new)])
    assert comp.has_regression
    for width in (60, 80, 140):
        text = render(cmp.render_rich(comp), width)
        lines = check_lines(text, width)
        assert "modality=[bold]ct[/bold]," in text
        if width >= 80:
            assert any(f"codec={long_codec}" in line for line in lines)
        else:
            assert f"codec={long_codec}" in "".join(lines)
        assert "regression: 52.2% slower" in text


@pytest.fixture(scope="module")
def real_history() -> hist.History:
    return hist.history_from_path(HISTORY)


@pytest.mark.parametrize("width", [80, 140])
def test_history_of_real_results_fits_the_width(real_history: hist.History, width: int) -> None:
    text = render(hist.render_rich(real_history, show_all=True), width)
    lines = check_lines(text, width)
    pieces = set()
    for s in real_history.series:
        pieces.add(s.name)
        pieces.update(f"{k}={v}" for k, v in s.params.items())
        pieces.update(f"{p.label}: {format_value(p.median, s.unit)}" for p in s.points)
    assert_whole(lines, pieces)
    assert (BOX in text) == (width >= 140)
    assert f"{len(real_history.series)} series" in text


def test_pack_cells_breaks_only_between_cells() -> None:
    cells = ["3.0.8: 9.95 ms", "3.0.9: 10.1 ms", "3.0.10: 9.78 ms", "x" * 30]
    lines = cmp.pack_cells(cells, 34, sep=" → ", cont="→ ")
    assert lines == ["3.0.8: 9.95 ms → 3.0.9: 10.1 ms", "→ 3.0.10: 9.78 ms", "→ " + "x" * 30]


def test_ratio_units_are_one_form_and_json_stays_numeric(
    real_comparison: cmp.Comparison,
) -> None:
    assert format_value(1.246, "ratio") == "1.25x" == format_ratio(1.246)
    assert format_value(float("nan"), "ratio") == "-" == format_ratio(None)
    doc = real_comparison.to_dict()
    ratio_rows = [r for r in doc["rows"] if r["unit"] == "ratio"]
    assert ratio_rows and all(isinstance(r["median_base"], float) for r in ratio_rows)


def _cli(*args: str, columns: int) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, columns=columns, cwd=REPO)


def test_cli_compare_and_history_at_80_columns(real_comparison: cmp.Comparison) -> None:
    proc = _cli("compare", str(RUNS[0]), str(RUNS[-1]), "--all", columns=80)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = check_lines(proc.stdout, 80)
    assert_whole(lines, row_pieces(real_comparison.rows))
    assert BOX not in proc.stdout

    proc = _cli("compare", str(RUNS[0]), str(RUNS[-1]), "--json", columns=80)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["rows"]) == len(real_comparison.rows)

    proc = _cli("history", str(HISTORY), "--all", columns=80)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_lines(proc.stdout, 80)
    assert "bench_write.Write.track_compression_ratio" in proc.stdout

    proc = _cli("history", str(HISTORY), "--json", columns=80)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["kind"] == "history"
