"""Tiny random-weight Wan pipelines in the real diffusers layout.

Same classes and configuration keys as the released checkpoints, with 2 layers and width 24, so
that the real `from_pretrained` loading path and the real denoising code run on a CPU in seconds.
"""

from __future__ import annotations

from pathlib import Path

import torch

TEXT_DIM = 32
HEADS, HEAD_DIM = 2, 12
CLIP_DIM = 16

# Wan2.2's z48 VAE latent statistics are per channel; tiny random ones keep the shapes honest.
_Z48_MEAN = [round(0.01 * i - 0.2, 4) for i in range(48)]
_Z48_STD = [round(1.0 + 0.01 * i, 4) for i in range(48)]


def _text_encoder():
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(
        vocab_size=300,
        d_model=TEXT_DIM,
        d_kv=8,
        d_ff=32,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        relative_attention_max_distance=16,
        feed_forward_proj="gated-gelu",
    )
    return UMT5EncoderModel(config).eval()


# The released Wan transformers' configuration keys at tiny size (VACE's builder adds its own keys).
TINY_TRANSFORMER = {
    "patch_size": (1, 2, 2),
    "num_attention_heads": HEADS,
    "attention_head_dim": HEAD_DIM,
    "text_dim": TEXT_DIM,
    "freq_dim": 32,
    "ffn_dim": 32,
    "num_layers": 2,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "rope_max_seq_len": 32,
}


def _transformer(in_channels: int, out_channels: int, *, image_dim: int | None = None):
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        **TINY_TRANSFORMER,
        in_channels=in_channels,
        out_channels=out_channels,
        image_dim=image_dim,
        added_kv_proj_dim=HEADS * HEAD_DIM if image_dim else None,
    )


def _vae_z16():
    from diffusers import AutoencoderKLWan

    return AutoencoderKLWan(
        base_dim=8, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )


def _vae_z48():
    """Wan2.2's residual VAE: z48, 2x2 input patching, 16x spatial compression."""
    from diffusers import AutoencoderKLWan

    return AutoencoderKLWan(
        base_dim=8,
        decoder_base_dim=8,
        z_dim=48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        is_residual=True,
        in_channels=12,
        out_channels=12,
        patch_size=2,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        latents_mean=_Z48_MEAN,
        latents_std=_Z48_STD,
    )


def _scheduler():
    from diffusers import UniPCMultistepScheduler

    # As shipped with Wan: UniPC on flow-matching sigmas.
    return UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=5.0
    )


def _clip_image_encoder():
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    config = CLIPVisionConfig(
        hidden_size=CLIP_DIM,
        projection_dim=CLIP_DIM,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        intermediate_size=32,
        patch_size=8,
    )
    processor = CLIPImageProcessor(crop_size=32, size={"shortest_edge": 32})
    return CLIPVisionModel(config).eval(), processor


def build_wan22_ti2v(path: Path) -> None:
    """Wan2.2 TI2V-5B style: one transformer over z48 latents, `expand_timesteps`, saved as WanPipeline
    (as the released model_index names it)."""
    from diffusers import WanPipeline

    from ipvg.testing.tokenizers import build_t5_tokenizer

    torch.manual_seed(0)
    pipe = WanPipeline(
        tokenizer=build_t5_tokenizer(),
        text_encoder=_text_encoder(),
        vae=_vae_z48(),
        scheduler=_scheduler(),
        transformer=_transformer(48, 48),
        expand_timesteps=True,
    )
    pipe.save_pretrained(path)


def build_wan22_i2v_a14b(path: Path) -> None:
    """Wan2.2 I2V-A14B style: two experts (high-noise `transformer`, low-noise `transformer_2`)
    switched at `boundary_ratio`, image latents concatenated on channels (16 + 4 mask + 16)."""
    from diffusers import WanImageToVideoPipeline

    from ipvg.testing.tokenizers import build_t5_tokenizer

    torch.manual_seed(0)
    pipe = WanImageToVideoPipeline(
        tokenizer=build_t5_tokenizer(),
        text_encoder=_text_encoder(),
        vae=_vae_z16(),
        scheduler=_scheduler(),
        transformer=_transformer(36, 16),
        transformer_2=_transformer(36, 16),
        boundary_ratio=0.9,
    )
    pipe.save_pretrained(path)


def build_wan21_i2v(path: Path) -> None:
    """Wan2.1 I2V-14B style: one transformer with image cross-attention fed by a CLIP vision encoder."""
    from diffusers import WanImageToVideoPipeline

    from ipvg.testing.tokenizers import build_t5_tokenizer

    torch.manual_seed(0)
    image_encoder, image_processor = _clip_image_encoder()
    pipe = WanImageToVideoPipeline(
        tokenizer=build_t5_tokenizer(),
        text_encoder=_text_encoder(),
        vae=_vae_z16(),
        scheduler=_scheduler(),
        transformer=_transformer(36, 16, image_dim=CLIP_DIM),
        image_encoder=image_encoder,
        image_processor=image_processor,
    )
    pipe.save_pretrained(path)


def build_wan_lora(path: Path, *, num_layers: int = 2, rank: int = 4, seed: int = 0) -> Path:
    """A random LoRA for the tiny Wan transformer, in diffusers' PEFT key format (as distilled
    step-reduction LoRAs are shipped), saved as one .safetensors file."""
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(seed)
    inner = HEADS * HEAD_DIM
    state = {}
    for block in range(num_layers):
        for attention in ("attn1", "attn2"):
            for projection in ("to_q", "to_k", "to_v", "to_out.0"):
                prefix = f"transformer.blocks.{block}.{attention}.{projection}"
                state[f"{prefix}.lora_A.weight"] = torch.randn(rank, inner, generator=generator) * 0.5
                state[f"{prefix}.lora_B.weight"] = torch.randn(inner, rank, generator=generator) * 0.5
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path))
    return path
