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


# --------------------------------------------------------------------------- other machines


def _asv_file(folder: Path, name: str, **changes: object) -> Path:
    """A copy of fixture 1 in ``folder`` with top-level fields (or params) changed."""
    data = json.loads((FIXTURES / "results" / "FixtureMachine" / FIX1).read_text())
    params = changes.pop("params", None)
    if isinstance(params, dict):
        data["params"].update(params)
    data.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data))
    return path


def test_a_foreign_asv_file_keeps_its_own_machine_and_environment(
    tmp_path: Path, asv_results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))  # no `setup` here
    out = tmp_path / "results"
    report = reduce_paths([asv_results], out)
    assert any("recorded on another machine" in n for n in report.notes)
    (machine_file,) = out.glob("info_machine-*.json")
    machine = json.loads(machine_file.read_text())
    here = machine_document("Here", collect_machine_info("."))
    assert machine["machine_id"] != here["machine_id"]
    cpu = machine["hardware"]["cpu"]
    assert (cpu["model"], cpu["arch"], cpu["logical_cores"]) == ("Example CPU", "x86_64", 8)
    assert machine["hardware"]["memory"]["total_bytes"] == 16_000_000_000
    assert (machine["os"]["system"], machine["os"]["release"]) == ("Linux", "6.1.0")
    # asv names machines after their host by default: that name is not copied
    assert machine["name"].startswith("asv-")
    assert "FixtureMachine" not in "".join(p.read_text() for p in out.iterdir())
    (env_file,) = out.glob("info_environment-*.json")
    assert (
        json.loads(env_file.read_text())["environment_id"]
        != (environment_document()["environment_id"])
    )
    for doc in report.documents:
        assert doc["machine_id"] == machine["machine_id"]


def test_an_asv_file_from_this_host_is_attributed_to_this_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    src = _asv_file(tmp_path / "asv" / "m", FIX1, params={"machine": socket.gethostname()})
    report = reduce_paths([src], tmp_path / "results")
    (doc,) = report.documents
    here = machine_document("Here", collect_machine_info("."))
    assert doc["machine_id"] == here["machine_id"]
    assert doc["environment_id"] == environment_document()["environment_id"]


def test_a_zarr_benchmarks_machine_keeps_its_id_and_friendly_name(tmp_path: Path) -> None:
    other = "e" * 64
    src = _asv_file(
        tmp_path / "asv" / "m",
        FIX1,
        params={"machine": "QuietOtter", "machine_id": other, "cpu_physical_cores": "4"},
    )
    report = reduce_paths([src], tmp_path / "results")
    (doc,) = report.documents
    assert doc["machine_id"] == other
    machine = json.loads((tmp_path / "results" / f"info_machine-{other}.json").read_text())
    assert machine["name"] == "QuietOtter"
    assert machine["hardware"]["cpu"]["physical_cores"] == 4


def test_results_of_the_same_second_never_overwrite_each_other(tmp_path: Path) -> None:
    folder = tmp_path / "asv" / "m"
    first = _asv_file(folder, "0123abcd-a.json")
    data = json.loads(first.read_text())
    data["results"]["bench_write.Write.track_compression_ratio"][0] = [2.5, 3.5, 4.5, 5.5]
    (folder / "0123abcd-b.json").write_text(json.dumps(data))
    out = tmp_path / "results"
    report = reduce_paths([folder], out)
    names = sorted(p.name for p in out.glob("result_*.json"))
    assert len(names) == 2 and all("_id-" in n for n in names)
    assert sum("same timestamp" in n for n in report.notes) == 2
    ratio = "bench_write.Write.track_compression_ratio"
    original = json.loads(first.read_text())["results"][ratio][0][0]
    values = {
        json.loads((out / n).read_text())["benchmarks"][ratio]["results"][0]["value"] for n in names
    }
    assert values == {2.5, original}  # both results kept, each in its own file
    reduce_paths([folder], out)  # the same inputs again: the same two names, nothing more
    assert sorted(p.name for p in out.glob("result_*.json")) == names

    # a later input with the same second keeps an earlier, different file in place
    single = tmp_path / "single"
    reduce_paths([first], single)
    (kept,) = single.glob("result_*.json")
    before = kept.read_bytes()
    report = reduce_paths([folder / "0123abcd-b.json"], single)
    assert kept.read_bytes() == before
    assert len(list(single.glob("result_*.json"))) == 2
    assert any("same timestamp" in n for n in report.notes)


def test_an_implausible_started_at_does_not_stamp_1970(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "results" / "FixtureMachine" / FIX1).read_text())
    i_start = data["result_columns"].index("started_at")
    for row in data["results"].values():
        row[i_start] = 1  # 1 ms after the epoch: a broken clock
    src = tmp_path / "asv" / "m" / FIX1
    src.parent.mkdir(parents=True)
    src.write_text(json.dumps(data))
    report = reduce_paths([src], tmp_path / "results")
    (doc,) = report.documents
    assert not doc["timestamp"].startswith("1970")
    assert doc["timestamp"] == "2026-11-21-22-26-40"  # the file's date, 1795300000000 ms
    assert any("implausible started_at" in p for p in doc["problems"])

    data["date"] = 5
    src.write_text(json.dumps(data))
    with pytest.raises(ReduceError, match="no plausible timestamp"):
        reduce_paths([src], tmp_path / "again")


def test_asv_version_1_files_are_converted_by_asv(tmp_path: Path) -> None:
    v1 = {
        "commit_hash": "05d283b9694ed6db6e3f2df3f21d832e78bded7f",
        "date": 1795300000000,
        "params": {"arch": "x86_64", "cpu": "Old CPU", "machine": "oldbox", "ram": "8.2G"},
        "python": "3.8",
        "requirements": {"numpy": "1.8", "Cython": ""},
        "results": {"bench.time_a": 0.5, "bench.mem_b": 728},
        "version": 1,
    }
    src = tmp_path / "asv" / "oldbox" / "05d283b9-py3.8.json"
    src.parent.mkdir(parents=True)
    src.write_text(json.dumps(v1))
    report = reduce_paths([src], tmp_path / "results")
    (doc,) = report.documents
    assert doc["benchmarks"]["bench.time_a"]["results"][0]["value"] == 0.5
    assert doc["benchmarks"]["bench.mem_b"]["results"][0]["value"] == 728
    assert any("version 1, converted in memory by asv" in n for n in report.notes)
    assert json.loads(src.read_text()) == v1  # the user's file is left as it was
    (machine_file,) = (tmp_path / "results").glob("info_machine-*.json")
    assert json.loads(machine_file.read_text())["hardware"]["memory"]["total_bytes"] == int(
        8.2 * 1024**3
    )
    (env_file,) = (tmp_path / "results").glob("info_environment-*.json")
    assert json.loads(env_file.read_text())["packages"] == {"numpy": "1.8", "Cython": "unpinned"}

    v9 = {**v1, "version": 9}
    src.write_text(json.dumps(v9))
    with pytest.raises(ReduceError, match="newer than this asv"):
        reduce_paths([src], tmp_path / "again")
