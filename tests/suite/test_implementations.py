"""Implementations: registry, interoperability (each writes, the others read), scoping of
the zarrs pipeline, unsupported cases, and a missing library being skipped."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr
from conftest import VENV_BIN

from zarr_benchmarks import BenchmarkConfig, DatasetBenchmarkRunner, create_metadata
from zarr_benchmarks.data.chunking import resolve_layout
from zarr_benchmarks.run.runner import parse_benchmark_request
from zarr_benchmarks.suite import zarr_io
from zarr_benchmarks.suite.cases import Case
from zarr_benchmarks.suite.codecs import get_codec
from zarr_benchmarks.suite.implementations import (
    ImplementationUnavailable,
    UnknownImplementationError,
    benchmark_implementations,
    get_implementation,
    list_implementations,
    read_array,
    register_implementation,
    require,
    unregister_implementation,
    write_array,
)
from zarr_benchmarks.suite.implementations.zarrs_impl import pipeline_name
from zarr_benchmarks.suite.zarr_io import ArraySettings

IMPLS = ("zarr-python", "tensorstore", "zarrs")
#: IMPLS as parameters, each marked with the extra it needs (zarr-python needs none)
IMPL_PARAMS = [
    pytest.param(name, marks=[] if name == "zarr-python" else getattr(pytest.mark, name))
    for name in IMPLS
]
SHAPE = (20, 24, 36)  # not a multiple of the chunks: partial edge chunks too
pytestmark = pytest.mark.filterwarnings("ignore:Numcodecs codecs are not in the Zarr")


def _data(dtype: str = "uint16") -> np.ndarray:
    rng = np.random.default_rng(7)
    base = rng.poisson(200 + 100 * np.sin(np.arange(SHAPE[-1]) / 3.0), size=SHAPE)
    return base.astype(dtype)


# (zarr_format, layout, codec, dtype)
SETTINGS = [
    (3, "cube8", "blosc-zstd-5-shuffle", "uint16"),
    (3, "cube8-shard16", "blosc-lz4-5-shuffle", "uint16"),
    (3, "cube8-shard16", "blosc-zstd-3-bitshuffle", "float32"),
    (3, "cube8", "zstd-3", "int32"),
    (3, "cube8", "gzip-5", "uint8"),
    (3, "cube8", "none", "float64"),
    (2, "cube8", "blosc-zstd-5-shuffle", "uint16"),
    (2, "cube8", "zstd-3", "float32"),
    (2, "cube8", "gzip-5", "uint16"),
    (2, "cube8", "none", "int16"),
]


def test_registry_lists_the_three_and_normalises_names():
    assert list_implementations()[:3] == list(IMPLS)
    assert get_implementation(None).name == "zarr-python"
    assert get_implementation("zarr_python").name == "zarr-python"
    assert get_implementation("TensorStore").name == "tensorstore"
    with pytest.raises(UnknownImplementationError, match="known: zarr-python, tensorstore"):
        get_implementation("n5-java")


@pytest.mark.tensorstore
@pytest.mark.zarrs
def test_all_three_are_installed_here():
    for name in IMPLS:
        ok, reason = get_implementation(name).available()
        assert ok, reason
        assert get_implementation(name).version()


@pytest.mark.parametrize(("zarr_format", "layout", "codec", "dtype"), SETTINGS)
@pytest.mark.parametrize("writer", IMPLS)
@pytest.mark.tensorstore  # every writer's array is read back through all three
@pytest.mark.zarrs
def test_data_written_by_one_is_read_by_the_others(
    writer, zarr_format, layout, codec, dtype, tmp_path
):
    data = _data(dtype)
    settings = ArraySettings(get_codec(codec), resolve_layout(layout, SHAPE), zarr_format)
    path = tmp_path / "a.zarr"
    write_array(writer, path, data, settings)
    for reader in IMPLS:
        back = read_array(reader, path)
        assert back.dtype == data.dtype, (writer, reader)
        np.testing.assert_array_equal(back, data, err_msg=f"{writer} -> {reader}")
    # zarr-python sees the same chunks, shards and codec whoever wrote it.
    opened = zarr.open_array(path, mode="r")
    assert opened.chunks == settings.layout.chunks
    if settings.layout.shards:
        assert opened.shards == settings.layout.shards


@pytest.mark.tensorstore
def test_tensorstore_writes_the_blosc_typesize_and_shuffle_zarr_python_writes(tmp_path):
    data = _data("uint16")
    settings = ArraySettings(
        get_codec("blosc-lz4-5-shuffle"), resolve_layout("cube8-shard16", SHAPE), 3
    )
    docs = {}
    for impl in ("zarr-python", "tensorstore"):
        write_array(impl, tmp_path / impl, data, settings)
        meta = json.loads((tmp_path / impl / "zarr.json").read_text())
        (shard,) = meta["codecs"]
        assert shard["name"] == "sharding_indexed"
        inner = shard["configuration"]
        docs[impl] = (
            meta["chunk_grid"],
            inner["chunk_shape"],
            inner["codecs"],
            inner["index_codecs"],
        )
    assert docs["tensorstore"] == docs["zarr-python"]
    blosc = docs["tensorstore"][2][-1]["configuration"]
    assert blosc["typesize"] == 2 and blosc["shuffle"] == "shuffle"
    # Shuffle is effective: TensorStore's store compresses like zarr-python's.
    ts_bytes = zarr_io.stored_nbytes(tmp_path / "tensorstore")
    zp_bytes = zarr_io.stored_nbytes(tmp_path / "zarr-python")
    assert abs(ts_bytes - zp_bytes) / zp_bytes < 0.05


def test_default_case_times_exactly_the_zarr_io_calls(tmp_path):
    case = Case(_data(), "blosc-lz4", "cube8", tmp_path)
    assert case._impl.write is zarr_io.write
    assert case._impl.read is zarr_io.read
    assert case._impl.read_selection is zarr_io.read_selection


@pytest.mark.parametrize("impl", IMPL_PARAMS)
def test_case_reads_the_same_chunk_and_plane_through_every_implementation(impl, tmp_path):
    data = _data()
    case = Case(data, "blosc-zstd", "cube8-shard16", tmp_path, label=impl, implementation=impl)
    case.prepare_read()  # writes, then verifies through the same implementation
    np.testing.assert_array_equal(case.read(), data)
    np.testing.assert_array_equal(case.read_chunk(), data[:8, :8, :8])
    np.testing.assert_array_equal(case.read_plane(), data[SHAPE[0] // 2])
    case.prepare_write()
    case.write()
    np.testing.assert_array_equal(read_array("zarr-python", case.write_path), data)
    case.cleanup()
    assert not case.read_path.exists()


@pytest.mark.zarrs
def test_zarrs_pipeline_does_not_leak_into_other_arrays(tmp_path):
    impl = get_implementation("zarrs")
    default_path = zarr.config.get("codec_pipeline.path")
    settings = ArraySettings(get_codec("zstd-3"), resolve_layout("cube8", SHAPE))
    handle = impl.create_array(tmp_path / "z.zarr", SHAPE, "uint16", settings)
    assert pipeline_name(handle) == "ZarrsCodecPipeline"
    assert zarr.config.get("codec_pipeline.path") == default_path
    plain = zarr_io.create_array(tmp_path / "p.zarr", SHAPE, "uint16", settings)
    assert pipeline_name(plain) == "BatchedCodecPipeline"
    # The handle keeps zarrs outside the config block: the timed calls use it.
    impl.write(handle, _data())
    assert pipeline_name(impl.open_array(tmp_path / "z.zarr")) == "ZarrsCodecPipeline"
    assert pipeline_name(zarr_io.open_array(tmp_path / "z.zarr")) == "BatchedCodecPipeline"


@pytest.mark.parametrize(
    ("impl", "codec", "reason"),
    [
        pytest.param(
            "tensorstore",
            "bitround-10",
            "numcodecs array-to-array filters",
            marks=pytest.mark.tensorstore,
        ),
        pytest.param("zarrs", "bitround-10", "zarrs cannot handle", marks=pytest.mark.zarrs),
        pytest.param("zarrs", "quantize-2", "zarrs cannot handle", marks=pytest.mark.zarrs),
    ],
)
def test_codecs_an_implementation_lacks_are_refused_with_the_reason(impl, codec, reason, tmp_path):
    data = _data("float32")
    settings = ArraySettings(get_codec(codec), resolve_layout("cube8", SHAPE))
    ok, why = get_implementation(impl).supports(settings, data.dtype)
    assert not ok and reason in why
    with pytest.raises(ImplementationUnavailable, match=reason) as err:
        Case(data, codec, "cube8", tmp_path, implementation=impl)
    assert isinstance(err.value, NotImplementedError)  # what asv reports as skipped


@pytest.mark.zarrs
def test_zarrs_runs_the_integer_quantiser_natively(tmp_path):
    # numcodecs.fixedscaleoffset is one zarrs implements: no silent fallback here.
    data = _data("uint16")
    case = Case(data, "shift-3", "cube8", tmp_path, implementation="zarrs")
    case.prepare_read()
    assert pipeline_name(case._array) == "ZarrsCodecPipeline"
    assert np.max(np.abs(case.read().astype(int) - data.astype(int))) <= 4


class _MissingLibrary:
    """A real implementation whose library is not installed: its import fails."""

    name = "missing-lib"
    extra = "missing-lib"

    def available(self):
        try:
            import zarr_benchmarks_no_such_library  # noqa: F401
        except ImportError as exc:
            return False, f"{exc}; install it with `pip install 'zarr-benchmarks[missing-lib]'`"
        return True, ""

    def supports(self, settings, dtype):
        return True, ""

    def version(self):
        return None

    def create_array(self, path, shape, dtype, settings):
        import zarr_benchmarks_no_such_library

        return zarr_benchmarks_no_such_library.create(path)

    def open_array(self, path):
        raise AssertionError("never reached")

    write = read = read_selection = first_chunk_selection = open_array


@pytest.fixture
def missing_library():
    register_implementation(_MissingLibrary())
    try:
        yield "missing-lib"
    finally:
        unregister_implementation("missing-lib")


def test_a_missing_implementation_is_skipped_with_a_clear_reason(missing_library, tmp_path):
    assert missing_library in list_implementations()
    with pytest.raises(ImplementationUnavailable) as err:
        Case(_data(), "zstd-3", "cube8", tmp_path, implementation=missing_library)
    message = str(err.value)
    assert "missing-lib is unavailable" in message
    assert "zarr_benchmarks_no_such_library" in message and "pip install" in message
    meta = create_metadata("synthetic", SHAPE)
    config = BenchmarkConfig(meta, codecs_to_test=["zstd-3"], implementation=missing_library)
    with pytest.raises(NotImplementedError, match="missing-lib is unavailable"):
        DatasetBenchmarkRunner(config).run()
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_tensorstore_reports_itself_missing_when_its_import_fails(tmp_path):
    # Shadow the installed package with one whose import raises: the real code path
    # a machine without the extra takes.
    (tmp_path / "tensorstore.py").write_text("raise ImportError('no tensorstore here')\n")
    code = (
        "from zarr_benchmarks.suite.implementations import get_implementation, require\n"
        "print(get_implementation('tensorstore').available())\n"
        "try:\n    require('tensorstore')\n"
        "except NotImplementedError as e:\n    print('SKIP', e)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert "(False," in proc.stdout
    assert "SKIP tensorstore is unavailable: tensorstore cannot be imported" in proc.stdout
    assert "pip install 'zarr-benchmarks[tensorstore]'" in proc.stdout


def test_benchmark_implementations_from_the_environment():
    assert benchmark_implementations({}) == tuple(list_implementations())
    env = {"ZARR_BENCHMARKS_IMPLEMENTATIONS": "TensorStore, zarr_python,tensorstore"}
    assert benchmark_implementations(env) == ("tensorstore", "zarr-python")
    with pytest.raises(UnknownImplementationError):
        benchmark_implementations({"ZARR_BENCHMARKS_IMPLEMENTATIONS": "nope"})


@pytest.mark.tensorstore
def test_direct_api_runs_tensorstore_and_records_it(tmp_path):
    meta = create_metadata("synthetic", (16, 32, 32))
    config = BenchmarkConfig(
        meta,
        codecs_to_test=["blosc-lz4-5-shuffle", "zstd-3"],
        num_runs=1,
        chunk_layout="cube16",
        implementation="TensorStore",
        output_dir=tmp_path,
    )
    assert config.implementation == "tensorstore"
    out = DatasetBenchmarkRunner(config).run()
    assert out["config"]["implementation"] == "tensorstore"
    assert out["environment"]["tensorstore"]
    assert all(r["write_mb_s"] > 0 and r["ratio"] > 1 for r in out["results"])
    assert all("quality" not in r for r in out["results"])
    with pytest.raises(ValueError, match="unknown implementation"):
        BenchmarkConfig(meta, implementation="hdf5")


def test_default_direct_api_results_name_zarr_python(tmp_path):
    meta = create_metadata("synthetic", (16, 32, 32))
    out = DatasetBenchmarkRunner(
        BenchmarkConfig(meta, codecs_to_test=["zstd-3"], num_runs=1, chunk_layout="cube16")
    ).run()
    assert out["config"]["implementation"] == "zarr-python"
    assert set(out["environment"]) == {"zarr", "numcodecs", "numpy"}


def test_webhook_request_accepts_an_implementation():
    payload = {
        "dataset": {"type": "synthetic", "shape": [8, 16, 16]},
        "benchmark": {"codecs": ["zstd-3"], "implementation": "zarrs"},
    }
    config, _seed = parse_benchmark_request(payload)
    assert config.implementation == "zarrs"
    payload["benchmark"]["implementation"] = "hdf5"
    with pytest.raises(ValueError, match=r"^benchmark: unknown implementation 'hdf5'"):
        parse_benchmark_request(payload)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "zarr-benchmarks"), "recommend", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.zarrs
def test_recommend_cli_implementation_option(tmp_path):
    out = tmp_path / "r.json"
    proc = _cli(
        "-t", "ct", "--shape", "16,32,32", "--chunks", "cube16", "--runs", "1",
        "--codecs", "zstd-3", "--implementation", "zarrs", "--json", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "zarrs" in proc.stdout
    assert json.loads(out.read_text())["config"]["implementation"] == "zarrs"
    proc = _cli("-t", "ct", "--shape", "16,32,32", "--implementation", "hdf5")
    assert proc.returncode == 2
    assert "unknown implementation 'hdf5'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.tensorstore
def test_require_names_the_settings_problem():
    settings = ArraySettings(get_codec("quantize-3"), resolve_layout("cube8", SHAPE))
    with pytest.raises(ImplementationUnavailable, match="tensorstore cannot run this case"):
        require("tensorstore", settings, "float32")
    assert require("zarr-python", settings, "float32").name == "zarr-python"


def test_unavailable_is_reported_before_any_file_is_written(missing_library, tmp_path):
    with pytest.raises(ImplementationUnavailable):
        write_array(missing_library, tmp_path / "x.zarr", _data(), ArraySettings(
            get_codec("zstd-3"), resolve_layout("cube8", SHAPE)))  # fmt: skip
    assert not Path(tmp_path / "x.zarr").exists()


@pytest.mark.slow
def test_asv_skips_a_missing_implementation_and_runs_the_rest(suite_clone, tmp_path):
    """A real quick asv run of bench_implementations and bench_lossy, on a machine
    where TensorStore cannot be imported (shadowed on PYTHONPATH)."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "tensorstore.py").write_text("raise ImportError('not installed here')\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "ASV_PYTHONPATH": str(shadow),  # asv drops PYTHONPATH, passes this one on
        "ZARR_BENCHMARKS_PRESET": "quick",
        "ZARR_BENCHMARKS_SUITES": "implementations,lossy",
        "ZARR_BENCHMARKS_SIZE": "tiny",
        "ZARR_BENCHMARKS_MODALITIES": "ct",
        "ZARR_BENCHMARKS_LOSSY_CODECS": "blosc-zstd-5-shuffle,bitround-8",
    }
    asv = str(VENV_BIN / "asv")

    def run(*args):
        return subprocess.run(
            [asv, *args], cwd=suite_clone, env=env, capture_output=True, text=True, timeout=600
        )

    assert run("machine", "--yes", "--machine", "box").returncode == 0
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=suite_clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    proc = run(
        "run", "--python=same", "--machine", "box", "--set-commit-hash", sha,
        "--bench", "bench_implementations|bench_lossy",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (result_file,) = [
        p for p in (suite_clone / ".asv" / "results" / "box").glob("*.json")
        if p.name != "machine.json"
    ]  # fmt: skip
    doc = json.loads(result_file.read_text())
    columns, results = doc["result_columns"], doc["results"]
    for name in ("ImplementationWrite.time_write", "ImplementationRead.time_read"):
        entry = dict(zip(columns, results[f"bench_implementations.{name}"]))
        impls = entry["params"][0]
        by_impl = dict(zip((p.strip("'") for p in impls), entry["result"]))
        # asv records a skip (NotImplementedError in setup) as NaN, a failure as null
        assert by_impl["tensorstore"] is not None and math.isnan(by_impl["tensorstore"])
        assert by_impl["zarr-python"] > 0 and by_impl["zarrs"] > 0
    assert "failed" not in proc.stdout
    ratio = dict(zip(columns, results["bench_lossy.LossyWrite.track_compression_ratio"]))
    lossless, lossy = ratio["result"]
    assert lossy > lossless > 1
    psnr = dict(zip(columns, results["bench_lossy.LossyRead.track_psnr"]))
    assert psnr["result"][0] == 999.0 and 40 < psnr["result"][1] < 200
