"""Running the real CLI as a child process in a terminal of a given width."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str, columns: int = 80, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m zarr_benchmarks ARGS`` with ``COLUMNS=columns``, no colour and no
    ``ZARR_BENCHMARKS_*`` setting from the calling environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZARR_BENCHMARKS_")}
    env.update(COLUMNS=str(columns), LINES="50", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "zarr_benchmarks", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
