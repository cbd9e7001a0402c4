#!/usr/bin/env bash
# Issue 18's GPU measurements in one prepared run: at most ~8 minutes on one H100.
#
#   bash benchmarks/gpu.sh --prepare  # here, before a GPU session: copies diffusers into .gpu-site/
#   bash benchmarks/gpu.sh            # on the GPU machine, from the repository root
#   bash benchmarks/gpu.sh --smoke    # anywhere: CPU, scaled-down models (checks the script)
#
# Writes benchmarks/results/gpu-<gpu name>.json and .md (after every section, so a killed run keeps
# what it measured), prints the markdown table, and copies both to $OUT when that is set.
#
# The GPU machines of this workplace have torch (Python 3.12) but not diffusers, and no network.
# diffusers is pure Python, so `--prepare` copies the venv's diffusers 0.42.1 (about 30 MB without
# bytecode) into .gpu-site/, which git ignores; name `.gpu-site` in the GPU run's `carry`.
# Optional kernels (flash-attn, FA3, sageattention) are measured when importable and recorded as
# errors when not.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare" ]; then
    grep -qx '/.gpu-site/' .git/info/exclude 2>/dev/null || echo '/.gpu-site/' >> .git/info/exclude
    rm -rf .gpu-site && mkdir -p .gpu-site
    cp -r .venv/lib/python3.11/site-packages/diffusers .gpu-site/
    find .gpu-site -name __pycache__ -prune -exec rm -rf {} +
    du -sh .gpu-site
    exit 0
fi

export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
if [ -d .gpu-site ]; then
    export PYTHONPATH=".gpu-site:$PYTHONPATH"
fi
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
PYTHON="${PYTHON:-$(command -v python3)}"
if [ -x .venv/bin/python ] && ! "$PYTHON" -c "import torch" 2>/dev/null; then
    PYTHON=.venv/bin/python
fi
"$PYTHON" -c "import diffusers, torch; print('diffusers', diffusers.__version__, diffusers.__file__, 'torch', torch.__version__, \
'cuda', torch.cuda.is_available() and torch.cuda.get_device_name(0))"
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader || true
fi

# gpu.py keeps itself inside --budget-s (450 s); the hard stop only guards against a hung kernel.
status=0
timeout --signal=INT --kill-after=20 520 "$PYTHON" benchmarks/gpu.py --budget-s "${BUDGET_S:-450}" "$@" || status=$?

if [ -n "${OUT:-}" ]; then
    cp benchmarks/results/gpu-*.json benchmarks/results/gpu-*.md "$OUT"/ 2>/dev/null || true
fi
exit "$status"
