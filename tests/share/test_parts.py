"""The incremental aggregate: append-only Parquet parts, compaction, crashes (real files)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from flask_app import samples
from zarr_benchmarks._jsonio import atomic_write_json
from zarr_benchmarks.share.aggregate import Tables, build_parquet, query
from zarr_benchmarks.share.parts import PartStore

pytestmark = pytest.mark.db

#: rows per samples.result_document(n_entries=1): 3 samples + 1 skipped + 1 ratio sample
ROWS_PER_RESULT = 5


def _add_results(store: PartStore, n: int, machine_id: str, start: int = 0) -> list[str]:
    """``n`` parts of one result each; returns the result ids in order."""
    from zarr_benchmarks._jsonio import sha256_id

    ids = []
    for i in range(start, start + n):
        doc = samples.result_document(
            machine_id, timestamp=f"2026-01-01-00-{i // 60:02d}-{i % 60:02d}", n_entries=1, seed=i
        )
        tables = Tables()
        assert tables.add("result", doc, f"result {i}")
        store.append(tables)
        ids.append(sha256_id(doc))
    return ids


def _machine(store: PartStore, name: str = "BraveOtter") -> str:
    doc = samples.machine_document(name=name)
    tables = Tables()
    tables.add("machine", doc, "machine", seq=1)
    store.append(tables)
    return str(doc["machine_id"])


def _row_counts(store: PartStore) -> dict[str, int]:
    _, rows = store.query("SELECT result_id, count(*) FROM results GROUP BY 1")
    return dict(rows)


def test_one_more_result_adds_exactly_one_new_part_and_touches_no_other(tmp_path):
    store = PartStore(tmp_path / "parts")
    machine = _machine(store)
    _add_results(store, 10, machine)
    before = {
        p: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in (tmp_path / "parts").rglob("*")
        if p.is_file()
    }
    (new_id,) = _add_results(store, 1, machine, start=10)
    after = {
        p: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in (tmp_path / "parts").rglob("*")
        if p.is_file()
    }
    added = set(after) - set(before)
    # One part per table the result has rows in (samples, cases, the result), all
    # under the same new sequence number.
    assert sorted(p.parent.name for p in added) == ["c", "r", "s"]
    assert len({p.name for p in added}) == 1
    assert {p: after[p] for p in before} == before  # nothing else rewritten or removed
    counts = _row_counts(store)
    assert len(counts) == 11 and counts[new_id] == ROWS_PER_RESULT
    names = store.query("SELECT DISTINCT machine_name FROM results")[1]
    assert names == [("BraveOtter",)]


def test_compaction_keeps_every_row_exactly_once(tmp_path):
    store = PartStore(tmp_path / "parts", fanout=4)
    machine = _machine(store)
    ids = _add_results(store, 37, machine)
    rows_before = store.query("SELECT * EXCLUDE (machine_name) FROM results ORDER BY ALL")[1]
    assert len(store.live("r")) == 37
    merged = store.compact("r")
    # 36 parts -> 9 level-1 files -> 2 level-2 files (+1 level-1 left) ; the 37th stays
    assert merged == 36 + 8
    assert store.compact() == 2 * (36 + 8)  # the same for the cases and results tables
    spans = sorted(f.span for f in store.live("r"))
    assert spans == [1, 4, 16, 16]
    assert not list((tmp_path / "parts").rglob("*.tmp"))
    assert (
        store.query("SELECT * EXCLUDE (machine_name) FROM results ORDER BY ALL")[1] == rows_before
    )
    counts = _row_counts(store)
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {ROWS_PER_RESULT}
    # New parts after compaction keep the numbering going and are visible at once.
    (late,) = _add_results(store, 1, machine, start=37)
    assert _row_counts(store)[late] == ROWS_PER_RESULT


def test_a_compaction_that_died_after_renaming_its_output_counts_no_row_twice(tmp_path):
    """Simulated crash: the merged file is in place, its inputs are not deleted yet, and
    a temp file of another half-written merge is left behind."""
    import shutil

    a = PartStore(tmp_path / "a", fanout=4)
    machine = _machine(a)
    _add_results(a, 4, machine)
    inputs = [f.path for f in a.live("r")]
    saved = tmp_path / "saved"
    saved.mkdir()
    for path in inputs:
        shutil.copy2(path, saved / path.name)
    assert a.compact("r") == 4
    for path in inputs:  # "the crash": the inputs are still there
        shutil.copy2(saved / path.name, path)
    (tmp_path / "a" / "r" / ".000000000002-000000000005.parquet.999.tmp").write_bytes(b"PAR1")
    assert len(a.files("r")) == 5 and len(a.live("r")) == 1
    counts = _row_counts(PartStore(tmp_path / "a"))
    assert len(counts) == 4 and set(counts.values()) == {ROWS_PER_RESULT}
    assert PartStore(tmp_path / "a").remove_leftovers() == 5
    assert len(list((tmp_path / "a" / "r").iterdir())) == 1


_COMPACTOR = textwrap.dedent(
    """
    import sys
    from zarr_benchmarks.share.parts import PartStore
    PartStore(sys.argv[1], fanout=4).compact()
    print("done")
    """
)


def _merging(name: str) -> bool:
    """A compaction's temp file or output (a file covering more than one part)."""
    lo, _, hi = name.partition(".")[0].partition("-")
    return name.endswith(".tmp") or lo != hi


