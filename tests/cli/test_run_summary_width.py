"""The run summary's "best codec per goal" table at 80 and 140 columns (issue 14).

Rendered from the repository's committed reference result, as ``summary`` shows it: every
line fits, and no codec id, chunks id or measured figure is split across lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from zarr_benchmarks.analyse.report.recommend import best_per_goal
from zarr_benchmarks.analyse.report.table import records_from_documents
from zarr_benchmarks.cli._run import _goal_figure, first_run_summary

RESULTS = Path(__file__).resolve().parents[2] / "results"


@pytest.mark.parametrize("width", [80, 140])
def test_best_codec_table_keeps_ids_and_figures_whole(width: int) -> None:
    (result,) = RESULTS.glob("result_*.json")
    (machine_file,) = RESULTS.glob("info_machine-*.json")
    doc = json.loads(result.read_text())
    machine = json.loads(machine_file.read_text())
    console = Console(width=width, record=True, color_system=None)
    for part in first_run_summary([doc], machine, "default", None, width=width):
        console.print(part)
    lines = console.export_text().splitlines()
    assert max(map(len, lines)) <= width
    rows = records_from_documents([("0", doc)], {machine["machine_id"]: machine}).records
    bests = best_per_goal(rows)
    assert bests  # the reference result has write, read and ratio figures
    for best in bests:
        for whole in (best.codec, best.chunks, _goal_figure(best)):
            assert any(whole in line for line in lines), (whole, width)
    # Narrow: the modality heads its rows instead of taking a column.
    header = next(line for line in lines if "goal" in line and "measured" in line)
    assert ("modality" in header) is (width >= 100)
