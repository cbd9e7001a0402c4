"""The `rules` decoupler's spatial side: whole static phrases of each piece, grouped and ordered.

`compose_spatial` walks every piece of the prompt: the person's own noun phrase becomes the subject
phrase, camera phrases and motion relatives go, a motion verb is dropped with its adverbs while its
object is kept as a prop ("with a loaf of bread") and its places with a static preposition. Phrases are
grouped (appearance, clothing, prop, setting, lighting/style) in `SPATIAL_ORDER` with the drop priority
`SPATIAL_PRIORITY`, so the window fitting in `ipvg.prompts.base` drops whole phrases, lowest priority
first. Split out of `rules.py` (the reading of the person, the temporal prompt and the backend stay
there) so each file stays well under 1,000 lines.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ipvg.prompts import english as en
from ipvg.prompts import lexicon as lx
from ipvg.prompts.categories import SPATIAL_ORDER, SPATIAL_PRIORITY, category_of, letter_words
from ipvg.prompts.check import framing_classes, piece_fragment
from ipvg.prompts.clauses import (
    GERUND_PREPOSITIONS,
    META_WORDS,
    Piece,
    is_commentary_verb,
    is_feature_lead,
    is_motion_verb,
    join_tokens,
    person_kind,
    verb_lemma,
    without_nonvisual,
)
from ipvg.prompts.rules_words import (
    ABSTRACT_OBJECTS,
    ACTIVITY_PROPS,
    ANIMALS,
    APPEARANCE_NOUNS,
    BODY_PARTS,
    BROWSABLE,
    CAMERA_ANGLES,
    CAMERA_WORDS,
    CLIMBABLE,
    COGNITION_LEMMAS,
    COMPOUND_HEADS,
    CONTAINERS,
    CREATING,
    DIRECTIONAL,
    DRESSING_LEMMAS,
    FRAMING_CUES,
    GAZE_LEMMAS,
    GROUP_WORDS,
    HELD_OR_PLACE,
    HELD_PHRASAL,
    HIGH_OVER,
    HOVER_LEMMAS,
    HOVER_PLACES,
    INGESTION_LEMMAS,
    INTRANSITIVE_MOTION,
    LANDMARKS,
    LIGHT_SUBJECTS,
    LIGHT_VERBS,
    LISTENERS,
    LOCOMOTION,
    LONG_CONTAINERS,
    MANNER_NOUNS,
    MOTION_NOUNS,
    MOTION_PARTICLES,
    PASSIVE_LEMMAS,
    PHRASAL_MOTIONS,
    PLACE_OBJECT,
    PLURAL_BODY,
    POSSESSIVES,
    PRONOUN_OF,
    STILL_GAZE,
    SURFACES,
    TARGET_LEMMAS,
    TIME_LEAD,
    TOOL_FOR,
    VEHICLES,
)
from ipvg.prompts.subject import indefinite, subject_noun

if TYPE_CHECKING:
    from ipvg.prompts.rules import SubjectMatch

def compose_spatial(
    sentences: list[list[Piece]], match: SubjectMatch | None, subject_np: str, framing: str
) -> tuple[list[str], list[int]]:
    """(phrases, drop priorities) in `SPATIAL_ORDER`, the framing term last."""
    groups: dict[str, list[str]] = {name: [] for name in SPATIAL_ORDER}
    groups["subject"].append(subject_np)
    seen: list[set[str]] = [set(letter_words(subject_np))]

    def add(phrase: str) -> None:  # once: a phrase whose words another already has adds nothing
        words = set(letter_words(phrase))
        if words and not any(words <= other for other in seen):
            seen.append(words)
            groups[category_of(phrase)].append(phrase)

    for s_index, pieces in enumerate(sentences):
        later = False  # "Then, she runs along the beach", "Moments later, ...": not the first frame
        for p_index, piece in enumerate(pieces):
            own = match is not None and (s_index, p_index) == (match.sentence, match.piece)
            later = later or (not own and _tells_what_happens_next(piece))
            if later and not own:
                # a later event's light is still the scene's ("then breaks into a smile under the spotlight");
                # its places are not (the person may only get there later)
                for phrase in _places_of(piece, lights_only=True):
                    add(phrase)
                continue
            for phrase in static_phrases(piece, match if own else None):
                add(phrase)
    # Camera angles the frame is composed from ("a low-angle shot of", "first-person view"), once each.
    source = " ".join(p.text for pieces in sentences for p in pieces).lower()
    for pattern, term in CAMERA_ANGLES:
        if re.search(pattern, source):
            for name in SPATIAL_ORDER:
                groups[name] = [g for g in groups[name] if not re.search(pattern, g.lower())]
            groups["lighting_style"].append(term)
    pronoun = PRONOUN_OF.get(subject_noun(subject_np.split(",")[0].split(" and ")[0]), "their")
    phrases: list[str] = []
    priorities: list[int] = []
    for name in SPATIAL_ORDER[:-1]:
        for text in groups[name]:
            if text.startswith("their ") and pronoun != "their":
                text = pronoun + text[5:]  # "The person's eyes ... she" -> "her eyes"
            phrases.append(text)
            priorities.append(SPATIAL_PRIORITY[name])
    phrases = [phrases[0], *(_sentence_case_off(p) for p in phrases[1:])] if phrases else phrases
    return [*phrases, framing], [*priorities, 0]


def _tells_what_happens_next(piece: Piece) -> bool:
    """ "Then, she runs", "Moments later", "He then turns" (but "Next to her"): the rest of the sentence
    is a later event."""
    lower = piece.lower
    return bool(lower) and (
        piece.lead in LATER_LEADS
        or lower[0] in LATER_LEADS
        or lower[-1:] == ["later"]
        or (lower[1:2] != [] and lower[1] in ("then", "finally", "later", "eventually"))
    ) and lower[:2] != ["next", "to"]


def _sentence_case_off(phrase: str) -> str:
    """ "A pink halo above her head" -> "a pink halo ...": a sentence's first word inside a list."""
    first, _, rest = phrase.partition(" ")
    if (first in ("A", "An", "The") or first.lower() in en.PREPOSITIONS) and rest[:1].islower():
        return first.lower() + " " + rest  # "A pink halo ..." / "At night" inside the list
    return phrase


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
        if is_feature_lead(lead):
            start = 0
        if 0 < start <= len(tokens) and tokens[start - 1].lower() in ("and", ","):
            # "A cat and [a woman] in a red dress": two phrases ("a cat", "in a red dress"), no dangling "and"
            tokens, tags = [*tokens[: start - 1], "while", *tokens[end:]], [*tags[: start - 1], "CONJ", *tags[end:]]
        else:
            tokens, tags = tokens[:start] + tokens[end:], tags[:start] + tags[end:]
    elif _is_meta(piece) or _is_framing_cue(piece) or _presents_a_mood(piece):
        return _style_of(piece)  # "The entire video presents a melancholic atmosphere" -> "melancholic atmosphere"
    elif _is_commentary(piece):
        return _places_of(piece)
    # 2. A camera phrase ("A close-up shot of", "the camera pulls back") is not content; the style a
    #    film lead names is ("A Japanese animated film of ..." -> "Japanese animated film").
    medium_style = _medium_style(tokens, tags)
    tokens, tags = _strip_camera(tokens, tags)
    # 3. Relative clauses with motion ("lily pads that light up with each step") go whole.
    tokens, tags = _strip_motion_relatives(tokens, tags)
    # 4. Walk the clause: keep static words, turn motion verbs into props and places.
    tokens, tags = _strip_person_mentions(tokens, tags)
    if match is None and ((visual.lower[:1] and visual.lower[0] in LATER_LEADS and visual.lower[:2] != ["next", "to"]) or (
        visual.lead in LATER_LEADS
    )):
        return [body_part] if body_part else []  # "then to a surprised look", "Finally, she dances": later events
    segments = _segments(tokens, tags)
    phrases = [body_part] if body_part else []
    for segment_tokens, segment_tags in segments:
        phrase = _tidy(segment_tokens, segment_tags)
        phrase = TIME_LEAD.sub("", phrase).strip()
        if set(letter_words(phrase)) - en.DETERMINERS <= _EMPTY_HEADS:
            continue  # "the lighting" left when "is very cinematic with ..." went its own way: says nothing
        if set(letter_words(phrase)) & MOVEMENT_HEADS:
            continue  # "lively gestures", "her movements graceful and deliberate": the video's, not the frame's
        if set(letter_words(phrase)) & META_WORDS:
            phrase = _place_after(phrase)  # "with a presentation in a glass-walled room" -> "in a glass-walled room"
        if phrase and not framing_classes(phrase) and not set(letter_words(phrase)) & META_WORDS and not _the_camera(
            phrase
        ) and piece_fragment(
            phrase
        ) is None and any(c.isalpha() for c in phrase):
            phrases.append(phrase)
    return [*phrases, medium_style] if medium_style else phrases


