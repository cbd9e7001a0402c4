"""The Advanced panel's settings and the examples, without Gradio: parsing, preset defaults, the
pipeline call's arguments, finding examples with and without the sample set."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipvg.config import get_preset
from ipvg.errors import ConfigError
from ipvg.web.examples import REPO_EXAMPLE, find_examples
from ipvg.web.logic import PresetStatus
from ipvg.web.settings import (
    RunSettings,
    parse_resolution,
    parse_settings,
    preset_settings,
    resolution_choices,
)


def test_resolution_text_is_parsed_or_refused_with_the_form() -> None:
    assert parse_resolution(" 832 x 480 ") == (832, 480) and parse_resolution("") is None
    with pytest.raises(ConfigError, match="not WIDTHxHEIGHT"):
        parse_resolution("832 by 480")
    with pytest.raises(ConfigError, match="outside 16..2048"):
        parse_resolution("4096x4096")


def test_panel_values_become_the_pipeline_calls_arguments() -> None:
    """Catches a knob passed under the wrong argument (e.g. width and height swapped) or as a float."""
    settings = parse_settings(30.0, 49.0, "832x480", 4.5, 2.0, " blurry ")
    assert settings.call_kwargs() == {
        "num_inference_steps": 30,
        "num_frames": 49,
        "width": 832,
        "height": 480,
        "guidance_scale": 4.5,
        "num_candidates": 2,
        "negative_prompt": "blurry",
    }
    assert all(type(settings.call_kwargs()[k]) is int for k in ("num_inference_steps", "num_frames", "num_candidates"))
    import inspect

    from ipvg.pipeline import IdentityVideoPipeline

    accepted = inspect.signature(IdentityVideoPipeline.__call__).parameters
    assert set(settings.call_kwargs()) <= set(accepted)  # every knob is an argument of the real pipeline
    with pytest.raises(ConfigError, match="`candidates` must be a whole number from 1 to 8"):
        parse_settings(None, None, None, None, 9, None)
    with pytest.raises(ConfigError, match="`guidance` must be from 0 to 20"):
        parse_settings(None, None, None, -1, None, None)


def test_only_changed_values_are_kept() -> None:
    defaults = RunSettings(50, 121, 1280, 704, 5.0, 3, "ugly")
    changed = RunSettings(50, 81, 1280, 704, 5.0, 1, "ugly").changed_from(defaults)
    assert changed.call_kwargs() == {"num_frames": 81, "num_candidates": 1}


def test_preset_defaults_come_from_the_config_or_the_video_models_recipe() -> None:
    tiny = preset_settings(get_preset("tiny"))
    assert (tiny.num_inference_steps, tiny.num_frames, tiny.resolution, tiny.num_candidates) == (2, 9, "96x64", 2)
    paper = preset_settings(get_preset("paper-5b"))  # None in the config: Wan2.2 TI2V-5B's official recipe
    assert (paper.num_inference_steps, paper.num_frames, paper.resolution, paper.guidance_scale) == (
        50, 121, "1280x704", 5.0,
    )  # fmt: skip
    assert resolution_choices("96x64")[:2] == ["96x64", "64x96"]
    assert resolution_choices("1280x704")[0] == "1280x704" and "832x480" in resolution_choices("1280x704")


def test_examples_from_a_challenge_folder_then_the_repository_photo(tmp_path: Path) -> None:
    """Catches every example taking prompt1 (five near-identical prompts), and a missing sample folder
    leaving no examples at all."""
    for number in (1, 2):
        identity = tmp_path / f"id00{number}"
        identity.mkdir()
        (identity / "image.png").write_bytes(b"")
        for prompt in (1, 2):
            (identity / f"prompt{prompt}.txt").write_text(f"  person {number} prompt {prompt}\n")
    (tmp_path / "id003").mkdir()  # no image: skipped
    examples = find_examples(tmp_path)
    assert [(e.name, e.prompt) for e in examples[:2]] == [
        ("id001 · prompt1", "person 1 prompt 1"),
        ("id002 · prompt2", "person 2 prompt 2"),
    ]
    assert examples[-1].face == REPO_EXAMPLE and len(examples) == 3
    alone = find_examples(tmp_path / "absent")
    assert [e.face for e in alone] == [REPO_EXAMPLE] and "waves" in alone[0].prompt


def test_preset_status_says_what_is_missing_and_how_to_get_it() -> None:
    status = PresetStatus("paper-5b", False, ("Wan-AI/Wan2.2-TI2V-5B-Diffusers", "~/.insightface/models/buffalo_l"), "the paper's recipe")
    assert status.label == "paper-5b (weights missing)"
    note = status.note()
    assert "`ipvg models download paper-5b`" in note and "`~/.insightface/models/buffalo_l`" in note
    assert "restart `ipvg serve`" in note
    ready = PresetStatus("tiny", True, (), "tiny models")
    assert ready.label == "tiny" and ready.note() == "Preset `tiny`: tiny models."
