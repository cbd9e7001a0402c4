#!/usr/bin/env bash
# Set up .venv with everything the tests need, then run the default test suite (offline, CPU).
# The web UI's browser tests use Debian's chromium (installed here when missing and we are root);
# without it they are skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will be skipped" >&2
fi
bash scripts/setup-venv.sh faces,test,web,ray
export HF_HUB_OFFLINE=1
.venv/bin/python -m ruff check src tests benchmarks
.venv/bin/python -m pytest -q "$@"
