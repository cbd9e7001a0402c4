"""`rules`: the offline, deterministic decoupler (the composition half; analysis is `phrases.py`).

Temporal prompt (image-to-video): the prompt's own words in order, with the subject replaced by the
subject phrase ("The gymnast" -> "A woman, a gymnast,"), sounds and smells removed, a leading camera
clause moved after the subject. Spatial prompt (text-to-image, arXiv 2507.04705 Sec. 3.1): subject,
appearance, clothing, held expression, posture, setting, lighting and style, then a framing term; no
motion verb. Both are fitted to their encoders' token windows, lowest-value phrases cut first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ipvg.prompts import lexicon as lx
from ipvg.prompts.base import Windows, make_record
from ipvg.prompts.phrases import Piece, SubjectMatch, analyse, make_piece, restore, static_text, verbs_of
from ipvg.prompts.subject import indefinite, normalise_subject, subject_from_text, subject_noun
from ipvg.prompts.text import MAX_SOURCE_CHARS, clean_source
from ipvg.types import DecoupledPrompt

# Order of phrase groups in the spatial prompt, and how early each is dropped when CLIP's window is
# full (0: never).
SPATIAL_ORDER = (
    "subject",
    "appearance",
    "clothing",
    "expression",
    "pose",
    "setting",
    "lighting_style",
    "framing",
)
SPATIAL_PRIORITY = {
    "subject": 0,
    "framing": 0,
    "appearance": 2,
    "clothing": 3,
    "expression": 4,
    "pose": 4,
    "setting": 5,
    "lighting_style": 6,
}
_TEMPORAL_ONLY = ("action", "expression", "camera", "commentary", "other")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class RulesOptions:
    framing: str = "close-up"  # the paper's spatial prompts end in "close-up"
    max_chars: int = MAX_SOURCE_CHARS


class RulesBackend:
    """Deterministic linguistic decoupler; no model, thousands of prompts per second."""

    name = "rules"

    def __init__(
        self, *, framing: str = "close-up", windows: Windows | None = None, max_chars: int = MAX_SOURCE_CHARS
    ) -> None:
        self.options = RulesOptions(framing=framing, max_chars=max_chars)
        self.windows = windows or Windows()

    def config_key(self) -> dict[str, object]:
        return {
            "backend": self.name,
            "framing": self.options.framing,
            "max_chars": self.options.max_chars,
            "windows": self.windows.describe(),
            "version": 1,
        }

    def decouple(self, prompt: str, *, subject: str | None = None) -> DecoupledPrompt:
        # 1. Clean the text (raises PromptError when nothing is left).
        clean = clean_source(prompt, max_chars=self.options.max_chars)
        warnings = list(clean.warnings)
        text = clean.text
        subject_phrase = normalise_subject(subject) if subject else subject_from_text(text)
        # 2. Text the word lists cannot read: keep it whole for the video, subject only for the frame.
        if not looks_english(text):
            warnings.append(
                "the prompt does not look like English; `rules` kept it whole for the video prompt "
                "and only the subject for the first frame (use the `llm` or `openai` backend)"
            )
            temporal, cut = self.windows.fit_temporal(f"{subject_phrase}. {text}")
            spatial, cut2 = self.windows.fit_spatial([subject_phrase, self.options.framing], [0, 0])
            return make_record(prompt, spatial, temporal, subject_phrase, self.name, warnings + cut + cut2)
        # 3. Analyse: pieces, categories, actors, the prompt's own subject.
        pieces, match, _meta = analyse(text)
        if not subject and match is not None and lx.GENERIC_PERSON.get(match.head) in ("man", "woman"):
            subject_phrase = f"A {lx.GENERIC_PERSON[match.head]}"  # the prompt's own "a young woman" decides
        subject_np, subject_warnings = subject_noun_phrase(pieces, match, subject_phrase)
        warnings += subject_warnings
        # 4. Compose, then fit both prompts into their windows.
        temporal = compose_temporal(pieces, match, subject_np, subject_phrase)
        temporal, temporal_cut = self.windows.fit_temporal(temporal)
        phrases, priorities = compose_spatial(pieces, match, subject_np, self.options.framing, subject_phrase)
        spatial, spatial_cut = self.windows.fit_spatial(phrases, priorities)
        dropped = [p.text for p in pieces if p.category == "sound"]
        if dropped:
            warnings.append(f"non-visual phrases left out of both prompts: {'; '.join(dropped)}")
        return make_record(
            prompt, spatial, temporal, subject_phrase, self.name, warnings + temporal_cut + spatial_cut
        )


def looks_english(text: str) -> bool:
    """True when the word lists can read the text: some English function word or known word."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return False
    non_ascii = sum(1 for w in words if not w.isascii())
    if non_ascii > len(words) / 3:
        return False
    known = sum(
        1
        for w in words
        if w in lx.ENGLISH_FUNCTION_WORDS
        or w in lx.MOTION_FORMS
        or w in lx.POSE_FORMS
        or w in lx.PLACES
        or w in lx.CLOTHING
        or w in lx.GENERIC_PERSON
        or w in lx.ROLE_PERSON
        or w in lx.LIGHTING_STYLE
    )
    return known >= max(1, len(words) // 6)


# --- subject -----------------------------------------------------------------------------------------


def subject_noun_phrase(
    pieces: list[Piece], match: SubjectMatch | None, subject: str
) -> tuple[str, list[str]]:
    """The noun phrase that replaces the prompt's subject: "A young woman", "A woman, a gymnast"."""
    warnings: list[str] = []
    if match is None:
        warnings.append(f"the prompt names no person; the subject phrase `{subject}` was put in front")
        return subject, warnings
    simple = len(subject.split()) == 2 and subject.split()[0].lower() in {"a", "an"}
    if match.coordinated:
        warnings.append(
            "the prompt describes more than one person; the identity goes to the first one named "
            f"after reordering: `{subject}`"
        )
    if match.kind == "generic":
        if simple and match.modifiers:
            return _capitalise(indefinite(" ".join([*match.modifiers, subject_noun(subject)]))), warnings
        return subject, warnings
    if match.kind == "role":
        return f"{subject}, {indefinite(' '.join(match.modifiers or [match.head]))}", warnings
    if match.kind == "name":
        return f"{subject}, {match.head}", warnings
    return subject, warnings  # pronoun


def subject_replacement(piece: Piece, match: SubjectMatch, subject_np: str, subject: str) -> tuple[str, int]:
    """(text replacing the subject, end of the replaced word span); coordinated people are
    reordered so the one the face matches comes first ("A man and a woman" -> "A woman and a man")."""
    if not match.coordinated:
        return subject_np, match.end
    tokens = restore(piece.text).split()
    other_tokens = tokens[
        match.end + 1 : match.end + 1 + _span_to_head(piece, match.end + 1, match.coordinated[-1])
    ]
    end = match.end + 1 + len(other_tokens)
    first = " ".join(tokens[match.start : match.end]).rstrip(",")
    if subject_noun(subject) == match.coordinated[-1] and subject_noun(subject) != match.head:
        return f"{subject_np} and {_lower_article(first)}", end
    return f"{subject_np} and {' '.join(other_tokens).rstrip(',')}", end


def _replace_subject(piece: Piece, match: SubjectMatch, subject_np: str, subject: str) -> str:
    tokens = restore(piece.text).split()
    replacement, end = subject_replacement(piece, match, subject_np, subject)
    trailing = tokens[end - 1][len(tokens[end - 1].rstrip(",;:")) :] if end - 1 < len(tokens) else ""
    needs_comma = "," in subject_np and end < len(tokens) and not trailing
    return " ".join([*tokens[: match.start], replacement + ("," if needs_comma else trailing), *tokens[end:]])


def _span_to_head(piece: Piece, start: int, head: str) -> int:
    for offset, word in enumerate(piece.words[start:], start=1):
        if word == head:
            return offset
    return 1


def _lower_article(noun_phrase: str) -> str:
    words = noun_phrase.split()
    if words and words[0].lower() in {"a", "an", "the"}:
        words[0] = words[0].lower()
    return " ".join(words)


# --- temporal ----------------------------------------------------------------------------------------


def compose_temporal(pieces: list[Piece], match: SubjectMatch | None, subject_np: str, subject: str) -> str:
    """Every visual piece in order, subject replaced and first; sounds and smells removed."""
    texts = {i: restore(p.text) for i, p in enumerate(pieces)}
    if match is not None:
        texts[match.piece] = _replace_subject(pieces[match.piece], match, subject_np, subject)
    order = [i for i, p in enumerate(pieces) if p.category != "sound"]
    # A leading camera/setting clause before the subject moves after the subject's sentence part.
    if match is not None and match.piece in order:
        head = [i for i in order if i < match.piece and pieces[i].sentence == pieces[match.piece].sentence]
        if head and all(pieces[i].category not in ("action", "expression", "pose") for i in head):
            order = [i for i in order if i not in head]
            last_of_sentence = max(i for i in order if pieces[i].sentence == pieces[match.piece].sentence)
            position = order.index(last_of_sentence) + 1
            order[position:position] = head
    sentences: list[list[str]] = []
    current_sentence = -1
    for i in order:
        piece = pieces[i]
        text = texts[i]
        first_in_sentence = piece.sentence != current_sentence
        if first_in_sentence:
            current_sentence = piece.sentence
            sentences.append([_capitalise(_strip_connector(text) if piece.lead else text)])
        else:
            lead = piece.lead or " "
            if lead == " " and match is not None and i == match.piece + 1 and "," in subject_np:
                lead = ", "  # "A woman, a chef, leapt": close the apposition
            if _moved(i, order):
                lead, text = ", ", _decapitalise(text)
            sentences[-1].append(lead + text)
    body = " ".join(_end_sentence("".join(parts)) for parts in sentences if parts)
    body = body.replace(" ,", ",")
    if not body.lower().startswith(subject_np.lower()) and not body.lower().startswith(subject.lower()):
        first_word = body.split()[0].lower() if body.split() else ""
        if first_word and verbs_of(make_piece(first_word, "", 0)):
            body = f"{subject_np} {body[0].lower()}{body[1:]}"
        else:
            body = f"{subject_np}. {body}"
    return body


def _end_sentence(text: str) -> str:
    text = text.rstrip(",;: ")
    return text if text.endswith((".", "!", "?", '."', '!"', '?"', ".”")) else text + "."


def _moved(index: int, order: list[int]) -> bool:
    position = order.index(index)
    return position > 0 and order[position - 1] > index


def _strip_connector(text: str) -> str:
    words = text.split()
    while (
        words
        and words[0].lower() in {"and", "while", "as", "then", "meanwhile", "whereas"}
        and len(words) > 1
    ):
        words = words[1:]
    return " ".join(words)


_LOWER_FIRST = {
    "in",
    "at",
    "on",
    "under",
    "during",
    "with",
    "by",
    "near",
    "the",
    "a",
    "an",
    "close-up",
    "closeup",
    "tracking",
    "handheld",
    "aerial",
    "medium",
    "wide",
    "slow",
    "camera",
    "shot",
    "extreme",
    "long",
}


def _decapitalise(text: str) -> str:
    """Lower-case a moved phrase's first word when it is a common word ("At sunset" -> "at sunset")."""
    first, _, rest = text.partition(" ")
    return f"{first.lower()} {rest}".strip() if first.lower() in _LOWER_FIRST else text


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- spatial -----------------------------------------------------------------------------------------


def compose_spatial(
    pieces: list[Piece], match: SubjectMatch | None, subject_np: str, framing: str, subject: str = "A person"
) -> tuple[list[str], list[int]]:
    """(phrases, drop priorities) in `SPATIAL_ORDER`; every phrase checked free of motion verbs."""
    groups: dict[str, list[str]] = {name: [] for name in SPATIAL_ORDER}
    if match is not None and match.coordinated:  # both people stay in the frame
        subject_np, _ = subject_replacement(pieces[match.piece], match, subject_np, subject)
    groups["subject"].append(subject_np)
    for index, piece in enumerate(pieces):
        category = piece.category
        if category == "framing":
            groups["framing"].append(static_text(piece))
            continue
        if category in ("sound", "camera"):
            continue
        own = piece.actor != "other"
        if category in ("clothing", "appearance", "pose", "setting", "lighting_style") and (
            own or category in ("setting", "lighting_style")
        ):
            text = static_text(piece) if match is None or index != match.piece else ""
            if text:
                groups[category].append(text)
        if category == "expression" and _held_expression(piece):
            groups["expression"].append(static_text(piece))
        if category in (*_TEMPORAL_ONLY, "subject") or (
            not own and category in ("pose", "clothing", "appearance")
        ):
            for part_category, text in piece.static:
                if own or part_category in ("setting", "lighting_style"):
                    groups[part_category].append(text)
    named = [term for term in lx.FRAMING_TERMS if any(term in p.text.lower() for p in pieces)]
    framing_text = groups["framing"][0] if groups["framing"] else (named[0] if named else framing)
    phrases: list[str] = []
    priorities: list[int] = []
    seen: set[str] = {framing_text.lower()}
    for name in SPATIAL_ORDER[:-1]:
        for rank, text in enumerate(groups[name]):
            key = text.lower()
            if not text or key in seen or (name != "subject" and not _is_static(text)):
                continue
            seen.add(key)
            phrases.append(text)
            # Later phrases of a group go before earlier ones; the first setting outlives extra ones.
            priorities.append(SPATIAL_PRIORITY[name] + (2 * rank if SPATIAL_PRIORITY[name] else 0))
    return [*phrases, framing_text], [*priorities, 0]


def _held_expression(piece: Piece) -> bool:
    """ "smiling", "with a gentle smile": an expression a still frame shows (no finite verb)."""
    verbs = verbs_of(piece)
    return (
        bool(verbs)
        and all(piece.words[i].endswith("ing") for i, _ in verbs)
        and not any(k == "motion" for _, k in verbs)
    )


def _is_static(text: str) -> bool:
    piece = make_piece(text, "", 0)
    return not any(kind in ("motion",) for _, kind in verbs_of(piece)) and not set(piece.words) & lx.NONVISUAL
