#!/usr/bin/env bash
# Create .venv at the repository root (if missing) and install ipvg with the given extras.
# Usage: scripts/setup-venv.sh [EXTRAS]   e.g. scripts/setup-venv.sh faces,test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
# torch first and pinned: a looser request would pull several GB of CUDA packages on CPU machines.
.venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
if [ -n "$extras" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[${extras}]"
else
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
fi
# Data only: OpenAI's CLIP BPE merges for counting SDXL's 77-token window offline
# (ipvg.prompts.clip_vocab reads the file; the package is never imported, so its torchvision
# requirement is not installed).
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "clip-anytorch==2.6.0"
