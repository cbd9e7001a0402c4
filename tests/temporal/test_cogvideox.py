"""CogVideoX-5B-I2V backend: the tiny random version through the real loading path."""

from __future__ import annotations

import pytest
from PIL import Image

from ipvg.config import RuntimeConfig, TemporalConfig
from ipvg.errors import ConfigError
from ipvg.temporal import create_temporal_backend
from ipvg.temporal.cogvideox import RECIPE

CPU = RuntimeConfig(device="cpu", dtype="float32")


def tiny(**overrides) -> TemporalConfig:
    values = {"height": 64, "width": 96, "num_frames": 9, "num_inference_steps": 2} | overrides
    return TemporalConfig(backend="cogvideox-5b-i2v", model="ipvg-tiny:cogvideox-5b-i2v", **values)


def test_official_recipe():
    assert (RECIPE.width, RECIPE.height, RECIPE.num_frames, RECIPE.fps) == (720, 480, 49, 8)
    assert (RECIPE.num_inference_steps, RECIPE.guidance_scale, RECIPE.flow_shift) == (50, 6.0, None)


def test_tiny_cogvideox_runs_and_records():
    backend = create_temporal_backend(tiny(), CPU)
    output = backend.animate(Image.new("RGB", (96, 64), (90, 120, 150)), "A man waves at the camera", seed=0)
    assert output.video.frames_FHWC.shape == (9, 64, 96, 3) and output.video.fps == 8
    assert output.models["pipeline"] == "CogVideoXImageToVideoPipeline"
    assert output.models["components"]["transformer"] == "CogVideoXTransformer3DModel"
    assert output.settings.flow_shift is None


def test_sizes_other_than_the_trained_one_are_refused():
    backend = create_temporal_backend(tiny(width=128), CPU)
    with pytest.raises(ConfigError, match="learned positional embeddings"):
        backend.animate(Image.new("RGB", (128, 64)), "A man waves", seed=0)
