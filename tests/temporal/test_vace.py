"""Wan VACE backends: tiny random-weight `WanVACETransformer3DModel` pipelines loaded through the real
`from_pretrained` path; a spy on `WanVACEPipeline.__call__` shows what the model is given."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ipvg.config import RuntimeConfig, TemporalConfig
from ipvg.errors import IpvgError
from ipvg.io.images import resize_center_crop
from ipvg.temporal import create_temporal_backend
from ipvg.temporal.vace import RECIPES, first_frame_conditioning

CPU = RuntimeConfig(device="cpu", dtype="float32")
HEIGHT, WIDTH, FRAMES = 32, 48, 5  # 5 = 4k+1: two latent frames, the fewest that show the mask layout


def tiny_config(name: str, **overrides: Any) -> TemporalConfig:
    values = {"height": HEIGHT, "width": WIDTH, "num_frames": FRAMES, "num_inference_steps": 2} | overrides
    return TemporalConfig(backend=name, model=f"ipvg-tiny:{name}", **values)


@pytest.fixture(scope="module")
def face_image(example_face) -> Image.Image:
    return Image.open(example_face).convert("RGB")


@pytest.fixture(scope="module")
def reference_face(face_image) -> Image.Image:
    # Stands in for the face crop the pipeline passes (identity.reference_crop); any distinct picture
    # shows the routing.
    return face_image.crop((150, 40, 350, 240)).resize((112, 112))


@pytest.fixture(scope="module")
def vace_14b() -> Any:
    """One loaded tiny VACE-14B-layout backend shared by the tests that only call it."""
    return create_temporal_backend(tiny_config("wan21-vace-14b"), CPU)


@pytest.fixture
def pipeline_calls(monkeypatch) -> list[dict[str, Any]]:
    """Every `WanVACEPipeline.__call__`'s keyword arguments; the real call still runs."""
    from diffusers import WanVACEPipeline

    calls: list[dict[str, Any]] = []
    original = WanVACEPipeline.__call__

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(WanVACEPipeline, "__call__", spy)
    return calls


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def test_first_frame_and_reference_reach_the_pipeline_call(
    vace_14b, face_image, reference_face, pipeline_calls
):
    """Fails if the first frame is not frame 0 of `video` (or is passed as I2V's `image`), if the mask
    uses Wan I2V's convention (white = keep) or keeps more than frame 0, if the conditioning video is
    not `num_frames` long, or if the reference is dropped or replaced by the first frame."""
    output = vace_14b.animate(face_image, "A woman turns her head", seed=0, reference=reference_face)

    (kwargs,) = pipeline_calls
    assert "image" not in kwargs
    video, mask = kwargs["video"], kwargs["mask"]
    assert len(video) == len(mask) == FRAMES == kwargs["num_frames"]
    expected_first, _ = resize_center_crop(face_image, WIDTH, HEIGHT)
    np.testing.assert_array_equal(_pixels(video[0]), _pixels(expected_first))
    assert (_pixels(mask[0]) == 0).all()  # black: keep the first frame
    for later_frame, later_mask in zip(video[1:], mask[1:], strict=True):
        assert (_pixels(later_mask) == 255).all()  # white: generate
        assert np.abs(_pixels(later_frame).astype(int) - 127).max() <= 1  # VACE's empty (grey) frame
    (reference,) = kwargs["reference_images"]
    np.testing.assert_array_equal(_pixels(reference), _pixels(reference_face))

    assert output.video.frames_FHWC.shape == (FRAMES, HEIGHT, WIDTH, 3)
    assert output.models["inputs"] == {
        "first_frame": True,
        "first_frame_size": f"{WIDTH}x{HEIGHT}",
        "reference": True,
        "reference_size": "112x112",
    }
    assert output.models["components"]["transformer"] == "WanVACETransformer3DModel"


def test_reference_only_mode_generates_every_frame(reference_face, pipeline_calls):
    """The first-place-like mode: no conditioning video or mask (diffusers then generates every frame);
    fails if a missing first frame is replaced by a blank one that the mask keeps."""
    backend = create_temporal_backend(tiny_config("wan21-vace-1.3b"), CPU)
    output = backend.animate(None, "A man walks along a beach", seed=0, reference=reference_face)
    (kwargs,) = pipeline_calls
    assert "video" not in kwargs and "mask" not in kwargs
    assert len(kwargs["reference_images"]) == 1
    assert output.models["inputs"]["first_frame"] is False
    assert output.models["inputs"]["reference"] is True
    assert output.video.frames_FHWC.shape == (FRAMES, HEIGHT, WIDTH, 3)


