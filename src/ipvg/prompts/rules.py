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

This module reads the person and writes the temporal prompt; the spatial phrases are built in
`ipvg.prompts.rules_spatial`, the piece readers both share live in `ipvg.prompts.clauses`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ipvg.prompts import english as en
from ipvg.prompts import lexicon as lx
from ipvg.prompts.base import Windows, make_record
from ipvg.prompts.check import starts_with_subject
from ipvg.prompts.clauses import (
    Piece,
    is_feature_lead,
    is_nonvisual,
    join_tokens,
    person_kind,
    split_pieces,
    split_sentences,
    without_nonvisual,
)
from ipvg.prompts.lexicon import FEMALE_WORDS, MALE_WORDS
from ipvg.prompts.rules_spatial import (
    compose_spatial,
)
from ipvg.prompts.rules_words import (
    ANGLE_FRAMING_CUES,
    BODY_PARTS,
    CAMERA_WORDS,
    CHILD_NOUNS,
    FRAMING_CUES,
)
from ipvg.prompts.subject import (
    UNKNOWN_SUBJECT,
    indefinite,
    normalise_subject,
    subject_from_text,
    subject_noun,
)
from ipvg.prompts.text import MAX_SOURCE_CHARS, clean_source
from ipvg.types import DecoupledPrompt

_WORD = re.compile(r"[^\W\d_]+")
_COMPOUND_ACTIVITY = re.compile(
    r"\b(mountain|rock|ice|figure|scuba|bungee|road|trail|dirt|free|sky|snow|deep-sea|cliff|speed|power)"
    r" (biking|cycling|climbing|skating|diving|jumping|running|skiing|boarding|walking)\b",
    re.IGNORECASE,
)
_CLOSE_UP = re.compile(r"\b([Cc])lose up(?=\s+(?:of|shot|view|on)\b)")


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
    shown: str = ""  # the head as written when its case matters ("DJ", not "dj")
    text: str = ""  # a group's whole noun phrase ("Two young dancers")


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
        # 3. Read: sentences and pieces, the person, the framing asked for ("Close up of" is "Close-up of").
        text = _CLOSE_UP.sub(r"\1lose-up", text)
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
        joined = _COMPOUND_ACTIVITY.sub(r"\1-\2", text)  # "mountain biking" -> "mountain-biking": one activity
        if joined != text:
            sentences = [split_pieces(s, i) for i, s in enumerate(split_sentences(joined))]
            match = find_subject(sentences)
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


def find_subject(sentences: list[list[Piece]]) -> SubjectMatch | None:
    """The first person named in the first two sentences, with its determiner and modifiers."""
    pronoun = _pronoun_subject(sentences)
    first_group: SubjectMatch | None = None
    for s_index, pieces in enumerate(sentences[:2]):
        for p_index, piece in enumerate(pieces):
            lower = piece.lower
            if pronoun is not None and (s_index, p_index) == (pronoun.sentence, pronoun.piece):
                return pronoun
            for i, word in enumerate(lower):
                group = _group_at(piece, i)
                if group is not None and first_group is None:
                    # kept in case no one person is named: "Two chess players sit ...; the older man moves"
                    # is about the older man (one face), a group prompt about the group
                    first_group = SubjectMatch(s_index, p_index, group[0], group[1], word, "group",
                                               text=join_tokens(piece.tokens[group[0] : group[1]]))
                    continue
                kind = person_kind(word)
                if kind is None or piece.tags[i] not in ("NOUN", "ADJ"):
                    continue
                following = lower[i + 1] if i + 1 < len(lower) else ""
                if word in ("female", "male") and person_kind(following) is not None:
                    continue  # "a female scientist": the role is the person, "female" its modifier
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
                shown = piece.tokens[i] if piece.tokens[i].isupper() and len(piece.tokens[i]) > 1 else head  # "DJ"
                found = SubjectMatch(s_index, p_index, start, end, head, kind, modifiers, possessive, shown=shown)
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
    return first_group


# Several people named as one subject: "Two people walk", "A group of friends laugh", "A couple holds hands".
PEOPLE_PLURALS = frozenset("people men women children kids friends girls boys teenagers students dancers players "
                           "workers tourists musicians couples soldiers athletes runners kids".split())
GROUP_NOUNS = frozenset({"couple", "group", "family", "crowd", "team", "pair", "band", "trio", "duo"})


