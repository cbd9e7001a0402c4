"""A tiny random-weight SDXL pipeline in the real diffusers layout.

Same classes and configuration keys as RealVisXL / SDXL base (two CLIP text encoders, the second with
a projection, a `text_time` UNet, a KL VAE, the Euler scheduler SDXL ships with), at width 32 with
one or two layers per block, so that `StableDiffusionXLPipeline.from_pretrained` and the real
denoising, LoRA and img2img code run on a CPU in a second. Its output is noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

TEXT_DIM = 32  # both text encoders; the UNet's cross-attention width is their concatenation (64)
TIME_EMBED_DIM = 8
UNET_CONFIG: dict[str, Any] = {
    "block_out_channels": (32, 64),
    "layers_per_block": 1,
    "sample_size": 32,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
    "attention_head_dim": (2, 4),
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": TIME_EMBED_DIM,
    "transformer_layers_per_block": (1, 2),
    # SDXL's added condition: 6 size/crop numbers x time-embed width + the pooled text embedding.
    "projection_class_embeddings_input_dim": 6 * TIME_EMBED_DIM + TEXT_DIM,
    "cross_attention_dim": 2 * TEXT_DIM,
    "norm_num_groups": 8,
}


def tiny_sdxl_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(**UNET_CONFIG).eval()


def _text_encoders(tokenizer: Any):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=TEXT_DIM,
        intermediate_size=37,
        num_hidden_layers=3,
        num_attention_heads=4,
        projection_dim=TEXT_DIM,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        hidden_act="gelu",
        max_position_embeddings=77,
    )
    return CLIPTextModel(config).eval(), CLIPTextModelWithProjection(config).eval()


def _vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        # Three blocks: 4x spatial compression keeps the tiny UNet's latents small (SDXL's VAE has 8x).
        block_out_channels=(8, 16, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=64,
        scaling_factor=0.13025,  # SDXL's
    ).eval()


def _scheduler():
    from diffusers import EulerDiscreteScheduler

    # As SDXL base ships it; the backend swaps in DPM++ 2M Karras from this config.
    return EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        steps_offset=1,
        timestep_spacing="leading",
    )


def build_sdxl(path: Path) -> None:
    """SDXL / RealVisXL style text-to-image pipeline."""
    from diffusers import StableDiffusionXLPipeline

    from ipvg.testing.tokenizers import build_clip_tokenizer

    torch.manual_seed(0)
    tokenizer = build_clip_tokenizer()
    text_encoder, text_encoder_2 = _text_encoders(tokenizer)
    pipe = StableDiffusionXLPipeline(
        vae=_vae(),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=build_clip_tokenizer(),
        unet=tiny_sdxl_unet(),
        scheduler=_scheduler(),
        force_zeros_for_empty_prompt=True,
    )
    pipe.save_pretrained(path)


def _random(shape: tuple[int, ...], scale: float) -> torch.Tensor:
    return (torch.randn(shape) * scale).contiguous()


def build_ip_adapter_faceid(path: Path) -> None:
    """IP-Adapter FaceID Plus v2 for the tiny SDXL UNet, in h94/IP-Adapter-FaceID's file layout:
    `ip-adapter-faceid-plusv2_sdxl.bin` (`image_proj` = ID MLP + face Perceiver resampler over CLIP
    hidden states, `ip_adapter` = per cross-attention to_k_ip/to_v_ip) and the companion kohya LoRA
    `ip-adapter-faceid-plusv2_sdxl_lora.safetensors`. ID embeddings are 128-d (dlib's width; ArcFace's
    512 in the real model); the CLIP width is the tiny `clip-vit` encoder's."""
    from safetensors.torch import save_file

    from ipvg.spatial.hyperlora import kohya_module_prefix
    from ipvg.testing.hyperlora import CLIP_DIM, ID_EMBED_DIM, unet_attention_modules

    torch.manual_seed(0)
    width = 2 * TEXT_DIM  # the resampler runs at the UNet's cross-attention width, 64-wide heads
    num_tokens, ff_mult = 4, 4
    image_proj = {
        "proj.0.weight": _random((2 * ID_EMBED_DIM, ID_EMBED_DIM), 0.1),
        "proj.0.bias": _random((2 * ID_EMBED_DIM,), 0.01),
        "proj.2.weight": _random((num_tokens * width, 2 * ID_EMBED_DIM), 0.1),
        "proj.2.bias": _random((num_tokens * width,), 0.01),
        "norm.weight": torch.ones(width),
        "norm.bias": torch.zeros(width),
        "perceiver_resampler.proj_in.weight": _random((width, CLIP_DIM), 0.1),
        "perceiver_resampler.proj_in.bias": torch.zeros(width),
        "perceiver_resampler.proj_out.weight": _random((width, width), 0.1),
        "perceiver_resampler.proj_out.bias": torch.zeros(width),
        "perceiver_resampler.norm_out.weight": torch.ones(width),
        "perceiver_resampler.norm_out.bias": torch.zeros(width),
    }
    for layer in range(4):  # the released resampler's depth (diffusers' converter expects 4)
        prefix = f"perceiver_resampler.layers.{layer}"
        for norm in ("norm1", "norm2"):
            image_proj[f"{prefix}.0.{norm}.weight"] = torch.ones(width)
            image_proj[f"{prefix}.0.{norm}.bias"] = torch.zeros(width)
        image_proj[f"{prefix}.0.to_q.weight"] = _random((width, width), 0.1)
        image_proj[f"{prefix}.0.to_kv.weight"] = _random((2 * width, width), 0.1)
        image_proj[f"{prefix}.0.to_out.weight"] = _random((width, width), 0.1)
        image_proj[f"{prefix}.1.0.weight"] = torch.ones(width)
        image_proj[f"{prefix}.1.0.bias"] = torch.zeros(width)
        image_proj[f"{prefix}.1.1.weight"] = _random((ff_mult * width, width), 0.1)
        image_proj[f"{prefix}.1.3.weight"] = _random((width, ff_mult * width), 0.1)
    modules = unet_attention_modules(tiny_sdxl_unet())
    ip_adapter: dict[str, torch.Tensor] = {}
    key_id = 1  # the released files number cross-attention processors 1, 3, 5, ...
    for info in modules.values():
        if info["cross_attention_dim"] is None:
            continue
        hidden = int(info["hidden_size"])  # type: ignore[arg-type]
        ip_adapter[f"{key_id}.to_k_ip.weight"] = _random((hidden, 2 * TEXT_DIM), 0.1)
        ip_adapter[f"{key_id}.to_v_ip.weight"] = _random((hidden, 2 * TEXT_DIM), 0.1)
        key_id += 2
    path.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"image_proj": image_proj, "ip_adapter": ip_adapter}, path / "ip-adapter-faceid-plusv2_sdxl.bin"
    )
    lora: dict[str, torch.Tensor] = {}
    rank = 4
    for name, info in modules.items():
        hidden = int(info["hidden_size"])  # type: ignore[arg-type]
        context = int(info["cross_attention_dim"] or hidden)
        for layer, in_features in (
            ("to_q", hidden),
            ("to_k", context),
            ("to_v", context),
            ("to_out_0", hidden),
        ):
            key = f"{kohya_module_prefix(name)}_{layer}"
            lora[f"{key}.lora_down.weight"] = _random((rank, in_features), 0.1)
            lora[f"{key}.lora_up.weight"] = _random((hidden, rank), 0.1)
            lora[f"{key}.alpha"] = torch.tensor(float(rank))
    save_file(lora, path / "ip-adapter-faceid-plusv2_sdxl_lora.safetensors")
