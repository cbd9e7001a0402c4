"""Tiny random-weight Wan VACE pipelines in the real diffusers layout.

`WanVACETransformer3DModel` with the released checkpoints' configuration keys (2 layers, width 24),
the tiny Wan2.1 VAE (z16, 8x spatial) and UMT5 parts shared with `ipvg.testing.wan`, saved with
`WanVACEPipeline.save_pretrained` so that `WanVACEPipeline.from_pretrained` loads it as it loads
Wan-AI/Wan2.1-VACE-14B-diffusers.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ipvg.testing.wan import TINY_TRANSFORMER, _scheduler, _text_encoder, _vae_z16

# VACE's context: inactive + reactive video latents (2 x 16) and the 8x8-unshuffled mask (64),
# the same 96 channels as the released models (the tiny VAE also compresses 8x spatially).
VACE_IN_CHANNELS = 2 * 16 + 8 * 8


def _vace_transformer():
    from diffusers import WanVACETransformer3DModel

    return WanVACETransformer3DModel(
        **TINY_TRANSFORMER,
        in_channels=16,
        out_channels=16,
        # The releases put VACE blocks on a subset of layers (14B: every 5th); one of two keeps that shape.
        vace_layers=[0],
        vace_in_channels=VACE_IN_CHANNELS,
    )


def _build(path: Path, *, num_experts: int) -> None:
    from diffusers import WanVACEPipeline

    from ipvg.testing.tokenizers import build_t5_tokenizer

    torch.manual_seed(0)
    two_experts = num_experts == 2
    pipe = WanVACEPipeline(
        tokenizer=build_t5_tokenizer(),
        text_encoder=_text_encoder(),
        vae=_vae_z16(),
        scheduler=_scheduler(),
        transformer=_vace_transformer(),
        transformer_2=_vace_transformer() if two_experts else None,
        boundary_ratio=0.875 if two_experts else None,
    )
    pipe.save_pretrained(path)


def build_wan21_vace(path: Path) -> None:
    """Wan2.1 VACE style (14B and 1.3B share the layout): one transformer, no image encoder."""
    _build(path, num_experts=1)


def build_wan22_vace_fun(path: Path) -> None:
    """Wan2.2 VACE-Fun A14B style: two VACE experts switched at `boundary_ratio` 0.875 (the layout of
    the diffusers conversion of alibaba-pai/Wan2.2-VACE-Fun-A14B)."""
    _build(path, num_experts=2)
