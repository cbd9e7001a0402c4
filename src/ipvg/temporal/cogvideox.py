"""CogVideoX-5B-I2V on diffusers' `CogVideoXImageToVideoPipeline`: the architecture ConsisID (the
field's common trained identity baseline) is built on, as an alternative video stage.

Its learned positional embeddings fix the size: 720x480, 49 frames at 8 fps (official defaults:
50 steps, CFG 6 with dynamic CFG, 226 text tokens).
"""

from __future__ import annotations

from typing import Any

import torch

from ipvg.config import RuntimeConfig, TemporalConfig
from ipvg.errors import ConfigError, IpvgError
from ipvg.temporal.base import TemporalSettings
from ipvg.temporal.recipes import RECIPES
from ipvg.temporal.wan import WanImageToVideo

RECIPE = RECIPES["cogvideox-5b-i2v"]


class CogVideoXImageToVideo(WanImageToVideo):
    """Same loading, input fitting, progress and records as the Wan backends; CogVideoX's pipeline."""

    max_text_tokens = 226

    def _load_pipeline(self, path: str, dtype: torch.dtype, settings: TemporalSettings) -> Any:
        from diffusers import CogVideoXImageToVideoPipeline

        try:
            return CogVideoXImageToVideoPipeline.from_pretrained(path, dtype=dtype)
        # AttributeError: another family's model (a Wan VAE config has no `block_out_channels`)
        except (OSError, ValueError, KeyError, AttributeError) as error:
            raise IpvgError(
                f"Cannot load `{self.model}` as a CogVideoX image-to-video model: {error}",
                "check the folder is a complete diffusers copy of CogVideoX-5b-I2V.",
            ) from None

    def _text_window(self) -> int:
        # The transformer's text positions are fixed (226 in the release).
        return int(self.pipe.transformer.config.max_text_seq_length)

    def _call_options(self, settings: TemporalSettings) -> dict[str, Any]:
        transformer = self.pipe.transformer.config
        if transformer.use_learned_positional_embeddings:
            scale = self.pipe.vae_scale_factor_spatial
            expected = (transformer.sample_height * scale, transformer.sample_width * scale)
            if (settings.height, settings.width) != expected:
                raise ConfigError(
                    f"{self.name} was trained at {expected[1]}x{expected[0]} only (learned positional embeddings), "
                    f"not {settings.width}x{settings.height}.",
                    f"drop the size override or set temporal.width={expected[1]} temporal.height={expected[0]}.",
                )
        return {"use_dynamic_cfg": True}


def cogvideox_5b_i2v(config: TemporalConfig, runtime: RuntimeConfig) -> CogVideoXImageToVideo:
    return CogVideoXImageToVideo("cogvideox-5b-i2v", config, runtime, recipe=RECIPE)
