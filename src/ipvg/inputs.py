"""The one check of a user's prompt that every entry point shares (before any model loads).

One limit, `MAX_PROMPT_CHARS`: Wan's UMT5 encoder reads 512 tokens (about 2,500 characters of
English), so 8,000 characters keeps every sentence that could still reach an encoder. Entry points
that take one prompt from a person (CLI, pipeline, web) refuse a longer one; the decoupler, which
also reads prompt files in bulk, cuts it at a sentence boundary with a warning instead
(`too_long="cut"`). Both go through `read_prompt`, so what counts as empty, what is stripped and how
length is counted is the same everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from ipvg.errors import PromptError

MAX_PROMPT_CHARS = 8_000

# C0/C1 controls (tab and newline are whitespace), zero-width and bidi overrides, BOM.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True)
class CleanText:
    text: str
    warnings: tuple[str, ...] = ()


def read_prompt(
    text: str | None,
    *,
    what: str = "prompt",
    max_chars: int = MAX_PROMPT_CHARS,
    too_long: Literal["raise", "cut"] = "raise",
) -> CleanText:
    """Normalise a prompt: NFC, control and bidi characters removed, whitespace collapsed; raise
    `PromptError` when nothing is left, and when it is longer than `max_chars` (or cut it at a
    sentence boundary with a warning when `too_long="cut"`)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        raise PromptError(
            f"The {what} is empty.", "describe the video you want, e.g. 'A woman smiles and waves at the camera'."
        )
    if not isinstance(text, str):
        raise PromptError(f"The {what} must be text, got {type(text).__name__}.", f"pass the {what} as a string.")
    warnings: list[str] = []
    normalised = unicodedata.normalize("NFC", text)
    stripped = _CONTROL.sub(" ", normalised)
    if stripped != normalised:
        warnings.append(f"control characters were removed from the {what}")
    cleaned = " ".join(stripped.split())
    if not cleaned:
        raise PromptError(f"The {what} is empty.", "pass a prompt made of words.")
    if len(cleaned) > max_chars:
        if too_long == "raise":
            raise PromptError(
                f"The {what} is {len(cleaned):,} characters long; the limit is {max_chars:,}.",
                "shorten it: the text encoders read at most a few hundred words.",
            )
        cut = cleaned[:max_chars]
        boundary = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        cut = cut[: boundary + 1] if boundary > max_chars // 2 else cut.rsplit(" ", 1)[0]
        warnings.append(
            f"the {what} was {len(cleaned):,} characters long; only its first {len(cut):,} were used "
            "(the video text encoder reads about 2,500 characters)"
        )
        cleaned = cut
    return CleanText(cleaned, tuple(warnings))


def clean_prompt(text: str | None, *, what: str = "prompt", max_chars: int = MAX_PROMPT_CHARS) -> str:
    """A normalised prompt, or `PromptError` (empty, not text, longer than `max_chars`)."""
    return read_prompt(text, what=what, max_chars=max_chars).text
