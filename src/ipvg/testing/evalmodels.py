"""Tiny random-weight versions of the evaluation's feature extractors, built offline.

- `inception-v3-fid`: our Inception v3 at 1/8 width, saved as pytorch-fid's weight file name
  (`pt_inception-2015-12-05-6726825d.pth`, a plain state dict loaded with `weights_only=True`).
- `clip-vit-b16`: a 2-layer CLIP with ViT-B/16's patch size, saved with `save_pretrained`, with a
  tiny CLIP tokenizer and the CLIP image processor (32 px), as `openai/clip-vit-base-patch16` is laid out.
"""

from __future__ import annotations

from pathlib import Path


def build_tiny_inception(path: Path) -> None:
    import torch

    from ipvg.eval.inception import FID_WEIGHTS_FILE, InceptionV3Features

    torch.manual_seed(0)
    model = InceptionV3Features("pytorch-fid", width=1 / 8)
    _calibrate_batchnorm(model, seed=0)
    path.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path / FID_WEIGHTS_FILE)


def _calibrate_batchnorm(model: object, seed: int) -> None:
    """Set BatchNorm statistics from random images, then randomise the affine parts a little.

    With torch's default init and untouched statistics, 90+ random layers shrink the signal until
    every image gets the same features (and every FID is ~0); calibrated statistics keep it alive.
    """
    import torch

    generator = torch.Generator().manual_seed(seed)
    batchnorms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]  # type: ignore[attr-defined]
    for module in batchnorms:
        module.reset_running_stats()
        module.momentum = None  # cumulative average over the calibration batch
    model.train()  # type: ignore[attr-defined]
    with torch.no_grad():
        model(torch.rand(8, 3, 128, 128, generator=generator))  # type: ignore[operator]
    model.eval()  # type: ignore[attr-defined]
    for module in batchnorms:
        module.momentum = 0.1
        module.weight.data.copy_(0.8 + 0.4 * torch.rand(module.num_features, generator=generator))
        module.bias.data.copy_(0.1 * torch.randn(module.num_features, generator=generator))


def build_tiny_clip(path: Path) -> None:
    import torch
    from transformers import CLIPConfig, CLIPModel
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    from ipvg.testing.tokenizers import build_clip_tokenizer

    tokenizer = build_clip_tokenizer()
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": 77,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 16,
        },
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(
        path
    )


GME_SPECIAL_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")


def build_tiny_gme(path: Path) -> None:
    """A 2-layer Qwen2-VL (`Qwen2VLForConditionalGeneration`, as gme-Qwen2-VL-2B-Instruct) with a
    byte-level Qwen tokenizer holding the vision special tokens, and the Qwen2-VL image processor."""
    import torch
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    from ipvg.testing.qwen import build_qwen_tokenizer

    tokenizer = build_qwen_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": list(GME_SPECIAL_TOKENS)})
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in GME_SPECIAL_TOKENS}
    torch.manual_seed(0)
    config = Qwen2VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "max_position_embeddings": 4096,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 1_000_000.0,
                "mrope_section": [4, 2, 2],
            },
            "bos_token_id": tokenizer.convert_tokens_to_ids("<|endoftext|>"),
            "eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"),
            "pad_token_id": tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        },
        vision_config={
            "depth": 2,
            "embed_dim": 32,
            "hidden_size": 32,
            "num_heads": 2,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    model = Qwen2VLForConditionalGeneration(config)
    model.load_state_dict(_seeded_like(model.state_dict(), seed=0))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=112 * 112).save_pretrained(path)


def _seeded_like(template: dict, seed: int) -> dict:
    """Random tensors shaped like `template`, the same on every machine and torch version (one
    generator per tensor, seeded from its name): weights N(0, 1/fan-in), norms 1 +- 0.1, biases small."""
    import zlib

    import torch

    state = {}
    for key, like in template.items():
        generator = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()))
        noise = torch.randn(like.shape, generator=generator)
        if like.ndim >= 2:
            state[key] = noise / like[0].numel() ** 0.5
        elif "norm" in key and key.endswith("weight"):
            state[key] = 1.0 + 0.1 * noise
        else:
            state[key] = 0.02 * noise
    return state


