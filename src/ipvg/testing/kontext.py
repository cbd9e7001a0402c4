"""A tiny random-weight FLUX.1 Kontext pipeline in the real diffusers layout (CLIP-L + T5 text
encoders, a Flux transformer with double and single-stream blocks, a 16-to-1-channel KL VAE shrunk to
one channel, flow-matching Euler), so `FluxKontextPipeline.from_pretrained` runs on a CPU. Noise out."""

from __future__ import annotations

from pathlib import Path

import torch

TEXT_DIM = 32


def build_flux_kontext(path: Path) -> None:
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        FluxKontextPipeline,
        FluxTransformer2DModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    from ipvg.testing.tokenizers import build_clip_tokenizer, build_t5_tokenizer

    torch.manual_seed(0)
    tokenizer, tokenizer_2 = build_clip_tokenizer(), build_t5_tokenizer()
    clip_config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=TEXT_DIM,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        projection_dim=TEXT_DIM,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        max_position_embeddings=77,
    )
    t5_config = T5Config(
        vocab_size=len(tokenizer_2),
        d_model=TEXT_DIM,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        relative_attention_max_distance=16,
    )
    pipe = FluxKontextPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=AutoencoderKL(
            sample_size=32,
            in_channels=3,
            out_channels=3,
            block_out_channels=(4,),
            layers_per_block=1,
            latent_channels=1,
            norm_num_groups=1,
            use_quant_conv=False,
            use_post_quant_conv=False,
            shift_factor=0.0609,
            scaling_factor=1.5035,
        ).eval(),
        text_encoder=CLIPTextModel(clip_config).eval(),
        tokenizer=tokenizer,
        text_encoder_2=T5EncoderModel(t5_config).eval(),
        tokenizer_2=tokenizer_2,
        transformer=FluxTransformer2DModel(
            patch_size=1,
            in_channels=4,
            num_layers=1,
            num_single_layers=1,
            attention_head_dim=16,
            num_attention_heads=2,
            joint_attention_dim=TEXT_DIM,
            pooled_projection_dim=TEXT_DIM,
            axes_dims_rope=[4, 4, 8],
        ).eval(),
    )
    pipe.save_pretrained(path)