def test_reference_changes_the_video(vace_14b, face_image, reference_face):
    """The reference reaches the transformer, not only the call: another reference, another video
    (fails if the backend passes the reference but diffusers' preprocessing drops it; same-seed
    determinism is checked in test_wan.py, so a difference is the reference's)."""
    with_face = vace_14b.animate(face_image, "A woman smiles", seed=3, reference=reference_face)
    grey = Image.new("RGB", (112, 112), (90, 90, 90))
    with_grey = vace_14b.animate(face_image, "A woman smiles", seed=3, reference=grey)
    assert not np.array_equal(with_face.video.frames_FHWC, with_grey.video.frames_FHWC)


def test_small_references_are_flagged_and_tiny_ones_refused(reference_face):
    """diffusers upscales the reference to the video's size: under a quarter of the shorter side the user
    is told; under the VAE's 8 px diffusers would fail deep inside PIL, so ipvg refuses it with a fix.
    (Only the input preparation runs: nothing loads.)"""
    backend = create_temporal_backend(tiny_config("wan21-vace-14b", height=480, width=832), CPU)
    settings = backend.resolve_settings()
    flagged: list[str] = []
    backend._conditioning_inputs(None, reference_face.resize((100, 100)), settings, flagged)
    assert any("larger reference" in warning for warning in flagged)
    fine: list[str] = []
    backend._conditioning_inputs(None, reference_face.resize((360, 360)), settings, fine)
    assert fine == []
    with pytest.raises(IpvgError, match="7x7"):
        backend._conditioning_inputs(None, reference_face.resize((7, 7)), settings, [])


def test_neither_first_frame_nor_reference_is_a_clear_error(vace_14b):
    with pytest.raises(IpvgError, match="neither"):
        vace_14b.animate(None, "A man waves", seed=0)


def test_image_to_video_backend_refuses_a_run_without_first_frame(reference_face):
    """An I2V backend must not silently animate nothing when the first-frame stage is off."""
    backend = create_temporal_backend(
        TemporalConfig(backend="wan22-ti2v-5b", model="ipvg-tiny:wan22-ti2v-5b", height=64, width=96), CPU
    )
    with pytest.raises(IpvgError, match="first frame") as raised:
        backend.animate(None, "A man waves", seed=0, reference=reference_face)
    assert "vace" in raised.value.fix


def test_two_expert_vace_fun_loads_and_switches_experts(face_image, reference_face):
    """Wan2.2 VACE-Fun A14B: both experts loaded and the recipe's boundary set; fails if the boundary
    or the second expert is lost on loading (the pinned WanVACEPipeline has `transformer_2`)."""
    backend = create_temporal_backend(tiny_config("wan22-vace-fun-a14b"), CPU)
    output = backend.animate(face_image, "A woman waves", seed=0, reference=reference_face)
    assert output.models["components"]["transformer_2"] == "WanVACETransformer3DModel"
    assert backend.pipe.config.boundary_ratio == pytest.approx(0.875)
    assert output.settings.guidance_scale_2 == 5.0
    assert backend.pipe.scheduler.config.flow_shift == 12.0


def test_mask_padding_for_the_reference_comes_first(vace_14b, face_image, reference_face):
    """diffusers issue #11779: the reference latent is prepended to the video latents, so its (zero)
    mask padding must be prepended too. With the bug (padding appended) the reference slot would get
    the video's first latent mask (generate = 1) and the video's masks would shift by one."""
    vace_14b.load()
    pipe = vace_14b.pipe
    frame, _ = resize_center_crop(face_image, WIDTH, HEIGHT)
    video, mask = first_frame_conditioning(frame, FRAMES)
    _, mask_BCFHW, references = pipe.preprocess_conditions(
        video, mask, [reference_face], height=HEIGHT, width=WIDTH, num_frames=FRAMES
    )
    without_reference = pipe.prepare_masks(mask_BCFHW, [[]])[0]  # [64, latent frames, h, w]
    with_reference = pipe.prepare_masks(mask_BCFHW, references)[0]
    assert with_reference.shape[1] == without_reference.shape[1] + 1
    assert (with_reference[:, 0] == 0).all()  # the reference slot
    assert (without_reference[:, -1] == 1).all()  # so a shifted (buggy) layout cannot pass below
    assert bool((with_reference[:, 1:] == without_reference).all())


def test_official_recipes():
    """The Wan2.1 generate.py defaults for VACE (not the I2V ones: 40 steps, shift 3/5)."""
    big, small, fun = RECIPES["wan21-vace-14b"], RECIPES["wan21-vace-1.3b"], RECIPES["wan22-vace-fun-a14b"]
    assert big.model == "Wan-AI/Wan2.1-VACE-14B-diffusers"
    assert small.model == "Wan-AI/Wan2.1-VACE-1.3B-diffusers"
    assert (big.width, big.height, small.width, small.height) == (1280, 720, 832, 480)
    for recipe in (big, small):
        assert (recipe.num_frames, recipe.fps, recipe.num_inference_steps) == (81, 16, 50)
        assert (recipe.guidance_scale, recipe.flow_shift, recipe.boundary_ratio) == (5.0, 16.0, None)
        assert recipe.negative_prompt  # Wan's official negative prompt
    assert (fun.boundary_ratio, fun.guidance_scale_2, fun.flow_shift) == (0.875, 5.0, 12.0)