# Pieces that tell what happens later, never what the first frame shows.
LATER_LEADS = frozenset({"then", "finally", "next", "later", "afterwards", "afterward", "eventually", "suddenly"})
MOVEMENT_HEADS = frozenset({"gesture", "gestures", "motion", "motions", "movement", "movements", "move", "moves"})


def _the_camera(phrase: str) -> bool:
    """ "the camera" is the viewer (not content); "his camera", "a vintage camera" is a prop."""
    words = letter_words(phrase)
    for k, word in enumerate(words):
        if word != "camera":
            continue
        before = words[k - 1] if k else ""
        if before not in ("his", "her", "their", "my", "a", "an") and not en.is_adjective_only(before):
            return True
    return False


# Nouns that show nothing on their own, without an adjective or a complement.
_EMPTY_HEADS = frozenset({"lighting", "light", "scene", "atmosphere", "mood", "background", "setting", "movement",
                          "motion", "shot", "view", "image", "picture"})
_MEDIA = ("film", "movie", "animation", "clip", "trailer", "video")


def _presents_a_mood(piece: Piece) -> bool:
    """ "The entire scene presents a calm atmosphere": a sentence about the mood, whose style phrase is kept."""
    lower = piece.lower
    return bool(lower[:4]) and "scene" in lower[:4] and bool(set(lower) & _STYLE_HEADS) and any(
        w in ("presents", "has", "is", "shows", "conveys", "feels") for w in lower[:5]
    )


