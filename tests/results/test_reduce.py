"""Reducing asv 0.6.x result files (hand-made fixtures) to the shared result format."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zarr_benchmarks._jsonio import canonical_dumps, pretty_dumps, sha256_id
from zarr_benchmarks.results.reduce import ReduceError, parse_param, reduce_paths
from zarr_benchmarks.results.schemas import SchemaError, load_schema, validate
from zarr_benchmarks.run.environment import environment_document
from zarr_benchmarks.run.hardware import collect_machine_info
from zarr_benchmarks.run.machine import machine_document
from zarr_benchmarks.run.records import RunMeta, sidecar_path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "asv"
FIX1 = "0123abcd-existing-py_home_alice_venv_bin_python.json"
FIX2 = "89abcdef-existing-py_home_alice_venv_bin_python.json"


@pytest.fixture(scope="module")
def machine() -> dict:
    return machine_document("FixtureMachine", collect_machine_info("."))


@pytest.fixture(scope="module")
def environment() -> dict:
    return environment_document()


@pytest.fixture
def asv_results(tmp_path: Path) -> Path:
    dest = tmp_path / "asv-results"
    shutil.copytree(FIXTURES / "results", dest)
    return dest


def _load_all(folder: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def _by_params(bench: dict) -> dict[str, dict]:
    return {canonical_dumps(e["params"]): e for e in bench["results"]}


def test_parse_param_strips_repr_quotes_and_keeps_numbers() -> None:
    assert parse_param("'cryoet'") == "cryoet"
    assert parse_param('"a b"') == "a b"
    assert parse_param("64") == 64 and isinstance(parse_param("64"), int)
    assert parse_param("0.5") == 0.5
    assert parse_param("(64, 64, 64)") == "(64, 64, 64)"  # tuples stay readable text
    assert parse_param("None") == "None"
    assert parse_param("True") == "True"
    assert parse_param("<function f at 0x7f>") == "<function f at 0x7f>"
    assert parse_param("float('nan')") == "float('nan')"


def test_pretty_dumps_matches_stdlib_indent_2_sorted() -> None:
    import random

    rng = random.Random(0)
    scalars = [None, True, False, 0, -5, 10**20, 1.5, 1e-7, -0.0, 1e300, 'é"\\\n\x01', ""]

    def rnd(depth: int = 0):
        c = rng.random()
        if depth > 3 or c < 0.4:
            return rng.choice(scalars)
        if c < 0.7:
            return [rnd(depth + 1) for _ in range(rng.randint(0, 4))]
        if c < 0.8:
            return [rng.uniform(-1e9, 1e9) for _ in range(rng.randint(0, 5))]
        return {rng.choice(["a", "b", "é", 'z"', "k1"]): rnd(depth + 1) for _ in range(4)}

    for _ in range(2000):
        obj = rnd()
        expected = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
        assert pretty_dumps(obj) == expected + "\n"
    for bad in (float("nan"), [1.0, float("inf")], {"a": float("-inf")}):
        with pytest.raises(ValueError):
            pretty_dumps(bad)


def test_ids_are_sha256_of_canonical_json() -> None:
    obj = {"b": [1, 2], "a": {"y": 1, "x": "é"}}
    assert canonical_dumps(obj) == '{"a":{"x":"\\u00e9","y":1},"b":[1,2]}'
    assert sha256_id(obj) == sha256_id({"a": {"x": "é", "y": 1}, "b": [1, 2]})
    assert len(sha256_id(obj)) == 64 and sha256_id(obj) == sha256_id(obj).lower()


def test_reduce_fixtures_statuses_params_and_problems(
    asv_results: Path, tmp_path: Path, machine: dict, environment: dict
) -> None:
    out = tmp_path / "results"
    report = reduce_paths([asv_results], out, machine=machine, environment=environment)
    assert len(report.results) == 2
    files = _load_all(out)
    for name, doc in files.items():
        validate(doc)  # every file written matches its schema
        assert (out / name).read_text() == pretty_dumps(doc)  # indent 2, sorted, newline
    results = sorted(
        (d for d in files.values() if d["kind"] == "result"), key=lambda d: d["commit_hash"]
    )
    first, second = results

    # File 1: ok / failed (null) / skipped (NaN), samples kept, readable params.
    assert first["commit_hash"] == "0123abcd" * 5
    assert first["timestamp"] == "2026-11-22-03-17-40"  # earliest started_at, UTC
    assert first["machine_id"] == machine["machine_id"]
    assert first["environment_id"] == environment["environment_id"]
    write = first["benchmarks"]["bench_write.Write.time_write"]
    assert write["param_names"] == ["modality", "codec", "chunks"]
    assert (write["type"], write["unit"]) == ("time", "seconds")
    assert write["version"].startswith("4f7c1e0c")
    entries = _by_params(write)
    ok = entries[
        canonical_dumps({"chunks": "cube64", "codec": "blosc-zstd-5-shuffle", "modality": "cryoet"})
    ]
    assert ok == {
        "params": {"modality": "cryoet", "codec": "blosc-zstd-5-shuffle", "chunks": "cube64"},
        "status": "ok",
        "samples": [0.0123, 0.0121, 0.0125],
        "value": 0.0123,
    }
    failed = entries[canonical_dumps({"chunks": "cube64", "codec": "none", "modality": "cryoet"})]
    assert (failed["status"], failed["value"], failed["samples"]) == ("failed", None, [])
    skipped = entries[
        canonical_dumps({"chunks": "cube64", "codec": "none", "modality": "lightsheet"})
    ]
    assert (skipped["status"], skipped["value"]) == ("skipped", None)
    ratio = first["benchmarks"]["bench_write.Write.track_compression_ratio"]
    assert (ratio["type"], ratio["unit"]) == ("track", "ratio")
    assert [e["samples"] for e in ratio["results"] if e["status"] == "ok"] == [[3.5], [1.0], [1.0]]
    peak = first["benchmarks"]["bench_write.Write.peakmem_write"]
    assert (peak["type"], peak["unit"]) == ("peakmem", "bytes")
    assert any(
        "time_write" in p and '"codec": "none"' in p and p.endswith("failed")
        for p in first["problems"]
    )
    assert sum(p.endswith(": skipped") for p in first["problems"]) == 2

    # File 2: missing samples, an all-failed row collapsed to null, unknown benchmark.
    read = second["benchmarks"]["bench_read.Read.time_read"]
    assert [e["params"] for e in read["results"]] == [
        {"modality": "cryoet", "level": 1},
        {"modality": "cryoet", "level": 2},
    ]
    assert all(e["status"] == "ok" and e["samples"] == [] for e in read["results"])
    assert sum("no samples recorded" in p for p in second["problems"]) == 2
    copy = second["benchmarks"]["bench_reference.MemoryBandwidth.time_copy"]
    assert copy["results"] == [{"params": {}, "status": "failed", "samples": [], "value": None}]
    legacy = second["benchmarks"]["bench_extra.Legacy.track_speed"]
    assert legacy["param_names"] == ["param1"]
    assert legacy["results"][0]["params"] == {"param1": "(64, 64, 64)"}
    assert any("bench_extra.Legacy.track_speed" in p and "guessed" in p for p in second["problems"])


def test_reduce_drops_interpreter_paths_and_env_names(
    asv_results: Path, tmp_path: Path, machine: dict, environment: dict
) -> None:
    out = tmp_path / "results"
    reduce_paths([asv_results], out, machine=machine, environment=environment)
    for path in out.iterdir():
        text = path.read_text()
        assert "alice" not in text and "existing-py" not in text and "/bin/python" not in text


def test_info_files_written_once_per_id(
    asv_results: Path, tmp_path: Path, machine: dict, environment: dict
) -> None:
    out = tmp_path / "results"
    reduce_paths([asv_results], out, machine=machine, environment=environment)
    infos = sorted(p.name for p in out.glob("info_*.json"))
    assert infos == sorted(
        [
            f"info_machine-{machine['machine_id']}.json",
            f"info_environment-{environment['environment_id']}.json",
        ]
    )
    info = out / infos[0]
    os.utime(info, (1, 1))  # a rewrite would change the mtime
    reduce_paths([asv_results], out, machine=machine, environment=environment)
    assert info.stat().st_mtime == 1
    assert len(list(out.glob("result_*.json"))) == 2  # same input, same names: idempotent


def test_run_record_sets_flags_and_ignores_older_results(
    asv_results: Path, tmp_path: Path, machine: dict, environment: dict
) -> None:
    src = asv_results / "FixtureMachine" / FIX1
    # Pretend this run started after time_write ran: only later benchmarks are this run's.
    meta = RunMeta(
        dirty=True,
        quick=True,
        preset="quick",
        started_ms=1795317461000,
        machine=machine,
        environment=environment,
    )
    sidecar_path(src).write_text(json.dumps(meta.to_json()))
    out = tmp_path / "results"
    report = reduce_paths([src], out)
    (doc,) = report.documents
    assert (doc["dirty"], doc["quick"], doc["preset"]) == (True, True, "quick")
    assert sorted(doc["benchmarks"]) == [
        "bench_write.Write.peakmem_write",
        "bench_write.Write.track_compression_ratio",
    ]
    assert doc["timestamp"] == "2026-11-22-03-17-41"


@pytest.mark.parametrize(
    ("bad", "message"),
    [("not_asv.json", "not an asv result file"), ("broken.json", "not valid JSON")],
)
def test_bad_input_clear_error_and_nothing_written(
    tmp_path: Path, asv_results: Path, bad: str, message: str
) -> None:
    out = tmp_path / "results"
    good = asv_results / "FixtureMachine" / FIX1
    with pytest.raises(ReduceError, match=message) as info:
        reduce_paths([good, FIXTURES / "bad" / bad], out)
    assert bad in str(info.value)
    assert not out.exists() or not any(out.iterdir())


def _cli_reduce(tmp_path: Path, *inputs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "zarr_benchmarks",
            "reduce",
            *map(str, inputs),
            "-o",
            str(tmp_path / "results"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path), "COLUMNS": "200"},
    )


@pytest.mark.parametrize("bad", ["not_asv.json", "broken.json"])
def test_cli_bad_input_alone_exit_2_names_file(tmp_path: Path, bad: str) -> None:
    proc = _cli_reduce(tmp_path, FIXTURES / "bad" / bad)
    assert proc.returncode == 2, proc.stderr
    assert bad in proc.stderr and "skipped" in proc.stderr and "nothing reduced" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    out = tmp_path / "results"
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("bad", "message"),
    [("not_asv.json", "not an asv result file"), ("broken.json", "not valid JSON")],
)
def test_reduce_skips_a_malformed_file_in_a_folder_and_reports_it(
    tmp_path: Path, asv_results: Path, bad: str, message: str
) -> None:
    clean = tmp_path / "clean"
    reduce_paths([asv_results], clean)
    shutil.copy(FIXTURES / "bad" / bad, asv_results / "FixtureMachine" / bad)
    with pytest.raises(ReduceError, match=message):  # the library default: all or nothing
        reduce_paths([asv_results], tmp_path / "strict")
    report = reduce_paths([asv_results], tmp_path / "skipping", skip_bad=True)
    assert [(p.name, message in reason) for p, reason in report.skipped] == [(bad, True)]
    assert len(report.results) == 2
    # the good files reduce byte-identically with the bad one beside them
    clean_files = {p.name: p.read_bytes() for p in clean.iterdir()}
    assert {p.name: p.read_bytes() for p in (tmp_path / "skipping").iterdir()} == clean_files

    proc = _cli_reduce(tmp_path, asv_results)
    assert proc.returncode == 0, proc.stderr
    assert f"skipped {asv_results / 'FixtureMachine' / bad}" in proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    # (the info files of a subprocess with another HOME may name the machine differently)
    cli_results = {p.name: p.read_bytes() for p in (tmp_path / "results").glob("result_*")}
    assert cli_results == {k: v for k, v in clean_files.items() if k.startswith("result_")}
    assert len(cli_results) == 2


def test_cli_reduce_missing_path_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zarr_benchmarks",
            "reduce",
            str(tmp_path / "nope"),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 2
    assert "no such file or folder" in proc.stderr


def test_cli_reduce_writes_valid_files(tmp_path: Path, asv_results: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", "reduce", str(asv_results), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path), "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "no zarr-benchmarks run record" in proc.stderr  # told what was assumed
    written = _load_all(out)
    assert len(written) == 4
    for doc in written.values():
        validate(doc)
    assert "failed" in proc.stdout and "skipped" in proc.stdout


def test_schema_error_names_json_path() -> None:
    doc = {
        "schema_version": 1,
        "kind": "result",
        "timestamp": "2026-11-22-03-30-00",
        "commit_hash": "a" * 40,
        "dirty": False,
        "quick": False,
        "preset": "default",
        "machine_id": "b" * 64,
        "environment_id": "c" * 64,
        "benchmarks": {
            "m.C.time_x": {
                "version": "v",
                "unit": "seconds",
                "type": "time",
                "param_names": ["a"],
                "results": [{"params": {"a": 1}, "status": "bogus", "samples": [], "value": None}],
            }
        },
        "problems": [],
    }
    with pytest.raises(SchemaError) as info:
        validate(doc)
    assert info.value.path == "$.benchmarks['m.C.time_x'].results[0].status"
    assert isinstance(info.value, ValueError)
    doc["benchmarks"]["m.C.time_x"]["results"][0]["status"] = "ok"  # ok needs a number
    with pytest.raises(SchemaError, match=r"results\[0\]\.value"):
        validate(doc)
    doc["benchmarks"]["m.C.time_x"]["results"][0]["value"] = math.pi
    validate(doc)
    with pytest.raises(SchemaError, match=r"^\$\.kind"):
        validate({"kind": "nope"})
    assert set(load_schema("machine")["required"]) >= {"machine_id", "hardware", "name"}
