"""Rules that the added `dev2` prompts showed were missing, tested on prompts written for these tests
(not the annotated ones): each test names the wrong decoupler behaviour it catches."""

from __future__ import annotations

import pytest

from ipvg.prompts.check import fragments, words_of
from ipvg.prompts.clauses import split_pieces, split_sentences
from ipvg.prompts.rules import RulesBackend


@pytest.fixture(scope="module")
def rules() -> RulesBackend:
    return RulesBackend()


def test_worn_things_after_and_stay_nouns(rules: RulesBackend) -> None:
    """Catches "and gloves" read as the verb "glove" (the piece splits there and the gloves are lost),
    and the opposite mistake: "and smiles" read as a noun (a smile would leak into the first frame)."""
    record = rules.decouple("A tall man in a cabin, he wears a wool scarf and gloves and has a gentle face.")
    assert "gloves" in words_of(record.spatial), record.spatial
    record = rules.decouple("A young woman wears a yellow raincoat and smiles at the camera.")
    assert "raincoat" in record.spatial and "smil" not in record.spatial, record.spatial
    pieces = [p for s in split_sentences("He holds a cup and saucer.") for p in split_pieces(s, 0)]
    assert len(pieces) == 1 and pieces[0].tags[pieces[0].lower.index("saucer")] == "NOUN"


@pytest.mark.parametrize(
    ("prompt", "prop", "motion"),
    [
        ("An old man takes a long sip of hot coffee on a porch.", "hot coffee", "sip"),
        ("A skater executes a perfect backflip over a wooden ramp at a skate park.", "ramp", "backflip"),
    ],
)
def test_a_movement_noun_is_not_a_prop(rules: RulesBackend, prompt: str, prop: str, motion: str) -> None:
    """Catches "with a long sip of hot coffee" / "with a perfect backflip": the movement named by a noun
    (or a compound of one) kept in the frame as if it were a thing held."""
    record = rules.decouple(prompt)
    assert prop in record.spatial and motion not in record.spatial.lower(), record.spatial
    assert fragments(record.spatial, record.temporal) == []


def test_compounds_are_not_read_into_movements(rules: RulesBackend) -> None:
    """Catches a suffix match without a word in front ("space" as s + "pace", "bride" as b + "ride")."""
    from ipvg.prompts.rules_spatial import _motion_noun

    assert _motion_noun("backflip") and _motion_noun("backflips")
    assert not _motion_noun("space") and not _motion_noun("bride") and not _motion_noun("terrace")


def test_what_is_thought_about_is_not_a_prop(rules: RulesBackend) -> None:
    """Catches "with the meaning of the poem" from "pondering the meaning of the poem"."""
    record = rules.decouple("A woman sits by a window, pondering the meaning of an old poem.")
    assert "poem" not in record.spatial and "window" in record.spatial, record.spatial
    assert "ponder" in record.temporal


def test_the_style_of_a_film_lead_is_kept(rules: RulesBackend) -> None:
    """Catches the whole "A <style> film of" lead dropped as a camera phrase (the style is lost), and a
    bare "A video of" turned into a style phrase."""
    record = rules.decouple("A black-and-white silent film of a man walking along a pier.")
    assert "black-and-white silent film" in record.spatial, record.spatial
    assert "video" not in rules.decouple("A video of a man walking along a pier.").spatial


def test_food_after_on_is_a_prop(rules: RulesBackend) -> None:
    """Catches "on a cup of cocoa" (read as a surface) from "nibbling on" / "sips on"."""
    record = rules.decouple("A girl nibbles on a cookie at a kitchen table.")
    assert "with a cookie" in record.spatial and "on a cookie" not in record.spatial, record.spatial


def test_passive_being_and_pronoun_targets_leave_no_debris(rules: RulesBackend) -> None:
    """Catches "being by a pack of dogs" (the passive "being" left alone) and "the dogs her" (the
    pronoun target of "running after her" left behind)."""
    record = rules.decouple("A boy walking through a meadow while being chased by a goose.")
    assert "being" not in words_of(record.spatial), record.spatial
    record = rules.decouple("A woman in a red coat, the dogs are running after her.")
    assert not record.spatial.rstrip(", close-up").endswith("her") and " her," not in record.spatial, record.spatial
    assert fragments(record.spatial, record.temporal) == []


def test_a_body_part_after_with_is_not_a_second_prop(rules: RulesBackend) -> None:
    """Catches "with a sandwich and his eyes" from "eats a sandwich with his eyes closed"."""
    record = rules.decouple("A boy eats a sandwich with his eyes closed in a school cafeteria.")
    assert "and his eyes" not in record.spatial and "sandwich" in record.spatial, record.spatial


def test_with_a_body_part_and_participle_is_a_state(rules: RulesBackend) -> None:
    """Catches "with his eyes" (the participle "closed" dropped as a movement) and the opposite: a
    finite "her eyes widened" kept in the frame as if it were a state."""
    assert "eyes closed" in rules.decouple("A boy eats a sandwich with his eyes closed in a cafeteria.").spatial
    record = rules.decouple("A woman's eyes widened in surprise as she opened a letter.")
    assert "widen" not in record.spatial, record.spatial


def test_a_camera_phrase_that_shows_something_goes(rules: RulesBackend) -> None:
    """Catches "the low angle of the valley" from "the low angle shot shows the valley" (a camera
    phrase read as content), while what it shows stays."""
    record = rules.decouple("A hiker stands on a ridge, the wide angle shot shows a deep green valley.")
    assert "angle" not in record.spatial.replace("wide-angle", "") and "green valley" in record.spatial, record.spatial


def test_a_bare_lighting_noun_is_not_a_phrase(rules: RulesBackend) -> None:
    """Catches a lone "the lighting" piece (its adjective went with the rest of the clause)."""
    record = rules.decouple("A man reads in a library, the lighting is warm with golden lamps on the desks.")
    assert "the lighting" not in [p.strip() for p in record.spatial.split(",")], record.spatial
