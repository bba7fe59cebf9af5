#!/usr/bin/env bash
# Environment A/B on a fresh machine in one command: install, then benchmark this suite
# against two environments, interleaved, and print the verdicts. For example:
#   bash scripts/ab.sh --base "zarr==3.0.10" --new "zarr==3.1.6"
# Every option of `zarr-benchmarks ab --help` is passed through; exit 1 on a regression.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "error: run this inside a git clone of zarr-benchmarks" >&2
  exit 2
fi
exec .venv/bin/zarr-benchmarks ab "$@"
