"""A backend switched on the tiny preset gets its own tiny model, for every command (`build_config`)."""

from __future__ import annotations

import pytest

from ipvg.cli.common import build_config
from ipvg.config import get_preset

SWITCH_BY_SET = ["spatial.backend=kontext", "temporal.backend=wan22-i2v-a14b"]
SWITCH_BY_FLAG = {"spatial.backend": "kontext", "temporal.backend": "wan22-i2v-a14b"}


@pytest.mark.parametrize(("pairs", "flags"), [(SWITCH_BY_SET, {}), ([], SWITCH_BY_FLAG)], ids=["set", "flag"])
def test_switched_backends_get_their_own_tiny_models(pairs, flags):
    """Wrong code caught: only the dedicated --backend flag swapping the model (`ipvg animate --set
    temporal.backend=X` kept the TI2V-5B tiny model, which failed to load as a two-expert model)."""
    config = build_config("tiny", pairs, **flags)
    assert config.spatial.model == "ipvg-tiny:flux-kontext"
    assert config.temporal.model == "ipvg-tiny:wan22-i2v-a14b"


def test_a_chosen_model_and_the_preset_backend_are_kept():
    """Wrong code caught: overwriting a model the user passed, or swapping when nothing was switched."""
    chosen = build_config("tiny", ["temporal.backend=wan22-i2v-a14b", "temporal.model=/my/a14b"])
    assert chosen.temporal.model == "/my/a14b"
    same = build_config("tiny", [], **{"temporal.backend": "wan22-ti2v-5b", "spatial.backend": "none"})
    assert same.temporal.model == "ipvg-tiny:wan22-ti2v-5b" and same.spatial.model == "ipvg-tiny:sdxl"


def test_real_presets_are_left_alone():
    preset = get_preset("paper-5b")
    assert build_config("paper-5b", SWITCH_BY_SET).temporal.model == preset.temporal.model is None