def _place_after(phrase: str) -> str:
    """The place phrase after a word about the video ("... in a conference room"), or ""."""
    match = re.search(r"\b(?:in|on|at|inside|beside|near|under|by) (?:an?|the|his|her|their) [^,]*$", phrase)
    if match and set(letter_words(match.group(0))) & lx.PLACES and not set(letter_words(match.group(0))) & META_WORDS:
        return match.group(0)
    return ""


PLACE_ADVERBS = frozenset({"underwater", "outdoors", "indoors", "upstairs", "downstairs", "offshore", "overhead",
                           "underground", "onstage", "backstage", "ashore", "aboard", "midair", "mid-air"})
_STYLE_HEADS = frozenset({"style", "atmosphere", "mood", "aesthetic", "tone", "vibe", "ambiance", "ambience", "look",
                          "palette", "texture", "grain", "quality"})


def _style_of(piece: Piece) -> list[str]:
    """The style a piece about the video names ("in a sci-fi art style", "a sorrowful atmosphere"), or []."""
    lower, tags = piece.lower, piece.tags
    for k, word in enumerate(lower):
        if word in _STYLE_HEADS and k > 0:
            start = k
            while start > 0 and (tags[start - 1] in ("ADJ", "NOUN", "NUM") or (
                lower[start - 1] == "," and start > 1 and tags[start - 2] == "ADJ"  # "a warm, nostalgic tone"
            )) and (
                lower[start - 1] not in META_WORDS | {"entire", "whole", "overall"}
            ):
                start -= 1
            if start < k:
                return [join_tokens(piece.tokens[start : k + 1])]
    return []


def _medium_style(tokens: list[str], tags: list[str]) -> str:
    """The style words of a leading "<style> film of ..." ("Japanese animated film"), or "".

    A bare "A movie trailer featuring" or "A video of" names no style and gives nothing."""
    lower = [t.lower() for t in tokens]
    lead = 1 if lower[:1] and lower[0] in ("create", "generate", "make", "produce", "render", "show") else 0
    for k, word in enumerate(lower[: 4 + lead]):
        if word in _MEDIA and k + 1 < len(lower) and lower[k + 1] in ("of", "featuring", "showing", "about"):
            # "A Japanese animated film of", "Create a pixel art video of"
            words = [t for t, tag in zip(tokens[lead : k + 1], tags[lead : k + 1], strict=True) if tag != "DET"]
            if any(w.lower() not in _MEDIA for w in words):
                return join_tokens(words)
            return ""
    return ""


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


def _places_of(piece: Piece, *, lights_only: bool = False) -> list[str]:
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
            kinds = lx.LIGHTING_STYLE if lights_only else lx.PLACES | lx.LIGHTING_STYLE
            if words & kinds - {"background", "setting", "set", "atmosphere"}:
                phrase = _tidy(piece.tokens[k:end], tags[k:end])
                if phrase:
                    phrases.append(phrase)
    return phrases


def _is_framing_cue(piece: Piece) -> bool:
    """ "Framed from the waist up", "seen from head to toe": the framing term says it."""
    text = piece.text.lower()
    if any(t in ("VERB",) for t in piece.tags) and not re.search(r"framed|seen|shot|captured|filmed|viewed", text):
        return False  # "closeup of hands counting dollar bills": the hands and the bills are the content
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


_SHOWING = frozenset({"shows", "captures", "reveals", "depicts", "frames", "displays", "highlights"})