def _group_at(piece: Piece, i: int) -> tuple[int, int] | None:
    """(start, end) of a group of people whose head is at token `i`, or None."""
    lower, tags = piece.lower, piece.tags
    word = lower[i]
    if word in PEOPLE_PLURALS and tags[i] == "NOUN":
        start = i
        while start > 0 and tags[start - 1] in ("ADJ", "NUM", "DET", "NOUN") and lower[start - 1] not in ("and", ","):
            start -= 1
        if start == i and (i == 0 or lower[i - 1] not in ("of",)):
            return (i, i + 1) if i == 0 else None  # "People dance": a bare plural only at the start
        if lower[start] == "of":
            return None
        return start, i + 1
    if word in GROUP_NOUNS and i > 0 and tags[i - 1] == "DET" and lower[i - 1] in ("a", "an", "the"):
        end = i + 1
        if end + 1 < len(lower) and lower[end] == "of":
            k = end + 1
            while k < len(lower) and tags[k] in ("ADJ", "NUM", "DET", "NOUN") and lower[k] not in PEOPLE_PLURALS:
                k += 1
            if k < len(lower) and lower[k] in PEOPLE_PLURALS:
                end = k + 1  # "a group of young friends"
            elif word != "couple":
                return None  # "a group of trees": no people
        return i - 1, end
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
    if match.kind == "group":
        # Several people: the group is the subject ("Two people walk ..."); a face's subject leads it.
        group = match.text[:1].lower() + match.text[1:] if match.text.split()[0].lower() in ("a", "an", "the", "two",
            "three", "four", "several", "some", "many") else match.text
        if given:
            return given, f"{given}, {group}", _possessive(given)
        phrase = _capitalise(group)
        return phrase, phrase, _possessive(phrase)
    if match.kind == "pronoun":
        phrase = given or ("A woman" if match.head == "she" else "A man")
        return phrase, phrase, _possessive(phrase)
    if match.kind == "child":
        noun = CHILD_NOUNS[match.head]
        if gender_noun in ("woman", "man") and noun in ("girl", "boy"):
            noun = "girl" if gender_noun == "woman" else "boy"
        text_gender = subject_noun(subject_from_text(text))
        if text_gender in ("woman", "man") and noun in ("child", "teenager"):
            # "A teenager ... her phone" -> "A teenage girl" (the prompt's own words; a face's gender
            # guess is not trusted to turn "a child" into a girl or a boy)
            girl = text_gender == "woman"
            noun = ("teenage girl" if girl else "teenage boy") if noun == "teenager" else ("girl" if girl else "boy")
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
    role = " ".join([*match.modifiers, match.shown or match.head])
    if match.head in (FEMALE_WORDS if noun == "woman" else MALE_WORDS if noun == "man" else ()):
        # "A businesswoman", not "A woman, a businesswoman": the role already says the gender
        phrase = _capitalise(indefinite(role)) if not given else phrase
        return phrase, _capitalise(indefinite(role)) if not given else f"{phrase}, {indefinite(role)}", _possessive(
            phrase
        )
    if not given and phrase == UNKNOWN_SUBJECT:
        # Neither face nor words tell the gender: "A golfer", not "A person, a golfer".
        phrase = _capitalise(indefinite(role))
        return phrase, phrase, _possessive(phrase)
    return phrase, f"{phrase}, {indefinite(role)}", _possessive(phrase)


def _possessive(noun_phrase: str) -> str:
    return f"{noun_phrase}'s"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def framing_from_text(text: str, default: str) -> str:
    lowered = text.lower()
    found = [(m.start(), term) for pattern, term in FRAMING_CUES for m in [re.search(pattern, lowered)] if m]
    if not found:
        found = [(m.start(), term) for pattern, term in ANGLE_FRAMING_CUES for m in [re.search(pattern, lowered)] if m]
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
            without_nonvisual(p, keep=own and p_index == match.piece, video=True) for p_index, p in enumerate(pieces)
        ] if match is not None else [without_nonvisual(p, video=True) for p in pieces]
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
            if match.possessive and rest_tokens and all(t.lower() in BODY_PARTS or t.lower().rstrip("s") in BODY_PARTS
                                                        for t in rest_tokens):
                # "Close-up of a man's face as he listens": the man listens; the close-up is the framing
                replacement, rest_tokens = subject_np, []
            first_after = after[0]
            after = [Piece(first_after.tokens[1:], first_after.tags[1:], first_after.sentence, " "), *after[1:]]
    needs_comma = "," in replacement and not match.possessive and rest_tokens and rest_tokens[0] != ","
    head = replacement + ("," if needs_comma else "") + (" " + join_tokens(rest_tokens) if rest_tokens else "")
    if before and all(set(p.lower) & CAMERA_WORDS for p in before) and not lead_tokens:
        # "The camera slowly pans left as a man ... walks": the camera move goes after the action.
        camera = _decapitalise(_join_pieces(before, capitalise=False).rstrip("."))
        tail = _tail_join(after, _join_pieces(after, capitalise=False)[:-1]) if after else ""
        return _end_sentence(_capitalise(head) + tail + ", " + camera)
    if before and not lead_tokens and all(p.tags[:1] == ["PREP"] and "VERB" not in p.tags for p in before):
        # "In a quiet library, a young woman ... is flipping through a book" -> "A young woman ... is
        # flipping through a book, in a quiet library": the scene lead goes after the person's clause
        scene = _decapitalise(_join_pieces(before, capitalise=False).rstrip("."))
        tail = _tail_join(after, _join_pieces(after, capitalise=False)[:-1]) if after else ""
        return _end_sentence(_capitalise(head) + tail + ", " + scene)
    if not before and (not lead_tokens or is_feature_lead(lead_lower)):
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
    elif not before and not after and not any(t in ("VERB", "AUX") for t in piece.tags):
        # "Two whales and a violin player": no verb to hang the subject on; the person first, then the rest
        own = join_tokens(rest_tokens).strip(" ,")  # "a woman in a red dress": the person's own words first
        others = join_tokens([t for t in lead_tokens if t.lower() not in ("and", ",")])
        text = subject_np.split(",")[0] + (" " + own if own else "") + (", " + _decapitalise(others) if others else "")
        return _end_sentence(text)
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


def _decapitalise(text: str) -> str:
    first, _, rest = text.partition(" ")
    if first.isupper() and len(first) > 1:
        return text
    return (first[:1].lower() + first[1:] + (" " + rest if rest else "")) if first else text
