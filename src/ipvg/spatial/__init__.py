"""Stage 1 backends: the identity-preserving first frame (text + face -> image).

`hyperlora-sdxl` is the paper's recipe (RealVisXL v4 + HyperLoRA, best-of-N by face similarity,
face refinement); `faceid-sdxl` swaps HyperLoRA for IP-Adapter FaceID Plus v2; `kontext` uses
FLUX.1 Kontext with the face photo as context. Create one with
`create_spatial_backend(spatial_config, faces_config, runtime)`; a backend only draws (`plan`, `prepare`,
`draw`, `redraw`: see `ipvg.spatial.base`). Best-of-N, refinement and scoring are the method's:
`ipvg.identity.draw_first_frame(backend, judge, reference, spatial_prompt, seed=...) -> KeyframeResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipvg.config import FacesConfig, RuntimeConfig, SpatialConfig
    from ipvg.spatial.base import SpatialBackend

# The tiny base model each backend runs on under the `tiny` preset.
TINY_MODELS = {
    "hyperlora-sdxl": "ipvg-tiny:sdxl",
    "faceid-sdxl": "ipvg-tiny:sdxl",
    "kontext": "ipvg-tiny:flux-kontext",
}

SPATIAL_PIP_HINT = "pip install ipvg (diffusers, transformers, peft) and 'ipvg[faces]' for the face backend"


def register(registry: Any) -> None:
    """Register the built-in spatial backends."""
    from ipvg.registry import BackendSpec

    registry.register(
        BackendSpec(
            kind="spatial",
            name="hyperlora-sdxl",
            target="ipvg.spatial.hyperlora_sdxl:create",
            summary="RealVisXL v4 + HyperLoRA identity LoRA (0.85), 832x480, 20 steps, CFG 5, DPM++ 2M Karras; "
            "best-of-3 by face similarity, face refinement (paper recipe)",
            requires=("diffusers", "transformers", "peft"),
            pip_hint=SPATIAL_PIP_HINT,
            weights=(
                "SG161222/RealVisXL_V4.0",
                "bytedance-research/HyperLoRA",
                "openai/clip-vit-large-patch14",
            ),
        )
    )
    registry.register(
        BackendSpec(
            kind="spatial",
            name="faceid-sdxl",
            target="ipvg.spatial.faceid_sdxl:create",
            summary="RealVisXL v4 + IP-Adapter FaceID Plus v2 (ArcFace + CLIP ViT-H face tokens, its LoRA at 0.7); "
            "same sampler, best-of-N and face refinement as hyperlora-sdxl",
            requires=("diffusers", "transformers", "peft"),
            pip_hint=SPATIAL_PIP_HINT,
            weights=(
                "SG161222/RealVisXL_V4.0",
                "h94/IP-Adapter-FaceID",
                "laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
            ),
        )
    )
    registry.register(
        BackendSpec(
            kind="spatial",
            name="kontext",
            target="ipvg.spatial.kontext:create",
            summary="FLUX.1 Kontext dev: the face photo as context image + the spatial prompt; 28 steps, "
            "guidance 2.5; best-of-N by face similarity (no refinement)",
            requires=("diffusers", "transformers", "sentencepiece"),
            pip_hint=SPATIAL_PIP_HINT,
            weights=("black-forest-labs/FLUX.1-Kontext-dev",),
        )
    )


def create_spatial_backend(
    spatial_config: SpatialConfig, faces_config: FacesConfig, runtime: RuntimeConfig
) -> SpatialBackend:
    """The spatial backend named by `spatial_config.backend`, configured but not loaded yet."""
    from ipvg.registry import registry

    return registry.create(
        "spatial", spatial_config.backend, config=spatial_config, faces=faces_config, runtime=runtime
    )
