"""`rules`: the offline, deterministic decoupler (arXiv 2507.04705 Sec. 3.1 without a language model).

Temporal prompt (image-to-video): the prompt's own sentences, starting with the subject phrase
("The gymnast ..." -> "A woman, a gymnast, ..."; a leading camera phrase moves to the end of the
sentence), with sound and smell pieces removed whole so every sentence stays grammatical. Every
action, expression change and camera move is kept.

Spatial prompt (text-to-image): the subject with its age group and gender ("A little girl", never "A
woman, a girl"), then whole static phrases in priority order: face and hair, clothing, the prop the
action needs ("with a loaf of bread" from "slicing a loaf of bread"), setting, lighting and style; a
motion verb is dropped with its adverbs and its object and places are kept, a motion participle inside
a noun phrase is dropped ("a field of wildflowers" from "a field of gently swaying wildflowers"). It
ends in the framing the prompt itself asks for ("from the waist up" -> "medium shot"; "close-up" only
when it says nothing) and is fitted to CLIP's 77 tokens by dropping whole phrases, lowest priority
first. Word classes and verb forms come from `lemminflect` (see `ipvg.prompts.english`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ipvg.prompts import english as en
from ipvg.prompts import lexicon as lx
from ipvg.prompts.base import Windows, make_record
from ipvg.prompts.check import framing_classes, piece_fragment, starts_with_subject
from ipvg.prompts.clauses import (
    GERUND_PREPOSITIONS,
    META_WORDS,
    Piece,
    is_commentary_verb,
    is_motion_verb,
    join_tokens,
    split_pieces,
    split_sentences,
    verb_lemma,
)
from ipvg.prompts.rules_words import (
    ABSTRACT_OBJECTS,
    ANIMALS,
    APPEARANCE_NOUNS,
    BODY_PARTS,
    CAMERA_WORDS,
    CHILD_NOUNS,
    COMPOUND_HEADS,
    CONTAINERS,
    DIRECTIONAL,
    EMPTY_WITHOUT_OBJECT,
    FRAMING_CUES,
    GAZE_LEMMAS,
    HELD_PHRASAL,
    MOTION_NOUNS,
    MOTION_PARTICLES,
    PASSIVE_LEMMAS,
    PRONOUN_OF,
    STILL_GAZE,
    TIME_LEAD,
)
from ipvg.prompts.subject import indefinite, normalise_subject, subject_from_text, subject_noun
from ipvg.prompts.text import MAX_SOURCE_CHARS, clean_source
from ipvg.types import DecoupledPrompt

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


@dataclass(frozen=True)
class RulesOptions:
    framing: str = "close-up"  # the paper's spatial prompts end in "close-up" when nothing else is asked
    max_chars: int = MAX_SOURCE_CHARS


@dataclass
class SubjectMatch:
    """Where the prompt names its person: sentence, piece, token span (possessive 's included)."""

    sentence: int
    piece: int
    start: int
    end: int
    head: str
    kind: str  # "generic", "role" or "child"
    modifiers: list[str] = field(default_factory=list)
    possessive: bool = False
    first_np: str = ""  # "a man" of "A man and a woman": the two people named together
    partner_np: str = ""
    partner_head: str = ""


class RulesBackend:
    """Deterministic linguistic decoupler; no model, hundreds of prompts per second."""

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
            "version": 2,
        }

    def decouple(self, prompt: str, *, subject: str | None = None) -> DecoupledPrompt:
        # 1. Clean the text (raises PromptError when nothing is left).
        clean = clean_source(prompt, max_chars=self.options.max_chars)
        warnings = list(clean.warnings)
        text = clean.text
        # 2. Text the word lists cannot read: keep it whole for the video, subject only for the frame.
        if not looks_english(text):
            subject_phrase = normalise_subject(subject) if subject else subject_from_text(text)
            warnings.append(
                "the prompt does not look like English; `rules` kept it whole for the video prompt "
                "and only the subject for the first frame (use the `llm` or `openai` backend)"
            )
            temporal, cut = self.windows.fit_temporal(f"{subject_phrase}: {text}")
            framing = framing_from_text(text, self.options.framing)
            spatial, cut2 = self.windows.fit_spatial([subject_phrase, framing], [0, 0])
            return make_record(prompt, spatial, temporal, subject_phrase, self.name, warnings + cut + cut2)
        # 3. Read: sentences and pieces, the person, the framing asked for.
        sentences = [split_pieces(s, i) for i, s in enumerate(split_sentences(text))]
        match = find_subject(sentences)
        subject_phrase, subject_np, possessive_np = subject_phrases(match, subject, text)
        if match is None:
            warnings.append(f"the prompt names no person; the subject phrase `{subject_phrase}` was put in front")
        framing = framing_from_text(text, self.options.framing)
        # 4. Compose both prompts, then fit them into their windows.
        dropped = [p.text for s in sentences for p in s if is_nonvisual(p)]
        temporal = compose_temporal(sentences, match, subject_phrase, subject_np, possessive_np)
        temporal, temporal_cut = self.windows.fit_temporal(temporal)
        phrases, priorities = compose_spatial(sentences, match, subject_np, framing)
        spatial, spatial_cut = self.windows.fit_spatial(phrases, priorities)
        if dropped:
            warnings.append(f"non-visual phrases left out of both prompts: {'; '.join(dropped)}")
        return make_record(
            prompt, spatial, temporal, subject_phrase, self.name, warnings + temporal_cut + spatial_cut
        )


