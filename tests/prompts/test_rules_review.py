"""Wrong outputs found by reading the rules decoupler on prompts written for these tests (not from the
annotated set); each test names the wrong behaviour it catches."""

from __future__ import annotations

import pytest

from ipvg.prompts.check import fragments
from ipvg.prompts.rules import RulesBackend


@pytest.fixture(scope="module")
def rules() -> RulesBackend:
    return RulesBackend()


@pytest.mark.parametrize(
    ("prompt", "wanted", "wrong"),
    [
        # "over" mapped to "above" whatever follows: "above a puddle" for a jump over it
        ("A young woman jumps over a puddle on a rainy sidewalk.", "near a puddle", "above a puddle"),
        # "over" a place still reads "above"
        ("A pilot flies over the city at dawn.", "above the city", "flies"),
        # "across"/"through" always mapped to "in": "in the stage"
        ("A dancer in a red dress twirls across the stage under a spotlight.", "on the stage", "in the stage"),
        # "through" + a held thing as a place: "in her phone"
        ("A woman sits on a bench, scrolling through her phone.", "with her phone", "in her phone"),
        # "club" read as a place (nightclub) even as the object of a swing: "in his club"
        ("A golfer in a red polo shirt swings his club on a green course.", "with his club", "in his club"),
        # "past" dropped its place whole: the trees vanished from the frame
        ("A jogger runs past a row of cherry trees in full bloom.", "near a row of cherry trees", "runs"),
        # "into" + a vessel the lists lacked read as a prop: "with a liquid with a beaker"
        ("A chemist pours a blue liquid into a beaker.", "in a beaker", "with a beaker"),
    ],
)
def test_motion_objects_become_the_right_static_phrase(rules: RulesBackend, prompt: str, wanted: str, wrong: str) -> None:
    record = rules.decouple(prompt)
    assert wanted in record.spatial and wrong not in record.spatial, record.spatial
    assert fragments(record.spatial, record.temporal) == []


def test_a_role_before_its_verb_is_the_person(rules: RulesBackend) -> None:
    """Catches "pilot" tagged as an adjective ("a pilot program"), which turned "flies" into a noun and
    left the verb in the first frame."""
    record = rules.decouple("A pilot flies over the city at dawn.")
    assert record.temporal.startswith("A pilot flies")
    assert "flies" not in record.spatial


@pytest.mark.parametrize(
    ("prompt", "start"),
    [
        ("A teenager sits on her bed, reading a letter.", "A teenage girl"),
        ("A teenager plays guitar in his garage.", "A teenage boy"),
        ("A teenager reads a book under a tree.", "A teenager"),
        ("A child builds a sandcastle, patting it with her hands.", "A girl"),
    ],
)
def test_teenagers_and_children_stay_young(rules: RulesBackend, prompt: str, start: str) -> None:
    """Catches "A woman, a teenager" (an adult subject for a teenager) and a gender invented without a
    cue ("A teenage boy" for a prompt with no "his")."""
    record = rules.decouple(prompt)
    assert record.spatial.startswith(start + ",") and record.temporal.startswith(start + " "), record
    assert "woman" not in record.spatial and "man," not in record.spatial


def test_an_unknown_gender_role_is_the_subject_alone(rules: RulesBackend) -> None:
    """Catches "A person, a golfer": a generic word stacked on the role when nothing gives a gender;
    with a face's subject the apposition stays ("A woman, a golfer")."""
    alone = rules.decouple("A golfer lines up a putt on a sunny green.")
    assert alone.spatial.startswith("A golfer,") and alone.temporal.startswith("A golfer lines up")
    assert "person" not in alone.spatial
    faced = rules.decouple("A golfer lines up a putt on a sunny green.", subject="A woman")
    assert faced.spatial.startswith("A woman, a golfer")
