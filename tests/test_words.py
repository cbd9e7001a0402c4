"""`ipvg.words` holds the gendered word lists below every stage (faces may not import prompts).
Wrong code this catches: the decoupler's copy in `ipvg.prompts.lexicon` gaining a word the
two-people face order does not know (or the reverse), so "A woman" is chosen for a prompt whose
people are then ordered as if it named no woman."""

from __future__ import annotations

from ipvg.faces.assignment import people_order
from ipvg.prompts import lexicon
from ipvg.words import FEMALE_WORDS, MALE_WORDS


def test_the_decoupler_and_the_face_order_read_the_same_lists():
    assert lexicon.FEMALE_WORDS == FEMALE_WORDS and lexicon.MALE_WORDS == MALE_WORDS
    assert not FEMALE_WORDS & MALE_WORDS


def test_people_order_follows_the_first_gendered_word():
    # references given man-first; the prompt names the woman first (with a word only the lists know)
    assert people_order("The businesswoman greets a businessman", ["male", "female"]) == (
        [1, 0],
        "the order the prompt names them",
    )
