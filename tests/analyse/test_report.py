"""``zarr-benchmarks report``: tidy table, Pareto front, figures, recommendations, HTML.

Inputs are reduced result files written per docs/formats.md (tests/report_helpers.py)
with hand-chosen timings, so every expected series and front is known by hand.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_helpers import (
    CASES_A,
    GZIP,
    LZ4,
    NONE,
    ZSTD,
    array_bytes,
    environment_doc,
    expected_mb_s,
    machine_doc,
    result_doc,
    write_docs,
    write_standard,
)
from typer.testing import CliRunner

from zarr_benchmarks.analyse.report import latest, load_results, pareto_front
from zarr_benchmarks.analyse.report.recommend import recommend
from zarr_benchmarks.cli import app

pytestmark = pytest.mark.report

runner = CliRunner()


# ------------------------------------------------------------------------ Pareto front


def test_pareto_front_hand_checked():
    # (throughput, ratio).  By hand: a (10, 1) has the highest throughput; b (8, 2) is
    # not beaten on both; c (5, 2) is dominated by b (same ratio, slower); d (4, 3.5)
    # and e (1, 4) are not beaten; f (3, 3) is dominated by d; g (8, 1.5) by b.
    points = [(10, 1), (8, 2), (5, 2), (4, 3.5), (1, 4), (3, 3), (8, 1.5)]
    assert pareto_front(points) == [4, 3, 1, 0]  # e, d, b, a: by throughput ascending


def test_pareto_front_ties_duplicates_and_nan():
    # Identical points are both on the front; a point equal in one coordinate and
    # worse in the other is not; NaN is never on it.
    assert pareto_front([(2, 2), (2, 2), (2, 1), (1, 2)]) == [0, 1]
    assert pareto_front([(1, float("nan")), (0.5, 0.5)]) == [1]
    assert pareto_front([]) == []
    assert pareto_front([(3, 1)]) == [0]


# ------------------------------------------------------------------------ tidy table


def test_load_results_throughput_from_median(tmp_path):
    write_standard(tmp_path)
    rs = load_results(tmp_path)
    assert len(rs.results) == 3
    assert rs.machine_name(next(iter(rs.machines))) in {"HappySun", "QuietMoon"}
    rec = [
        r
        for r in latest(rs.records)
        if r.machine_name == "HappySun"
        and r.metric == "write"
        and (r.modality, r.codec, r.chunks) == ("ct", LZ4, "cube64")
    ]
    assert len(rec) == 1
    (r,) = rec
    # quick preset -> tiny arrays; MB/s from the median sample (0.020 s), not the mean.
    assert r.size == "tiny" and r.value == pytest.approx(0.020)
    assert r.nbytes == 32 * 32 * 32 * 2
    assert r.mb_s == pytest.approx(expected_mb_s("ct", 0.020))
    assert r.timestamp == "2026-01-02-00-00-00"  # the newer of HappySun's two runs
    assert not rs.notes


def test_unknown_preset_falls_back_to_small_with_a_note(tmp_path):
    m, e = machine_doc("Solo", "CPU"), environment_doc()
    doc = result_doc(m, e, "2026-02-01-00-00-00", {("ct", LZ4, "cube64"): (0.1, 0.1, 2.0)})
    doc["preset"] = "unknown"
    write_docs(tmp_path, [m, e, doc])
    rs = load_results(tmp_path)
    write = next(r for r in rs.records if r.metric == "write")
    assert write.size == "small"
    assert write.mb_s == pytest.approx(128 * 128 * 128 * 2 / 0.1 / 1e6)
    assert any("unknown" in n and "'small'" in n for n in rs.notes)


# ------------------------------------------------------------------------ recommendations


def test_recommendations_per_modality_and_profile(tmp_path):
    write_standard(tmp_path)
    recs = {(r.modality, r.profile): r for r in recommend(latest(load_results(tmp_path).records))}
    # ct: archival -> gzip-9 (the only archival codec measured, best ratio 3.0);
    # fast (write) and analysis (read) -> none; lossless (ratio) -> zstd at plane (2.5);
    # balanced -> lz4 cube64 (geometric mean 0.93 vs 0.82 lz4/plane, 0.75 zstd/plane).
    assert (recs["ct", "archival"].codec, recs["ct", "archival"].chunks) == (GZIP, "cube64")
    assert recs["ct", "fast"].codec == NONE and recs["ct", "analysis"].codec == NONE
    assert (recs["ct", "lossless"].codec, recs["ct", "lossless"].chunks) == (ZSTD, "plane")
    assert (recs["ct", "balanced"].codec, recs["ct", "balanced"].chunks) == (LZ4, "cube64")
    assert recs["ct", "balanced"].machines == 2
    # Pooled over machines: median of HappySun (B/0.02) and QuietMoon (B/0.04).
    assert recs["ct", "balanced"].write_mb_s == pytest.approx(
        (expected_mb_s("ct", 0.02) + expected_mb_s("ct", 0.04)) / 2
    )
    # light_sheet has none of the archival codecs: chosen from all measured, and said so.
    arch = recs["light_sheet", "archival"]
    assert arch.codec == ZSTD and "none of the profile's codecs" in arch.basis
    assert "profile's codecs that were measured" in recs["light_sheet", "balanced"].basis


# ------------------------------------------------------------------------ the report


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict, str]:
    root = tmp_path_factory.mktemp("report")
    write_standard(root / "results")
    # no machine set up here: no machine is labelled this machine or reference
    env = {"XDG_CONFIG_HOME": str(root / "config")}
    res = runner.invoke(
        app, ["report", str(root / "results"), "--output", str(root / "out")], env=env
    )
    assert res.exit_code == 0, res.output
    out = root / "out"
    data = json.loads((out / "report.json").read_text())
    return out, data, (out / "index.html").read_text()


def _figure(data: dict, kind: str, name_part: str) -> dict:
    found = [f for f in data["figures"] if f["kind"] == kind and name_part in f["name"]]
    assert len(found) == 1, (kind, name_part, [f["name"] for f in data["figures"]])
    return found[0]


def test_report_files(built):
    out, data, html = built
    assert data["figures"]
    for fig in data["figures"]:
        png, svg = out / "figures" / fig["png"], out / "figures" / fig["svg"]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        tree = ET.parse(svg)  # well-formed SVG
        text = " ".join(t.text or "" for t in tree.iter() if t.tag.endswith("text"))
        assert fig["title"] in text, fig["name"]  # title drawn in the figure
        assert "MB/s" in text, fig["name"]  # axis labels with units
        assert f'src="figures/{fig["png"]}"' in html and f'href="figures/{fig["svg"]}"' in html
    # No temporary files left behind.
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_scatter_series_and_fronts_per_modality(built):
    out, data, _ = built
    sun = _figure(data, "scatter", "scatter_ct_happysun")
    for op, seconds in (("write", 0), ("read", 1)):
        points = {(p["codec"], p["chunks"]): p for p in sun["series"][op]["points"]}
        # Machine A's newest run: all six ct combinations, with hand-computable values.
        assert set(points) == {k[1:] for k in CASES_A if k[0] == "ct"}
        for key, p in points.items():
            t = CASES_A[("ct", *key)][seconds]
            assert p["mb_s"] == pytest.approx(expected_mb_s("ct", t))
            assert p["ratio"] == CASES_A[("ct", *key)][2]
        front = [(f["codec"], f["chunks"]) for f in sun["series"][op]["front"]]
        # By hand: lz4/plane is beaten by lz4/cube64 and zstd/cube64 by both lz4s.
        assert front == [
            (GZIP, "cube64"),
            (ZSTD, "plane"),
            (LZ4, "cube64"),
            (NONE, "cube64"),
        ]
        svg_text = (out / "figures" / sun["svg"]).read_text()
        for codec in (GZIP, ZSTD, LZ4, NONE):  # readable codec labels
            assert codec in svg_text
        assert "compression ratio" in svg_text and "Pareto front" in svg_text

    # Machine B: its gzip-9 write failed, so gzip-9 has no ratio and is not plotted.
    moon = _figure(data, "scatter", "scatter_ct_quietmoon")
    moon_points = {(p["codec"], p["chunks"]) for p in moon["series"]["write"]["points"]}
    assert (GZIP, "cube64") not in moon_points and len(moon_points) == 5
    assert [f["codec"] for f in moon["series"]["write"]["front"]] == [ZSTD, LZ4, NONE]

    light = _figure(data, "scatter", "scatter_light-sheet_happysun")
    assert {p["codec"] for p in light["series"]["write"]["points"]} == {LZ4, ZSTD}
    assert len(light["series"]["write"]["front"]) == 2
    assert not [f for f in data["figures"] if "light-sheet_quietmoon" in f["name"]]


def test_heatmap_ceiling_and_machines(built):
    _, data, html = built
    heat = _figure(data, "heatmap", "heatmap_ct_happysun")["series"]
    assert heat["chunks"] == ["cube64", "plane"]
    assert heat["codecs"] == sorted([LZ4, ZSTD, GZIP, NONE])
    j = heat["codecs"].index(GZIP)
    assert heat["panels"]["write"][1][j] is None  # gzip-9 was not run with plane chunks
    assert heat["panels"]["write"][0][j] == pytest.approx(expected_mb_s("ct", 0.2))

    ceil = _figure(data, "ceiling", "ceiling_ct_happysun")["series"]
    assert ceil["codecs"] == [LZ4, ZSTD]
    assert ceil["memcopy_mb_s"] == pytest.approx(10_000)
    assert ceil["bars"]["raw encode"][0] == pytest.approx(expected_mb_s("ct", 0.010))
    assert ceil["bars"]["Zarr write"][0] == pytest.approx(expected_mb_s("ct", 0.020))
    assert "50%" in html  # Zarr delivers half of the raw codec's speed here

    across = _figure(data, "machines", "machines_ct")["series"]
    assert list(across["panels"]["write"]) == ["HappySun", "QuietMoon"]
    moon = across["panels"]["write"]["QuietMoon"]
    assert moon[across["codecs"].index(GZIP)] is None  # failed on that machine
    assert moon[across["codecs"].index(LZ4)] == pytest.approx(expected_mb_s("ct", 0.04))
    assert not [f for f in data["figures"] if f["name"] == "machines_light-sheet"]
    assert "Only 1 machine(s) measured light_sheet" in html


def test_report_html_lists_provenance_and_recommendations(built):
    _, data, html = built
    for name in ("HappySun", "QuietMoon", "Test CPU A", "zarr 3.1.6", "numcodecs 0.16.6"):
        assert name in html
    for commit in ("a" * 12, "b" * 12, "c" * 12):
        assert commit in html
    assert len(data["provenance"]["results"]) == 3
    assert "bench_write.Write.time_write" in html  # the failed entry is listed as a problem
    table = html[html.index('id="recommendations-table"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr data-modality="([^"]+)" data-profile="([^"]+)"', table)
    assert ("ct", "archival") in rows and ("light_sheet", "balanced") in rows
    assert len(rows) == 10  # 2 modalities x 5 profiles
    assert not re.search(r"https?://", html.replace("https://zarr-benchmarks.invalid", ""))
    for rec in data["recommendations"]:
        assert all(v is None or math.isfinite(v) for v in (rec["ratio"], rec["write_mb_s"]))


def test_report_cli_errors(tmp_path):
    res = runner.invoke(app, ["report", str(tmp_path / "missing"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "results folder not found" in res.output

    (tmp_path / "empty").mkdir()
    res = runner.invoke(app, ["report", str(tmp_path / "empty"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no result_*.json" in res.output

    good = tmp_path / "good"
    write_standard(good)
    out = tmp_path / "out"
    assert runner.invoke(app, ["report", str(good), "-o", str(out)]).exit_code == 0
    before = (out / "index.html").read_bytes()
    figures = sorted(p.name for p in (out / "figures").iterdir())
    bad = json.loads(next(good.glob("result_*.json")).read_text())
    bad["benchmarks"]["bench_write.Write.time_write"]["type"] = "speed"
    (good / "result_timestamp-2026-03-01-00-00-00_machine-x_environment-y.json").write_text(
        json.dumps(bad)
    )
    res = runner.invoke(app, ["report", str(good), "-o", str(out)])
    assert res.exit_code == 2
    assert "result_timestamp-2026-03-01" in res.output and "type" in res.output
    assert "Traceback" not in res.output
    # The previous report is untouched.
    assert (out / "index.html").read_bytes() == before
    assert sorted(p.name for p in (out / "figures").iterdir()) == figures


# ------------------------------------------------------------------------ asv publish


@pytest.mark.slow
def test_asv_publish_and_preview_on_the_suites_own_results(suite_clone, tmp_path):
    """A tiny real asv run, then ``asv publish`` (html in .asv/html) and ``asv preview``."""
    import os
    import socket
    import subprocess
    import time

    import requests
    from conftest import VENV_BIN

    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "ZARR_BENCHMARKS_PRESET": "quick",
        "ZARR_BENCHMARKS_SIZE": "tiny",
        "ZARR_BENCHMARKS_MODALITIES": "ct",
        "ZARR_BENCHMARKS_CODECS": "blosc-lz4-5-shuffle",
    }
    asv = str(VENV_BIN / "asv")

    def run(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [asv, *args], cwd=suite_clone, env=env, text=True, capture_output=True, timeout=600
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc

    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=suite_clone, text=True, capture_output=True, check=True
    ).stdout.strip()
    run("machine", "--yes", "--machine", "report-box")
    run(
        "run",
        "--python=same",
        "--machine",
        "report-box",
        "--set-commit-hash",
        sha,
        "--record-samples",
        "--bench",
        "bench_write.Write.time_write",
    )
    run("publish")
    html = suite_clone / ".asv" / "html"
    assert (html / "index.html").is_file()
    index = json.loads((html / "index.json").read_text())
    assert "bench_write.Write.time_write" in index["benchmarks"]
    assert sha in index["revision_to_hash"].values()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [asv, "preview", "--port", str(port)],
        cwd=suite_clone,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/index.json", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, "asv preview did not answer"
        assert answer.json()["project"] == "zarr-benchmarks"
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        proc.terminate()
        proc.wait(10)


def test_report_escapes_names_from_result_files(tmp_path):
    m, e = machine_doc("Solo", "<i>CPU</i>"), environment_doc()
    evil = "<script>alert(1)</script>"
    doc = result_doc(m, e, "2026-02-01-00-00-00", {("ct", evil, "cube64"): (0.1, 0.1, 2.0)})
    write_docs(tmp_path / "results", [m, e, doc])
    res = runner.invoke(app, ["report", str(tmp_path / "results"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "out" / "index.html").read_text()
    assert evil not in html and "&lt;script&gt;" in html
    assert "<i>CPU</i>" not in html
    for svg in (tmp_path / "out" / "figures").glob("*.svg"):
        ET.parse(svg)  # still well-formed XML


# ------------------------------------------------------- results kept apart, reference marked


def _local_machine(config_home: Path, machine: dict) -> None:
    folder = config_home / "zarr-benchmarks"
    folder.mkdir(parents=True)
    (folder / "machine.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "name": machine["name"],
                "machine_id": machine["machine_id"],
                "document": machine,
            }
        )
    )


def test_report_keeps_presets_and_sizes_apart_and_marks_reference(tmp_path):
    # HappySun is this machine (quick preset, tiny arrays); QuietMoon is a reference
    # machine with quick results and a default-preset run at the small size, 100x the
    # time (as small arrays are bigger): pooled together, QuietMoon would look slow.
    docs = write_standard(tmp_path / "results")
    a, b = docs["machines"]
    default_b = result_doc(
        b,
        docs["environment"],
        "2026-01-03-00-00-00",
        {k: (tw * 100, tr * 100, r) for k, (tw, tr, r) in CASES_A.items() if k[0] == "ct"},
        preset="default",
    )
    write_docs(tmp_path / "results", [default_b])
    _local_machine(tmp_path / "config", a)
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        ["report", str(tmp_path / "results"), "-o", str(out)],
        env={"XDG_CONFIG_HOME": str(tmp_path / "config")},
    )
    assert res.exit_code == 0, res.output
    assert "quick preset, tiny arrays: 2 machine(s) (reference, this machine)" in res.output
    assert "default preset, small arrays: 1 machine(s) (reference)" in res.output
    data = json.loads((out / "report.json").read_text())
    html = (out / "index.html").read_text()

    ct = {(s["preset"], s["size"]): s for s in data["sections"] if s["id"] == "ct"}
    assert set(ct) == {("quick", "tiny"), ("default", "small")}
    roles = {m["name"]: m["role"] for m in ct["quick", "tiny"]["machines"]}
    assert roles == {
        "HappySun (this machine)": "this machine",
        "QuietMoon (reference)": "reference",
    }
    assert [m["name"] for m in ct["default", "small"]["machines"]] == ["QuietMoon (reference)"]
    # The across-machines chart compares the quick results only, labelled; the default
    # run of one machine has nothing to be compared with.
    assert ct["default", "small"]["across"] is None
    across = next(f for f in data["figures"] if f["name"] == ct["quick", "tiny"]["across"])
    assert sorted(across["series"]["panels"]["write"]) == [
        "HappySun (this machine)",
        "QuietMoon (reference)",
    ]
    moon = across["series"]["panels"]["write"]["QuietMoon (reference)"]
    assert moon[across["series"]["codecs"].index(LZ4)] == pytest.approx(expected_mb_s("ct", 0.04))

    # Recommendations are ranked per preset and size: never averaged across them.
    recs = {(r["modality"], r["preset"], r["profile"]): r for r in data["recommendations"]}
    quick = recs["ct", "quick", "balanced"]
    assert quick["size"] == "tiny" and quick["machines"] == 2
    assert quick["write_mb_s"] == pytest.approx(
        (expected_mb_s("ct", 0.02) + expected_mb_s("ct", 0.04)) / 2
    )
    default = recs["ct", "default", "balanced"]
    assert default["size"] == "small" and default["machines"] == 1
    assert default["write_mb_s"] == pytest.approx(expected_mb_s("ct", 2.0, "small"))

    # Each section's header pairs its one size with its one byte count.
    small_mb = f"{array_bytes('ct', 'small') / 1e6:,.1f} MB"
    tiny_mb = f"{array_bytes('ct', 'tiny') / 1e6:,.1f} MB"
    assert f"Preset default, array size small ({small_mb} uncompressed)" in html
    assert f"Preset quick, array size tiny ({tiny_mb} uncompressed)" in html
    assert "Quick preset: a smoke test on tiny arrays" in html
    assert "(reference)" in html and "this machine" in html