def _strip_camera(tokens: list[str], tags: list[str]) -> tuple[list[str], list[str]]:
    lower = [t.lower() for t in tokens]
    close_up = [i for i, w in enumerate(lower) if w.startswith(("close-up", "closeup")) or (
        w == "close" and i + 1 < len(lower) and lower[i + 1] == "up")]
    for k, word in enumerate(lower[:5]):
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
    # "the low angle shot shows the vast background": the camera phrase is the subject of a showing verb.
    for i, word in enumerate(lower[:5]):
        if word in CAMERA_WORDS:
            for j in range(i + 1, min(i + 4, len(lower) - 1)):
                if lower[j] in _SHOWING:
                    return tokens[j + 1 :], tags[j + 1 :]
    # Drop up to the preposition after the camera word: "A close-up shot of X" -> "X".
    for i, word in enumerate(lower[:5]):  # a camera lead opens its piece ("A close-up shot of ...")
        if word in CAMERA_WORDS or i in close_up:
            for j in range(i + 1, min(i + 5, len(lower))):
                if lower[j] in ("of", "on", "to", "from", "featuring", "into", "following", "follows", "toward", "towards"):
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
        if tokens[i].lower() == "where" and not any(is_motion_verb(tokens[j]) for j in verbs):
            # "a cozy cabin, where a man is sitting by the fireplace": the place, then the static clause
            return _strip_motion_relatives([*tokens[:i], "while", *tokens[i + 1 :]], [*tags[:i], "CONJ", *tags[i + 1 :]])
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
        worn = bool(current[0]) and (current[0][-1].lower() in lx.CLOTHING or current[0][-1].lower() in APPEARANCE_NOUNS)
        if current[0] and (len(current[0]) != bare_subject or worn):
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
                current = (
                    [*tokens[i + 1 : complement], *nouns],
                    [*("ADJ" if t == "ADV" else t for t in tags[i + 1 : complement]), *(["NOUN"] * len(nouns))],
                )  # "brightly lit room": the adverb stays with its participle
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
        ) and not (
            is_motion_verb(lower) and (i + 1 >= len(tokens) or tags[i + 1] in ("ADV", "PREP", "PUNCT", "ADJ"))
        ):  # (but "wearing a straw hat strolled leisurely along": the verb)
            current[0].append(word)  # "a loaf of freshly baked bread": a participle inside the object
            current[1].append("ADJ")
            i += 1
            continue
        if tag == "VERB" and (lower.endswith("ed") or "VBN" in en.verb_tags(lower)) and (
            _with_body_part(current) or (0 < len(current[0]) <= 3 and (
                current[0][-1].lower() in PLURAL_BODY or current[0][-1].lower() in BODY_PARTS
            ))
        ) and verb_lemma(lower) not in LOCOMOTION:  # ("with long blond hair walked briskly": the person walked)
            current[0].append(word)  # "with his eyes closed": a held state, not the verb "close"
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
            if i + 1 < len(tokens) and (lemma, tokens[i + 1].lower()) in PHRASAL_MOTIONS:
                static = False  # "slowly stands up", "showing off the muscles": movements of posture verbs
            light = lemma in LIGHT_VERBS and bool(current[0]) and current[0][-1].lower() in LIGHT_SUBJECTS
            if light:
                static = True  # "the morning sun streaming in": the light, not a movement
            if lemma in ("lead", "stretch", "extend") and i + 1 < len(tokens) and tokens[i + 1].lower() in (
                "to", "into", "toward", "towards", "up", "down", "across", "along", "through"
            ) and current[0] and person_kind(current[0][-1]) is None:
                static = True  # "a staircase leading to a floating castle": where it goes, not a movement
            if static or still_gaze:
                finite = bool(en.verb_tags(lower) & {"VBZ", "VBP"}) or (
                    "VBD" in en.verb_tags(lower) and not lower.endswith("ed")
                )
                if finite and current[0] and current[1][-1] != "REL" and not light:
                    flush()  # "with a white beard | sitting on a porch swing": the predicate is its own phrase
                i = _keep_static_verb(tokens, tags, i, current)
                after_motion = False  # "made of clouds leading to a castle": "to" is no longer a direction of travel
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
            if has_subject and (current[0][-1].lower() in BODY_PARTS or current[0][-1].lower().rstrip("s") in BODY_PARTS) and (
                i + 1 < len(tokens) and tags[i + 1] in ("DET", "ADJ", "NOUN", "NUM")
            ):
                has_subject = False  # "a pair of hands knitting a scarf": the person's hands, and the scarf a prop
                # ("her body swaying", with no object, goes whole)
            if has_subject and (current[0][-1].lower() in lx.CLOTHING) and i + 1 < len(tokens) and tags[i + 1] in (
                "DET", "ADJ", "NOUN", "NUM"
            ):
                has_subject = False  # "dressed in a coat and hat is whisking eggs": the person's own clause
                bare_subject = -1
            if has_subject and lemma in HOVER_LEMMAS and i + 1 < len(tokens) and tokens[i + 1].lower() in HOVER_PLACES:
                i += 1  # "a pink halo floats above her head" -> "a pink halo above her head"
                while i < len(tokens) and tags[i] == "ADV":
                    i += 1
                continue
            after_motion = True
            if not has_subject:
                flush()
            else:
                bare_subject = len(current[0])
            prop = _implied_prop(lemma, tokens, tags, i + 1) if not has_subject else ""
            if prop:  # "mountain biking on a trail" -> "with a bike"; "brushing her teeth" -> "with a toothbrush"
                segments.append((["with", *prop.split()], ["PREP", *(["DET"] if prop.split()[0] in ("a", "an") else []),
                                                          *(["NOUN"] * (len(prop.split()) - (prop.split()[0] in ("a", "an"))))]))
            i += 1
            if i + 1 < len(tokens) and tokens[i].lower() in DIRECTIONAL and _is_place(_np_head(tokens, tags, i + 1)):
                tags[i] = "PREP"  # "climbs up a tree", "trudges up a ridge": a direction with its place
            if i < len(tokens) and tokens[i].lower() in PLACE_ADVERBS:
                segments.append(([tokens[i]], ["NOUN"]))  # "a girl floating underwater" -> "underwater"
                i += 1
            while i < len(tokens) and (
                tags[i] in ("ADV", "PRT")
                or (tokens[i].lower() in MOTION_PARTICLES and i + 1 < len(tokens) and tags[i + 1] in ("DET", "NOUN", "ADJ", "NUM") and not (
                    lemma in INTRANSITIVE_MOTION and tokens[i].lower() in DIRECTIONAL  # "launches off a ramp"
                ) and not (
                    tokens[i].lower() in DIRECTIONAL and _is_place(_np_head(tokens, tags, i + 1))  # "trudges up a ridge"
                ) and not (
                    has_subject and tokens[i].lower() in DIRECTIONAL  # "raindrops bounce off her umbrella"
                ))
            ):
                i += 1  # "picks up a mug", "blows out the candles"
            if i + 1 < len(tokens) and tokens[i].lower() == "on" and lemma in DRESSING_LEMMAS:
                i += 1  # "pulls on his helmet": the helmet is in hand in the first frame
            while i < len(tokens) and tags[i] == "PRON" and tokens[i].lower() in (
                "it", "them", "him", "her", "itself", "herself", "himself", "themselves"
            ):
                i += 1  # "setting it down"
                while (i < len(tokens) and tags[i] in ("ADV", "PRT")) or (
                    i < len(tokens) and tokens[i].lower() in MOTION_PARTICLES
                ):
                    i += 1
            if i + 1 < len(tokens) and tokens[i].lower() == "on" and lemma in INGESTION_LEMMAS:
                i += 1  # "sips on a smoothie", "munching on chips": the food is the prop, not a surface
            if i < len(tokens) and tokens[i].lower() == "at" and not gaze and (
                lemma in TARGET_LEMMAS or person_kind(_np_head(tokens, tags, i + 1)) or (
                    _np_head(tokens, tags, i + 1).lower() in ANIMALS | {"camera", "viewer", "viewers", "audience"}
                )
            ):
                i = _skip_np(tokens, tags, i + 1)  # "waves at a neighbour", "barks at the camera": a target
                # ("typing at his desk" keeps its place)
            if lemma == "make" and i < len(tokens) and tokens[i].lower() in ("sure", "certain"):
                i = len(tokens)  # "to make sure none are missing": a purpose, nothing the frame shows
                continue
            if lemma in COGNITION_LEMMAS:
                # "pondering the history of the universe": what is thought about is not in the frame
                i = _skip_np(tokens, tags, i)
                while i + 1 < len(tokens) and tokens[i].lower() == "of":
                    i = _skip_np(tokens, tags, i + 1)
                continue
            if i < len(tokens) and tags[i] in ("DET", "ADJ", "NOUN", "NUM") and lemma in PLACE_OBJECT and not has_subject:
                current[0].append(PLACE_OBJECT[lemma])  # "approaches the window" -> "near the window"
                current[1].append("PREP")
                continue
            if i < len(tokens) and tags[i] in ("DET", "ADJ", "NOUN", "NUM") and has_subject and lemma in ("carry", "hold",
                                                                                                        "bear", "wear"):
                i = _object_as_prop(tokens, tags, i, current, plain=False)  # "the camel carries a bundle"
                bare_subject = -1
                continue
            if i < len(tokens) and tags[i] in ("DET", "ADJ", "NOUN", "NUM"):
                if has_subject:
                    i = _skip_np(tokens, tags, i)  # "her lips forming gentle words" -> "her lips"
                else:
                    i = _object_as_prop(tokens, tags, i, current, plain=gaze)
            continue
        if tag == "PUNCT" and word == "," and current[1][-1:] == ["NOUN"] and i + 2 < len(tokens) and (
            tags[i + 1] == "NOUN" and tags[i + 2] == "VERB"
        ):
            flush()  # "plays a solo, sweat beading on his forehead": two phrases, not "a solo sweat"
            after_motion = False
            i += 1
            continue
        if tag in ("PUNCT", "CONJ", "REL") or (tag == "VERB"):
            after_motion = False
        if tag == "PREP" and lower == "with" and after_motion and _np_head(tokens, tags, i + 1).lower().rstrip("s") in BODY_PARTS:
            after = _skip_np(tokens, tags, i + 1)
            described = any(tags[k] == "ADJ" or tokens[k].lower().endswith("ed") for k in range(i + 1, after))
            if not described and (after >= len(tokens) or tags[after] not in ("ADJ", "VERB")):
                # "with his eyes closed", "with outstretched arms": states the frame shows
                i = after  # "pulling a carrot out of the soil with both hands": the movement's
                continue
        if tag == "PREP" and lower == "with" and after_motion and _np_head(tokens, tags, i + 1).lower() in MANNER_NOUNS:
            i = _skip_np(tokens, tags, i + 1)  # "nodding with satisfaction", "with skill and enthusiasm"
            while i + 1 < len(tokens) and tokens[i].lower() == "and" and _np_head(tokens, tags, i + 1).lower() in MANNER_NOUNS:
                i = _skip_np(tokens, tags, i + 1)
            continue
        if tag == "PREP" and lower in ("in", "with", "through", "into", "by") and _motion_noun(
            _np_head(tokens, tags, i + 1)
        ):
            i = _skip_np(tokens, tags, i + 1)  # "engaged in a fast-paced duel": the movement is the video's
            continue
        if tag == "PREP" and lower in DIRECTIONAL and after_motion and i + 1 < len(tokens) and (
            tags[i + 1] == "PREP" and tokens[i + 1].lower() in DIRECTIONAL
        ):
            i += 1  # "drift down around her": the last direction says where
            continue
        if tag == "PREP" and DIRECTIONAL.get(lower) in ("in", "on", "above") and after_motion and i + 1 < len(tokens) and (
            tokens[i + 1].lower() in ("her", "him", "them") and tags[i + 1] == "PRON"
        ):
            current[0].extend(["around", tokens[i + 1]])  # "leaves drift down around her" -> "leaves around her"
            current[1].extend(["PREP", "PRON"])
            i += 2
            continue
        if tag == "PREP" and lower in DIRECTIONAL and after_motion:
            mapped = DIRECTIONAL[lower]
            if lower == "to" and i + 1 < len(tokens) and tags[i + 1] in ("VERB", "AUX"):
                i += 1  # "to show": an infinitive, not a direction
                continue
            head = _np_head(tokens, tags, i + 1).lower()
            if head in GROUP_WORDS:
                head = _of_head(tokens, tags, i + 1) or head  # "to a group of attentive animals" -> "animals"
            prop_before = bool(current[1]) and current[1][-1] == "NOUN" and "with" in [w.lower() for w in current[0]]
            if lower == "to" and (person_kind(head) or head in ANIMALS or head in LISTENERS):
                current[0].append("with")  # "singing to a baby": the baby is in the frame
                current[1].append("PREP")
                i += 1
                continue
            if lower == "out" and i + 1 < len(tokens) and tokens[i + 1].lower() == "of":
                # "sculpting a statue out of a waterfall" -> "with a statue and a waterfall";
                # "climbs out of the pool" -> "in the pool"
                current[0].append("and" if prop_before else "in")
                current[1].append("CONJ" if prop_before else "PREP")
                i += 2
                continue
            if lower == "to" and prop_before and head and head not in lx.PLACES:
                mapped = "on"  # "applying paint to a canvas" -> "with paint on a canvas"
            singular_head = _singular(head)
            if lower == "from" and (singular_head in CONTAINERS or singular_head.endswith(LONG_CONTAINERS)):
                # "sipping tea from a delicate teacup" -> "with tea in a delicate teacup"; "takes a sip from a mug"
                # (the sip dropped) -> "with a mug"
                mapped = "in" if prop_before else "with"
            np_words = [t.lower() for t in tokens[i + 1 : _skip_np(tokens, tags, i + 1)]]
            if lower in ("toward", "towards") and any(_is_place(w) or w in LANDMARKS for w in np_words):
                mapped = "facing"  # "walking towards the mountain top" -> "facing the mountain top"
            if lower == "from" and mapped is None and (_is_place(head) or singular_head in VEHICLES):
                mapped = "on" if head in SURFACES or singular_head in CLIMBABLE else "in"  # where the move starts
            if lower == "from" and mapped is None and i + 1 < len(tokens) and tokens[i + 1].lower() in POSSESSIVES:
                mapped = "from"  # "the light from his flashlight": the flashlight is in his hand
            if lower == "from" and mapped is None and prop_before and head and not person_kind(head):
                mapped = "and"  # "pulling a rabbit from a black hat" -> "with a rabbit and a black hat"
            if mapped is None:  # "toward the sink", "from the mug": where it moves, not where it is
                i = _skip_np(tokens, tags, i + 1)
                if i < len(tokens) and tags[i] == "PRON" and i == _skip_np(tokens, tags, i):
                    i += 1  # "running after her": the pronoun is the target too
                while i + 1 < len(tokens) and tokens[i].lower() == "of":
                    i = _skip_np(tokens, tags, i + 1)  # "past a row of cherry trees"
                continue
            head = _np_head(tokens, tags, i + 1).lower()
            singular = _singular(head)
            if lower == "into" and head and singular not in lx.PLACES and singular not in CONTAINERS and singular not in (
                "water", "air", "crowd", "distance", "sky", "darkness", "light"
            ):
                mapped = "with"  # "biting into an apple", "sneezing into a tissue": the thing, not a place
            elif lower == "around" and head and singular not in lx.PLACES and head not in lx.PLACES:
                mapped = "around"  # "laughing around a campfire": around the thing, not in it
            elif mapped == "in" and (head in SURFACES or singular in SURFACES):
                mapped = "on"  # "twirls across the stage" -> "on the stage", not "in the stage"
            elif lower == "through" and (head in BROWSABLE or singular in BROWSABLE):
                mapped = "with"  # "scrolling through her phone": the phone is held, not a place
            elif mapped == "above" and head and singular not in lx.PLACES and singular not in HIGH_OVER:
                mapped = "near"  # "jumps over a puddle" -> "near a puddle"; "flies over the city" -> "above"
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


