#!/usr/bin/env bash
# Run the whole test suite in a fresh or reused .venv (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
# The dashboard's browser test drives Debian's Chromium; install it when we can.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
    >/tmp/zarr-benchmarks-apt.log 2>&1 || echo "note: could not install chromium (see /tmp/zarr-benchmarks-apt.log)"
fi
.venv/bin/ruff check src benchmarks flask_app tests scripts
.venv/bin/ruff format --check src benchmarks flask_app tests scripts
.venv/bin/lint-imports  # the stage direction ([tool.importlinter] in pyproject.toml)
.venv/bin/mypy  # files and settings from [tool.mypy] in pyproject.toml
exec .venv/bin/python -m pytest "$@"
