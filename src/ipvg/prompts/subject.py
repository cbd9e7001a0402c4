"""The subject phrase: who the video is about ("A woman" / "A man" / "A person").

The method (arXiv 2507.04705, Sec. 3.1) reads the person's gender from the reference face and makes
both prompts start with that phrase, so the text never contradicts the identity image.
"""

from __future__ import annotations

import re
from typing import Any

from ipvg.prompts.lexicon import FEMALE_WORDS, MALE_WORDS

SUBJECT_BY_GENDER = {
    "female": "A woman",
    "woman": "A woman",
    "f": "A woman",
    "male": "A man",
    "man": "A man",
    "m": "A man",
}
UNKNOWN_SUBJECT = "A person"
MAX_SUBJECT_CHARS = 80

_WORD = re.compile(r"[a-z]+")


def subject_for_gender(gender: str | None) -> str:
    """ "female" -> "A woman", "male" -> "A man", anything else -> "A person"."""
    return SUBJECT_BY_GENDER.get((gender or "").strip().lower(), UNKNOWN_SUBJECT)


def subject_from_face(image: Any, face_backend: Any) -> str:
    """The subject phrase for the largest face in `image` (a path or PIL image).

    Uses `Face.gender` when the backend can tell (insightface); backends that cannot (dlib) give
    "A person". Raises `NoFaceDetectedError` / `ImageReadError` for unusable photos.
    """
    from PIL import Image

    from ipvg.faces.base import largest_face

    if not isinstance(image, Image.Image):
        from ipvg.io.images import load_image

        source = str(image)
        image = load_image(image)
    else:
        source = "the face image"
    face = largest_face(face_backend, image, source=source)
    return subject_for_gender(face.gender)


def subject_from_text(text: str) -> str:
    """Guess the subject phrase from the prompt's own words when no face says otherwise: only
    female words -> "A woman", only male words -> "A man", none or both -> "A person"."""
    words = set(_WORD.findall(text.lower()))
    female, male = bool(words & FEMALE_WORDS), bool(words & MALE_WORDS)
    if female and not male:
        return "A woman"
    if male and not female:
        return "A man"
    return UNKNOWN_SUBJECT


def normalise_subject(subject: str) -> str:
    """A caller-given subject phrase, tidied: single spaces, no trailing punctuation, capitalised."""
    text = " ".join(str(subject).split()).strip(" ,.;:")
    if not text:
        return UNKNOWN_SUBJECT
    text = text[:MAX_SUBJECT_CHARS]
    return text[0].upper() + text[1:]


def subject_noun(subject: str) -> str:
    """The head noun of a subject phrase: "A woman" -> "woman", "An old man" -> "man"."""
    words = _WORD.findall(subject.lower())
    return words[-1] if words else "person"


def indefinite(noun_phrase: str) -> str:
    """ "gymnast" -> "a gymnast", "astronaut" -> "an astronaut" (spelling rule, good enough for nouns)."""
    first = noun_phrase.strip().lower()
    article = "an" if first[:1] in "aeio" or first.startswith(("hour", "honest", "heir")) else "a"
    if first.startswith(("uni", "use", "usu", "eu", "one")):
        article = "a"
    number = re.match(r"\d+", first)
    if number:  # "an 8-year-old", "an 11-year-old", "an 80-year-old", "a 30-year-old"
        digits = number.group(0)
        article = "an" if digits.startswith("8") or (len(digits) in (2, 5) and digits.startswith(("11", "18"))) else "a"
    return f"{article} {noun_phrase.strip()}"