def _singular(noun: str) -> str:
    """ "puddles" -> "puddle", "glass" stays: the plural -s off, enough for looking words up in the lists."""
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def _is_place(head: str) -> bool:
    lower = head.lower()
    singular = _singular(lower)
    return any(w in lx.PLACES or w in SURFACES or w in CLIMBABLE for w in (lower, singular))


def _article_for(word: str, article: str) -> str:
    """ "a" or "an" before `word`, keeping the article's capital ("A apple" -> "An apple")."""
    wanted = indefinite(word).split(" ", 1)[0]
    return wanted.capitalize() if article[:1].isupper() else wanted


def _implied_prop(lemma: str, tokens: list[str], tags: list[str], start: int) -> str:
    """The prop a dropped activity needs when the prompt does not name it, or ""."""
    words = {t.lower() for t in tokens}
    prop = ACTIVITY_PROPS.get(lemma, "")
    if not prop and start < len(tokens):
        object_head = _np_head(tokens, tags, start).lower() if tags[start] in ("DET", "ADJ", "NOUN") else ""
        prop = TOOL_FOR.get((lemma, object_head), "")
    if prop and not words & {prop.split()[-1], prop.split()[-1].rstrip("s"), *prop.split()[-1].split("-")}:
        return prop
    return ""


def _of_head(tokens: list[str], tags: list[str], start: int) -> str:
    """The head after "of" in "a group of attentive animals" ("animals"), or ""."""
    end = _skip_np(tokens, tags, start)
    if end + 1 < len(tokens) and tokens[end].lower() == "of":
        return _np_head(tokens, tags, end + 1).lower()
    return ""


