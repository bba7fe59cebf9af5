"""The report's profile recommendations for a given storage bandwidth."""

from __future__ import annotations

import pytest
from report_helpers import LZ4, NONE, write_standard

from zarr_benchmarks.analyse.report.recommend import recommend
from zarr_benchmarks.analyse.report.table import latest, load_results

# recommend and table need no matplotlib, but importing them runs the package's
# __init__, which imports the figures (matplotlib).
pytestmark = pytest.mark.report


def test_slow_storage_turns_none_into_a_codec_and_says_why(tmp_path) -> None:
    write_standard(tmp_path)
    records = latest(load_results(tmp_path).records)
    local = {(r.modality, r.profile): r for r in recommend(records)}
    assert local["ct", "fast"].codec == NONE  # measured figures: none writes fastest
    assert local["ct", "fast"].reason.startswith("none:")
    assert "compression costs more time" in local["ct", "fast"].reason
    # the fixture arrays are tiny (65 kB written in 10-20 ms): 1 MB/s makes storage dominate
    slow = {(r.modality, r.profile): r for r in recommend(records, storage_mb_s=1.0)}
    fast_pick = slow["ct", "fast"]
    assert fast_pick.codec == LZ4 and fast_pick.storage == "on 1 MB/s storage"
    assert fast_pick.write_mb_s < local["ct", "fast"].write_mb_s  # effective, not measured
    assert fast_pick.reason.startswith(f"{LZ4}:") and "next none" in fast_pick.reason
    assert slow["ct", "archival"].codec == local["ct", "archival"].codec  # ratio: no change
