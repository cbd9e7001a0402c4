"""hyperlora-sdxl on the tiny SDXL + tiny HyperLoRA + tiny CLIP ViT, through the real loading path
(`StableDiffusionXLPipeline.from_pretrained`, `load_lora_weights`, `StableDiffusionXLImg2ImgPipeline.from_pipe`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from ipvg.config import get_preset
from ipvg.errors import ConfigError, NoFaceDetectedError, PromptError, WeightsNotFoundError
from ipvg.faces import largest_face
from ipvg.identity import IdentityJudge
from ipvg.spatial import create_spatial_backend
from ipvg.spatial.hyperlora_sdxl import diffusers_clip_skip

PROMPT = "a woman with short hair in a park, soft light, close-up"


@pytest.fixture(scope="module")
def first(tiny_spatial, faces, generate):
    return generate(tiny_spatial, faces["id001"], PROMPT, seed=3)


def test_generates_candidates_through_the_real_pipeline(tiny_spatial, first) -> None:
    from diffusers import DPMSolverMultistepScheduler, StableDiffusionXLPipeline

    assert isinstance(tiny_spatial.pipe, StableDiffusionXLPipeline)
    assert isinstance(tiny_spatial.pipe.scheduler, DPMSolverMultistepScheduler)
    assert tiny_spatial.pipe.scheduler.config.use_karras_sigmas
    assert first.image.size == (96, 64)
    assert [c.seed for c in first.candidates] == [3, 4]  # tiny preset: 2 candidates
    assert first.prompt.startswith("fcsks fxhks fhyks, a woman")
    assert first.candidates[first.chosen_index].image is first.image
    assert {s.name for s in first.stages} >= {
        "spatial.load",
        "spatial.identity",
        "spatial.generate_refine_score",
    }
    # Random weights draw noise: the two seeds differ, and no face is found in them (warned).
    assert not np.array_equal(np.asarray(first.candidates[0].image), np.asarray(first.candidates[1].image))
    assert any("No face was found" in w for w in first.warnings)


def test_identity_lora_is_loaded_onto_the_unet(tiny_spatial, faces, first, face_backend) -> None:
    reference = largest_face(face_backend, faces["id001"])
    lora = tiny_spatial.identity_lora(faces["id001"], reference)
    assert len(lora) == 16 * 4 * 3  # 16 attention modules x q/k/v/out x (down, up, alpha)
    unet = tiny_spatial.pipe.unet
    adapter = tiny_spatial._adapter
    assert tiny_spatial.pipe.get_active_adapters() == [adapter]
    to_q = unet.down_blocks[1].attentions[0].transformer_blocks[0].attn2.to_q
    key = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_q"
    torch.testing.assert_close(to_q.lora_A[adapter].weight, lora[f"{key}.lora_down.weight"])
    torch.testing.assert_close(to_q.lora_B[adapter].weight, lora[f"{key}.lora_up.weight"])
    assert to_q.scaling[adapter] == pytest.approx(0.5 * 0.85)  # alpha / rank x LoRA weight
    lora_layers = [m for m in unet.modules() if hasattr(m, "lora_A") and adapter in m.lora_A]
    assert len(lora_layers) == 16 * 4


def test_new_identity_swaps_the_adapter_not_the_base(tiny_spatial, faces, first, generate) -> None:
    unet = tiny_spatial.pipe.unet
    to_k = unet.mid_block.attentions[0].transformer_blocks[0].attn1.to_k
    base_before = to_k.base_layer.weight.detach().clone()
    old_adapter = tiny_spatial._adapter
    old_down = to_k.lora_A[old_adapter].weight.detach().clone()
    second = generate(tiny_spatial, faces["id005"], PROMPT, seed=3, num_candidates=1)
    assert tiny_spatial.pipe.unet is unet  # not reloaded
    new_adapter = tiny_spatial._adapter
    assert new_adapter != old_adapter and tiny_spatial.pipe.get_list_adapters() == {"unet": [new_adapter]}
    torch.testing.assert_close(to_k.base_layer.weight, base_before)
    assert not torch.allclose(
        to_k.lora_A[new_adapter].weight, old_down
    )  # a different person, a different LoRA
    assert not np.array_equal(np.asarray(second.image), np.asarray(first.candidates[0].image))


def test_lora_changes_the_image(tiny_spatial, first) -> None:
    with_lora = tiny_spatial._generate_batch(f"fcsks fxhks fhyks, {PROMPT}", [3], lambda step: None)[0]
    tiny_spatial.pipe.set_adapters([tiny_spatial._adapter], adapter_weights=[0.0])
    try:
        without = tiny_spatial._generate_batch(f"fcsks fxhks fhyks, {PROMPT}", [3], lambda step: None)[0]
    finally:
        tiny_spatial.pipe.set_adapters([tiny_spatial._adapter], adapter_weights=[0.85])
    assert np.abs(np.asarray(with_lora, dtype=int) - np.asarray(without, dtype=int)).mean() > 1


def test_refinement_redraws_only_around_the_face(tiny_spatial, faces, face_backend) -> None:
    image = faces["id004"].resize((faces["id004"].width // 2, faces["id004"].height // 2))
    face = largest_face(face_backend, image)
    refined = tiny_spatial.refine(image, face, PROMPT, seed=0)
    assert refined.size == image.size
    before, after = np.asarray(image, dtype=int), np.asarray(refined, dtype=int)
    x0, y0, x1, y1 = (int(v) for v in face.box_xyxy)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    assert (
        np.abs(after[cy - 3 : cy + 3, cx - 3 : cx + 3] - before[cy - 3 : cy + 3, cx - 3 : cx + 3]).mean() > 5
    )
    region = tiny_spatial.settings.options["refine_crop_factor"] * max(x1 - x0, y1 - y0)
    far = np.ones(before.shape[:2], dtype=bool)
    far[max(0, int(cy - region)) : int(cy + region), max(0, int(cx - region)) : int(cx + region)] = False
    if far.any():
        assert np.array_equal(after[far], before[far])


def test_scoring_a_real_face_candidate(faces, face_backend) -> None:
    """Catches a similarity that does not rank the same person above another (e.g. a sign flip)."""
    judge = IdentityJudge(face_backend)
    reference = judge.reference_face(faces["id004"])
    _, same = judge.similarity(reference, faces["id004_mirrored"])
    _, other = judge.similarity(reference, faces["id001"])
    assert same is not None and other is not None and same > other


def test_no_face_or_no_prompt_stops_before_any_model_loads(faces, generate) -> None:
    config = get_preset("tiny")
    backend = create_spatial_backend(config.spatial, config.faces, config.runtime)
    with pytest.raises(NoFaceDetectedError):
        generate(backend, Image.new("RGB", (128, 128), (90, 120, 150)), PROMPT)
    assert backend.pipe is None
    with pytest.raises(PromptError):
        generate(backend, faces["id001"], "   ")
    assert backend.pipe is None


def test_long_prompt_warns_what_is_cut(tiny_spatial, faces, generate) -> None:
    long_prompt = PROMPT + ", " + ", ".join(["a red hat and a blue coat"] * 20) + ", final words here"
    # id005 is the identity loaded last (by the swap test), so no new LoRA is generated here.
    result = generate(tiny_spatial, faces["id005"], long_prompt, seed=0, num_candidates=1)
    warning = next(w for w in result.warnings if "CLIP tokens" in w)
    assert "final words here" in warning


def test_bad_options_and_missing_weights(face_backend, tmp_path) -> None:
    config = get_preset("tiny")
    with pytest.raises(ConfigError, match="Unknown option"):
        create_spatial_backend(
            dataclasses.replace(config.spatial, options=(("lora_weight", 1.0),)), config.faces, config.runtime
        )
    with pytest.raises(ConfigError, match="multiples of 8"):
        create_spatial_backend(dataclasses.replace(config.spatial, height=60), config.faces, config.runtime)
    empty = dataclasses.replace(config.spatial, options=(("hyperlora", str(tmp_path)),))
    backend = create_spatial_backend(empty, config.faces, config.runtime)
    with pytest.raises(WeightsNotFoundError, match="hyper_lora_modules"):
        backend.load()


def test_clip_skip_mapping() -> None:
    assert diffusers_clip_skip(2) is None  # penultimate: SDXL's default in diffusers
    assert diffusers_clip_skip(3) == 1


def test_mismatched_hyperlora_fails_before_the_base_model_loads(face_backend, faces, generate) -> None:
    from pathlib import Path

    config = get_preset("tiny")
    parity_weights = (
        Path(__file__).parent / "fixtures" / "hyperlora_parity" / "weights"
    )  # CLIP width 24, ID 16-d
    spatial = dataclasses.replace(config.spatial, options=(("hyperlora", str(parity_weights)),))
    backend = create_spatial_backend(spatial, config.faces, config.runtime)
    with pytest.raises(ConfigError, match="expects 24"):
        generate(backend, faces["id001"], PROMPT)
    assert backend.pipe is None


def test_generate_keeps_every_candidate_and_picks_the_reference_person(
    tiny_spatial, faces, monkeypatch, generate
) -> None:
    """The method's best-of-N (`ipvg.identity.draw_first_frame`) on this backend, with the denoiser's output replaced by real photos (a random-weight
    SDXL draws no faces): seeds 0..3 give id001, id005, id004 mirrored, id001."""
    pool = [faces["id001"], faces["id005"], faces["id004_mirrored"], faces["id001"]]
    batches: list[list[int]] = []

    def fake_batch(prompt: str, seeds: list[int], advance) -> list:
        batches.append(list(seeds))
        return [pool[seed] for seed in seeds]

    monkeypatch.setattr(tiny_spatial, "_generate_batch", fake_batch)
    monkeypatch.setattr(
        tiny_spatial,
        "config",
        dataclasses.replace(
            tiny_spatial.config,
            num_candidates=4,
            early_stop_similarity=0.9,  # dlib-scaled (different people sit near 0.7)
            refine_face=False,
            options=(("batch_size", 1),),
        ),
    )
    result = generate(tiny_spatial, faces["id004"], PROMPT, seed=0)
    assert batches == [[0], [1], [2]]  # stopped early after the match
    assert result.chosen_index == 2 and result.image is pool[2]
    similarities = [c.similarity for c in result.candidates]
    assert similarities[2] > 0.9 > max(similarities[:2])
    assert all(c.face_found for c in result.candidates)