def test_killing_a_real_compaction_midway_leaves_a_consistent_view(tmp_path):
    store = PartStore(tmp_path / "parts", fanout=4)
    machine = _machine(store)
    ids = _add_results(store, 64, machine)
    folder = tmp_path / "parts" / "r"
    proc = subprocess.Popen([sys.executable, "-c", _COMPACTOR, str(tmp_path / "parts")])
    try:
        deadline = time.monotonic() + 60
        # Wait until the compactor has started writing (a temp or merged file exists).
        while time.monotonic() < deadline and proc.poll() is None:
            if any(_merging(name) for name in os.listdir(folder)):
                break
            time.sleep(0.001)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    if proc.returncode != -signal.SIGKILL:
        pytest.skip("the compaction finished before it could be killed")
    counts = _row_counts(PartStore(tmp_path / "parts"))
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {ROWS_PER_RESULT}
    # A new writer cleans up and finishes the job; still every row exactly once.
    again = PartStore(tmp_path / "parts", fanout=4)
    again.compact()
    assert not list(folder.glob(".*.tmp"))
    assert len(again.live("r")) == 1
    counts = _row_counts(again)
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {ROWS_PER_RESULT}


def test_parts_and_db_build_give_the_same_rows(tmp_path):
    folder = tmp_path / "results"
    machine = samples.machine_document(name="BraveOtter")
    env = samples.environment_document()
    docs = [machine, env]
    for i in range(3):
        docs.append(
            samples.result_document(
                machine["machine_id"], env["environment_id"], timestamp=f"2026-01-0{i + 1}-00-00-00"
            )
        )
    docs.append(samples.result_document(n_entries=1))  # no info files for this one
    store = PartStore(tmp_path / "parts")
    for i, doc in enumerate(reversed(docs)):  # results before their info files
        name = f"result_{i}.json" if doc["kind"] == "result" else f"info_{doc['kind']}-{i}.json"
        atomic_write_json(folder / name, doc)
        tables = Tables()
        assert tables.add(doc["kind"], doc, str(i), seq=i)
        store.append(tables)
    built = tmp_path / "built.parquet"
    n = build_parquet(folder, built)
    sql = "SELECT * FROM results ORDER BY ALL"
    columns, from_file = query(sql, built)
    parts_columns, from_parts = store.query(sql)
    assert parts_columns == columns
    assert from_parts == from_file and len(from_file) == n
    assert ("BraveOtter", "3.1.6") in {
        (r[columns.index("machine_name")], r[columns.index("pkg_zarr")]) for r in from_file
    }


def test_an_empty_store_answers_queries_with_the_full_schema(tmp_path):
    store = PartStore(tmp_path / "nothing-yet")
    columns, rows = store.query("SELECT * FROM results")
    assert rows == [] and {"result_id", "machine_name", "size", "params", "value"} <= set(columns)


def test_newer_lists_only_parts_above_a_number_and_says_when_to_start_over(tmp_path):
    store = PartStore(tmp_path / "parts", fanout=4)
    machine = _machine(store)  # sequence number 1
    _add_results(store, 2, machine)  # 2, 3
    hi, files, whole = store.newer("r", 0)
    assert (hi, [(f.lo, f.hi) for f in files], whole) == (3, [(2, 2), (3, 3)], False)
    _add_results(store, 2, machine, start=2)  # 4, 5
    hi, files, whole = store.newer("r", 3)
    assert (hi, [(f.lo, f.hi) for f in files], whole) == (5, [(4, 4), (5, 5)], False)
    assert store.newer("r", 5) == (5, [], False)
    store.compact("r")  # 2-5 merged: a file holding numbers below and above 3
    hi, files, whole = store.newer("r", 3)
    assert (hi, [(f.lo, f.hi) for f in files], whole) == (5, [(2, 5)], True)
    assert store.newer("r", 9)[2]  # folded past what is there: start over
