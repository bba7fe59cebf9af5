"""Environment A/B: side specs, building, interleaving, blocks, noise models, and real
A/B runs of this suite against real environments (slow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from regression_helpers import make_doc, paired_blocks
from typer.testing import CliRunner

from zarr_benchmarks.analyse import envab, interleave
from zarr_benchmarks.cli import app
from zarr_benchmarks.results.blocks import merge_blocks
from zarr_benchmarks.run import envs

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "scripts" / "slowdown_shim" / "zb_slowdown_shim.py"


# ------------------------------------------------------------------------- specs


def test_parse_spec_forms(tmp_path: Path) -> None:
    spec = envs.parse_spec("zarr==3.0.10  numcodecs>=0.15", side="base")
    assert spec.requirements == ("zarr==3.0.10", "numcodecs>=0.15") and spec.venv is None
    wheel = tmp_path / "zarr-9.9-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    checkout = tmp_path / "zarr-python"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("[project]\nname='zarr'\n")
    spec = envs.parse_spec(f"{wheel} {checkout}")
    assert spec.requirements == (str(wheel.resolve()), str(checkout.resolve()))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("zarr===", "not a valid requirement"),
        ("./missing.whl", "does not exist"),
        ("./nowhere", "neither a wheel nor a source checkout"),
        ("venv:/nonexistent", "not a virtual environment"),
    ],
)
def test_parse_spec_errors_name_the_side_and_problem(
    text: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(envs.EnvError, match=message) as info:
        envs.parse_spec(text, side="new")
    assert str(info.value).startswith("--new:") and info.value.code == 2


def test_cache_key_follows_requirements_and_wheel_content(tmp_path: Path) -> None:
    a = envs.cache_key(envs.parse_spec("zarr==3.0.10"), ROOT)
    assert a == envs.cache_key(envs.parse_spec("zarr==3.0.10"), ROOT)
    assert a != envs.cache_key(envs.parse_spec("zarr==3.1.6"), ROOT)
    wheel = tmp_path / "x-1.0-py3-none-any.whl"
    wheel.write_bytes(b"one")
    first = envs.cache_key(envs.parse_spec(str(wheel)), ROOT)
    wheel.write_bytes(b"two")
    assert envs.cache_key(envs.parse_spec(str(wheel)), ROOT) != first


def test_child_environ_drops_secrets() -> None:
    env = envs.child_environ({"ZARR_BENCHMARKS_TOKEN": "s3cret", "GITHUB_TOKEN": "x", "A": "1"})
    assert env == {"A": "1"}


def test_package_differences() -> None:
    base = {"python": {"version": "3.11.7"}, "packages": {"zarr": "3.0.10", "numpy": "2.4"}}
    new = {"python": {"version": "3.11.7"}, "packages": {"zarr": "3.1.6", "crc32c": "2.7"}}
    assert envs.package_differences(base, new) == [
        "crc32c absent -> 2.7",
        "numpy 2.4 -> absent",
        "zarr 3.0.10 -> 3.1.6",
    ]
    assert envs.package_differences(base, base) == []


# ---------------------------------------------------------------------- interleaving


def test_side_order_alternates_per_benchmark_and_block() -> None:
    along_blocks = [interleave.side_order(["A", "B"], 0, k) for k in range(4)]
    assert along_blocks == [["A", "B"], ["B", "A"], ["A", "B"], ["B", "A"]]
    assert interleave.side_order(["A", "B"], 1, 0) == ["B", "A"]
    firsts = [interleave.side_order(["x", "y", "z"], j, 0)[0] for j in range(6)]
    assert sorted(firsts) == ["x", "x", "y", "y", "z", "z"]


def test_select_by_regex_and_errors() -> None:
    found = [{"name": "bench_write.Write.time_write"}, {"name": "bench_read.Read.time_read"}]
    assert [b["name"] for b in interleave.select(found, ["time_read"])] == [
        "bench_read.Read.time_read"
    ]
    assert len(interleave.select(found, [])) == 2
    with pytest.raises(envab.EnvABError, match="no benchmark selected"):
        interleave.select(found, ["nothing"])
    with pytest.raises(envab.EnvABError, match="invalid regular expression"):
        interleave.select(found, ["("])


def test_merge_blocks_keeps_blocks_and_statuses() -> None:
    one = make_doc(
        [
            {"name": "b.B.time_x", "params": {"p": 1}, "samples": [1.0, 2.0]},
            {"name": "b.B.time_y", "params": {"p": 1}, "samples": [5.0]},
        ]
    )
    two = make_doc(
        [
            {"name": "b.B.time_x", "params": {"p": 1}, "samples": [3.0]},
            {"name": "b.B.time_y", "params": {"p": 1}, "samples": [], "status": "failed"},
        ]
    )
    merged = merge_blocks([one, two])
    (x,) = merged["benchmarks"]["b.B.time_x"]["results"]
    assert x["blocks"] == [[1.0, 2.0], [3.0]] and x["samples"] == [1.0, 2.0, 3.0]
    assert x["value"] == 2.0
    (y,) = merged["benchmarks"]["b.B.time_y"]["results"]
    assert y["status"] == "failed" and y["samples"] == [] and "blocks" not in y
    with pytest.raises(ValueError):
        merge_blocks([])


# ------------------------------------------------------------------------ noise model


def _aa_comparison(path: Path, seed: int, differences: list[str] | None = None) -> Path:
    import numpy as np

    from zarr_benchmarks.analyse import compare as cmp

    rng = np.random.default_rng(seed)
    base, new = paired_blocks(rng, 0.01, drift=0.1, block_sigma=0.01)
    entry = {"name": "b.B.time_x", "params": {"codec": "zstd-3"}}
    comp = cmp.compare_docs(
        [("b", make_doc([{**entry, "blocks": base}]))],
        [("n", make_doc([{**entry, "blocks": new}]))],
    )
    doc = comp.to_dict()
    doc["environments"] = {"differences": differences or []}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_noise_learn_cli_and_compare_uses_the_model(tmp_path: Path) -> None:
    files = [_aa_comparison(tmp_path / f"aa{i}.json", i) for i in range(4)]
    out = tmp_path / "noise.json"
    res = CliRunner().invoke(app, ["noise", "learn", *map(str, files), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "learned 1 benchmarks from 4 A/A runs" in res.stdout
    doc = json.loads(out.read_text())
    (entry,) = doc["benchmarks"].values()
    assert entry["n_runs"] == 4 and entry["threshold"] >= 0.01

    from zarr_benchmarks.analyse.noise import load_noise

    model = load_noise(out)
    assert list(model) == [("b.B.time_x", '{"codec":"zstd-3"}')]


def test_noise_learn_refuses_non_aa_and_too_few_runs(tmp_path: Path) -> None:
    ab = _aa_comparison(tmp_path / "ab.json", 0, ["zarr 3.0.10 -> 3.1.6"])
    res = CliRunner().invoke(app, ["noise", "learn", str(ab), "-o", str(tmp_path / "n.json")])
    assert res.exit_code == 2 and "not an A/A comparison" in res.stderr.replace("\n", " ")
    one = _aa_comparison(tmp_path / "one.json", 1)
    res = CliRunner().invoke(app, ["noise", "learn", str(one), "-o", str(tmp_path / "n.json")])
    assert res.exit_code == 2 and "at least 3" in res.stderr.replace("\n", " ")
    assert not (tmp_path / "n.json").exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "comparison", "rows": [', encoding="utf-8")
    res = CliRunner().invoke(app, ["compare", "a", "b", "--noise", str(bad)])
    assert res.exit_code == 2 and "bad.json" in res.stderr.replace("\n", "")


def test_ab_cli_bad_input_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["ab", "--base", "zarr===", "--new", "zarr==3.1.6"])
    assert res.exit_code == 2 and "--base" in res.stderr and "Traceback" not in res.output
    res = CliRunner().invoke(
        app, ["ab", "--base", "zarr", "--new", "zarr", "--modality", "no_such_thing"]
    )
    assert res.exit_code == 2 and "no_such_thing" in res.stderr.replace("\n", "")


# ------------------------------------------------------------------- real A/B (slow)


@pytest.fixture(scope="module")
def shared_caches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment and data caches shared by the real runs of this module (as a user's
    cache would be)."""
    root = tmp_path_factory.mktemp("caches")
    return {
        "ZARR_BENCHMARKS_ENV_CACHE": str(root / "envs"),
        "ZARR_BENCHMARKS_DATA_CACHE": str(root / "data"),
    }


