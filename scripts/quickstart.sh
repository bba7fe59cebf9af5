#!/usr/bin/env bash
# The main job on a fresh machine: install, describe this machine (anonymously),
# run the quick benchmark preset with asv, reduce the results and print a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "error: run this inside a git clone of zarr-benchmarks" >&2
  exit 2
fi
.venv/bin/zarr-benchmarks setup
.venv/bin/zarr-benchmarks run --preset quick "$@"
