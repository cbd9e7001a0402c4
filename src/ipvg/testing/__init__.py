"""Tiny random-weight versions of every supported architecture, built offline.

`ensure_tiny_model(name)` builds one (once) into ipvg's cache in the standard diffusers or
transformers layout; the backends then load it through the same `from_pretrained` code path as real
weights (`ipvg-tiny:NAME` anywhere a model id is accepted: this package's plugin hook `register`
adds that weights source to `ipvg.weights`). Outputs of tiny models are noise.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ipvg.errors import UnknownBackendError

# Bump when a builder changes so stale caches are rebuilt.
TINY_VERSION = "1"

BUILDERS: dict[str, str] = {
    "wan22-ti2v-5b": "ipvg.testing.wan:build_wan22_ti2v",
    "wan22-i2v-a14b": "ipvg.testing.wan:build_wan22_i2v_a14b",
    "wan21-i2v-14b": "ipvg.testing.wan:build_wan21_i2v",
    "arcface-onnx": "ipvg.testing.faces:build_tiny_arcface_onnx",
    "insightface-pack": "ipvg.testing.faces:build_tiny_insightface_pack",
    "wan21-i2v-14b-720p": "ipvg.testing.wan:build_wan21_i2v",
    "cogvideox-5b-i2v": "ipvg.testing.cogvideox:build_cogvideox_i2v",
    "wan21-vace-14b": "ipvg.testing.vace:build_wan21_vace",
    "wan21-vace-1.3b": "ipvg.testing.vace:build_wan21_vace",
    "wan22-vace-fun-a14b": "ipvg.testing.vace:build_wan22_vace_fun",
    "sdxl": "ipvg.testing.sdxl:build_sdxl",
    "hyperlora": "ipvg.testing.hyperlora:build_hyperlora",
    "hyperlora-arcface": "ipvg.testing.hyperlora:build_hyperlora_arcface",
    "clip-vit": "ipvg.testing.hyperlora:build_clip_vit",
    "ip-adapter-faceid": "ipvg.testing.sdxl:build_ip_adapter_faceid",
    "flux-kontext": "ipvg.testing.kontext:build_flux_kontext",
    "inception-v3-fid": "ipvg.testing.evalmodels:build_tiny_inception",
    "clip-vit-b16": "ipvg.testing.evalmodels:build_tiny_clip",
    "gme-qwen2-vl-2b": "ipvg.testing.evalmodels:build_tiny_gme",
    "amt-s": "ipvg.testing.evalmodels:build_tiny_amt",
    "musiq-spaq": "ipvg.testing.evalmodels:build_tiny_musiq",
    "qwen3": "ipvg.testing.qwen:build_qwen3",
}


def register(registry: Any) -> None:
    """Plugin hook: tiny models become the `ipvg-tiny:NAME` weights source (they register no backends)."""
    from ipvg.weights import TINY_SCHEME, WeightsSource, register_weights_source

    register_weights_source(
        WeightsSource(
            scheme=TINY_SCHEME,
            resolve=ensure_tiny_model,
            summary="tiny random-weight models built offline (outputs are noise)",
            builds_locally=True,
        )
    )


def tiny_model_dir(name: str) -> Path:
    from ipvg.weights import cache_dir

    return cache_dir() / "tiny" / f"{name}-v{TINY_VERSION}"


def ensure_tiny_model(name: str) -> Path:
    """Build the tiny model `name` if it is not cached yet; return its folder."""
    if name not in BUILDERS:
        raise UnknownBackendError(f"No tiny model named `{name}`.", f"choose one of: {', '.join(sorted(BUILDERS))}.")
    target = tiny_model_dir(name)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    module_name, attr = BUILDERS[name].split(":")
    build = getattr(importlib.import_module(module_name), attr)
    # Build beside the target and rename, so a crash or a concurrent builder never leaves half a model.
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        build(staging)
        try:
            os.rename(staging, target)
        except OSError:
            if not target.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
