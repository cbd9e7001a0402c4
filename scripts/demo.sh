#!/usr/bin/env bash
# Set up .venv and run the main job on the tiny preset (offline, CPU, seconds).
# The tiny preset uses random weights: the video it writes is noise, by design.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh faces
export HF_HUB_OFFLINE=1
.venv/bin/ipvg animate --preset tiny --image examples/astronaut.png \
  --prompt "An astronaut smiles, then turns her head towards the window" --out outputs/demo