def looks_english(text: str) -> bool:
    """True when the word lists can read the text: enough words lemminflect or our lists know."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return False
    if sum(1 for w in words if not w.isascii()) > len(words) / 3:
        return False
    known = sum(1 for w in words if w in lx.ENGLISH_FUNCTION_WORDS or en.word_classes(w))
    return known >= max(1, len(words) // 3)


# --- the person ----------------------------------------------------------------------------------


def person_kind(word: str) -> str | None:
    lower = word.lower()
    if lower in CHILD_NOUNS:
        return "child"
    if lower in lx.GENERIC_PERSON:
        return "generic"
    if lower in lx.ROLE_PERSON or lower in {"vaulter", "artist", "influencer", "player", "runner", "daddy",
                                             "mommy", "grandmother", "grandfather", "spaceman"}:
        return "role"
    if lower.endswith(("smith", "sman", "swoman")) and lower not in lx.NOT_PEOPLE:
        return "role"  # "blacksmith", "fisherman", "craftswoman"
    return None


def find_subject(sentences: list[list[Piece]]) -> SubjectMatch | None:
    """The first person named in the first two sentences, with its determiner and modifiers."""
    pronoun = _pronoun_subject(sentences)
    for s_index, pieces in enumerate(sentences[:2]):
        for p_index, piece in enumerate(pieces):
            lower = piece.lower
            if pronoun is not None and (s_index, p_index) == (pronoun.sentence, pronoun.piece):
                return pronoun
            for i, word in enumerate(lower):
                kind = person_kind(word)
                if kind is None or piece.tags[i] not in ("NOUN", "ADJ"):
                    continue
                following = lower[i + 1] if i + 1 < len(lower) else ""
                if piece.tags[i + 1 : i + 2] == ["NOUN"] and person_kind(following) is None and not (
                    following.endswith("ing") or en.verb_tags(following)
                ):
                    continue  # "man hours" is not a person; "person skydiving" is
                start = i
                while start > 0 and piece.tags[start - 1] in ("ADJ", "NOUN", "NUM") and lower[start - 1] not in (
                    "and", ","
                ):
                    start -= 1
                modifiers = [t for t in piece.tokens[start:i] if t.lower() not in ("year", "years")]
                modifiers = _age(piece.tokens[start:i]) or modifiers
                if start > 0 and piece.tags[start - 1] == "DET" and lower[start - 1] in en.ARTICLES | {
                    "this", "that"
                }:
                    start -= 1
                possessive = i + 1 < len(lower) and lower[i + 1] == "'s"
                end = i + 2 if possessive else i + 1
                head = "man" if word == "spaceman" else word
                found = SubjectMatch(s_index, p_index, start, end, head, kind, modifiers, possessive)
                if not possessive and i + 2 < len(lower) and lower[i + 1] == "and":
                    j = i + 2
                    while j < len(lower) and piece.tags[j] in ("DET", "ADJ", "NOUN") and person_kind(lower[j]) is None:
                        j += 1
                    if j < len(lower) and person_kind(lower[j]) and j - i <= 5:
                        found.first_np = join_tokens(piece.tokens[start : i + 1])
                        found.partner_np = join_tokens(piece.tokens[i + 2 : j + 1])
                        found.partner_head = lower[j]
                        found.end = j + 1
                return found
    return None


def _pronoun_subject(sentences: list[list[Piece]]) -> SubjectMatch | None:
    """ "She dances in the rain.": a sentence that opens with a personal pronoun names the person."""
    if sentences and sentences[0] and sentences[0][0].lower[:1] in (["she"], ["he"]):
        return SubjectMatch(0, 0, 0, 1, sentences[0][0].lower[0], "pronoun")
    return None


def _age(tokens: list[str]) -> list[str]:
    """ "30 year old space" -> ["30-year-old", "space"]: the age written the usual way."""
    lower = [t.lower() for t in tokens]
    for i in range(len(lower) - 2):
        if lower[i].isdigit() and lower[i + 1] in ("year", "years") and lower[i + 2] == "old":
            return [*tokens[:i], f"{tokens[i]}-year-old", *tokens[i + 3 :]]
    return []


def subject_phrases(match: SubjectMatch | None, subject: str | None, text: str) -> tuple[str, str, str]:
    """(subject phrase, spatial/temporal noun phrase, possessive form) for the person.

    The subject phrase follows the face (`subject`) when given, else the prompt; a child keeps a
    child noun whatever the face says ("A girl", gendered by the face when the noun is not)."""
    given = normalise_subject(subject) if subject else None
    if match is None:
        phrase = given or subject_from_text(text)
        return phrase, phrase, _possessive(phrase)
    gender_noun = subject_noun(given) if given else None
    if match.kind == "pronoun":
        phrase = given or ("A woman" if match.head == "she" else "A man")
        return phrase, phrase, _possessive(phrase)
    if match.kind == "child":
        noun = CHILD_NOUNS[match.head]
        if gender_noun in ("woman", "man") and noun in ("girl", "boy"):
            noun = "girl" if gender_noun == "woman" else "boy"
        phrase = _capitalise(indefinite(noun))
        full = _capitalise(indefinite(" ".join([*match.modifiers, noun])))
        return phrase, full, _possessive(full)
    if given:
        phrase = given
    elif match.kind == "generic" and lx.GENERIC_PERSON.get(match.head) in ("man", "woman"):
        phrase = f"A {lx.GENERIC_PERSON[match.head]}"
    else:
        phrase = subject_from_text(text)
    noun = subject_noun(phrase)
    simple = len(phrase.split()) == 2 and phrase.split()[0].lower() in ("a", "an")
    if match.kind == "generic" and not match.partner_np:
        full = _capitalise(indefinite(" ".join([*match.modifiers, noun]))) if simple and match.modifiers else phrase
        return phrase, full, _possessive(full)
    if match.partner_np:
        # Two people: the one the face matches comes first ("A man and a woman" -> "A woman and a man").
        other = match.first_np if match.partner_head == noun and match.head != noun else match.partner_np
        other = other[:1].lower() + other[1:] if other.split()[0].lower() in ("a", "an", "the") else other
        return phrase, f"{phrase} and {other}", _possessive(phrase)
    role = " ".join([*match.modifiers, match.head])
    return phrase, f"{phrase}, {indefinite(role)}", _possessive(phrase)


def _possessive(noun_phrase: str) -> str:
    return f"{noun_phrase}'s"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- pieces that neither prompt keeps ------------------------------------------------------------


def without_nonvisual(piece: Piece, *, keep: bool = False) -> Piece | None:
    """The piece without its sound/smell phrase: "sways gently to the music" -> "sways gently"; a
    piece that is only a sound ("the roar of the engine filling the air") -> None (or itself, unchanged,
    when `keep`: the person's own clause is never dropped whole)."""
    if not is_nonvisual(piece):
        return piece
    lower = piece.lower
    k = next(
        i
        for i, (w, t) in enumerate(zip(lower, piece.tags, strict=True))
        if w in lx.NONVISUAL and t != "VERB" and not (t == "ADJ" and i + 1 < len(lower) and piece.tags[i + 1] == "NOUN")
    )
    b = k
    while b > 0 and piece.tags[b - 1] in ("DET", "ADJ", "NOUN", "POS", "NUM"):
        b -= 1
    if b > 1 and piece.tags[b - 1] in ("PREP", "CONJ", "REL") and any(t in ("VERB", "NOUN") for t in piece.tags[: b - 1]):
        cut = b - 1
        while cut > 0 and piece.tags[cut - 1] in ("CONJ", "PUNCT"):
            cut -= 1
        last = piece.tokens[cut - 1].lower()
        if piece.tags[cut - 1] in ("AUX", "VERB") and (verb_lemma(last) in EMPTY_WITHOUT_OBJECT or last in en.AUXILIARIES):
            return piece if keep else None  # "the room is filled [with the aroma ...]": nothing left to show
        return Piece(piece.tokens[:cut], piece.tags[:cut], piece.sentence, piece.lead)
    return piece if keep else None


def is_nonvisual(piece: Piece) -> bool:
    """A sound or smell piece: a non-visual noun, not the person's own verb ("smelled something"),
    nor an adjective before a noun ("a crackling fireplace" is a fireplace)."""
    lower, tags = piece.lower, piece.tags
    return any(
        word in lx.NONVISUAL
        and tag != "VERB"
        and word not in ("feel", "feeling", "feels", "taste")
        and not (tag == "ADJ" and k + 1 < len(tags) and tags[k + 1] == "NOUN")
        for k, (word, tag) in enumerate(zip(lower, tags, strict=True))
    )


def framing_from_text(text: str, default: str) -> str:
    lowered = text.lower()
    found = [(m.start(), term) for pattern, term in FRAMING_CUES for m in [re.search(pattern, lowered)] if m]
    return min(found)[1] if found else default


# --- temporal ------------------------------------------------------------------------------------


def compose_temporal(
    sentences: list[list[Piece]], match: SubjectMatch | None, subject: str, subject_np: str, possessive_np: str
) -> str:
    """The prompt's sentences without sound/smell pieces, the first one starting with the subject."""
    texts: list[str] = []
    for s_index, pieces in enumerate(sentences):
        own = match is not None and s_index == match.sentence
        visual = [
            without_nonvisual(p, keep=own and p_index == match.piece) for p_index, p in enumerate(pieces)
        ] if match is not None else [without_nonvisual(p) for p in pieces]
        if not own and (not visual or visual[0] is None):
            continue  # the sentence's main clause is a sound: the rest would dangle
        if own:
            assert match is not None
            texts.append(_subject_sentence(visual, match, subject_np, possessive_np))
        else:
            texts.append(_join_pieces([p for p in visual if p is not None]))
    body = " ".join(t for t in texts if t)
    if not starts_with_subject(body, subject):
        first = body.split(" ", 1)[0].strip(",.").lower()
        if en.verb_tags(first) & {"VBG", "VBZ"} and not en.word_classes(first) - {"VERB"}:
            body = f"{subject} {_decapitalise(body)}"  # "Walking through a forest" -> "A person walking ..."
        else:
            body = f"{subject}: {_decapitalise(body)}" if body else f"{subject}."
    return body


def _join_pieces(pieces: list[Piece], *, capitalise: bool = True) -> str:
    parts: list[str] = []
    for index, piece in enumerate(pieces):
        text = piece.text
        if index == 0:
            parts.append(_capitalise(text) if capitalise else text)
        elif piece.lead in (",", ";", ":"):
            parts.append(f"{piece.lead} {text}")
        else:
            parts.append(f" {piece.lead} {text}")
    return _end_sentence("".join(parts))


def _end_sentence(text: str) -> str:
    text = text.strip().rstrip(",;: ")
    return text if text.endswith((".", "!", "?", '."', '!"', '?"')) else text + "."


def _subject_sentence(
    pieces: list[Piece | None], match: SubjectMatch, subject_np: str, possessive_np: str
) -> str:
    """The sentence naming the person, rewritten to start with the subject phrase."""
    piece = pieces[match.piece]
    assert piece is not None
    replacement = possessive_np if match.possessive else subject_np
    lead_tokens = piece.tokens[: match.start]
    rest_tokens = piece.tokens[match.end :]
    before = [p for p in pieces[: match.piece] if p is not None]
    after = [p for p in pieces[match.piece + 1 :] if p is not None]
    lead_lower = [t.lower() for t in lead_tokens]
    if set(lead_lower) & CAMERA_WORDS:
        rest_tokens = _drop_as_pronoun(rest_tokens)  # "follows a woman ... as she walks" -> "a woman ... walks"
        if after and after[0].lead in ("as", "while") and after[0].lower[:1] in (["she"], ["he"], ["they"]):
            first_after = after[0]
            after = [Piece(first_after.tokens[1:], first_after.tags[1:], first_after.sentence, " "), *after[1:]]
    needs_comma = "," in replacement and not match.possessive and rest_tokens and rest_tokens[0] != ","
    head = replacement + ("," if needs_comma else "") + (" " + join_tokens(rest_tokens) if rest_tokens else "")
    if before and all(set(p.lower) & CAMERA_WORDS for p in before) and not lead_tokens:
        # "The camera slowly pans left as a man ... walks": the camera move goes after the action.
        camera = _decapitalise(_join_pieces(before, capitalise=False).rstrip("."))
        tail = _tail_join(after, _join_pieces(after, capitalise=False)[:-1]) if after else ""
        return _end_sentence(_capitalise(head) + tail + ", " + camera)
    if not before and (not lead_tokens or _is_feature_lead(lead_lower)):
        first = head
        moved = ""
    elif not before and set(lead_lower) & CAMERA_WORDS:
        moved_tokens = list(lead_tokens)
        if "where" in [t.lower() for t in moved_tokens]:
            moved_tokens = moved_tokens[: [t.lower() for t in moved_tokens].index("where")]
        while moved_tokens and (
            moved_tokens[-1].lower() in en.PREPOSITIONS
            or moved_tokens[-1].lower() in en.DETERMINERS
            or not moved_tokens[-1][:1].isalnum()
            or moved_tokens[-1].lower().endswith("ing")
        ):
            moved_tokens.pop()  # "A tracking shot following" -> "a tracking shot"
        first, moved = head, join_tokens(moved_tokens)
    else:
        original = join_tokens(piece.tokens)
        prefix = _join_pieces(before).rstrip(".") + ", " if before else ""
        sentence = prefix + original
        if match.possessive:  # "a woman's face" -> "her face" once the sentence starts with "A woman"
            pronoun = {"woman": "her", "girl": "her", "man": "his", "boy": "his"}.get(
                subject_noun(subject_np.split(",")[0]), "their"
            )
            sentence = prefix + join_tokens([*piece.tokens[: match.start], pronoun, *piece.tokens[match.end :]])
        tail = _join_pieces(after, capitalise=False)[:-1] if after else ""
        whole = sentence + ("" if not after else _tail_join(after, tail))
        return f"{subject_np.split(',')[0]}: {_decapitalise(_end_sentence(whole))}"
    tail = _tail_join(after, _join_pieces(after, capitalise=False)[:-1]) if after else ""
    if moved:
        tail += f", {_decapitalise(moved)}"
    return _end_sentence(_capitalise(first) + tail)


def _drop_as_pronoun(tokens: list[str]) -> list[str]:
    lower = [t.lower() for t in tokens]
    for k in range(len(lower) - 1):
        if lower[k] in ("as", "while") and lower[k + 1] in ("she", "he", "they"):
            return [*tokens[:k], *tokens[k + 2 :]]
    return tokens


def _tail_join(after: list[Piece], joined: str) -> str:
    lead = after[0].lead
    if lead.strip() == "":
        return f" {joined}"
    return f"{lead} {joined}" if lead in (",", ";", ":") else f" {lead} {joined}"


def _is_feature_lead(lead: list[str]) -> bool:
    """ "The video features", "This clip shows": words to drop in front of the person."""
    return bool(lead) and lead[-1] in ("features", "shows", "showing", "featuring", "depicts") and set(lead) <= {
        "the", "this", "a", "video", "clip", "footage", "features", "shows", "showing", "featuring", "depicts"
    }


def _decapitalise(text: str) -> str:
    first, _, rest = text.partition(" ")
    if first.isupper() and len(first) > 1:
        return text
    return (first[:1].lower() + first[1:] + (" " + rest if rest else "")) if first else text


# --- spatial -------------------------------------------------------------------------------------


def compose_spatial(
    sentences: list[list[Piece]], match: SubjectMatch | None, subject_np: str, framing: str
) -> tuple[list[str], list[int]]:
    """(phrases, drop priorities) in `SPATIAL_ORDER`, the framing term last."""
    groups: dict[str, list[str]] = {name: [] for name in SPATIAL_ORDER}
    groups["subject"].append(subject_np)
    seen: list[set[str]] = [set(_words(subject_np))]
    for s_index, pieces in enumerate(sentences):
        for p_index, piece in enumerate(pieces):
            own = match is not None and (s_index, p_index) == (match.sentence, match.piece)
            for phrase in static_phrases(piece, match if own else None):
                words = set(_words(phrase))
                if not words or any(words <= other for other in seen):
                    continue
                seen.append(words)
                groups[category_of(phrase)].append(phrase)
    pronoun = PRONOUN_OF.get(subject_noun(subject_np.split(",")[0].split(" and ")[0]), "their")
    phrases: list[str] = []
    priorities: list[int] = []
    for name in SPATIAL_ORDER[:-1]:
        for text in groups[name]:
            if text.startswith("their ") and pronoun != "their":
                text = pronoun + text[5:]  # "The person's eyes ... she" -> "her eyes"
            phrases.append(text)
            priorities.append(SPATIAL_PRIORITY[name])
    return [*phrases, framing], [*priorities, 0]


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def static_phrases(piece: Piece, match: SubjectMatch | None) -> list[str]:
    """Whole static phrases of one piece: motion verbs dropped with their adverbs; their objects kept
    as props ("with ...") and their places with a static preposition."""
    visual = without_nonvisual(piece)
    if visual is None:
        return []
    tokens, tags = list(visual.tokens), list(visual.tags)
    body_part = ""
    # 1. The person's own noun phrase is the subject phrase: remove it (and a body part after "'s",
    #    kept as "her eye" when the shot is about it); a "The video features" lead goes too.
    if match is not None:
        end = match.end
        if match.possessive:
            while end < len(tokens) and tags[end] in ("ADJ", "NOUN") and not _verbish(tags, end):
                end += 1
            part = [t for t in tokens[match.end : end]]
            if part and part[-1].lower() not in ("face", "features", "expression"):
                body_part = join_tokens([PRONOUN_OF.get(match.head, "their"), *part])
        start = match.start
        lead = [t.lower() for t in tokens[:start]]
        if _is_feature_lead(lead):
            start = 0
        tokens, tags = tokens[:start] + tokens[end:], tags[:start] + tags[end:]
    elif _is_meta(piece) or _is_framing_cue(piece):
        return []
    elif _is_commentary(piece):
        return _places_of(piece)
    # 2. A camera phrase ("A close-up shot of", "the camera pulls back") is not content.
    tokens, tags = _strip_camera(tokens, tags)
    # 3. Relative clauses with motion ("lily pads that light up with each step") go whole.
    tokens, tags = _strip_motion_relatives(tokens, tags)
    # 4. Walk the clause: keep static words, turn motion verbs into props and places.
    tokens, tags = _strip_person_mentions(tokens, tags)
    segments = _segments(tokens, tags)
    phrases = [body_part] if body_part else []
    for segment_tokens, segment_tags in segments:
        phrase = _tidy(segment_tokens, segment_tags)
        phrase = TIME_LEAD.sub("", phrase).strip()
        if phrase and not framing_classes(phrase) and not set(_words(phrase)) & (META_WORDS | {"camera"}) and piece_fragment(
            phrase
        ) is None and any(c.isalpha() for c in phrase):
            phrases.append(phrase)
    return phrases


_PERSON_REFERENCES = frozenset({"person", "individual", "man", "woman", "presenter", "speaker", "player", "he", "she",
                                "they", "subject", "figure"})


def _strip_person_mentions(tokens: list[str], tags: list[str]) -> tuple[list[str], list[str]]:
    """ "the person is dressed in", "The presenter stands": later mentions of the person as a subject."""
    out_tokens: list[str] = []
    out_tags: list[str] = []
    i = 0
    while i < len(tokens):
        lower = tokens[i].lower()
        j = i + 1 if tags[i] == "DET" and lower in ("the", "this", "that", "a", "an") else i
        if j < len(tokens) and tokens[j].lower() in ("background", "backdrop", "scene", "setting") and (
            j + 1 < len(tokens) and tags[j + 1] in ("VERB", "AUX") and j + 2 < len(tokens) and tags[j + 2] != "VERB"
        ):
            i = j + 2  # "The background includes a cityscape" -> "a cityscape"
            continue
        if j < len(tokens) and (tokens[j].lower() in _PERSON_REFERENCES or person_kind(tokens[j])) and (
            j + 1 < len(tokens) and tags[j + 1] in ("VERB", "AUX") and tags[i] in ("DET", "PRON", "NOUN")
        ):
            i = j + 1
            continue
        out_tokens.append(tokens[i])
        out_tags.append(tags[i])
        i += 1
    return out_tokens, out_tags


def _places_of(piece: Piece) -> list[str]:
    """What a commentary piece still shows: "capturing the first dance under the soft glow of crystal
    chandeliers" -> "under the soft glow of crystal chandeliers" (a place or light, never the comment)."""
    phrases = []
    lower, tags = piece.lower, piece.tags
    for k, (word, tag) in enumerate(zip(lower, tags, strict=True)):
        if tag == "PREP" and word in ("in", "at", "on", "under", "beneath", "inside", "near", "beside", "behind"):
            end = _skip_np(piece.tokens, tags, k + 1)
            while end + 1 < len(lower) and lower[end] == "of":
                end = _skip_np(piece.tokens, tags, end + 1)
            words = set(lower[k:end])
            if words & (lx.PLACES | lx.LIGHTING_STYLE) - {"background", "setting", "set", "atmosphere"}:
                phrase = _tidy(piece.tokens[k:end], tags[k:end])
                if phrase:
                    phrases.append(phrase)
    return phrases


def _is_framing_cue(piece: Piece) -> bool:
    """ "Framed from the waist up", "seen from head to toe": the framing term says it."""
    text = piece.text.lower()
    return any(re.search(pattern, text) for pattern, _ in FRAMING_CUES) and len(piece.tokens) <= 8


def _verbish(tags: list[str], index: int) -> bool:
    return tags[index] in ("VERB", "AUX")


def _is_meta(piece: Piece) -> bool:
    """ "The background remains consistent", "Throughout the video": about the video, not the scene."""
    lower = piece.lower
    first_verb = next((i for i, t in enumerate(piece.tags) if t in ("VERB", "AUX")), len(lower))
    return bool(set(lower[:first_verb]) & META_WORDS) and not set(
        lower
    ) & set(lx.PLACES) - {"background", "setting", "set"}


def _is_commentary(piece: Piece) -> bool:
    """ "suggesting they may be a meteorologist", "highlighting the blend of ...": a comment on the
    scene (its verb comes first, with no subject of its own), not something the frame shows."""
    words = [w for w, t in zip(piece.lower, piece.tags, strict=True) if t not in ("ADV", "CONJ")]
    if not words:
        return False
    return words[0] in lx.COMMENTARY or (piece.tags[piece.lower.index(words[0])] == "VERB" and is_commentary_verb(words[0]))


def _strip_camera(tokens: list[str], tags: list[str]) -> tuple[list[str], list[str]]:
    lower = [t.lower() for t in tokens]
    close_up = [i for i, w in enumerate(lower) if w.startswith(("close-up", "closeup")) or (
        w == "close" and i + 1 < len(lower) and lower[i + 1] == "up")]
    for k, word in enumerate(lower[:4]):
        if word in ("film", "movie", "animation", "clip", "trailer", "video") and k + 1 < len(lower) and lower[k + 1] in (
            "of", "featuring", "showing", "about"
        ):
            return tokens[k + 2 :], tags[k + 2 :]  # "A Japanese animated film of a young woman ..."
    if not set(lower) & CAMERA_WORDS and not close_up:
        return tokens, tags
    if "camera" in lower:
        at = lower.index("camera")
        if at + 1 < len(lower) and (tags[at + 1] in ("VERB", "ADV", "AUX") or en.verb_tags(lower[at + 1]) & {"VBZ"}):
            # "The camera dollies in slowly on a man ..." -> "a man ..."; "the camera pulls back" -> nothing
            for j in range(at + 1, min(at + 7, len(lower))):
                if j + 1 >= len(lower):
                    break
                if lower[j] in ("on", "to", "toward", "towards", "at", "around") and tags[j + 1] != "VERB":
                    return tokens[j + 1 :], tags[j + 1 :]
            return [], []
        return tokens, tags  # "looks at the camera": the person's gaze, handled as a verb
    # Drop up to the preposition after the camera word: "A close-up shot of X" -> "X".
    for i, word in enumerate(lower[:5]):  # a camera lead opens its piece ("A close-up shot of ...")
        if word in CAMERA_WORDS or i in close_up:
            for j in range(i + 1, min(i + 5, len(lower))):
                if lower[j] in ("of", "on", "to", "from", "featuring", "into", "following", "follows"):
                    return tokens[j + 1 :], tags[j + 1 :]
            if all(t in ("DET", "ADJ", "NOUN", "PUNCT") for t in tags):
                return [], []  # "a low-angle shot", "cinematic wide portrait"
    return tokens, tags


def _strip_motion_relatives(tokens: list[str], tags: list[str]) -> tuple[list[str], list[str]]:
    """A relative clause with motion goes whole; a static one becomes a participle ("a logo that
    includes cartoon characters" -> "a logo including cartoon characters")."""
    for i, tag in enumerate(tags):
        if tag != "REL":
            continue
        verbs = [j for j in range(i + 1, len(tokens)) if tags[j] == "VERB"]
        if tokens[i].lower() == "where" or any(is_motion_verb(tokens[j]) for j in verbs):
            return tokens[:i], tags[:i]
        if verbs and verbs[0] == i + 1:
            verb = tokens[i + 1]
            form = verb if en.verb_tags(verb) & {"VBN", "VBG"} or verb.lower().endswith("ed") else en.gerund(verb)
            return _strip_motion_relatives(
                [*tokens[:i], form, *tokens[i + 2 :]], [*tags[:i], "VERB", *tags[i + 2 :]]
            )
    return tokens, tags


def _segments(tokens: list[str], tags: list[str]) -> list[tuple[list[str], list[str]]]:
    """Split a clause at its motion verbs: [static words] and [prop / place] segments."""
    segments: list[tuple[list[str], list[str]]] = []
    current: tuple[list[str], list[str]] = ([], [])
    after_motion = False  # directions right after a motion verb become places ("through" -> "in")
    i = 0

    bare_subject = -1  # length of a segment that is only the subject of a dropped motion verb

    def flush() -> None:
        nonlocal current, bare_subject
        if current[0] and len(current[0]) != bare_subject:
            segments.append(current)  # "as the audience applauds" leaves no bare "the audience"
        current = ([], [])
        bare_subject = -1

    while i < len(tokens):
        word, tag = tokens[i], tags[i]
        lower = word.lower()
        if tag == "NEG":
            # "doesn't throw a punch", "does not look at the camera": nothing the frame shows
            while current[1] and current[1][-1] in ("AUX", "PRON"):
                current[0].pop()
                current[1].pop()
            i += 1
            while i < len(tokens) and tags[i] in ("ADV", "VERB", "AUX", "PRT"):
                i += 1
            while i < len(tokens) and tags[i] not in ("PUNCT", "CONJ", "VERB", "REL"):
                i += 1
            continue
        if tag == "AUX":
            following = tags[i + 1] if i + 1 < len(tags) else ""
            complement = _adjective_complement(tokens, tags, i + 1)
            if complement and current[0] and all(t in ("DET", "ADJ", "NOUN") for t in current[1]):
                # "The lighting is bright and even" -> "bright and even lighting"
                nouns = [w for w, t in zip(*current, strict=True) if t != "DET"]
                current = ([*tokens[i + 1 : complement], *nouns], [*tags[i + 1 : complement], *(["NOUN"] * len(nouns))])
                i = complement
                continue
            if following not in ("VERB", "ADV", "AUX"):
                flush()  # copula: "The background is his personal space" -> two phrases
            i += 1
            continue
        if tag == "VERB" and _in_noun_phrase(tokens, tags, i):
            if verb_lemma(lower) in lx.MOTION_VERBS:  # "swaying wildflowers" -> "wildflowers"
                while current[1] and current[1][-1] == "ADV":
                    current[0].pop()
                    current[1].pop()
                i += 1
                continue
            current[0].append(word)
            current[1].append("ADJ")
            i += 1
            continue
        if tag == "ADJ" and lower.endswith("ing") and verb_lemma(lower) in lx.MOTION_VERBS and (
            i + 1 < len(tokens) and tags[i + 1] == "NOUN" and tokens[i + 1].lower() not in COMPOUND_HEADS
        ):
            i += 1  # "a flying spaceship" -> "a spaceship"
            continue
        if tag == "VERB" and "VERB" in current[1] and (lower.endswith("ed") or "VBN" in en.verb_tags(lower)) and (
            current[1][-1] in ("NOUN", "ADV")
        ):
            current[0].append(word)  # "a loaf of freshly baked bread": a participle inside the object
            current[1].append("ADJ")
            i += 1
            continue
        if tag == "VERB":
            lemma = verb_lemma(lower)
            gaze = lemma in GAZE_LEMMAS
            still_gaze = gaze and i + 1 < len(tokens) and (
                tokens[i + 1].lower() in STILL_GAZE or tags[i + 1] == "ADJ" or tokens[i + 1].lower().endswith("ed")
            )  # "looked bewildered": a held look
            phrasal = i + 1 < len(tokens) and tags[i + 1] == "PRT" and tokens[i + 1].lower() in MOTION_PARTICLES
            static = not is_motion_verb(lower) and not gaze and not (phrasal and lemma not in HELD_PHRASAL)
            if static or still_gaze:
                finite = bool(en.verb_tags(lower) & {"VBZ", "VBP"}) or (
                    "VBD" in en.verb_tags(lower) and not lower.endswith("ed")
                )
                if finite and current[0] and current[1][-1] != "REL":
                    flush()  # "with a white beard | sitting on a porch swing": the predicate is its own phrase
                i = _keep_static_verb(tokens, tags, i, current)
                continue
            # Motion: drop the verb, its adverbs and particles (and "to" of an infinitive before it).
            while current[1] and (
                current[1][-1] in ("ADV", "AUX")
                or current[0][-1].lower() == "to"
                or (current[1][-1] == "PRON" and current[0][-1].lower() in ("he", "she", "they"))
            ):
                # "the background softly [blurred]", "is [running]", "to [catch]"; "as she [reunited]":
                # the person is the subject phrase
                current[0].pop()
                current[1].pop()
            has_subject = (
                bool(current[0]) and current[1][-1] == "NOUN" and "VERB" not in current[1] and current[1][0] != "PREP"
            )
            after_motion = True
            if not has_subject:
                flush()
            else:
                bare_subject = len(current[0])
            i += 1
            while i < len(tokens) and (
                tags[i] in ("ADV", "PRT")
                or (tokens[i].lower() in MOTION_PARTICLES and i + 1 < len(tokens) and tags[i + 1] == "DET")
            ):
                i += 1  # "picks up a mug", "blows out the candles"
            while i < len(tokens) and tags[i] == "PRON" and tokens[i].lower() in ("it", "them", "him", "her", "itself"):
                i += 1  # "setting it down"
                while (i < len(tokens) and tags[i] in ("ADV", "PRT")) or (
                    i < len(tokens) and tokens[i].lower() in MOTION_PARTICLES
                ):
                    i += 1
            if i < len(tokens) and tokens[i].lower() == "at" and not gaze:
                i = _skip_np(tokens, tags, i + 1)  # "waves at a neighbour", "emerges at the edge": a target
            if i < len(tokens) and tags[i] in ("DET", "ADJ", "NOUN", "NUM"):
                if has_subject:
                    i = _skip_np(tokens, tags, i)  # "her lips forming gentle words" -> "her lips"
                else:
                    i = _object_as_prop(tokens, tags, i, current, plain=gaze)
            continue
        if tag in ("PUNCT", "CONJ", "REL") or (tag == "VERB"):
            after_motion = False
        if tag == "PREP" and lower in ("in", "with", "through", "into", "by") and _motion_noun(
            _np_head(tokens, tags, i + 1)
        ):
            i = _skip_np(tokens, tags, i + 1)  # "engaged in a fast-paced duel": the movement is the video's
            continue
        if tag == "PREP" and lower in DIRECTIONAL and after_motion:
            mapped = DIRECTIONAL[lower]
            if lower == "to" and i + 1 < len(tokens) and tags[i + 1] in ("VERB", "AUX"):
                i += 1  # "to show": an infinitive, not a direction
                continue
            head = _np_head(tokens, tags, i + 1).lower()
            if lower == "to" and (person_kind(head) or head in ANIMALS):
                current[0].append("with")  # "singing to a baby": the baby is in the frame
                current[1].append("PREP")
                i += 1
                continue
            if mapped is None:  # "toward the sink", "from the mug": where it moves, not where it is
                i = _skip_np(tokens, tags, i + 1)
                while i + 1 < len(tokens) and tokens[i].lower() == "of":
                    i = _skip_np(tokens, tags, i + 1)  # "past a row of cherry trees"
                continue
            head = _np_head(tokens, tags, i + 1).lower()
            singular = head[:-1] if head.endswith("s") and not head.endswith("ss") else head
            if lower == "into" and head and singular not in lx.PLACES and singular not in CONTAINERS and singular not in (
                "water", "air", "crowd", "distance", "sky", "darkness", "light"
            ):
                mapped = "with"  # "biting into an apple", "sneezing into a tissue": the thing, not a place
            current[0].append(mapped)
            current[1].append("PREP")
            i += 1
            continue
        if tag == "PREP" and lower in GERUND_PREPOSITIONS and i + 1 < len(tokens) and tags[i + 1] == "VERB":
            flush()  # "before setting it down": a second action
            i += 1
            continue
        if tag == "CONJ" and lower in ("as", "while", "before", "after", "when", "until", "then"):
            flush()
            i += 1
            continue
        current[0].append(word)
        current[1].append(tag)
        i += 1
    flush()
    return segments


def _adjective_complement(tokens: list[str], tags: list[str], start: int) -> int:
    """End of an adjective-only complement after "is" ("bright and even"), or 0."""
    end = start
    while end < len(tokens) and (tags[end] in ("ADJ", "ADV") or tokens[end].lower() == "and"):
        end += 1
    ends_clause = end >= len(tokens) or tags[end] in ("PUNCT", "CONJ")
    return end if end > start and tags[end - 1] == "ADJ" and ends_clause else 0


def _in_noun_phrase(tokens: list[str], tags: list[str], index: int) -> bool:
    """A participle used as an adjective: between a determiner/preposition and its noun."""
    word = tokens[index].lower()
    if not word.endswith("ing") or index + 1 >= len(tokens) or index == 0:
        return False
    if tokens[index - 1].lower() in GERUND_PREPOSITIONS:
        return False  # "before chopping vegetables" is an action
    return tags[index + 1] == "NOUN" and tags[index - 1] in ("PREP", "DET", "ADV", "ADJ", "VERB")


def _keep_static_verb(tokens: list[str], tags: list[str], index: int, current: tuple[list[str], list[str]]) -> int:
    """Keep a posture or state verb as a participle ("sits at" -> "sitting at"); drop "be"/"have"."""
    word = tokens[index]
    lemma = verb_lemma(word)
    if lemma in ("be", "have", "seem", "appear", "remain", "stay"):
        if lemma == "have" and not current[0]:
            current[0].append("with")
            current[1].append("PREP")
        return index + 1
    form = word
    tags_of_word = en.verb_tags(word)
    lower = word.lower()
    participle = lower.endswith("ed") or lower in ("lit", "made", "set", "strung", "built", "worn", "clad", "spread")
    if participle and not current[0] and lemma not in PASSIVE_LEMMAS and "VBD" in tags_of_word:
        participle = False  # "[his face] glowed with joy" -> "glowing with joy"; "dressed in" stays
    if "VBG" not in tags_of_word and not participle and tags_of_word & {"VBZ", "VBP", "VB", "VBD"}:
        form = en.gerund(word)  # "sits" / "sat" -> "sitting"; "dressed", "lit" stay participles
    current[0].append(form)
    current[1].append("VERB")
    return index + 1


def _object_as_prop(
    tokens: list[str], tags: list[str], index: int, current: tuple[list[str], list[str]], *, plain: bool
) -> int:
    """The noun phrase after a dropped motion verb, as "with NP" (a prop), "in NP" (a place) or as is."""
    end = index

    def in_np(k: int) -> bool:  # "mashed potatoes": a participle before its noun belongs to the phrase
        return tags[k] in ("DET", "ADJ", "NOUN", "NUM", "POS", "ADV") or (
            tags[k] == "VERB" and tokens[k].lower().endswith("ed") and k + 1 < len(tokens) and tags[k + 1] == "NOUN"
        )

    while end < len(tokens) and in_np(end) and tags[end] != "ADV":
        end += 1
    # "a loaf of freshly baked bread": keep an "of" phrase that belongs to the object.
    while end + 1 < len(tokens) and tokens[end].lower() == "of" and in_np(end + 1):
        end += 1
        while end < len(tokens) and in_np(end):
            end += 1
    words = [t.lower() for t in tokens[index:end]]
    head = words[-1] if words else ""
    singular = head[:-1] if head.endswith("s") and not head.endswith("ss") else head
    if words and (head in APPEARANCE_NOUNS or singular in BODY_PARTS):
        return end  # "tousling her hair", "washing his hands": the person's own body is no prop
    if not words or singular in ABSTRACT_OBJECTS or head in ABSTRACT_OBJECTS or _motion_noun(head) or (person_kind(head) and head not in (
        "baby", "child"
    )):
        return end
    last_is_noun = tags[end - 1] in ("NOUN", "NUM") or "NOUN" in en.word_classes(words[-1])
    if words[-1] in ("the", "a", "an") or not last_is_noun:
        return end  # "swings higher and higher": no object
    preposition = "in" if head in lx.PLACES else "with"
    if not plain:
        current[0].append(preposition)
        current[1].append("PREP")
    current[0].extend(tokens[index:end])
    current[1].extend(tags[index:end])
    if end + 1 < len(tokens) and tokens[end].lower() == "with" and _motion_noun(_np_head(tokens, tags, end + 1)):
        return _skip_np(tokens, tags, end + 1)  # "breaking a board with a powerful punch"
    if end + 1 < len(tokens) and tokens[end].lower() == "with" and preposition == "with":
        current[0].append("and")  # "eats noodles with chopsticks" -> "with noodles and chopsticks"
        current[1].append("CONJ")
        return end + 1
    return end


def _motion_noun(word: str) -> bool:
    """ "stroll", "punch", "duel", "swing": a noun that names a movement."""
    lower = word.lower()
    singular = lower[:-1] if lower.endswith("s") and not lower.endswith("ss") else lower
    return singular in MOTION_NOUNS


def _skip_np(tokens: list[str], tags: list[str], index: int) -> int:
    while index < len(tokens) and tags[index] in ("DET", "ADJ", "NOUN", "NUM", "POS"):
        index += 1
    return index


def _np_head(tokens: list[str], tags: list[str], index: int) -> str:
    end = _skip_np(tokens, tags, index)
    return tokens[end - 1] if end > index else ""


_LEADING_JUNK = {"to", "and", "or", "but", "as", "while", "then", "also", "even", "just", "still", "which", "that",
                 "who", "possibly", "likely", "perhaps", "seemingly", "apparently", "there"}


def _tidy(tokens: list[str], tags: list[str]) -> str:
    """A segment as a whole phrase: no dangling conjunction/preposition/article at either end, no
    phrase that is only a pronoun or an adverb; cut back to the last word that ends a phrase."""
    keep = [k for k, t in enumerate(tokens) if t != ","]  # "a tall, weathered wall": commas separate phrases
    tokens, tags = [tokens[k] for k in keep], [tags[k] for k in keep]
    while tokens and (tokens[0].lower() in _LEADING_JUNK or tags[0] in ("PUNCT", "CONJ", "ADV", "AUX", "REL")):
        tokens, tags = tokens[1:], tags[1:]
    while tokens and (tags[-1] in ("DET", "PREP", "CONJ", "PUNCT", "AUX", "REL", "PRT", "ADV") or tokens[-1].lower() in _LEADING_JUNK):
        tokens, tags = tokens[:-1], tags[:-1]
    if not tokens or (all(t in ("PRON", "ADV", "DET", "PREP", "NUM", "ADJ", "CONJ") for t in tags) and not (
        len(tokens) <= 3 and set(_words(" ".join(tokens))) & (lx.LIGHTING_STYLE | lx.LIGHTING_WEAK)
    )):
        return ""  # "higher and higher"; but "cinematic", "vivid" style tags stay
    if len(tokens) == 1 and tags[0] in ("VERB",):
        return ""
    if tokens[0][:1].isupper() and not tokens[0].isupper() and (
        en.word_classes(tokens[0].lower()) or tokens[0].lower() in en.DETERMINERS
    ):
        tokens = [tokens[0].lower(), *tokens[1:]]  # "Tears of joy" -> "tears of joy" inside the list
    text = join_tokens(tokens)
    while piece_fragment(text) and len(tokens) > 1:
        tokens, tags = tokens[:-1], tags[:-1]
        while tokens and tags[-1] in ("DET", "PREP", "CONJ", "PUNCT", "ADV"):
            tokens, tags = tokens[:-1], tags[:-1]
        text = join_tokens(tokens)
    return text if tokens and not piece_fragment(text) else ""


def category_of(phrase: str) -> str:
    words = set(_words(phrase.replace("-", " "))) | set(_words(phrase))
    if words & APPEARANCE_NOUNS:
        return "appearance"
    if words & lx.CLOTHING or words & set(lx.CLOTHING_LEADS) or "adorned" in words:
        return "clothing"
    if phrase.lower().startswith(("with ", "holding ")):
        return "prop"
    if words & lx.LIGHTING_STYLE or (len(words) <= 3 and words & lx.LIGHTING_WEAK):
        return "lighting_style"
    if words & lx.PLACES or phrase.lower().split(" ")[0] in {"in", "at", "on", "under", "beside", "near",
                                                              "behind", "against", "amid", "amidst", "inside",
                                                              "standing", "sitting", "above", "beneath"}:
        return "setting"
    return "other"
