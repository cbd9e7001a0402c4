"""Stage 2 backends: image-to-video."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ipvg.registry import BackendSpec

if TYPE_CHECKING:
    from ipvg.config import RuntimeConfig, TemporalConfig
    from ipvg.temporal.base import TemporalBackend

_SUMMARIES = {
    "wan22-ti2v-5b": (
        "wan22_ti2v_5b",
        "Wan2.2 TI2V-5B: 1280x704, 121 frames at 24 fps, 50 steps, CFG 5 (paper recipe)",
    ),
    "wan22-i2v-a14b": (
        "wan22_i2v_a14b",
        "Wan2.2 I2V-A14B: two experts, 1280x720, 81 frames at 16 fps, 40 steps, CFG 3.5/3.5",
    ),
    "wan22-i2v-a14b-lightning": (
        "wan22_i2v_a14b_lightning",
        "Wan2.2 I2V-A14B + Wan2.2-Lightning 4-step LoRAs (runtime.loras; preset `fast`): 4 steps, no CFG, "
        "shift 5; motion slower than the 40-step model",
    ),
    "wan21-i2v-14b": (
        "wan21_i2v_14b",
        "Wan2.1 I2V-14B 480P with CLIP image encoder: 832x480, 81 frames at 16 fps",
    ),
    "wan21-i2v-14b-720p": (
        "wan21_i2v_14b_720p",
        "Wan2.1 I2V-14B 720P with CLIP image encoder: 1280x720, 81 frames at 16 fps",
    ),
}

# Reference-conditioned: they also see the person's face, not only the first frame.
_VACE_SUMMARIES = {
    "wan21-vace-14b": (
        "wan21_vace_14b",
        "Wan2.1 VACE-14B, first frame + reference face: 1280x720, 81 frames at 16 fps, 50 steps, CFG 5, shift 16",
    ),
    "wan21-vace-1.3b": (
        "wan21_vace_1_3b",
        "Wan2.1 VACE-1.3B, first frame + reference face: 832x480, 81 frames at 16 fps (small GPUs)",
    ),
    "wan22-vace-fun-a14b": (
        "wan22_vace_fun_a14b",
        "Wan2.2 VACE-Fun A14B (community diffusers conversion), two experts: 832x480, 81 frames at 16 fps",
    ),
}


def register(registry: Any) -> None:
    # The recipe tables are data (no torch): registering, listing and preflight stay torch-free.
    from ipvg.temporal.recipes import RECIPES

    # The Wan and VACE families: one module each, one factory per recipe.
    for module, summaries in (("wan", _SUMMARIES), ("vace", _VACE_SUMMARIES)):
        for name, (factory, summary) in summaries.items():
            registry.register(
                BackendSpec(
                    kind="temporal",
                    name=name,
                    target=f"ipvg.temporal.{module}:{factory}",
                    summary=summary,
                    requires=("diffusers", "transformers", "ftfy"),
                    pip_hint="pip install ipvg",
                    weights=(RECIPES[name].model,),
                )
            )
    registry.register(
        BackendSpec(
            kind="temporal",
            name="cogvideox-5b-i2v",
            target="ipvg.temporal.cogvideox:cogvideox_5b_i2v",
            summary="CogVideoX-5B-I2V (ConsisID's base): 720x480, 49 frames at 8 fps, 50 steps, CFG 6",
            requires=("diffusers", "transformers"),
            pip_hint="pip install ipvg",
            weights=(RECIPES["cogvideox-5b-i2v"].model,),
        )
    )


def create_temporal_backend(config: TemporalConfig, runtime: RuntimeConfig) -> TemporalBackend:
    """The temporal backend named by `config.backend`, configured but not loaded yet."""
    from ipvg.registry import registry

    return registry.create("temporal", config.backend, config=config, runtime=runtime)
