"""Tiny random-weight CogVideoX-5B-I2V in the real diffusers layout (the transformer ConsisID
builds on): same classes and config keys as the release, 2 layers, width 32."""

from __future__ import annotations

from pathlib import Path

import torch

TEXT_DIM = 32


def build_cogvideox_i2v(path: Path) -> None:
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    from ipvg.testing.tokenizers import build_t5_tokenizer

    torch.manual_seed(0)
    # Like the 5B I2V release: image latents concatenated on channels, learned positional
    # embeddings (which fix the sample size: 96x64 pixels, 9 frames here) plus 3D RoPE.
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=16,
        in_channels=8,
        out_channels=4,
        time_embed_dim=8,
        text_embed_dim=TEXT_DIM,
        num_layers=2,
        sample_width=12,
        sample_height=8,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
        use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True,
    )
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    text_encoder = T5EncoderModel(
        T5Config(
            vocab_size=300,
            d_model=TEXT_DIM,
            d_kv=8,
            d_ff=32,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            feed_forward_proj="gated-gelu",
        )
    ).eval()
    scheduler = CogVideoXDDIMScheduler(
        beta_schedule="scaled_linear",
        prediction_type="v_prediction",
        rescale_betas_zero_snr=True,
        timestep_spacing="trailing",
        snr_shift_scale=1.0,
        clip_sample=False,
        set_alpha_to_one=True,
    )
    pipe = CogVideoXImageToVideoPipeline(
        tokenizer=build_t5_tokenizer(model_max_length=226),
        text_encoder=text_encoder,
        vae=vae,
        transformer=transformer,
        scheduler=scheduler,
    )
    pipe.save_pretrained(path)