@pytest.fixture
def clone_env(tmp_path: Path, shared_caches: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A clone of this repository (committed state), an empty HOME, the shared caches."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=300)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ZARR_BENCHMARKS_"))}
    env.update(HOME=str(home), COLUMNS="200", NO_COLOR="1", **shared_caches)
    env["ZARR_BENCHMARKS_TOKEN"] = "must-not-leak"
    return clone, env


def _ab(clone: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "zarr_benchmarks", "ab", *args]
    return subprocess.run(cmd, cwd=clone, env=env, capture_output=True, text=True, timeout=900)


def _shimmed(env_python: Path, config: dict) -> None:
    purelib = subprocess.run(
        [str(env_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.copy(SHIM, Path(purelib) / SHIM.name)
    (Path(purelib) / "zb_slowdown_shim.json").write_text(json.dumps(config))
    (Path(purelib) / "zb_slowdown_shim.pth").write_text("import zb_slowdown_shim\n")


@pytest.mark.slow
def test_real_environment_ab_finds_an_injected_codec_slowdown(
    clone_env: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """Side B's environment makes zstd encode burn 50% more CPU (a .pth shim installed
    only there); the A/B through asv's forkserver finds it and nothing else."""
    clone, env = clone_env
    slow = envs.build_env(envs.parse_spec("zarr==3.1.6"), root=clone, cache=tmp_path / "slow")
    _shimmed(slow.python, {"encode": {"zstd": 0.5}})
    out = tmp_path / "out"
    proc = _ab(
        clone, env,
        "--base", "zarr==3.1.6", "--new", f"venv:{slow.python.parent.parent}",
        "--bench", "CodecCeilings.time_encode|track_compression_ratio",
        "--modality", "ct", "--codec", "zstd-3,blosc-lz4-5-shuffle", "--size", "small",
        "--blocks", "6", "--samples", "5", "-o", str(out),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads((out / "comparison.json").read_text())
    rows = {(r["name"].rsplit(".", 1)[-1], r["params"]["codec"]): r for r in doc["rows"]}
    hit = rows[("time_encode", "zstd-3")]
    assert hit["status"] == "regression" and hit["method"] == "blocks", hit
    assert hit["n_blocks"] == 6 and 1.2 < hit["ratio"] < 1.9
    assert rows[("time_encode", "blosc-lz4-5-shuffle")]["status"] != "regression"
    ratio_rows = [r for (leaf, _), r in rows.items() if leaf == "track_compression_ratio"]
    assert ratio_rows and {r["status"] for r in ratio_rows} == {"unchanged"}
    assert doc["environments"]["differences"] == []
    written = " ".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert str(Path.home()) not in written and "must-not-leak" not in written
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_real_release_ab_names_the_versions_that_differ(
    clone_env: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    clone, env = clone_env
    out = tmp_path / "out"
    proc = _ab(
        clone, env,
        "--base", "zarr==3.0.10", "--new", "zarr==3.1.6",
        "--bench", "bench_write.Write.time_write|track_compression_ratio",
        "--modality", "ct", "--codec", "blosc-lz4-5-shuffle", "--size", "tiny",
        "--blocks", "3", "--samples", "3", "-o", str(out),
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    doc = json.loads((out / "comparison.json").read_text())
    assert "zarr 3.0.10 -> 3.1.6" in doc["environments"]["differences"]
    assert "zarr 3.0.10 -> 3.1.6" in (out / "comparison.md").read_text()
    assert {r["method"] for r in doc["rows"]} <= {"blocks", "deterministic"}
    base_results = list((out / "base").glob("result_*.json"))
    assert len(base_results) == 1
    from zarr_benchmarks.results.schemas import validate

    validate(json.loads(base_results[0].read_text()))
    # the second run reuses both cached environments
    proc = _ab(
        clone, env,
        "--base", "zarr==3.0.10", "--new", "zarr==3.1.6",
        "--bench", "track_compression_ratio", "--modality", "ct",
        "--codec", "blosc-lz4-5-shuffle", "--size", "tiny", "--blocks", "3", "-o", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(cached)" in proc.stdout and "(built)" not in proc.stdout


@pytest.mark.slow
def test_real_history_run_of_two_releases(clone_env: tuple[Path, dict[str, str]]) -> None:
    clone, env = clone_env
    cmd = [
        sys.executable, "-m", "zarr_benchmarks", "history-run", "--package", "zarr",
        "--versions", "3.0.10,3.1.6", "--bench", "bench_write.Write.time_write",
        "--modality", "ct", "--codec", "blosc-lz4-5-shuffle", "--size", "tiny",
        "--blocks", "3", "--samples", "3", "-o", "hist",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = sorted((clone / "hist").glob("result_*.json"))
    infos = sorted((clone / "hist").glob("info_environment-*.json"))
    assert len(results) == 2 and len(infos) == 2
    versions = {json.loads(p.read_text())["packages"]["zarr"] for p in infos}
    assert versions == {"3.0.10", "3.1.6"}
    entry = json.loads(results[0].read_text())["benchmarks"]["bench_write.Write.time_write"]
    assert [len(b) for b in entry["results"][0]["blocks"]] == [3, 3, 3]
    assert "1 series" in proc.stdout.replace("\n", " ")
