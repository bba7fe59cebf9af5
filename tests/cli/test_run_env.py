"""`zarr-benchmarks run` reads an option it is not given from the suite's environment
variable, as plain asv does (README: "or the environment variables ...")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import VENV_BIN


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZARR_BENCHMARKS_")}
    return subprocess.run(
        [str(VENV_BIN / "zarr-benchmarks"), "run", *args],
        cwd=tmp_path,
        env={**base, "HOME": str(tmp_path), "COLUMNS": "80", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_preset_and_codecs_come_from_the_environment(tmp_path: Path) -> None:
    bad_preset = _run(tmp_path, {"ZARR_BENCHMARKS_PRESET": "nightly"})
    assert bad_preset.returncode == 2
    assert "--preset must be one of" in bad_preset.stderr and "'nightly'" in bad_preset.stderr
    bad_codec = _run(tmp_path, {"ZARR_BENCHMARKS_CODECS": "zstd-3,nope"})
    assert bad_codec.returncode == 2
    assert "unknown codec id 'nope'" in bad_codec.stderr
    assert "Traceback" not in bad_preset.stderr + bad_codec.stderr


def test_an_option_given_wins_over_the_environment(tmp_path: Path) -> None:
    done = _run(tmp_path, {"ZARR_BENCHMARKS_PRESET": "nightly"}, "--preset", "quick")
    # The preset is accepted; the run then stops outside a git clone (exit 2), not on it.
    assert "--preset must be one of" not in done.stderr
    assert done.returncode == 2, done.stderr
