from __future__ import annotations

from ipvg.cli.generate import use_tiny_models_for_switched_backends
from ipvg.config import get_preset


def test_switched_backends_get_their_own_tiny_models():
    config = use_tiny_models_for_switched_backends(get_preset("tiny"), "kontext", "wan22-i2v-a14b")
    assert config.spatial.model == "ipvg-tiny:flux-kontext"
    assert config.temporal.model == "ipvg-tiny:wan22-i2v-a14b"


def test_real_presets_are_left_alone():
    preset = get_preset("paper-5b")
    assert use_tiny_models_for_switched_backends(preset, "kontext", "wan22-i2v-a14b") == preset
