"""Model FLOPs of a Wan transformer step, from its config: the floor a GPU cannot beat.

Counts matrix multiplications only (2 FLOPs per multiply-add): per block, self-attention
projections 8·S·D², attention scores and values 4·S²·D, cross-attention 4·S·D² + 4·T·D² + 4·S·T·D
(plus the image branch for Wan2.1 I2V), feed-forward 4·S·D·F. S: video tokens, T: text tokens,
D: model width, F: feed-forward width. Norms, RoPE and elementwise work are left out (<2%).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WanShape:
    num_layers: int
    dim: int
    ffn_dim: int
    patch_size: tuple[int, int, int]
    in_channels: int
    out_channels: int
    text_tokens: int = 512
    image_tokens: int = 0  # Wan2.1 I2V: 257 CLIP tokens through the added K/V projections


def wan_shape(config: Any, *, text_tokens: int = 512) -> WanShape:
    get = config.get if isinstance(config, dict) else lambda key: getattr(config, key)
    image_tokens = 257 if get("image_dim") else 0
    return WanShape(
        num_layers=get("num_layers"),
        dim=get("num_attention_heads") * get("attention_head_dim"),
        ffn_dim=get("ffn_dim"),
        patch_size=tuple(get("patch_size")),
        in_channels=get("in_channels"),
        out_channels=get("out_channels"),
        text_tokens=text_tokens,
        image_tokens=image_tokens,
    )


def video_tokens(
    num_frames: int,
    height: int,
    width: int,
    *,
    vae_spatial: int,
    vae_temporal: int = 4,
    patch: tuple[int, int, int] = (1, 2, 2),
) -> int:
    """Sequence length the transformer sees for a video of this size."""
    latent_frames = (num_frames - 1) // vae_temporal + 1
    return (
        (latent_frames // patch[0]) * (height // vae_spatial // patch[1]) * (width // vae_spatial // patch[2])
    )


def wan_forward_flops(shape: WanShape, seq_len: int) -> float:
    """FLOPs of one transformer forward pass (one conditional or unconditional evaluation)."""
    s, d, f, t, i = seq_len, shape.dim, shape.ffn_dim, shape.text_tokens, shape.image_tokens
    self_attention = 8 * s * d * d + 4 * s * s * d
    cross_attention = 4 * s * d * d + 4 * t * d * d + 4 * s * t * d
    image_attention = (4 * i * d * d + 4 * s * i * d) if i else 0
    feed_forward = 4 * s * d * f
    per_block = self_attention + cross_attention + image_attention + feed_forward
    patch_volume = shape.patch_size[0] * shape.patch_size[1] * shape.patch_size[2]
    embed_and_head = 2 * s * d * patch_volume * (shape.in_channels + shape.out_channels)
    return float(shape.num_layers * per_block + embed_and_head)


def wan_video_flops(
    shape: WanShape, seq_len: int, *, num_inference_steps: int, guidance: bool = True
) -> float:
    """FLOPs of a whole denoising run (two evaluations per step with classifier-free guidance)."""
    return wan_forward_flops(shape, seq_len) * num_inference_steps * (2 if guidance else 1)
