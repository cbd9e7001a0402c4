from __future__ import annotations

import pytest

from ipvg.config import PRESETS, PipelineConfig, RuntimeConfig, TemporalConfig, get_preset
from ipvg.errors import ConfigError


def test_presets_exist_and_roundtrip_through_dict():
    assert {"tiny", "paper-5b", "paper-14b", "low-vram", "fast"} <= set(PRESETS)
    for preset in PRESETS.values():
        assert PipelineConfig.from_dict(preset.to_dict()) == preset


def test_paper_presets_use_the_official_backends():
    assert get_preset("paper-5b").temporal.backend == "wan22-ti2v-5b"
    assert get_preset("paper-14b").temporal.backend == "wan22-i2v-a14b"
    assert get_preset("low-vram").runtime.offload == "model"
    assert get_preset("tiny").temporal.model.startswith("ipvg-tiny:")


def test_dotted_overrides_coerce_strings():
    config = get_preset("tiny").with_overrides(
        {
            "temporal.num_frames": "17",
            "runtime.vae_tiling": "true",
            "temporal.guidance_scale": "4.5",
            "seed": "3",
        }
    )
    assert config.temporal.num_frames == 17 and config.runtime.vae_tiling is True
    assert config.temporal.guidance_scale == 4.5 and config.seed == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"temporal.num_frames": "-3"}, "num_frames"),
        ({"temporal.nope": "1"}, "Unknown config key `nope`"),
        ({"runtime.offload": "disk"}, "runtime.offload"),
        ({"runtime.vae_tiling": "maybe"}, "true or false"),
        ({"temporal.boundary_ratio": "1.5"}, "boundary_ratio"),
        ({"temporal.height": "tall"}, "number"),
    ],
)
def test_bad_values_name_the_field(overrides, message):
    with pytest.raises(ConfigError, match=message):
        get_preset("tiny").with_overrides(overrides)


def test_unknown_preset():
    with pytest.raises(ConfigError, match="paper-5b"):
        get_preset("paper")


def test_direct_construction_validates():
    with pytest.raises(ConfigError):
        TemporalConfig(fps=0)
    with pytest.raises(ConfigError):
        RuntimeConfig(device="tpu")
