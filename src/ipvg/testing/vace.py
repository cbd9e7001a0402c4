"""Tiny random-weight Wan VACE pipelines in the real diffusers layout.

`WanVACETransformer3DModel` with the released checkpoints' configuration keys (2 layers, width 24),
the tiny Wan2.1 VAE (z16, 8x spatial) and UMT5 parts shared with `ipvg.testing.wan`, saved with
`WanVACEPipeline.save_pretrained` so that `WanVACEPipeline.from_pretrained` loads it as it loads
Wan-AI/Wan2.1-VACE-14B-diffusers.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ipvg.testing.wan import HEAD_DIM, HEADS, TEXT_DIM, _scheduler, _text_encoder, _vae_z16

# VACE's context: inactive + reactive video latents (2 x 16) and the 8x8-unshuffled mask (64),
# the same 96 channels as the released models (the tiny VAE also compresses 8x spatially).
VACE_IN_CHANNELS = 2 * 16 + 8 * 8


def _vace_transformer():
    from diffusers import WanVACETransformer3DModel

    return WanVACETransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=HEADS,
        attention_head_dim=HEAD_DIM,
        in_channels=16,
        out_channels=16,
        text_dim=TEXT_DIM,
        freq_dim=32,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        # The releases put VACE blocks on a subset of layers (14B: every 5th); one of two keeps that shape.
        vace_layers=[0],
        vace_in_channels=VACE_IN_CHANNELS,
    )


def build_wan21_vace(path: Path) -> None:
    """Wan2.1 VACE style (14B and 1.3B share the layout): one transformer, no image encoder."""
    from diffusers import WanVACEPipeline

    from ipvg.testing.tokenizers import build_t5_tokenizer

    torch.manual_seed(0)
    pipe = WanVACEPipeline(
        tokenizer=build_t5_tokenizer(),
        text_encoder=_text_encoder(),
        vae=_vae_z16(),
        scheduler=_scheduler(),
        transformer=_vace_transformer(),
    )
    pipe.save_pretrained(path)


def build_wan22_vace_fun(path: Path) -> None:
    """Wan2.2 VACE-Fun A14B style: two VACE experts switched at `boundary_ratio` 0.875 (the layout of
    the diffusers conversion of alibaba-pai/Wan2.2-VACE-Fun-A14B)."""
    from diffusers import WanVACEPipeline

    from ipvg.testing.tokenizers import build_t5_tokenizer

    torch.manual_seed(0)
    pipe = WanVACEPipeline(
        tokenizer=build_t5_tokenizer(),
        text_encoder=_text_encoder(),
        vae=_vae_z16(),
        scheduler=_scheduler(),
        transformer=_vace_transformer(),
        transformer_2=_vace_transformer(),
        boundary_ratio=0.875,
    )
    pipe.save_pretrained(path)