def _with_body_part(current: tuple[list[str], list[str]]) -> bool:
    """The segment ends in "with <his eyes>": a participle after it is a state ("with his eyes closed"),
    unlike a finite "her eyes widened", which is an expression change."""
    words, tags = current
    k = len(words)
    while k > 0 and tags[k - 1] in ("DET", "ADJ", "NOUN"):
        k -= 1
    if k == 0 or k == len(words) or words[k - 1].lower() != "with":
        return False
    head = words[-1].lower()
    return head.rstrip("s") in BODY_PARTS or head in BODY_PARTS or head in APPEARANCE_NOUNS


def _adjective_complement(tokens: list[str], tags: list[str], start: int) -> int:
    """End of an adjective-only complement after "is" ("bright and even"), or 0."""
    end = start
    while end < len(tokens) and (tags[end] in ("ADJ", "ADV") or (
        tokens[end].lower() == "and" and not (end + 1 < len(tokens) and tags[end + 1] == "VERB")  # "brown and styled"
    ) or (
        end > start and tags[end - 1] == "ADV" and tokens[end].lower() in ("lit", "decorated", "furnished", "painted")
    )):
        if tags[end] == "VERB":
            tags[end] = "ADJ"  # "The room is brightly lit" -> "brightly lit room"
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
    if tags[index - 1] == "ADV" and (index < 2 or tags[index - 2] not in ("PREP", "DET", "ADJ")):
        return False  # "and gently touching wild flowers": a verb; "a field of gently swaying grass": a modifier
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
    if participle and index + 1 < len(tokens) and tags[index + 1] == "NOUN":
        current[0].append(word)  # "focused expression": an adjective before its noun, not "focusing"
        current[1].append("ADJ")
        return index + 1
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
        if tokens[k] == "," and k > index and tags[k - 1] == "ADJ" and k + 2 < len(tokens) and (
            tags[k + 1] == "ADJ" or (tokens[k + 1].lower().endswith("ing") and tags[k + 2] == "NOUN")
        ):
            return True  # "her long, flowing hair": a list of adjectives
        return tags[k] in ("DET", "ADJ", "NOUN", "NUM", "POS", "ADV") or (
            tags[k] == "VERB" and tokens[k].lower().endswith("ed") and k + 1 < len(tokens) and tags[k + 1] == "NOUN"
        ) or (tags[k] in ("VERB", "ADJ") and tokens[k].lower().endswith("ing") and k + 1 < len(tokens) and (
            tags[k + 1] == "NOUN" and k > index and tokens[k - 1] == ","
        ))

    while end < len(tokens) and in_np(end) and tags[end] != "ADV":
        end += 1
    if end > index and _motion_noun(tokens[end - 1]) and end + 1 < len(tokens) and tokens[end].lower() == "of" and (
        in_np(end + 1)
    ):
        # "takes a big bite of a juicy burger", "a sip of tea": the movement is the video's, the thing stays
        index = end + 1
        end = index
        while end < len(tokens) and in_np(end) and tags[end] != "ADV":
            end += 1
    # "a loaf of freshly baked bread": keep an "of" phrase that belongs to the object.
    while end + 1 < len(tokens) and tokens[end].lower() == "of" and in_np(end + 1):
        end += 1
        while end < len(tokens) and in_np(end):
            end += 1
    words = [t.lower() for t in tokens[index:end]]
    head = words[-1] if words else ""
    singular = _singular(head)
    if words and head in APPEARANCE_NOUNS and any(
        tags[k] == "ADJ" or (tags[k] == "VERB" and tokens[k].lower().endswith("ed")) for k in range(index, end)
    ):
        # "brushing her long golden hair" -> "with her long golden hair"; "her long, flowing hair" -> "her long hair"
        kept = [k for k in range(index, end) if not (
            tokens[k].lower().endswith("ing") and verb_lemma(tokens[k]) in lx.MOTION_VERBS
        )]
        kept = [k for j, k in enumerate(kept) if not (tokens[k] == "," and (j + 1 == len(kept) or tags[kept[j + 1]] != "ADJ"))]
        current[0].extend(["with", *(tokens[k] for k in kept)])
        current[1].extend(["PREP", *(tags[k] for k in kept)])
        return end
    if words and (head in APPEARANCE_NOUNS or singular in BODY_PARTS):
        if end + 1 < len(tokens) and tokens[end].lower() == "with":
            after = _skip_np(tokens, tags, end + 1)
            while after + 1 < len(tokens) and tokens[after].lower() == "of":
                after = _skip_np(tokens, tags, after + 1)
            if any(t.lower().rstrip("s") in BODY_PARTS for t in tokens[end + 1 : after]):
                return after  # "wipes her forehead with the back of her hand": all of it is the movement
        return end  # "tousling her hair", "washing his hands": the person's own body is no prop
    if not words or singular in ABSTRACT_OBJECTS or head in ABSTRACT_OBJECTS or _motion_noun(head) or (person_kind(head) and head not in (
        "baby", "child"
    )):
        return end
    last_is_noun = tags[end - 1] in ("NOUN", "NUM") or "NOUN" in en.word_classes(words[-1])
    if words[-1] in ("the", "a", "an") or not last_is_noun:
        return end  # "swings higher and higher": no object
    creating = verb_lemma(tokens[index - 1]) in CREATING if index > 0 else False
    preposition = "in" if head in lx.PLACES and not creating and not (head in HELD_OR_PLACE and words[0] in POSSESSIVES) and (
        tags[index] in ("DET", "NUM", "POS")  # "chopping wood": a bare object is a thing; "exploring the forest" a place
    ) else "with"
    if not plain:
        current[0].append(preposition)
        current[1].append("PREP")
    for k in range(index, end):
        if tokens[k].lower().endswith("ing") and tags[k] in ("ADJ", "VERB") and verb_lemma(tokens[k]) in lx.MOTION_VERBS and (
            k + 1 >= len(tokens) or tokens[k + 1].lower() not in COMPOUND_HEADS  # "a punching bag" stays
        ) and (
            tokens[k].lower() not in ("swimming", "running", "climbing", "fishing", "riding", "skating", "diving")
        ):
            continue  # "catching a floating apple" -> "with an apple"
        if current[0] and current[0][-1].lower() in ("a", "an") and tags[k] != "DET":
            current[0][-1] = _article_for(tokens[k], current[0][-1])
        current[0].append(tokens[k])
        current[1].append(tags[k])
    if end + 1 < len(tokens) and tokens[end].lower() == "with" and _motion_noun(_np_head(tokens, tags, end + 1)):
        return _skip_np(tokens, tags, end + 1)  # "breaking a board with a powerful punch"
    after_with = _np_head(tokens, tags, end + 1).lower() if end + 1 < len(tokens) else ""
    if after_with.rstrip("s") in BODY_PARTS or after_with in APPEARANCE_NOUNS:
        return end  # "a cheeseburger with his eyes closed": the eyes are the person's, not a second prop
    if end + 1 < len(tokens) and tokens[end].lower() == "with" and preposition == "with":
        current[0].append("and")  # "eats noodles with chopsticks" -> "with noodles and chopsticks"
        current[1].append("CONJ")
        return end + 1
    return end


def _motion_noun(word: str) -> bool:
    """ "stroll", "punch", "duel", "swing": a noun that names a movement."""
    lower = word.lower()
    singular = _singular(lower)
    if singular in MOTION_NOUNS or lower in MOTION_NOUNS:  # "save", "push-ups"
        return True
    # A compound of a word and a movement: "backflip", "handspring" ("space" is not s + "pace": the part
    # in front must be a word of four letters or more).
    return any(
        singular.endswith(noun) and len(singular) - len(noun) >= 4 and en.word_classes(singular[: -len(noun)])
        for noun in MOTION_NOUNS
        if len(noun) >= 4
    )


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
        len(tokens) <= 3 and set(letter_words(" ".join(tokens))) & (lx.LIGHTING_STYLE | lx.LIGHTING_WEAK)
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
