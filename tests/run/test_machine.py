"""Machine information, stable ids and ``zarr-benchmarks setup`` with a real asv."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from zarr_benchmarks.results.schemas import validate
from zarr_benchmarks.run import machine as m

ASV_CONF = {
    "version": 1,
    "project": "tiny",
    "repo": ".",
    "branches": ["HEAD"],
    "environment_type": "existing",
    "benchmark_dir": "benchmarks",
    "results_dir": ".asv/results",
    "env_dir": ".asv/env",
    "html_dir": ".asv/html",
}


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ZARR_BENCHMARKS_"))}
    env.update(HOME=str(home), COLUMNS="200", NO_COLOR="1")
    return env


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git clone with an asv.conf.json and a temporary HOME for this process too."""
    repo = tmp_path / "repo"
    (repo / "benchmarks").mkdir(parents=True)
    (repo / "asv.conf.json").write_text(json.dumps(ASV_CONF))
    (repo / "benchmarks" / "__init__.py").write_text("")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "init"],
        cwd=repo,
        check=True,
    )
    home = tmp_path / "home"
    home.mkdir()
    for key in list(os.environ):
        if key.startswith("XDG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    return repo


def test_collectors_return_plain_facts() -> None:
    info = m.collect_machine_info(".")
    cpu = info["hardware"]["cpu"]
    assert cpu["model"] and cpu["arch"]
    assert cpu["logical_cores"] >= 1
    assert info["hardware"]["memory"]["total_bytes"] > 0
    assert info["hardware"]["disk"]["kind"] in {"ssd", "hdd", "unknown"}
    assert isinstance(info["hardware"]["gpu"], list)
    assert info["python"]["version"].count(".") == 2
    doc = m.machine_document("HappySun", info)
    validate(doc)
    entry = m.asv_entry(doc)
    assert all(isinstance(v, str) for v in entry.values())  # asv publish needs flat values
    assert entry["machine"] == "HappySun" and entry["cpu"] == cpu["model"]


def test_machine_id_stable_and_independent_of_name_and_volatile_fields() -> None:
    info = m.collect_machine_info(".")
    again = m.collect_machine_info(".")
    assert m.compute_machine_id(info) == m.compute_machine_id(again)
    assert (
        m.machine_document("HappySun", info)["machine_id"]
        == m.machine_document("SadMoon", info)["machine_id"]
    )
    changed = json.loads(json.dumps(info))
    changed["hardware"]["memory"]["swap_bytes"] += 2**30
    changed["os"]["release"] = "9.9.9"
    changed["python"]["version"] = "3.99.0"
    changed["hardware"]["memory"]["total_bytes"] += 4096  # kernel reserve drift
    assert m.compute_machine_id(changed) == m.compute_machine_id(info)
    changed["hardware"]["cpu"]["model"] = "Another CPU"
    assert m.compute_machine_id(changed) != m.compute_machine_id(info)


def test_friendly_names_are_pascal_case_words() -> None:
    import random

    name = m.new_friendly_name(random.Random(1))
    assert name.isalpha() and name[0].isupper() and name != name.upper()
    assert name == m.new_friendly_name(random.Random(1))


@pytest.mark.slow
def test_setup_twice_same_name_and_id_and_hostname_entry_removed(clone: Path) -> None:
    home = Path(os.environ["HOME"])
    host = socket.gethostname()
    # asv's own default entry is keyed by the hostname: setup must drop it.
    (home / ".asv-machine.json").write_text(
        json.dumps({host: {"machine": host, "cpu": "", "ram": ""}, "version": 1})
    )
    cmd = [sys.executable, "-m", "zarr_benchmarks", "setup"]
    first = subprocess.run(
        cmd, cwd=clone, env=_clean_env(home), capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr
    cfg1 = json.loads((home / ".config" / "zarr-benchmarks" / "machine.json").read_text())
    second = subprocess.run(
        cmd, cwd=clone, env=_clean_env(home), capture_output=True, text=True, timeout=300
    )
    assert second.returncode == 0, second.stderr
    cfg2 = json.loads((home / ".config" / "zarr-benchmarks" / "machine.json").read_text())
    assert cfg1["name"] == cfg2["name"] and cfg1["machine_id"] == cfg2["machine_id"]
    assert "Named this machine" in first.stdout and "up to date" in second.stdout
    validate(cfg2["document"])
    asv_file = json.loads((home / ".asv-machine.json").read_text())
    assert host not in asv_file
    entry = asv_file[cfg1["name"]]
    assert entry["machine"] == cfg1["name"] and entry["machine_id"] == cfg1["machine_id"]
    assert entry["cpu"] and entry["ram"].isdigit() and entry["num_cpu"].isdigit()
    assert cfg1["machine_id"] in second.stdout


@pytest.mark.slow
def test_check_machine_notices_change_and_reenriches(clone: Path) -> None:
    first = m.setup_machine(clone)
    assert first.created
    # Simulate a hardware change recorded earlier (e.g. the clone moved to another disk).
    path = m.config_dir() / "machine.json"
    cfg = json.loads(path.read_text())
    cfg["document"]["hardware"]["disk"]["kind"] = (
        "ssd" if first.document["hardware"]["disk"]["kind"] != "ssd" else "hdd"
    )
    path.write_text(json.dumps(cfg))
    result = m.check_machine(clone)
    assert "hardware.disk.kind" in result.changed
    assert result.name == first.name and result.machine_id == first.machine_id
    stored = json.loads(path.read_text())
    assert stored["document"] == first.document  # re-enriched with the current facts
    assert m.check_machine(clone).changed == []


def test_setup_outside_a_clone_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", "setup"],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "not inside a git clone" in proc.stderr and "Traceback" not in proc.stderr
