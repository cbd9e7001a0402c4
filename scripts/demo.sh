#!/usr/bin/env bash
# Set up .venv and run the main job — face + prompt -> video — on the tiny preset (offline, CPU).
# The tiny preset uses random weights: the frame and video it writes are noise, by design.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh faces
export HF_HUB_OFFLINE=1
.venv/bin/ipvg generate --preset tiny --face examples/astronaut.png \
  --prompt "The astronaut smiles, then turns her head towards the window as the camera slowly zooms in" \
  --out outputs/demo
