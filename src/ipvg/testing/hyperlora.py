"""Tiny random HyperLoRA weights in the released file layout, matched to the tiny SDXL UNet, and a
tiny CLIP ViT image encoder standing in for CLIP ViT-L/14.

Layout (as `bytedance-research/HyperLoRA` on the hub):
    <root>/sdxl_hyper_id_lora_v1_fidelity/{hyper_lora_modules.json, hyper_lora_modules.safetensors,
                                           id_projector.safetensors, resampler.safetensors,
                                           ipvg_hyperlora.json}
`ipvg_hyperlora.json` is ours: the released files do not record the head width, and the tiny model
uses 8-wide heads instead of 64. The ID projector takes 128-d embeddings, the width of dlib's
descriptor, so the tiny model runs with the offline face backend (the real one takes ArcFace's 512).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

VARIANT = "sdxl_hyper_id_lora_v1_fidelity"
CLIP_DIM = 32
ID_EMBED_DIM = 128
NUM_ID_TOKENS = 4
RESAMPLER = {"dim": 32, "dim_head": 8, "heads": 4, "depth": 2, "ff_mult": 2}
HYPER_DIM = 16
LORA_RANK = 8


def unet_attention_modules(unet: torch.nn.Module) -> dict[str, dict[str, int | None]]:
    """`hyper_lora_modules.json` for a UNet: every attention module, its width and context width."""
    info: dict[str, dict[str, int | None]] = {}
    for name in unet.attn_processors:
        attention = unet.get_submodule(name.removesuffix(".processor"))
        hidden_size = attention.to_q.in_features
        context = attention.to_k.in_features
        info[name] = {
            "hidden_size": hidden_size,
            "cross_attention_dim": None if name.endswith("attn1.processor") else context,
        }
    return info


def _random_state(module: torch.nn.Module, scale: float) -> dict[str, torch.Tensor]:
    return {key: (torch.randn_like(value) * scale).contiguous() for key, value in module.state_dict().items()}


def build_hyperlora_arcface(path: Path) -> None:
    """The same, taking 512-d ArcFace embeddings as the released model does (insightface face backend)."""
    build_hyperlora(path, id_embed_dim=512)


def build_hyperlora(path: Path, id_embed_dim: int = ID_EMBED_DIM) -> None:
    """HyperLoRA weight folder for the tiny SDXL UNet (`ipvg-tiny:sdxl`)."""
    from safetensors.torch import save_file

    from ipvg.spatial.hyperlora import TOKENS_PER_MODULE, HyperLoRA, HyperLoRAShape
    from ipvg.testing.sdxl import tiny_sdxl_unet

    torch.manual_seed(0)
    modules_info = unet_attention_modules(tiny_sdxl_unet())
    shape = HyperLoRAShape(
        **RESAMPLER,
        embedding_dim=CLIP_DIM,
        hyper_dim=HYPER_DIM,
        lora_rank=LORA_RANK,
        num_modules=len(modules_info),
        num_conds=2,
        id_embed_dim=id_embed_dim,
        num_id_tokens=NUM_ID_TOKENS,
    )
    model = HyperLoRA(shape, modules_info)
    assert model.resampler.latents.shape[1] == TOKENS_PER_MODULE * len(modules_info)
    folder = path / VARIANT
    folder.mkdir(parents=True)
    (folder / "hyper_lora_modules.json").write_text(json.dumps(modules_info, indent=1))
    (folder / "ipvg_hyperlora.json").write_text(json.dumps({"dim_head": RESAMPLER["dim_head"]}))
    save_file(_random_state(model.hyper_lora_modules, 0.5), folder / "hyper_lora_modules.safetensors")
    save_file(_random_state(model.resampler, 0.2), folder / "resampler.safetensors")
    assert model.id_projector is not None
    save_file(_random_state(model.id_projector.layers, 0.2), folder / "id_projector.safetensors")


def build_clip_vit(path: Path) -> None:
    """A CLIP ViT image encoder + processor in the transformers layout (as openai/clip-vit-large-patch14)."""
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    config = CLIPVisionConfig(
        hidden_size=CLIP_DIM,
        projection_dim=CLIP_DIM,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=37,
        image_size=32,
        patch_size=8,
    )
    CLIPVisionModelWithProjection(config).eval().save_pretrained(path)
    CLIPImageProcessor(crop_size=32, size={"shortest_edge": 32}).save_pretrained(path)
