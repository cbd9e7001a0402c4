"""The last step every decoupling backend shares (`rules`, `llm`, `openai`): the same checks on the
two prompts, whoever wrote them.

Spatial prompt: starts with the subject phrase; every comma phrase is static (a phrase with a
motion verb is rewritten by the `rules` reader, keeping its objects and places, or dropped); no
fragment; exactly one framing term, the one the user's prompt asks for (else the backend's default),
last; fitted to CLIP's 77 tokens by dropping whole phrases in the priority order of `rules`.
Temporal prompt: starts with the subject phrase; fitted to UMT5's window.
"""

from __future__ import annotations

from ipvg.prompts.base import Windows
from ipvg.prompts.categories import SPATIAL_PRIORITY, category_of
from ipvg.prompts.check import framing_classes, piece_fragment, starts_with_subject
from ipvg.prompts.clauses import is_motion_verb, split_pieces
from ipvg.prompts.rules import framing_from_text
from ipvg.prompts.rules_spatial import static_phrases


def motion_words(text: str) -> list[str]:
    """Verbs of motion in a comma-separated spatial prompt (participles inside a noun phrase, such as
    "a steaming cup", are not verbs)."""
    found = []
    for piece in split_pieces(text.replace(";", ","), 0):
        for word, tag in zip(piece.tokens, piece.tags, strict=True):
            if tag == "VERB" and is_motion_verb(word):
                found.append(word)
    return found


def finish_spatial(
    spatial: str, *, subject: str, source: str, default_framing: str, windows: Windows
) -> tuple[str, list[str]]:
    """The spatial prompt checked and fitted (see the module docstring); (text, warnings)."""
    warnings: list[str] = []
    phrases = [p.strip(" .") for p in spatial.split(",") if p.strip(" .")]
    # 1. The subject phrase first.
    if not phrases or not starts_with_subject(phrases[0], subject):
        phrases.insert(0, subject)
    head, rest = phrases[0], phrases[1:]
    # 2. Static, whole phrases; framing terms set aside.
    kept: list[str] = []
    for phrase in rest:
        if framing_classes(phrase):
            continue
        if motion_words(phrase):
            rewritten = [p for piece in split_pieces(phrase, 0) for p in static_phrases(piece, None)]
            warnings.append(f"spatial phrase with motion rewritten: {phrase!r} -> {', '.join(rewritten) or 'dropped'}")
            kept += rewritten
        elif piece_fragment(phrase) is None:
            kept.append(phrase)
        else:
            warnings.append(f"spatial phrase dropped as a fragment: {phrase!r}")
    # 3. One framing term, the prompt's own, last.
    framing = framing_from_text(source, default_framing)
    # 4. Fit CLIP's window, whole phrases by priority.
    priorities = [0, *(SPATIAL_PRIORITY[category_of(p)] for p in kept), 0]
    text, cut = windows.fit_spatial([head, *kept, framing], priorities)
    return text, warnings + cut


def finish_temporal(temporal: str, *, subject: str, windows: Windows) -> tuple[str, list[str]]:
    text = " ".join(temporal.split())
    if not starts_with_subject(text, subject):
        text = f"{subject}: {text[:1].lower()}{text[1:]}" if text else f"{subject}."
    fitted, cut = windows.fit_temporal(text)
    return fitted, cut
