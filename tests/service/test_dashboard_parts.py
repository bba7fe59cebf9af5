"""The dashboard's data comes from the incremental Parquet parts (real waitress server)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from flask_app import samples
from flask_app.testing import ServerProcess
from zarr_benchmarks._jsonio import sha256_id

pytestmark = [pytest.mark.usefixtures("no_service_env"), pytest.mark.db, pytest.mark.slow]


def _wait_results(url: str, n: int, timeout: float = 60.0) -> dict[str, Any]:
    """Wait until /health says ``n`` results are in the parts."""
    deadline = time.monotonic() + timeout
    agg = None
    while time.monotonic() < deadline:
        agg = requests.get(url + "/health", timeout=10).json().get("aggregate")
        if agg and agg["results"] == n:
            return agg
        time.sleep(0.05)
    raise AssertionError(f"the parts did not reach {n} results: {agg}")


def _files(folder: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def test_one_more_contribution_adds_one_part_and_the_dashboard_reads_the_parts(tmp_path, bare):
    settings = {"remote": bare, "aggregate_debounce": 0, "rate_limit": "none"}
    with ServerProcess(tmp_path / "inst", settings) as server:
        machine = samples.machine_document(name="BraveOtter")
        assert requests.post(server.url + "/contribute", json=machine, timeout=30).ok
        docs = [
            samples.result_document(machine["machine_id"], timestamp=f"2026-01-0{i}-00-00-00")
            for i in range(1, 6)
        ]
        for doc in docs:
            assert requests.post(server.url + "/contribute", json=doc, timeout=30).ok
        _wait_results(server.url, 5)
        parts = tmp_path / "inst" / "aggregate" / "parts"
        before = _files(parts)

        one_more = samples.result_document(machine["machine_id"], timestamp="2026-02-01-00-00-00")
        assert requests.post(server.url + "/contribute", json=one_more, timeout=30).ok
        agg = _wait_results(server.url, 6)
        assert agg["ingested"] == 1 and agg["left_out"] == 0
        after = _files(parts)
        added = sorted(set(after) - set(before))
        # one part per table the result has rows in, under one new sequence number
        assert sorted(p.parent.name for p in added) == ["c", "r", "s"]
        assert len({p.name for p in added}) == 1
        assert {p: after[p] for p in before} == before  # no other part rewritten

        # The stored JSON is not re-read: with a stored file gone from the clone, the
        # dashboard still shows it (it answers from the parts).
        stored = next((tmp_path / "inst").rglob("result_timestamp-2026-01-01*.json"))
        stored.unlink()
        data = requests.get(server.url + "/dashboard/data.json?rows=all", timeout=30).json()
        assert data["results"] == 6 and not data["notes"]
        shown = {r["result_id"] for r in data["rows"]}
        assert shown == {sha256_id(d) for d in [*docs, one_more]}
        assert {r["machine"] for r in data["rows"]} == {"BraveOtter"}
        assert {(r["preset"], r["size"]) for r in data["rows"]} == {("default", "small")}
