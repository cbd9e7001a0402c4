#!/usr/bin/env bash
# Set up .venv with everything the tests need, then run the default test suite (offline, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh faces,test
export HF_HUB_OFFLINE=1
.venv/bin/python -m ruff check src tests benchmarks
.venv/bin/python -m pytest -q "$@"
