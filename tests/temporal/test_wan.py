"""Wan backends: tiny random-weight versions of the real architectures, loaded through the same
`from_pretrained` path as real weights, 2 denoising steps."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ipvg.config import RuntimeConfig, TemporalConfig
from ipvg.errors import ConfigError, IpvgError, WeightsNotFoundError
from ipvg.temporal import create_temporal_backend
from ipvg.temporal.wan import RECIPES, round_frames, round_to_multiple
from ipvg.testing import ensure_tiny_model

CPU = RuntimeConfig(device="cpu", dtype="float32")


def tiny_config(name: str, **overrides) -> TemporalConfig:
    values = {"height": 64, "width": 96, "num_frames": 9, "num_inference_steps": 2} | overrides
    return TemporalConfig(backend=name, model=f"ipvg-tiny:{name}", **values)


@pytest.fixture(scope="module")
def face_image(example_face) -> Image.Image:
    return Image.open(example_face).convert("RGB")


@pytest.mark.parametrize("name", ["wan22-ti2v-5b", "wan22-i2v-a14b", "wan21-i2v-14b"])
def test_tiny_backend_runs_through_real_loading_path(name, face_image):
    backend = create_temporal_backend(tiny_config(name), CPU)
    output = backend.animate(face_image, "A woman smiles and waves at the camera", seed=0)
    assert output.video.frames_FHWC.shape == (9, 64, 96, 3)
    assert output.video.fps == RECIPES[name].fps
    assert output.video.frames_FHWC.std() > 0  # decoded something, not a constant frame
    components = output.models["components"]
    assert components["transformer"] == "WanTransformer3DModel"
    if name == "wan22-i2v-a14b":
        assert components["transformer_2"] == "WanTransformer3DModel"
        assert backend.pipe.config.boundary_ratio == pytest.approx(0.9)
        assert "image_encoder" not in components
    if name == "wan21-i2v-14b":
        assert components["image_encoder"] == "CLIPVisionModel"
    if name == "wan22-ti2v-5b":
        assert backend.pipe.config.expand_timesteps is True
        assert backend.pipe.vae.config.z_dim == 48
    assert backend.pipe.scheduler.config.flow_shift == RECIPES[name].flow_shift


def test_same_seed_same_video_and_model_reused(face_image):
    backend = create_temporal_backend(tiny_config("wan22-ti2v-5b"), CPU)
    first = backend.animate(face_image, "A man nods", seed=7)
    pipe = backend.pipe
    second = backend.animate(face_image, "A man nods", seed=7)
    third = backend.animate(face_image, "A man nods", seed=8)
    assert backend.pipe is pipe  # loaded once
    np.testing.assert_array_equal(first.video.frames_FHWC, second.video.frames_FHWC)
    assert not np.array_equal(first.video.frames_FHWC, third.video.frames_FHWC)


def test_official_recipes():
    five_b = RECIPES["wan22-ti2v-5b"]
    assert (five_b.width, five_b.height, five_b.num_frames, five_b.fps, five_b.num_inference_steps) == (
        1280,
        704,
        121,
        24,
        50,
    )
    assert (five_b.guidance_scale, five_b.flow_shift, five_b.size_multiple) == (5.0, 5.0, 32)
    a14b = RECIPES["wan22-i2v-a14b"]
    assert (a14b.width, a14b.height, a14b.num_frames, a14b.fps, a14b.num_inference_steps) == (
        1280,
        720,
        81,
        16,
        40,
    )
    assert (a14b.guidance_scale, a14b.guidance_scale_2, a14b.flow_shift, a14b.boundary_ratio) == (
        3.5,
        3.5,
        5.0,
        0.9,
    )
    assert RECIPES["wan21-i2v-14b"].width == 832 and RECIPES["wan21-i2v-14b-720p"].height == 720


def test_rounding_warns():
    assert round_frames(10) == 9 and round_frames(121) == 121 and round_frames(12) == 13
    # A video, never the input image alone: 2-3 frames asked -> 5 (was 1); ties go up (3 -> 5, 11 -> 13:
    # Python's round-half-even gave 3 -> 1 but 7 -> 9). Exactly 1 stays 1.
    assert [round_frames(n) for n in (1, 2, 3, 4, 6, 7, 11)] == [1, 5, 5, 5, 5, 9, 13]
    assert round_to_multiple(700, 32) == 704 and round_to_multiple(5, 16) == 16
    backend = create_temporal_backend(tiny_config("wan22-ti2v-5b", height=70, width=100, num_frames=10), CPU)
    warnings: list[str] = []
    settings = backend.resolve_settings(warnings)
    assert (settings.height, settings.width, settings.num_frames) == (64, 96, 9)
    assert len(warnings) == 3 and any("4k+1" in w for w in warnings)


def test_overrides_take_precedence():
    backend = create_temporal_backend(
        tiny_config("wan22-i2v-a14b", guidance_scale=2.0, guidance_scale_2=1.5, boundary_ratio=0.5), CPU
    )
    settings = backend.resolve_settings()
    assert (settings.guidance_scale, settings.guidance_scale_2, settings.boundary_ratio) == (2.0, 1.5, 0.5)


@pytest.mark.parametrize("backend", ["wan22-ti2v-5b", "wan21-vace-14b", "cogvideox-5b-i2v"])
@pytest.mark.parametrize("name", ["boundary_ratio", "guidance_scale_2"])
def test_second_expert_settings_on_a_one_expert_model_are_refused(backend, name):
    """Wrong code caught: the value ignored with a warning (the run went on without what was asked), or a
    refusal that does not say what to do instead."""
    single = create_temporal_backend(tiny_config(backend, **{name: 0.5}), CPU)
    with pytest.raises(ConfigError, match=f"`temporal.{name}` is 0.5, but {backend} has a single expert") as caught:
        single.resolve_settings([])
    assert f"drop temporal.{name}" in caught.value.fix and "wan22-i2v-a14b" in caught.value.fix
    assert create_temporal_backend(tiny_config(backend), CPU).resolve_settings().boundary_ratio is None


def test_two_frames_make_a_five_frame_video_and_the_rounding_is_said_once(face_image, caplog):
    """`--set temporal.num_frames=2`. Wrong code caught: rounding down to a 1-frame "video" (the input image
    alone), and the warning logged again on every animate call of one run (identity guard, segments)."""
    backend = create_temporal_backend(tiny_config("wan22-ti2v-5b", num_frames=2, num_inference_steps=1), CPU)
    with caplog.at_level("WARNING", logger="ipvg.temporal.wan"):
        outputs = [backend.animate(face_image.resize((96, 64)), "A man nods", seed=seed) for seed in (0, 1)]
    assert [output.video.num_frames for output in outputs] == [5, 5]
    said = "`num_frames` 2 rounded to 5"
    assert all(any(said in warning for warning in output.warnings) for output in outputs)  # each record
    assert sum(said in record.getMessage() for record in caplog.records) == 1  # the log: once


def test_aspect_warning(face_image):
    backend = create_temporal_backend(tiny_config("wan22-ti2v-5b"), CPU)
    square = backend.animate(face_image, "A person blinks", seed=0)
    assert any("centre-cropped" in w for w in square.warnings)
    wide = backend.animate(face_image.resize((300, 200)), "A person blinks", seed=0)
    assert not any("centre-cropped" in w for w in wide.warnings)


def test_missing_weights_error_names_model_and_fix(tmp_path):
    backend = create_temporal_backend(
        TemporalConfig(backend="wan22-ti2v-5b", model="nobody/not-a-model"), CPU
    )
    with pytest.raises(WeightsNotFoundError) as caught:
        backend.load()
    message = caught.value.one_line()
    assert "nobody/not-a-model" in message and "cache" in message and "--model" in message
    incomplete = tmp_path / "incomplete"
    incomplete.mkdir()
    backend = create_temporal_backend(TemporalConfig(backend="wan22-ti2v-5b", model=str(incomplete)), CPU)
    with pytest.raises(WeightsNotFoundError, match="model_index.json"):
        backend.load()


def test_two_expert_backend_rejects_single_expert_folder():
    folder = ensure_tiny_model("wan22-ti2v-5b")
    backend = create_temporal_backend(TemporalConfig(backend="wan22-i2v-a14b", model=str(folder)), CPU)
    with pytest.raises(IpvgError, match="transformer_2"):
        backend.load()


def test_tiny_models_use_the_standard_layout():
    folder = ensure_tiny_model("wan22-i2v-a14b")
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == "WanImageToVideoPipeline" and index["boundary_ratio"] == 0.9
    for part in ("transformer", "transformer_2", "vae", "text_encoder", "tokenizer", "scheduler"):
        assert (folder / part).is_dir(), part