@pytest.mark.parametrize("first_frame_stage", [True, False], ids=["hybrid", "first-place-like"])
def test_generate_cli_switches_the_tiny_preset_to_vace_by_set(tmp_path, example_face, first_frame_stage):
    """`--set temporal.backend=wan21-vace-14b` on the tiny preset loads the tiny VACE model (fails if the
    tiny Wan TI2V folder is kept, which WanVACEPipeline cannot load), and the record shows that the video
    stage got the reference and, unless the first-frame stage is off, the first frame."""
    from typer.testing import CliRunner

    from ipvg.cli.main import app

    out = tmp_path / "run"
    spatial_off = [] if first_frame_stage else ["--set", "spatial.backend=none"]
    arguments = ["generate", "--preset", "tiny", "--face", str(example_face), "--out", str(out)]
    arguments += ["--prompt", "A woman waves at the camera", "--set", "temporal.backend=wan21-vace-14b"]
    result = CliRunner().invoke(app, arguments + spatial_off)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "record.json").read_text())
    temporal = record["models"]["temporal"]
    assert temporal["model"] == "ipvg-tiny:wan21-vace-14b"
    assert temporal["pipeline"] == "WanVACEPipeline"
    assert temporal["inputs"]["first_frame"] is first_frame_stage
    assert temporal["inputs"]["reference"] is True
    assert (out / "video.mp4").stat().st_size > 0


def test_vace_presets_and_their_preflight():
    """hybrid-14b keeps the HyperLoRA first frame and swaps the video stage for VACE; first-place-like
    has no first-frame stage, and the weights preflight must not ask for a `none` spatial backend
    (it did: "backend not installed"), or the preset could never run."""
    from ipvg.config import get_preset
    from ipvg.models import preset_models

    paper, hybrid, first_place = get_preset("paper-14b"), get_preset("hybrid-14b"), get_preset("first-place-like")
    assert hybrid.temporal.backend == first_place.temporal.backend == "wan21-vace-14b"
    assert hybrid.spatial == paper.spatial and hybrid.prompts == paper.prompts and hybrid.faces == paper.faces
    assert first_place.spatial.backend == "none"
    assert first_place.prompts == paper.prompts  # same decoupled prompts: the comparison isolates the stages
    stages = {row.stage: row.backend for row in preset_models(first_place)}
    assert "spatial" not in stages and stages["temporal"] == "wan21-vace-14b"
    models = {row.model for row in preset_models(hybrid)}
    assert "Wan-AI/Wan2.1-VACE-14B-diffusers" in models


def test_batched_cfg_gives_the_same_vace_video(vace_14b, face_image, reference_face):
    """runtime.batched_cfg runs cond + uncond in one transformer call; VACE's transformer also takes
    `control_hidden_states` (batch 1), which the batching must repeat too, or the call fails or mixes
    the two halves."""
    batched = create_temporal_backend(
        tiny_config("wan21-vace-14b"), RuntimeConfig(device="cpu", dtype="float32", batched_cfg=True)
    )
    plain = vace_14b.animate(face_image, "A woman waves", seed=5, reference=reference_face)
    joined = batched.animate(face_image, "A woman waves", seed=5, reference=reference_face)
    assert joined.models["runtime"]["applied"] == ["batched-cfg"]
    difference = joined.video.frames_FHWC.astype(int) - plain.video.frames_FHWC.astype(int)
    assert np.abs(difference).max() <= 1  # float reordering may move a pixel by one level


def test_one_expert_folder_for_the_two_expert_vace_is_refused():
    """The Wan2.1 VACE layout (one transformer) passed as Wan2.2 VACE-Fun must not run with one expert
    silently; the fix names the expected model, not the I2V one."""
    config = dataclasses.replace(tiny_config("wan22-vace-fun-a14b"), model="ipvg-tiny:wan21-vace-14b")
    backend = create_temporal_backend(config, CPU)
    with pytest.raises(IpvgError, match="transformer_2") as raised:
        backend.load()
    assert "Wan2.2-VACE-Fun" in raised.value.fix


def test_animate_cli_passes_the_reference(tmp_path, example_face):
    """`ipvg animate --reference FACE` reaches a VACE backend (fails if the option is read but never
    passed on: the record would show `reference: false`) and the run record fingerprints it."""
    from typer.testing import CliRunner

    from ipvg.cli.main import app

    out = tmp_path / "run"
    arguments = ["animate", "--preset", "tiny", "--image", str(example_face), "--reference", str(example_face)]
    arguments += ["--prompt", "A woman nods", "--backend", "wan21-vace-1.3b", "--out", str(out)]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "record.json").read_text())
    assert record["models"]["temporal"]["inputs"]["reference"] is True
    assert record["inputs"]["reference"] == record["inputs"]["image"]  # the same file was given for both
