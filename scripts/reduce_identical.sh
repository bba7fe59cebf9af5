#!/usr/bin/env bash
# Reduce the same asv input with an older commit and with this checkout; the outputs
# must be byte-identical (a restructuring must not change what reduce writes).
# Usage: scripts/reduce_identical.sh OLD_REF [ASV_RESULTS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
old_ref="$1"
input="${2:-tests/fixtures/asv/results}"
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/old" "$old_ref"
for side in old new; do
  src="$PWD/src"; [ "$side" = old ] && src="$work/old/src"
  mkdir -p "$work/in-$side" && cp -r "$input/." "$work/in-$side/"
  .venv/bin/python - "$src" "$work/in-$side" "$work/out-$side" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
try:
    from zarr_benchmarks.results.reduce import reduce_paths
except ImportError:  # before the stage packages
    from zarr_benchmarks.reduce import reduce_paths
print(len(reduce_paths([sys.argv[2]], sys.argv[3]).documents), "documents")
PY
done
diff -r "$work/out-old" "$work/out-new" && echo "byte-identical: $(ls "$work/out-new" | wc -l) files"
