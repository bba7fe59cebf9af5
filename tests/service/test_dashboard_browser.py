"""The service's dashboard in a real browser: headless Debian Chromium driven by Playwright.

A real service (``create_app`` served by werkzeug on a free loopback port, embedded git
remote in a temporary instance folder) receives a few results through ``POST
/contribute``; the test then loads ``/`` and checks the page works offline: no console
errors, no request leaves the server, a filter changes the table, the charts render.
Chromium is installed from the system packages by ``scripts/test.sh``.
"""

from __future__ import annotations

import re
import statistics
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from report_helpers import CASES_A, GZIP, LZ4, ZSTD, expected_mb_s, result_doc, standard_docs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.slow, pytest.mark.service]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A running service holding the standard test results; yields (base URL, docs)."""
    from werkzeug.serving import make_server

    from flask_app import create_app, shutdown

    app = create_app({"instance_dir": tmp_path / "instance", "debug": True, "rate_limit": "none"})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    docs = standard_docs()
    # HappySun also ran the default preset (array size small): its rows must never be
    # mixed with the quick (tiny) runs in a chart, a median or "newest".
    machine_a = docs["machines"][0]
    small = {k: (t * 50, r * 50, q) for k, (t, r, q) in CASES_A.items()}
    docs["results"].append(
        result_doc(machine_a, docs["environment"], "2026-01-03-00-00-00", small, preset="default")
    )
    try:
        for doc in [*docs["machines"], docs["environment"], *docs["results"]]:
            answer = requests.post(f"{base}/contribute", json=doc, timeout=30)
            assert answer.status_code in (200, 201, 202), answer.text
        yield base, docs
    finally:
        httpd.shutdown()
        thread.join(10)
        shutdown(app)


def _data(base: str, rows: str = "latest") -> dict[str, Any]:
    answer = requests.get(f"{base}/dashboard/data.json", params={"rows": rows}, timeout=30)
    assert answer.status_code == 200
    return answer.json()


def test_dashboard_data_endpoint(server):
    """The JSON behind the page: machines by name, rows per result, newest marked."""
    from zarr_benchmarks._jsonio import sha256_id

    base, docs = server
    data = _data(base)
    assert [m["name"] for m in data["machines"]] == ["HappySun", "QuietMoon"]
    assert data["results"] == 4
    every = _data(base, "all")
    ids = {sha256_id(d) for d in docs["results"]}
    assert {r["result_id"] for r in every["rows"]} == ids
    assert every["rows_mode"] == "all" and data["rows_mode"] == "latest"
    # By default only the newest rows are sent, per machine *and* array size.
    assert all(r["latest"] for r in data["rows"])
    old, newer, _, small_run = (sha256_id(d) for d in docs["results"])
    a_rows = [r for r in every["rows"] if r["machine"] == "HappySun"]
    assert {r["result_id"] for r in a_rows if r["latest"]} == {newer, small_run}
    assert {(r["result_id"], r["preset"], r["size"]) for r in a_rows} == {
        (old, "quick", "tiny"),
        (newer, "quick", "tiny"),
        (small_run, "default", "small"),
    }
    # Sizes present, the most common first (the page's default).
    assert data["sizes"] == ["tiny", "small"]
    # Throughput uses each row's own array size.
    (tw, _, _) = CASES_A[("ct", LZ4, "cube64")]
    for run, size, seconds in ((newer, "tiny", tw), (small_run, "small", tw * 50)):
        row = next(
            r
            for r in data["rows"]
            if r["result_id"] == run
            and (r["modality"], r["codec"], r["chunks"]) == ("ct", LZ4, "cube64")
        )
        assert row["write_mb_s"] == pytest.approx(expected_mb_s("ct", seconds, size))
    failed = [r for r in data["rows"] if r["status"] == "failed"]
    assert [(r["machine"], r["codec"]) for r in failed] == [("QuietMoon", GZIP)]
    # Every row's raw JSON link answers with the stored document.
    raw = requests.get(f"{base}/results/{newer}", timeout=30)
    assert raw.status_code == 200 and raw.json()["timestamp"] == "2026-01-02-00-00-00"
    bad = requests.get(f"{base}/dashboard/data.json", params={"rows": "some"}, timeout=30)
    assert bad.status_code == 400 and "rows" in bad.json()["detail"]


def test_dashboard_in_chromium(server, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (/usr/bin/chromium missing); "
            "scripts/test.sh installs it with apt-get when run as root"
        )
    from playwright.sync_api import sync_playwright

    base, _ = server
    data = _data(base)
    console_errors: list[str] = []
    page_errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on(
                "console",
                lambda m: console_errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on(
                "request",
                lambda r: None if r.url.startswith((base, "data:")) else outside.append(r.url),
            )
            page.goto(f"{base}/", wait_until="networkidle")
            page.wait_for_selector("#dashboard[data-ready='1']", timeout=15000)

            # Machines by friendly name.
            machines = page.locator("#machines tbody tr td:first-child").all_inner_texts()
            assert machines == ["HappySun", "QuietMoon"]

            # One array size at a time: the most common (tiny) by default, and said so.
            assert page.locator("#f-size option").all_inner_texts() == ["tiny", "small"]
            assert page.input_value("#f-size") == "tiny"
            assert "array size tiny" in page.locator("#size-shown").inner_text()
            sizes_col = page.locator("#results tbody tr td:nth-child(6)").all_inner_texts()
            assert set(sizes_col) == {"tiny"}

            # Table: newest run per machine (at this size) by default.
            rows = page.locator("#results tbody tr")
            latest = [r for r in data["rows"] if r["latest"] and r["size"] == "tiny"]
            assert rows.count() == len(latest)

            # The heatmap's median is over the tiny runs only (small would drag it down).
            cell = [
                r["write_mb_s"]
                for r in latest
                if (r["modality"], r["codec"], r["chunks"]) == ("ct", LZ4, "cube64")
            ]
            assert len(cell) == 2  # both machines
            cell_title = page.locator("#chart-heatmap svg rect.cell title").filter(
                has_text=f"cube64 × {LZ4}:"
            )
            want = statistics.median(cell)
            assert f"{want:,.1f} MB/s" in cell_title.first.text_content()

            # Charts render with data points and a Pareto front.
            for chart in ("write", "read", "heatmap", "machines"):
                svg = page.locator(f"#chart-{chart} svg")
                assert svg.count() == 1, chart
                box = svg.bounding_box()
                assert box and box["width"] > 100 and box["height"] > 100, chart
                assert int(svg.get_attribute("data-points")) > 0, chart
            write_svg = page.locator("#chart-write svg")
            assert write_svg.locator(".point").count() > 0
            # One Pareto front per machine (both machines measured ct).
            assert write_svg.locator("polyline.pareto").count() == 2
            assert "(MB/s" in write_svg.locator(".x-label").text_content()

            # Filtering by codec changes the table: only that codec remains.
            page.select_option("#f-codec", LZ4)
            codec_cells = page.locator("#results tbody tr td:nth-child(3)").all_inner_texts()
            expected = [r for r in latest if r["codec"] == LZ4]
            assert codec_cells and set(codec_cells) == {LZ4}
            assert len(codec_cells) == len(expected) < len(latest)

            # Modality filter: light_sheet was measured on one machine only.
            page.select_option("#f-codec", "")
            page.select_option("#f-modality", "light_sheet")
            machines_col = page.locator("#results tbody tr td:first-child").all_inner_texts()
            assert set(machines_col) == {"HappySun"}
            title = page.locator("#chart-write svg .title").text_content()
            assert title.startswith("light_sheet")
            assert int(page.locator("#chart-write svg").get_attribute("data-points")) == 2

            # Machine filter with all runs: the older run of HappySun comes back (at
            # size tiny; the small run stays apart).
            page.select_option("#f-modality", "ct")
            page.select_option("#f-machine", "HappySun")
            page.uncheck("#f-latest")
            page.wait_for_selector("#dashboard[data-ready='1']", timeout=15000)
            runs = set(page.locator("#results tbody tr td:nth-child(10)").all_inner_texts())
            assert runs == {"2026-01-01-00-00-00", "2026-01-02-00-00-00"}

            # The small run is under its own size, with its own charts.
            page.check("#f-latest")
            page.select_option("#f-machine", "")
            page.select_option("#f-size", "small")
            sizes_col = page.locator("#results tbody tr td:nth-child(6)").all_inner_texts()
            small_rows = [r for r in data["rows"] if r["size"] == "small" and r["modality"] == "ct"]
            assert set(sizes_col) == {"small"} and len(sizes_col) == len(small_rows)
            assert set(page.locator("#results tbody tr td:first-child").all_inner_texts()) == {
                "HappySun"
            }
            assert "(small)" in page.locator("#chart-write svg .title").text_content()
            assert "array size small, preset default" in page.locator("#size-shown").inner_text()
            page.select_option("#f-size", "tiny")

            # Raw JSON links point at the service's /results/<id>.
            href = page.locator("#results a.raw-json").first.get_attribute("href")
            assert re.fullmatch(r"/results/[0-9a-f]{64}", href)
            assert requests.get(base + href, timeout=30).status_code == 200

            page.check("#f-latest")
            page.select_option("#f-machine", "")
            page.select_option("#f-modality", "ct")
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
    assert not page_errors, page_errors
    assert not console_errors, console_errors
    assert not outside, f"requests left the service: {outside}"
    assert ZSTD in {r["codec"] for r in data["rows"]}
