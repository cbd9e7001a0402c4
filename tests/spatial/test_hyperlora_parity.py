"""Our HyperLoRA port against the reference implementation (bytedance/ComfyUI-HyperLoRA).

The fixture was generated outside this repository by running the reference modules on shared random
weights at reduced sizes (width 32, 4 heads x 8, depth 2, 3 target modules, hyper_dim 8, rank 4) with
two reference photos; it holds those weights in the released file layout, the inputs, and the
reference's LoRA tensors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ipvg.spatial.hyperlora import kohya_module_prefix, load_hyperlora

FIXTURE = Path(__file__).parent / "fixtures" / "hyperlora_parity"


@pytest.fixture(scope="module")
def model():
    return load_hyperlora(FIXTURE / "weights")


def test_shape_is_inferred_from_the_weight_files(model) -> None:
    shape = model.shape
    assert (shape.dim, shape.heads, shape.dim_head, shape.depth, shape.ff_mult) == (32, 4, 8, 2, 4)
    assert (shape.hyper_dim, shape.lora_rank, shape.num_modules, shape.num_conds) == (8, 4, 3, 2)
    assert (shape.id_embed_dim, shape.num_id_tokens, shape.embedding_dim) == (16, 4, 24)


def test_generated_lora_matches_reference(model) -> None:
    inputs = load_file(FIXTURE / "inputs.safetensors")
    expected = load_file(FIXTURE / "expected_lora.safetensors")
    tokens = model.coefficient_tokens(inputs["id_embeds"], inputs["clip_hidden_states"])
    torch.testing.assert_close(tokens, inputs["tokens"], atol=1e-5, rtol=0)
    lora = model(inputs["id_embeds"], inputs["clip_hidden_states"])
    assert set(lora) == set(expected)
    for key, value in expected.items():
        torch.testing.assert_close(lora[key], value, atol=1e-5, rtol=0, msg=key)


def test_tokens_are_unit_length(model) -> None:
    inputs = load_file(FIXTURE / "inputs.safetensors")
    tokens = model.coefficient_tokens(inputs["id_embeds"][:1], inputs["clip_hidden_states"][:1])
    torch.testing.assert_close(tokens.norm(dim=-1), torch.ones(1, tokens.shape[1]), atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "name",
    [
        "down_blocks.1.attentions.0.transformer_blocks.0.attn1.processor",
        "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1",
        "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1",
        "input_blocks.4.1.transformer_blocks.0.attn1",
        "lora_unet_input_blocks_4_1_transformer_blocks_0_attn1",
    ],
)
def test_module_names_map_to_kohya_prefix(name: str) -> None:
    assert kohya_module_prefix(name) == "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1"


@pytest.mark.parametrize(
    ("ldm", "diffusers"),
    [
        (
            "input_blocks_8_1_transformer_blocks_9_attn2",
            "down_blocks_2_attentions_1_transformer_blocks_9_attn2",
        ),
        ("middle_block_1_transformer_blocks_3_attn1", "mid_block_attentions_0_transformer_blocks_3_attn1"),
        (
            "output_blocks_5_1_transformer_blocks_1_attn2",
            "up_blocks_1_attentions_2_transformer_blocks_1_attn2",
        ),
        (
            "output_blocks_0_1_transformer_blocks_0_attn1",
            "up_blocks_0_attentions_0_transformer_blocks_0_attn1",
        ),
    ],
)
def test_sdxl_ldm_block_names_map_to_diffusers(ldm: str, diffusers: str) -> None:
    assert kohya_module_prefix(ldm) == f"lora_unet_{diffusers}"
