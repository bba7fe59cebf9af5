"""The `recommend`, `codecs`, `modalities` and `presets` commands, run as a user would."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from cli_helpers import run_cli
from typer.testing import CliRunner

from zarr_benchmarks.cli import app

runner = CliRunner()


def test_recommend_prints_a_table_and_writes_json(tmp_path):
    out = tmp_path / "sub" / "result.json"
    res = runner.invoke(
        app,
        [
            "recommend",
            "--dataset-type",
            "synthetic",
            "--shape",
            "16,32,32",
            "--codecs",
            "blosc-zstd-5-shuffle",
            "blosc-lz4-5-bitshuffle",
            "--profile",
            "balanced",
            "--runs",
            "2",
            "--json",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "blosc-lz4-5-bitshuffle" in res.output and "Best compression" in res.output
    doc = json.loads(out.read_text())
    assert {r["codec"] for r in doc["results"]} == {
        "blosc-zstd-5-shuffle",
        "blosc-lz4-5-bitshuffle",
    }
    assert doc["recommended"]["goal"] == "balanced"
    assert doc["config"]["num_runs"] == 2
    assert not list(out.parent.glob(".*.tmp"))


def test_recommend_on_user_data(tmp_path):
    import numpy as np

    from zarr_benchmarks.data.modalities import get_modality

    path = tmp_path / "stack.npy"
    np.save(path, get_modality("synthetic").generate((8, 32, 32)))
    res = runner.invoke(
        app,
        [
            "recommend",
            "--data",
            str(path),
            "--codecs",
            "zstd-3",
            "--runs",
            "1",
            "--chunks",
            "8,16,16",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "zstd-3" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--codecs", "lzma"], "unknown codec id 'lzma'"),
        (["--shape", "4,x"], "--shape"),
        (["--dataset-type", "xray"], "unknown modality 'xray'"),
        (["--profile", "extreme"], "extreme"),
        (["--chunks", "blob"], "unknown chunk layout"),
        (["zstd-3"], "codec ids follow --codecs"),
        (["--data", "/nonexistent/stack.tif"], "stack.tif"),
    ],
)
def test_recommend_bad_input_exits_2_with_a_message(args, message):
    res = runner.invoke(app, ["recommend", "--shape", "8,16,16", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_catalogue_commands():
    res = runner.invoke(app, ["codecs", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.output)["blosc-zstd-5-bitshuffle"]["shuffle"] == "bitshuffle"
    assert runner.invoke(app, ["modalities"]).exit_code == 0
    assert runner.invoke(app, ["presets"]).exit_code == 0


def test_module_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "recommend" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "bogus"], "unknown suite"),
        (["--layout", "blob"], "unknown chunk layout"),
        (["--modality", "xray"], "unknown modality"),
        (["--codec", "lzma"], "unknown codec"),
    ],
)
def test_run_rejects_bad_filters_before_starting_asv(args, message):
    res = runner.invoke(app, ["run", "--preset", "quick", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output


def test_recommend_write_empty_chunks_flag_is_recorded(tmp_path):
    out = tmp_path / "r.json"
    base = ["recommend", "--shape", "8,32,32", "--codecs", "none", "--runs", "1", "--json"]
    res = runner.invoke(app, [*base, str(out), "--write-empty-chunks"])
    assert res.exit_code == 0, res.output
    assert "write_empty_chunks=True" in res.output
    assert json.loads(out.read_text())["config"]["write_empty_chunks"] is True
    res = runner.invoke(app, [*base, str(out)])
    assert json.loads(out.read_text())["config"]["write_empty_chunks"] is False  # zarr's


def test_recommend_refuses_a_dataset_larger_than_memory_before_allocating():
    # 4096^3 float32 is 256 GiB: refused with one line, exit 2, nothing allocated.
    for cmd in (
        [sys.executable, "-m", "zarr_benchmarks", "recommend"],
        [sys.executable, "-m", "multi_dataset_benchmark"],
    ):
        proc = subprocess.run(
            [*cmd, "--dataset-type", "cryoet", "--shape", "4096,4096,4096"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "MemoryError" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert "256.0 GiB" in lines[0]
        assert "of memory available" in lines[0]


def test_recommend_memory_limit_is_the_available_memory(monkeypatch):
    import psutil

    class _Mem:
        available = 2**20  # 1 MiB

    monkeypatch.setattr(psutil, "virtual_memory", lambda: _Mem())
    res = runner.invoke(app, ["recommend", "-t", "cryoet", "--shape", "64,64,64"])
    assert res.exit_code == 2, res.output
    assert "the data is 1.0 MiB" in res.output
    assert "more than the 1.0 MiB of memory available" in res.output


def test_recommend_refuses_user_data_without_room_for_the_decoded_copy(tmp_path, monkeypatch):
    import numpy as np
    import psutil

    path = tmp_path / "vol.npy"
    np.save(path, np.zeros((32, 64, 64), dtype=np.uint16))  # 256 KiB

    class _Mem:
        available = 2**17  # 128 KiB

    monkeypatch.setattr(psutil, "virtual_memory", lambda: _Mem())
    res = runner.invoke(app, ["recommend", "--data", str(path)])
    assert res.exit_code == 2, res.output
    assert f"--data {path} 32x64x64 uint16: the data is 0.2 MiB" in res.output


def _cli_at_80_columns(*args: str) -> str:
    proc = run_cli(*args, columns=80)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _whole(word: str, text: str) -> bool:
    import re

    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_listings_print_every_id_whole_at_80_columns():
    from zarr_benchmarks.data.modalities import list_modalities
    from zarr_benchmarks.suite.codecs import list_codec_ids

    out = _cli_at_80_columns("modalities")
    assert max(map(len, out.splitlines())) <= 80
    assert "…" not in out
    for m in list_modalities():
        assert _whole(m.id, out), m.id
        assert _whole(m.suggested_codec, out), m.suggested_codec
        for layout in m.chunk_layouts:
            assert _whole(layout, out), layout
    out = _cli_at_80_columns("codecs")
    assert max(map(len, out.splitlines())) <= 80
    assert "…" not in out
    for cid in list_codec_ids():
        assert _whole(cid, out), cid
    out = _cli_at_80_columns("presets")
    for cid in json.loads(_cli_at_80_columns("presets", "--json"))["full"]["codecs"]:
        assert _whole(cid, out), cid


def test_listings_json_parses_and_lists_everything():
    from zarr_benchmarks.data.modalities import list_modalities
    from zarr_benchmarks.suite.codecs import list_codec_ids
    from zarr_benchmarks.suite.presets import get_matrix

    mods = json.loads(_cli_at_80_columns("modalities", "--json"))
    assert [m["id"] for m in mods] == [m.id for m in list_modalities()]
    assert all(isinstance(m["shape"], list) and m["suggested_codec"] for m in mods)
    codec_doc = json.loads(_cli_at_80_columns("codecs", "--json"))
    assert sorted(codec_doc) == sorted(list_codec_ids())
    presets_doc = json.loads(_cli_at_80_columns("presets", "--json"))
    assert sorted(presets_doc) == ["default", "full", "quick"]
    for name, doc in presets_doc.items():
        m = get_matrix(name, environ={})
        assert doc["codecs"] == list(m.codecs) and doc["modalities"] == list(m.modalities)


def test_recommend_with_lossy_codecs_keeps_ssim_and_whole_ids_at_80_columns():
    lossy = ["shift-2-blosc-zstd-5-shuffle", "shift-4-blosc-zstd-5-shuffle"]
    out = _cli_at_80_columns(
        "recommend",
        "--dataset-type",
        "synthetic",
        "--shape",
        "16,32,32",
        "--codecs",
        *lossy,
        "blosc-zstd-5-shuffle",
        "--runs",
        "1",
    )
    header = next(line for line in out.splitlines() if "codec" in line and "ratio" in line)
    assert "PSNR" in header and "SSIM" in header
    assert "…" not in out
    for cid in lossy:
        row = next(line for line in out.splitlines() if _whole(cid, line))
        assert re.search(r"\d\.\d{4}", row), row  # the SSIM value is on the codec's row
    table = out[: out.index("Best write")]
    assert max(map(len, table.splitlines())) <= 80
