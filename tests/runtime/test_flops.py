"""The FLOP floor used by the benchmarks, checked against an independent count."""

from __future__ import annotations

import pytest

from ipvg.runtime.flops import WanShape, video_tokens, wan_forward_flops, wan_shape, wan_video_flops


def test_token_count_for_wan22_5b_official_size():
    # 121 frames -> 31 latent frames; 1280x704 / 16 (VAE) / 2 (patch) -> 40x22 tokens per latent frame.
    assert video_tokens(121, 704, 1280, vae_spatial=16) == 31 * 22 * 40


def test_5b_floor_matches_the_published_estimate():
    config = {"num_layers": 30, "num_attention_heads": 24, "attention_head_dim": 128, "ffn_dim": 14336, "patch_size": [1, 2, 2],
              "in_channels": 48, "out_channels": 48, "image_dim": None}
    total = wan_video_flops(wan_shape(config), video_tokens(121, 704, 1280, vae_spatial=16), num_inference_steps=50)
    assert total / 1e15 == pytest.approx(52, rel=0.03)  # "about 52 PFLOP" for 50 steps with CFG


def test_forward_flops_against_a_direct_count():
    shape = WanShape(num_layers=1, dim=4, ffn_dim=8, patch_size=(1, 1, 1), in_channels=1, out_channels=1, text_tokens=2)
    s = 3
    # Multiply-adds counted by hand, per matrix product, then doubled.
    macs = (
        3 * s * 4 * 4 + s * 4 * 4  # q, k, v, out projections (self)
        + s * s * 4 * 2  # scores and weighted values (self)
        + 2 * s * 4 * 4 + 2 * 2 * 4 * 4  # cross: q, out on video; k, v on text
        + s * 2 * 4 * 2  # cross scores and values
        + 2 * s * 4 * 8  # feed-forward up and down
        + s * 4 * (1 + 1)  # patch embedding and head
    )
    assert wan_forward_flops(shape, s) == 2 * macs
    assert wan_video_flops(shape, s, num_inference_steps=3, guidance=False) == 3 * 2 * macs
