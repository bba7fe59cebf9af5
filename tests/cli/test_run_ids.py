"""`zarr-benchmarks run` refuses unknown ids before it looks for asv or a clone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zarr_benchmarks.data.modalities import list_modalities


def _run(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZARR_BENCHMARKS_", "XDG_"))}
    env.update(HOME=str(cwd), COLUMNS="80", **settings)
    return subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", "run", "--preset", "quick", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("how", ["option", "variable"])
def test_unknown_modality_exits_2_naming_it_and_the_known_ones(tmp_path: Path, how: str) -> None:
    # tmp_path is no clone: the id is checked first, or the error would be about the clone
    if how == "option":
        proc = _run(tmp_path, "--modality", "ct,lightsheat")
    else:
        proc = _run(tmp_path, ZARR_BENCHMARKS_MODALITIES="ct,lightsheat")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert "unknown modality 'lightsheat'" in line
    assert all(m.id in line for m in list_modalities())
    assert "Traceback" not in proc.stderr and "clone" not in line
    assert not (tmp_path / ".asv").exists()


@pytest.mark.parametrize("codec", ["blosc-zstd-5-shufle", "zsdt-3"])
def test_unknown_codec_exits_2_naming_it_and_the_listing(tmp_path: Path, codec: str) -> None:
    # a near miss of a family ("shufle") names the whole id too, not only the bad part
    proc = _run(tmp_path, "--codec", f"none,{codec}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert f"unknown codec id '{codec}'" in line and "zarr-benchmarks codecs" in line
    assert "Traceback" not in proc.stderr and "clone" not in line


def test_a_modality_alias_is_accepted(tmp_path: Path) -> None:
    """``lightsheet`` is an alias of ``light_sheet``: it passes the id check (and the run
    then stops at the next check, that this folder is no clone)."""
    proc = _run(tmp_path, "--modality", "lightsheet")
    assert proc.returncode == 2
    assert "not inside a git clone" in proc.stderr and "unknown" not in proc.stderr


def test_asv_is_given_room_for_whole_benchmark_names() -> None:
    """asv cuts names to its terminal width minus 33 (``....MemoryBandwidth.track_...`` at
    80 columns), and the progress lines are parsed for names: asv gets a wide terminal
    whatever the user's is."""
    from zarr_benchmarks.run.asv_run import RunOptions, filter_env

    env = filter_env(RunOptions(), {"COLUMNS": "80", "PATH": "/usr/bin"})
    longest = max(
        len(f"{p.stem}.{name}")
        for p in (Path(__file__).resolve().parents[2] / "benchmarks").glob("bench_*.py")
        for name in _benchmark_names(p)
    )
    assert int(env["COLUMNS"]) - 33 >= longest + 20  # room for parameters ids too


def _benchmark_names(path: Path) -> list[str]:
    """``Class.method`` of each asv benchmark method in a module (by asv's prefixes)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith(
                    ("time_", "track_", "peakmem_", "mem_", "timeraw_")
                ):
                    out.append(f"{node.name}.{item.name}")
    return out