def random_amt_state_dict(seed: int = 0) -> dict:
    """Random AMT-S weights, the same on every machine and torch version (one generator per tensor,
    seeded from its name): LeCun-scaled convolutions times 0.3 (so flows stay moderate and outputs do not
    saturate), small biases, PReLU slopes 0.25."""
    import zlib

    import torch

    from ipvg.eval.amt import AmtS

    with torch.device("meta"):
        template = AmtS().state_dict()
    state = {}
    for key, like in template.items():
        generator = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()))
        if like.ndim >= 2:
            fan_in = like.shape[1] * like[0, 0].numel() if like.ndim == 4 else like.shape[1]
            if "ConvTranspose" in key or key.endswith("convblock.2.weight"):
                fan_in = (
                    like.shape[0] * like[0, 0].numel() / 4
                )  # stride-2 transposed: 1/4 of taps land per pixel
            state[key] = torch.randn(like.shape, generator=generator) * 0.3 / fan_in**0.5
        elif key.endswith(".bias"):
            state[key] = 0.01 * torch.randn(like.shape, generator=generator)
        else:  # PReLU slopes
            state[key] = torch.full(like.shape, 0.25)
    return state


def build_tiny_amt(path: Path) -> None:
    """AMT-S at its real size (3.0M parameters) with random weights, in the authors' checkpoint
    layout (`{"state_dict": ...}` in `amt-s.pth`)."""
    import torch

    from ipvg.eval.amt import AMT_S_WEIGHTS_FILE

    path.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": random_amt_state_dict(0)}, path / AMT_S_WEIGHTS_FILE)


def random_musiq_state_dict(
    seed: int = 0, hidden_size: int = 48, mlp_dim: int = 96, num_layers: int = 2
) -> dict:
    """Random MUSIQ weights (the real stem and 6 heads; a smaller transformer by default), the same on
    every machine: normal weights scaled by 1/sqrt(fan-in), small biases and embeddings, unit norms."""
    import zlib

    import torch

    from ipvg.eval.musiq import Musiq

    with torch.device("meta"):
        template = Musiq(hidden_size=hidden_size, mlp_dim=mlp_dim, num_layers=num_layers).state_dict()
    state = {}
    for key, like in template.items():
        generator = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()))
        noise = torch.randn(like.shape, generator=generator)
        if key.endswith("weight") and like.ndim >= 2:
            state[key] = noise / (like[0].numel() ** 0.5)
        elif ("gn" in key or "norm" in key) and key.endswith("weight"):
            state[key] = 1.0 + 0.1 * noise
        else:  # biases, class token, position and scale embeddings
            state[key] = 0.1 * noise
    return state


def build_tiny_musiq(path: Path) -> None:
    """A MUSIQ with the real stem and a 2-layer, 48-wide transformer, saved as pyiqa names its file."""
    import torch

    from ipvg.eval.musiq import MUSIQ_SPAQ_WEIGHTS_FILE

    path.mkdir(parents=True, exist_ok=True)
    torch.save(random_musiq_state_dict(0), path / MUSIQ_SPAQ_WEIGHTS_FILE)


def random_inception_state_dict(seed: int = 0, width: float = 1.0, num_classes: int = 1008) -> dict:
    """Random Inception v3 weights in pytorch-fid's layout (with its 1008-class `fc`), the same on every
    machine: He-scaled convolutions (so the signal survives ~95 ReLU layers), BatchNorm statistics
    near identity with a little noise."""
    import zlib

    import torch

    from ipvg.eval.inception import InceptionV3Features

    with torch.device("meta"):
        template = InceptionV3Features("pytorch-fid", width=width).state_dict()
    template["fc.weight"] = torch.empty(num_classes, 2048)
    template["fc.bias"] = torch.empty(num_classes)
    state = {}
    for key, like in template.items():
        generator = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(key.encode()))
        if like.dtype == torch.int64:
            state[key] = torch.zeros(like.shape, dtype=torch.int64)
        elif key.endswith("conv.weight"):
            state[key] = torch.randn(like.shape, generator=generator) * (2.0 / like[0].numel()) ** 0.5
        elif key.endswith("running_var") or key.endswith("bn.weight"):
            state[key] = 1.0 + 0.1 * torch.rand(like.shape, generator=generator)
        else:  # running means, BN biases, the classifier
            state[key] = 0.05 * torch.randn(like.shape, generator=generator)
    return state
