"""Checks on user inputs that every entry point shares (before any model loads)."""

from __future__ import annotations

import re
import unicodedata

from ipvg.errors import PromptError

MAX_PROMPT_CHARS = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_prompt(text: str | None, *, what: str = "prompt", max_chars: int = MAX_PROMPT_CHARS) -> str:
    """Normalise a prompt (NFC, no control characters, single spaces) or raise `PromptError`."""
    if text is None or not str(text).strip():
        raise PromptError(
            f"The {what} is empty.",
            "describe the video you want, e.g. --prompt 'A woman smiles and waves at the camera'.",
        )
    cleaned = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", str(text))).split())
    if not cleaned:
        raise PromptError(f"The {what} has no printable text.", "pass a prompt made of words.")
    if len(cleaned) > max_chars:
        raise PromptError(
            f"The {what} is {len(cleaned):,} characters long; the limit is {max_chars:,}.",
            "shorten it: the text encoders read at most a few hundred words.",
        )
    return cleaned
