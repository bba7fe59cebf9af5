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


def _latest_two_ways(store: Any) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], Any]:
    """The default view (folded incrementally) and the latest rows of ``?rows=all``
    (one query over every part)."""
    from types import SimpleNamespace

    from flask_app.dashboard import build_payload

    ingestor = SimpleNamespace(parts=store, notes={})
    folded = build_payload(ingestor)  # type: ignore[arg-type]
    full = build_payload(ingestor, all_rows=True)  # type: ignore[arg-type]

    def key(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:
        return sorted((r["result_id"], r["modality"], r["codec"], r["machine"]) for r in rows)

    assert folded["machines"] == full["machines"]
    return key(folded["rows"]), key([r for r in full["rows"] if r["latest"]]), folded


def test_the_incrementally_folded_view_equals_a_query_over_every_part(tmp_path):
    """New results replace older ones, a compaction merges folded with new parts, a
    machine is renamed: the default view stays what a query over all parts gives."""
    from zarr_benchmarks.share.aggregate import Tables
    from zarr_benchmarks.share.parts import PartStore

    store = PartStore(tmp_path / "parts", fanout=4)

    def add(*docs: dict[str, Any], seq: int = 0) -> None:
        tables = Tables()
        for doc in docs:
            assert tables.add(doc["kind"], doc, "test", seq=seq)
        store.append(tables)

    folded, full, data = _latest_two_ways(store)  # nothing yet
    assert folded == full == [] and data["results"] == 0
    a = samples.machine_document(name="BraveOtter")
    b = samples.machine_document(name="CalmHeron")
    add(a, b, seq=1)
    for i in range(3):  # three parts, folded one at a time
        stamp = f"2026-01-0{i + 1}-00-00-00"
        add(samples.result_document(a["machine_id"], timestamp=stamp, seed=i))
        folded, full, data = _latest_two_ways(store)
        assert folded == full
    newest = samples.result_document(a["machine_id"], timestamp="2026-03-01-00-00-00", seed=9)
    add(newest, samples.result_document(b["machine_id"], timestamp="2026-01-01-00-00-00"))
    assert store.compact() > 0  # merges parts already folded with the newest one
    folded, full, data = _latest_two_ways(store)
    assert folded == full
    mine = {r[0] for r in folded if r[3] == "BraveOtter"}
    assert mine == {sha256_id(newest)}  # the older results of the machine are replaced
    assert {m["name"]: m["results"] for m in data["machines"]} == {
        "BraveOtter": 4,
        "CalmHeron": 1,
    }
    add({**b, "name": "QuietLynx"}, seq=2)  # a newer version of a machine document
    folded, full, data = _latest_two_ways(store)
    assert folded == full and {r[3] for r in folded} == {"BraveOtter", "QuietLynx"}


def test_a_request_ingests_what_the_index_gained_and_rescans_replaced_entries(
    tmp_path, monkeypatch
):
    """The request path skips its pass over the index only while nothing can be missing:
    an entry added (the index grew) is ingested by the next request at once, one
    replaced in place (same size) once RESCAN_S has passed."""
    from flask_app import ingest
    from flask_app.documents import Entry
    from flask_app.index import Index

    docs: dict[tuple[str, str], dict[str, Any]] = {}
    index = Index(tmp_path, redact=str)

    def put(doc: dict[str, Any], sha: str) -> None:
        kind = doc["kind"]
        ident = doc["machine_id"] if kind == "machine" else sha256_id(doc)
        docs[(kind, ident)] = doc
        index.files[(kind, ident)] = Entry(kind, ident, f"results/{ident}.json", sha, "pending")

    machine = samples.machine_document(name="BraveOtter")
    put(machine, "a" * 64)
    put(samples.result_document(machine["machine_id"]), "b" * 64)
    ingestor = ingest.Ingestor(tmp_path / "parts", index, lambda e: docs[e.key])
    assert ingestor.catch_up_for_request(10) == 0
    assert len(ingestor.parts.result_ids()) == 1

    put(samples.result_document(machine["machine_id"], timestamp="2026-02-01-00-00-00"), "c" * 64)
    assert ingestor.catch_up_for_request(10) == 0
    assert len(ingestor.parts.result_ids()) == 2  # the index grew: scanned at once

    put({**machine, "name": "QuietLynx"}, "d" * 64)  # same key, other content
    monkeypatch.setattr(ingest, "RESCAN_S", 0.0)
    assert ingestor.catch_up_for_request(10) == 0
    names = ingestor.parts.query("SELECT DISTINCT machine_name FROM results")[1]
    assert names == [("QuietLynx",)]
