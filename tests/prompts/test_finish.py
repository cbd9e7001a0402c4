"""The final check every backend's answer goes through (`ipvg.prompts.finish`)."""

from __future__ import annotations

from ipvg.prompts import clip_token_count
from ipvg.prompts.base import Windows
from ipvg.prompts.check import framing_classes
from ipvg.prompts.finish import finish_spatial, finish_temporal, motion_words


def test_motion_words_are_verbs_not_participle_adjectives() -> None:
    """Catches a detector that flags "a steaming cup" (an adjective) or misses "riding a bike"."""
    assert motion_words("A woman, riding a bike along the beach, close-up") == ["riding"]
    assert motion_words("A woman, a steaming cup of tea, sitting at a table, close-up") == []


def test_finish_rewrites_motion_and_sets_the_prompts_framing() -> None:
    """Catches an answer passed on as written: the subject missing in front, a motion phrase kept,
    two framing terms, none of them the one the prompt asks for."""
    spatial, warnings = finish_spatial(
        "green coat, slicing a loaf of bread in a kitchen, close-up, wide shot",
        subject="A woman",
        source="From the waist up, a woman in a green coat slices bread in a kitchen.",
        default_framing="close-up",
        windows=Windows(),
    )
    assert spatial.startswith("A woman, green coat")
    assert "slicing" not in spatial and "loaf of bread" in spatial
    assert framing_classes(spatial) == ["medium"] and spatial.endswith("medium shot")
    assert any("rewritten" in w for w in warnings)


def test_finish_fits_77_tokens_keeping_subject_and_framing() -> None:
    """Catches a fit that cuts the framing term (SDXL reads the first 77 tokens only)."""
    long = ", ".join(f"a wooden shelf with {n} old books" for n in range(30))
    spatial, _ = finish_spatial(
        f"A man, wearing a red scarf, {long}", subject="A man", source="A man reads.", default_framing="close-up",
        windows=Windows(),
    )
    assert clip_token_count(spatial) <= 77
    assert spatial.startswith("A man, wearing a red scarf") and spatial.endswith("close-up")


def test_finish_temporal_puts_the_subject_first() -> None:
    text, _ = finish_temporal("Tears run down her face.", subject="A woman", windows=Windows())
    assert text == "A woman: tears run down her face."
