"""Which group a spatial phrase belongs to, and how early each group is dropped when a spatial prompt
is fitted to CLIP's 77 tokens (the `rules` decoupler and the shared final check both use it)."""

from __future__ import annotations

import re

from ipvg.prompts import english as en
from ipvg.prompts import lexicon as lx
from ipvg.prompts.rules_words import APPEARANCE_NOUNS, PLURAL_BODY, POSITIONS

# Order of phrase groups in the spatial prompt, and how early each is dropped over budget (higher
# first; 0 never): the priority order subject > face and hair > clothing > prop > setting >
# lighting and style, with the framing term always kept.
SPATIAL_ORDER = ("subject", "appearance", "clothing", "prop", "setting", "other", "lighting_style", "framing")
SPATIAL_PRIORITY = {
    "subject": 0,
    "appearance": 2,
    "clothing": 3,
    "prop": 4,
    "setting": 5,
    "lighting_style": 6,
    "other": 7,
    "framing": 0,
}
_WORD = re.compile(r"[^\W\d_]+")


def letter_words(text: str) -> list[str]:
    """The lower-cased runs of letters in `text` ("close-up" -> "close", "up")."""
    return [w.lower() for w in _WORD.findall(text)]


def category_of(phrase: str) -> str:
    words = set(letter_words(phrase.replace("-", " "))) | set(letter_words(phrase))
    if words & APPEARANCE_NOUNS:
        return "appearance"
    if words & lx.CLOTHING or words & set(lx.CLOTHING_LEADS) or "adorned" in words:
        return "clothing"
    if phrase.lower().startswith(("with ", "holding ")):
        return "prop"
    lower_words = letter_words(phrase)
    first_np = []
    for w in lower_words:
        if w in en.PREPOSITIONS:
            break
        first_np.append(w)
    if lower_words[:1] and lower_words[0] in en.DETERMINERS and set(first_np) & lx.PLACES:
        return "setting"  # "an abandoned dark factory with light streaming in": a place first
    if lower_words[:1] and (lower_words[0] in PLURAL_BODY or (
        lower_words[0] in ("his", "her", "their") and lower_words[1:2] and lower_words[1] in PLURAL_BODY
    )):
        return "appearance"  # "hands on his knees": the person's pose
    if lower_words[:1] and lower_words[0] in ("a", "an") and words & POSITIONS:
        return "prop"  # "a steaming cup of tea by his side", "a pink halo above her head": a thing placed
    if words & lx.LIGHTING_STYLE or (len(words) <= 3 and words & lx.LIGHTING_WEAK):
        return "lighting_style"
    if words & lx.PLACES or phrase.lower().split(" ")[0] in {"in", "at", "on", "under", "beside", "near",
                                                              "behind", "against", "amid", "amidst", "inside",
                                                              "standing", "sitting", "above", "beneath"}:
        return "setting"
    return "other"
