"""HyperLoRA module names in SDXL's original (ldm) naming land on the right diffusers modules of a UNet
with SDXL's real block layout (3 levels, 2 layers each, 1/2/10 transformer blocks; widths shrunk)."""

from __future__ import annotations

import pytest
import torch

from ipvg.spatial.hyperlora import kohya_module_prefix


def _ldm_name(diffusers_name: str) -> str:
    """The inverse mapping, written independently: diffusers block -> ldm block for SDXL's layout."""
    parts = diffusers_name.split(".")
    if parts[0] == "down_blocks":
        block = f"input_blocks.{3 * int(parts[1]) + int(parts[3]) + 1}.1"
        rest = parts[4:]
    elif parts[0] == "up_blocks":
        block = f"output_blocks.{3 * int(parts[1]) + int(parts[3])}.1"
        rest = parts[4:]
    else:
        block = "middle_block.1"
        rest = parts[3:]
    return ".".join([block, *rest])


@pytest.fixture(scope="module")
def sdxl_layout_unet():
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    return UNet2DConditionModel(
        block_out_channels=(16, 32, 64),
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2, 10),
        attention_head_dim=(2, 4, 8),
        cross_attention_dim=32,
        norm_num_groups=8,
        use_linear_projection=True,
        sample_size=16,
    ).eval()


def test_ldm_names_cover_every_sdxl_attention_module(sdxl_layout_unet) -> None:
    from diffusers import StableDiffusionXLPipeline

    names = [name.removesuffix(".processor") for name in sdxl_layout_unet.attn_processors]
    assert len(names) == 140  # SDXL's 70 transformer blocks x (attn1, attn2)
    lora: dict[str, torch.Tensor] = {}
    for name in names:
        attention = sdxl_layout_unet.get_submodule(name)
        prefix = kohya_module_prefix(_ldm_name(name).replace(".", "_"))
        for layer, linear in (
            ("to_q", attention.to_q),
            ("to_k", attention.to_k),
            ("to_v", attention.to_v),
            ("to_out_0", attention.to_out[0]),
        ):
            lora[f"{prefix}_{layer}.lora_down.weight"] = torch.randn(8, linear.in_features)
            lora[f"{prefix}_{layer}.lora_up.weight"] = torch.randn(linear.out_features, 8)
            lora[f"{prefix}_{layer}.alpha"] = torch.tensor(4.0)
    state_dict, alphas = StableDiffusionXLPipeline.lora_state_dict(dict(lora))  # it consumes its input
    StableDiffusionXLPipeline.load_lora_into_unet(
        state_dict, alphas, unet=sdxl_layout_unet, adapter_name="id"
    )
    wrapped = {n for n, m in sdxl_layout_unet.named_modules() if hasattr(m, "lora_A") and "id" in m.lora_A}
    assert len(wrapped) == 140 * 4
    attention = sdxl_layout_unet.get_submodule("up_blocks.0.attentions.2.transformer_blocks.9.attn2")
    key = "lora_unet_up_blocks_0_attentions_2_transformer_blocks_9_attn2_to_v"
    torch.testing.assert_close(attention.to_v.lora_A["id"].weight, lora[f"{key}.lora_down.weight"])
