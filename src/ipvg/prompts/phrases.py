"""Split a video prompt into phrases and classify each one (the analysis half of `rules`).

Pipeline: sentences -> pieces (commas, clause connectors such as "while", "as", "before", and
"and" before a verb) -> each piece classified as one of `CATEGORIES` from word lists and a few
positional cues (a word right after a determiner is a noun or adjective, not a verb) -> static
parts extracted from action pieces (the place in "rushed across the classroom" -> "in the
classroom"), so the spatial prompt keeps the setting without the motion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ipvg.prompts import lexicon as lx

CATEGORIES = (
    "subject",
    "appearance",
    "clothing",
    "setting",
    "lighting_style",
    "pose",
    "action",
    "expression",
    "camera",
    "framing",
    "sound",
    "commentary",
    "other",
)
# Categories a still first frame can show.
STATIC_CATEGORIES = ("subject", "appearance", "clothing", "setting", "lighting_style", "pose", "framing")

AUXILIARIES = {
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "has",
    "have",
    "had",
    "does",
    "do",
    "did",
    "can",
    "will",
    "may",
    "might",
    "would",
    "could",
    "should",
    "seems",
    "appears",
    "remains",
    "not",
}
META_LEAD = re.compile(
    r"^(?:(?:the|this|a|an) (?:video|clip|footage|scene|film|animation|sequence|shot)s?"
    r"(?: (?:begins|opens|starts))? (?:features|shows|depicts|captures|presents|displays|portrays|is of|"
    r"begins with|opens with|starts with|with)|(?:a |an )?(?:video|clip|footage|film) of|"
    r"in (?:the|this) (?:video|clip|footage),?)\s+",
    re.IGNORECASE,
)
_CAMERA_MOTION = re.compile(
    r"\b(?:camera\b[^,.;]*\b(?:moves?|moving|pans?|panning|zooms?|zooming|tilts?|tracks?|tracking|follows?|"
    r"following|orbits?|circles?|circling|pulls?|pushes|push|rotates?|dollies|dolly|cranes?|rises|descends|"
    r"shakes?|sweeps?|glides?|swings?|drifts?)|zoom(?:s|ing)? (?:in|out|into)|slow zoom|pans? (?:left|right|"
    r"across|over|up|down|to|around)|tracking shot|dolly(?: in| out| zoom)?|aerial (?:shot|view)|drone shot|"
    r"crane shot|slow[- ]motion|time-?lapse|push(?:es)? in|pull(?:s)? (?:back|out)|tilts? (?:up|down)|"
    r"orbits? around|handheld|whip[- ]pan)\b",
    re.IGNORECASE,
)
_EXPRESSION_PHRASES = re.compile(
    r"\b(?:breaks? into (?:a |an )?(?:smile|grin|laugh|tears)|(?:face|eyes) lights? up|lights? up with|"
    r"expression (?:changes|shifts|softens|hardens|turns|becomes|goes)|eyes (?:widen|narrow|well up|fill with tears)|"
    r"(?:raises|raised|raising|furrows|furrowed|furrowing) (?:her|his|their) (?:eyebrows|brows)|"
    r"bursts? (?:into|out) (?:laughing|laughter|tears)|(?:becomes|grows|looks|turns) (?:surprised|angry|sad|happy|"
    r"shocked|worried|thoughtful|serious|relieved|excited|nervous|confused|tearful|emotional))\b",
    re.IGNORECASE,
)
# Narration about the video itself ("In subsequent frames", "throughout the video"): no content.
_NARRATION = re.compile(
    r"\b(?:video|videos|frames?|footage|clip|sequence|segment|viewers?|narrative|presentation's)\b|"
    r"^(?:at one point|initially|finally|later|subsequently|overall|in the end|towards? the end|at first)\b|"
    r"\bthere (?:is|are|was|were) no\b",
    re.IGNORECASE,
)
_FRAMING_EXTRA = re.compile(
    r"\b(?:low|high|eye|wide|dutch|side|front)[- ]angle\b|\bshot (?:from|on)\b", re.IGNORECASE
)
_PUNCT = ".,;:!?\"'()[]{}“”‘’«»…-—–"
_STATIC_PREPS_ONE = {p for p in lx.STATIC_PREPOSITIONS if " " not in p}
_ALL_PREPS = (
    _STATIC_PREPS_ONE | set(lx.DIRECTIONAL_PREPOSITIONS) | {"with", "of", "for", "about", "like", "during"}
)
_SURFACES = {
    "boat",
    "ship",
    "raft",
    "yacht",
    "bus",
    "track",
    "trail",
    "road",
    "street",
    "path",
    "court",
    "field",
    "pitch",
    "stage",
    "beach",
    "mat",
    "slope",
    "runway",
    "catwalk",
    "deck",
    "platform",
    "roof",
    "rooftop",
    "balcony",
    "terrace",
    "bridge",
    "highway",
    "racetrack",
    "circuit",
    "raceway",
    "course",
    "rink",
    "shore",
    "pier",
    "dock",
    "podium",
    "sand",
    "grass",
    "floor",
    "ice",
    "snow",
    "hill",
    "mountain",
    "cliff",
    "avenue",
    "sidewalk",
}
_AT_OBJECTS = {
    "desk",
    "table",
    "stove",
    "counter",
    "window",
    "sink",
    "door",
    "bar",
    "podium",
    "piano",
    "easel",
    "venue",
}
PLACES = lx.PLACES | {
    "mat",
    "floor",
    "desk",
    "table",
    "window",
    "stove",
    "counter",
    "sidewalk",
    "sand",
    "grass",
    "ice",
}


_VERB_CONTEXT = (
    lx.PRONOUNS_SUBJECT
    | {"to", "and", "then", "who", "before", "after", "while", "by", "when", "without", "as"}
    | set(lx.GENERIC_PERSON)
    | lx.ROLE_PERSON
    | AUXILIARIES
)


@dataclass
class Piece:
    """One phrase of the prompt, with what it says and where it came from."""

    text: str  # as written (leading connector included), without its separator
    lead: str  # separator before it in the source: "" (sentence start), ", ", " ", "; "
    sentence: int
    words: list[str]  # lower-case words without punctuation (possessive 's removed)
    possessive: list[bool]  # word i ends in 's: it works like a determiner for word i + 1
    category: str = "other"
    actor: str = "subject"  # subject | other (other people) | scene
    static: list[tuple[str, str]] = field(default_factory=list)  # (category, text) a first frame can show
    verbs: list[tuple[int, str]] | None = field(default=None, repr=False)  # cache of `verbs_of`


@dataclass
class SubjectMatch:
    """Where the prompt names its main person: piece index and word span [start, end)."""

    piece: int
    start: int
    end: int
    head: str  # the person noun or pronoun
    kind: str  # generic | role | pronoun | name
    modifiers: list[str]  # words after the determiner: before the head ("young"), or with it for roles
    coordinated: list[str] = field(default_factory=list)  # other heads joined by "and"


def bare_word(token: str) -> tuple[str, bool]:
    word = token.strip(_PUNCT).lower().replace("’", "'")
    if word.endswith("'s") or word.endswith("s'"):
        return word[:-2] if word.endswith("'s") else word[:-1], True
    return word, False


def make_piece(text: str, lead: str, sentence: int) -> Piece:
    words, possessive = [], []
    for token in text.split():
        word, is_possessive = bare_word(token)
        words.append(word)
        possessive.append(is_possessive)
    return Piece(text=text, lead=lead, sentence=sentence, words=words, possessive=possessive)


# --- splitting -------------------------------------------------------------------------------------

_QUOTED = re.compile(r"\"[^\"]{0,200}\"|“[^”]{0,200}”")
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|(?<=[.!?][\"”’)])\s+")
_CLAUSE_START = re.compile(
    r"(?<!\band)\s+(?=(?:while|whereas|before|after|then|until|meanwhile|when|once)\b)"
    r"|\s+(?=as (?:the|his|her|their|its|he|she|they|it|a|an|[A-Z])\b)",
)
_PROTECT = {",": "\ue000", ".": "\ue001", ";": "\ue002", "!": "\ue003", "?": "\ue004"}
_RESTORE = {v: k for k, v in _PROTECT.items()}


def _protect_quotes(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        return "".join(_PROTECT.get(ch, ch) for ch in match.group(0))

    return _QUOTED.sub(mask, text)


_RESTORE_TABLE = str.maketrans(_RESTORE)


def restore(text: str) -> str:
    return text.translate(_RESTORE_TABLE)


def split_pieces(text: str) -> list[Piece]:
    """Sentences, then commas, then clause connectors; "and" splits only before a verb. Short
    verbless list items ("flags", "and sports equipment") stay with the piece before them."""
    pieces: list[Piece] = []
    for sentence_index, sentence in enumerate(s for s in _SENTENCES.split(text) if s.strip()):
        body = _protect_quotes(sentence.rstrip()).rstrip(".!?;")
        lead = ""
        for comma_part in body.split(","):
            part = comma_part.strip()
            if not part:
                continue
            if lead and pieces and pieces[-1].sentence == sentence_index and _is_list_item(part):
                pieces[-1] = make_piece(f"{pieces[-1].text}, {part}", pieces[-1].lead, sentence_index)
                continue
            sub_parts = [p for p in _CLAUSE_START.split(part) if p.strip()]
            for sub_index, sub in enumerate(sub_parts):
                for and_index, clause in enumerate(_split_on_and(sub.strip())):
                    separator = lead if sub_index == 0 and and_index == 0 else " "
                    pieces.append(make_piece(clause, separator, sentence_index))
            lead = ", "
    for piece in pieces:
        piece.text = restore(piece.text)
    return pieces


def _is_list_item(text: str) -> bool:
    piece = make_piece(text, "", 0)
    words = piece.words
    if not words or verbs_of(piece) or words[0] in _ALL_PREPS or words[0] in lx.CLOTHING_LEADS:
        return False
    if set(words) & (lx.ROLE_PERSON | set(lx.GENERIC_PERSON) | lx.PRONOUNS_SUBJECT | lx.NONVISUAL):
        return False
    return words[0] in {"and", "or"} or len(words) <= 3


def _split_on_and(text: str) -> list[str]:
    """Split "twirled and landed" / "stands up, and she smiles" but not "rocks and trees"."""
    tokens = text.split(" ")
    parts, start = [], 0
    for index, token in enumerate(tokens):
        if token.lower() != "and" or index == 0 or index + 1 >= len(tokens):
            continue
        before = make_piece(" ".join(tokens[start:index]), "", 0)
        after = make_piece(" ".join(tokens[index + 1 :]), "", 0)
        next_word = after.words[0] if after.words else ""
        verb_next = verb_kind(after, 0) is not None and next_word not in lx.DETERMINERS
        clause_next = next_word in lx.PRONOUNS_SUBJECT or (next_word in {"then"})
        if (verb_next or clause_next) and any(verb_kind(before, i) for i in range(len(before.words))):
            parts.append(" ".join(tokens[start:index]))
            start = index
    parts.append(" ".join(tokens[start:]))
    return [p for p in parts if p]


# --- word roles -------------------------------------------------------------------------------------


def verb_kind(piece: Piece, index: int) -> str | None:
    """ "motion", "expression", "pose", "static" when word `index` is used as a verb, else None."""
    if not 0 <= index < len(piece.words):
        return None
    word = piece.words[index]
    if not word:
        return None
    kind = None
    if word not in _KNOWN_FORMS and _looks_finite(piece, index):
        return "motion"  # an unlisted verb: "bobs his head", "grabbed the rope"
    if word in lx.EXPRESSION_FORMS:
        kind = "expression"
    elif word in lx.MOTION_FORMS:
        kind = "motion"
    elif word in lx.POSE_FORMS:
        kind = "pose"
    elif word in lx.STATIC_FORMS:
        kind = "static"
    if kind is None or word in lx.CLOTHING:
        return None  # "blue scrubs", "a dress": clothing nouns
    previous = piece.words[index - 1] if index else ""
    if index and (previous in lx.DETERMINERS or piece.possessive[index - 1]):
        return None  # "a dance", "the winding track", "her smile", "the bride's first dance"
    if word in lx.NOT_VERBS and previous not in _VERB_CONTEXT and not (index == 0 and word.endswith("ing")):
        return None
    if previous == "with" and word.endswith("ing"):
        return None  # "filled with cheering fans"
    following = piece.words[index + 1] if index + 1 < len(piece.words) else ""
    if kind == "pose" and following in {"down", "up"}:
        return "motion"  # "sits down", "stands up": a change of posture
    if (
        kind == "motion"
        and word.startswith("cast")
        and set(piece.words[index + 1 : index + 4]) & lx.LIGHTING_STYLE
    ):
        return "static"  # "casting sharp shadows", not "casts his net"
    if word.endswith(("ing", "ed")) and (
        following in lx.CLOTHING or (following in PLACES and previous in _ALL_PREPS)
    ):
        return None  # "a racing suit", "a cycling jersey", "through burning buildings": adjectives
    if index and word.endswith("s") and not word.endswith("ss"):
        earlier = verb_kind(piece, index - 1) if index - 1 >= 0 and piece.words[index - 1] != word else None
        if earlier in ("motion", "static", "pose") and piece.words[index - 1] not in AUXILIARIES:
            return None  # "emphasize points": a plural noun right after a verb
    return kind


_KNOWN_FORMS = (
    lx.EXPRESSION_FORMS.keys() | lx.MOTION_FORMS.keys() | lx.POSE_FORMS.keys() | lx.STATIC_FORMS.keys()
)
_OBJECT_STARTS = {"his", "her", "their", "its", "the", "a", "an", "my", "our", "your"}


def _looks_finite(piece: Piece, index: int) -> bool:
    """An unknown word ending in -s/-ed between a person and an object ("he bobs his head")."""
    word = piece.words[index]
    if (
        index == 0
        or index + 1 >= len(piece.words)
        or len(word) < 4
        or word.endswith(("ss", "us", "is", "'s"))
    ):
        return False
    if not word.endswith(("s", "ed")) or piece.words[index + 1] not in _OBJECT_STARTS:
        return False
    previous = piece.words[index - 1]
    person = previous in lx.PRONOUNS_SUBJECT | set(lx.GENERIC_PERSON) | lx.ROLE_PERSON | {
        "then",
        "and",
        "also",
    }
    return person or piece.words[index - 1] in lx.CLOTHING or piece.words[index - 1] in lx.APPEARANCE


def verbs_of(piece: Piece) -> list[tuple[int, str]]:
    """(index, kind) of every verb in the piece; computed once per piece (words never change)."""
    if piece.verbs is None:
        piece.verbs = [(i, kind) for i in range(len(piece.words)) if (kind := verb_kind(piece, i))]
    return piece.verbs


# --- classification ---------------------------------------------------------------------------------


def classify(piece: Piece) -> str:
    """The category of one piece (see module docstring); order matters: sound before action, etc."""
    words, text = piece.words, piece.text.lower()
    verbs = verbs_of(piece)
    kinds = {kind for _, kind in verbs}
    first_verb = verbs[0][0] if verbs else len(words)
    first_action = min((i for i, k in verbs if k in ("motion", "expression")), default=len(words))
    nonvisual = [i for i, w in enumerate(words) if w in lx.NONVISUAL]
    if nonvisual and nonvisual[0] < max(first_action, first_verb if "motion" not in kinds else first_action):
        return "sound"
    if _CAMERA_MOTION.search(text) or (
        "camera" in words and "motion" in kinds and words.index("camera") < first_action
    ):
        return "camera"  # "the camera swaying slightly" (not "turns to the camera")
    if (any(term in text for term in lx.FRAMING_TERMS) or _FRAMING_EXTRA.search(text)) and not kinds & {
        "motion",
        "expression",
    }:
        return "framing"
    if words and words[0] in lx.COMMENTARY:
        return "commentary"
    if words and words[0] in {"which", "where", "whose"} and verbs:
        return "other"  # a relative clause about something else ("which begins to bubble")
    if _NARRATION.search(text) and not kinds & {"motion", "expression", "pose"}:
        return "commentary"
    if _EXPRESSION_PHRASES.search(text):
        return "expression"
    if "motion" in kinds:
        return "action"
    if "expression" in kinds:
        return "expression"
    if any(w in lx.CLOTHING_LEADS for w in words):
        return "clothing"
    if "pose" in kinds:
        return "pose"
    if any(w in lx.CLOTHING for w in words) and words[0] in {
        "in",
        "with",
        "without",
        "wearing",
        "a",
        "an",
        "and",
    }:
        return "clothing"
    if any(w in lx.LIGHTING_STYLE for w in words):
        return "lighting_style"
    if any(w in lx.APPEARANCE for w in words) and not any(w in PLACES for w in words):
        return "appearance"
    if len(words) <= 4 and any(w in lx.LIGHTING_WEAK for w in words) and not any(w in PLACES for w in words):
        return "lighting_style"
    if any(w in PLACES for w in words) or (words and words[0] in _STATIC_PREPS_ONE):
        return "setting"
    if any(w in lx.CLOTHING for w in words):
        return "clothing"
    return "other"


def actor_of(piece: Piece) -> str | None:
    """Who does what the piece says, read from the words before its first verb (None: not stated)."""
    verbs = verbs_of(piece)
    end = verbs[0][0] if verbs else len(piece.words)
    before = set(piece.words[:end])
    if before & lx.OTHER_PEOPLE:
        return "other"
    if before & (lx.PRONOUNS_SUBJECT | set(lx.GENERIC_PERSON) | lx.ROLE_PERSON):
        return "subject"
    nouns = [w for w in piece.words[:end] if w and w not in lx.DETERMINERS and w not in lx.CONNECTORS]
    if verbs and nouns and piece.words[0] in lx.DETERMINERS | {"as", "while", "and"}:
        return "scene"  # "the Earth spun slowly", "as the crowd cheered"
    return None


def is_bare_noun_phrase(piece: Piece) -> bool:
    """A verbless piece that names someone ("while students", "The gymnast"): the actor of the
    next verb piece, with any appositive pieces in between."""
    words = [w for w in piece.words if w not in {"while", "as", "and", "when", "then"}]
    if not words or verbs_of(piece) or words[0] in _ALL_PREPS or words[0] in lx.CLOTHING_LEADS:
        return False
    return bool(set(words) & (lx.OTHER_PEOPLE | lx.ROLE_PERSON | set(lx.GENERIC_PERSON))) and len(words) <= 6


def assign_actors(pieces: list[Piece]) -> None:
    """Actor of each piece; an appositive between a bare noun phrase and its verb gets that noun's actor."""
    pending: str | None = None
    last = "subject"
    for piece in pieces:
        if is_bare_noun_phrase(piece):
            pending = "other" if set(piece.words) & lx.OTHER_PEOPLE else "subject"
            piece.actor = pending
            continue
        stated = actor_of(piece)
        if stated is not None:
            piece.actor = stated
        elif pending is not None:
            piece.actor = pending
        else:
            piece.actor = last if piece.category in ("action", "expression", "pose") else "subject"
        if verbs_of(piece):
            pending = None
        if piece.category in ("action", "expression", "pose"):
            last = piece.actor if piece.actor != "scene" else last


# --- static parts for the first frame ---------------------------------------------------------------


def _noun_phrase_end(words: list[str], start: int, piece: Piece) -> int:
    end = start
    while end < len(words):
        word = words[end]
        if end > start and (
            word in _ALL_PREPS - {"of"}
            or word in lx.CONNECTORS
            or word in AUXILIARIES
            or verb_kind(piece, end) in ("motion", "expression", "pose")
        ):
            break
        end += 1
    return end


def static_parts(piece: Piece) -> list[tuple[str, str]]:
    """What a still first frame can take from an action or expression piece: places (as static
    prepositional phrases), lighting, and clothing/appearance attached to the actor."""
    raw = restore(piece.text).split()
    words = piece.words
    verbs = verbs_of(piece)
    first_verb = verbs[0][0] if verbs else len(words)
    parts: list[tuple[str, str]] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "wearing" or (word in {"in", "with"} and index < first_verb):
            end = _noun_phrase_end(words, index + 1, piece)
            span = set(words[index + 1 : end])
            if span & lx.CLOTHING:
                parts.append(("clothing", tidy(" ".join(raw[index:end]))))
                index = end
                continue
            if span & lx.APPEARANCE and word == "with":
                parts.append(("appearance", tidy(" ".join(raw[index:end]))))
                index = end
                continue
        if word in _ALL_PREPS and word not in {"of", "with", "for", "about", "like"}:
            following = words[index + 1] if index + 1 < len(words) else ""
            if (word == "to" and verb_kind(piece, index + 1)) or following in _ALL_PREPS:
                index += 1
                continue  # "to reveal": an infinitive; "sits down at": a particle before the real preposition
            end = _noun_phrase_end(words, index + 1, piece)
            span = words[index + 1 : end]
            places = [i for i, w in enumerate(span) if w in PLACES]
            if any(w in lx.LIGHTING_STYLE for w in span) and word in {
                "under",
                "in",
                "beneath",
                "amid",
                "at",
                "during",
            }:
                parts.append(("lighting_style", tidy(" ".join(raw[index:end]))))
            elif places:
                parts.append(("setting", _static_place(word, raw[index + 1 : end], span)))
            index = max(end, index + 1)
            continue
        index += 1
    return parts


def _static_place(preposition: str, raw_span: list[str], span: list[str]) -> str:
    """ "across the classroom" -> "in the classroom"; "down the trail" -> "on the trail"."""
    noun_phrase = " ".join(raw_span).strip(_PUNCT)
    if preposition in _STATIC_PREPS_ONE:
        return f"{preposition} {noun_phrase}"
    # Directional or "from ... to": keep the noun phrase around the place noun only.
    place_index = max(i for i, w in enumerate(span) if w in PLACES)
    start = max((i for i in range(place_index + 1) if span[i] in lx.DETERMINERS), default=0)
    noun_phrase = " ".join(raw_span[start : place_index + 1]).strip(_PUNCT)
    noun = span[place_index]
    static = "on" if noun in _SURFACES else "at" if noun in _AT_OBJECTS else "in"
    return f"{static} {noun_phrase}"


def static_text(piece: Piece) -> str:
    """A static piece as a first-frame phrase: actor and auxiliaries dropped, a finite posture verb
    turned into its -ing form ("The woman sits at a desk" -> "sitting at a desk")."""
    raw = restore(piece.text).split()
    words = piece.words
    start = 0
    while start < len(words) and words[start] in {"and", "while", "as", "then", "when", "also"}:
        start += 1
    verbs = [(i, k) for i, k in verbs_of(piece) if i >= start]
    if verbs:
        first = verbs[0][0]
        before = set(words[start:first])
        if before <= (
            AUXILIARIES
            | lx.DETERMINERS
            | lx.PRONOUNS_SUBJECT
            | set(lx.GENERIC_PERSON)
            | lx.ROLE_PERSON
            | {"it", "who", "also", "still"}
        ):
            start = first
            if verbs[0][1] == "pose" and not words[first].endswith("ing") and words[first] in lx.POSE_FORMS:
                raw = [*raw[:first], lx.ing_form(lx.POSE_FORMS[words[first]]), *raw[first + 1 :]]
    text = tidy(" ".join(raw[start:]))
    if start == 0 and not piece.lead and text[:1].isupper() and not text[1:2].isupper():
        text = text[0].lower() + text[1:]  # it began a sentence in the prompt
    return text


def tidy(text: str) -> str:
    """Trim separators around a phrase and keep quotation marks balanced."""
    text = text.strip().strip(",;:").strip()
    text = text.rstrip(".").rstrip() if not text.endswith(('."', ".”")) else text[:-2] + text[-1]
    if text.count('"') % 2:
        text = text + '"' if text.rfind('"') > 0 else text.replace('"', "")
    return text


# --- subject ----------------------------------------------------------------------------------------


def find_subject(pieces: list[Piece]) -> SubjectMatch | None:
    """The first person the prompt names in its first two sentences: a determiner + up to four
    modifiers + a person noun, a subject pronoun, or a capitalised name before a verb."""
    for piece_index, piece in enumerate(pieces):
        if piece.sentence > 1:
            break
        words = piece.words
        raw = piece.text.split()
        for start, word in enumerate(words):
            if word in lx.PRONOUNS_SUBJECT - {"they"} and start == _first_content(words):
                return SubjectMatch(piece_index, start, start + 1, word, "pronoun", [])
            if word in {"a", "an", "the", "one", "this"}:
                match = _person_after(piece, start)
                if match is not None:
                    return SubjectMatch(piece_index, start, *match, coordinated=_coordinated(piece, match[0]))
            elif start == _first_content(words) and piece_index == 0 and raw and raw[start][:1].isupper():
                known = (
                    lx.MOTION_FORMS.keys() | lx.POSE_FORMS.keys() | lx.STATIC_FORMS.keys() | lx.CAMERA_MOTION
                )
                next_word = words[start + 1] if len(words) > start + 1 else ""
                if (
                    next_word.endswith("s")
                    and verb_kind(piece, start + 1)
                    and word not in lx.DETERMINERS | known
                ):
                    if word.isalpha() and word not in lx.CONNECTORS and word not in _ALL_PREPS:
                        return SubjectMatch(
                            piece_index, start, start + 1, raw[start].strip(_PUNCT), "name", []
                        )
            if verb_kind(piece, start) and start > 3:
                break
    return None


def _first_content(words: list[str]) -> int:
    index = 0
    while index < len(words) and words[index] in {"and", "while", "as", "then", "when", "meanwhile"}:
        index += 1
    return index


def _person_after(piece: Piece, start: int) -> tuple[int, str, str, list[str]] | None:
    """(end, head, kind, modifiers) of a person noun phrase starting at determiner `start`."""
    words = piece.words
    for offset in range(1, 6):
        index = start + offset
        if index >= len(words):
            return None
        word = words[index]
        if word in lx.GENERIC_PERSON:
            return index + 1, word, "generic", piece.text.split()[start + 1 : index]
        if word in lx.ROLE_PERSON or _agent_noun(piece, index):
            # Role modifiers keep the head as written ("race car driver", "DJ").
            return (
                index + 1,
                word,
                "role",
                [t.strip(_PUNCT) for t in piece.text.split()[start + 1 : index + 1]],
            )
        if (
            word in _ALL_PREPS
            or word in lx.DETERMINERS
            or verb_kind(piece, index)
            or piece.text.split()[index].endswith(",")
        ):
            return None
    return None


def _agent_noun(piece: Piece, index: int) -> bool:
    """An unlisted person noun ("blacksmith", "beekeeper") right before what people are given: a
    comma, "with"/"in"/"wearing", or an action verb."""
    word = piece.words[index]
    if (
        not word.endswith(lx.PERSON_SUFFIXES)
        or word in lx.NOT_PEOPLE
        or word in PLACES
        or word in lx.CLOTHING
    ):
        return False
    if piece.text.split()[index].endswith(","):
        return True
    following = piece.words[index + 1] if index + 1 < len(piece.words) else ""
    return following in {"with", "in", "wearing", "dressed", "who"} or verb_kind(piece, index + 1) in (
        "motion",
        "pose",
        "expression",
    )


def _coordinated(piece: Piece, end: int) -> list[str]:
    """Heads of "and a woman" right after the subject ("A man and a woman dance")."""
    words = piece.words
    if end + 2 < len(words) and words[end] == "and" and words[end + 1] in {"a", "an", "the", "his", "her"}:
        match = _person_after(piece, end + 1)
        if match is not None:
            return [words[end + 1], match[1]]
    return []


def _split_subject_piece(pieces: list[Piece], match: SubjectMatch) -> tuple[list[Piece], SubjectMatch]:
    """Give the subject's noun phrase a piece of its own, so what precedes it ("In a busy market")
    and what follows it ("standing in front of screens", "with red hair walks ...") are classified
    on their own."""
    original = match.piece
    piece = pieces[original]
    tokens = piece.text.split()
    end = match.end
    if match.coordinated:
        end = (
            end
            + 1
            + next((i for i, w in enumerate(piece.words[end + 1 :], 1) if w == match.coordinated[-1]), 1)
        )
    parts: list[Piece] = []
    lead = piece.lead
    if match.start > 0 and piece.words[0] in _ALL_PREPS:  # "In a busy market a woman buys fruit"
        parts.append(make_piece(" ".join(tokens[: match.start]), lead, piece.sentence))
        shift = match.start
        match = SubjectMatch(
            original + 1, 0, match.end - shift, match.head, match.kind, match.modifiers, match.coordinated
        )
        tokens, end, lead = tokens[shift:], end - shift, ", "
    if end >= len(tokens) or tokens[end - 1].endswith(","):
        parts.append(make_piece(" ".join(tokens), lead, piece.sentence))
    else:
        parts.append(make_piece(" ".join(tokens[:end]), lead, piece.sentence))
        parts += _split_modifier(make_piece(" ".join(tokens[end:]), " ", piece.sentence))
    return [*pieces[:original], *parts, *pieces[original + 1 :]], match


def _split_modifier(piece: Piece) -> list[Piece]:
    """ "with red hair walks along the beach" -> "with red hair" + "walks along the beach"."""
    verbs = [i for i, kind in verbs_of(piece) if kind in ("motion", "expression", "pose")]
    if not verbs or not piece.words or piece.words[0] not in {"with", "in", "wearing", "dressed", "clad"}:
        return [piece]
    first = verbs[0]
    if first < 2 or piece.words[first - 1] in lx.DETERMINERS:
        return [piece]
    tokens = piece.text.split()
    return [
        make_piece(" ".join(tokens[:first]), piece.lead, piece.sentence),
        make_piece(" ".join(tokens[first:]), " ", piece.sentence),
    ]


_SHOT_LEAD = re.compile(
    r"^((?:an? |the )?(?:[\w-]+ ){0,2}(?:shot|close-up|closeup|close up|view|footage|portrait|pov))\s+of\s+",
    re.IGNORECASE,
)


def analyse(text: str) -> tuple[list[Piece], SubjectMatch | None, str]:
    """Pieces with categories, actors and static parts; the subject; and the meta lead removed
    from the start ("The video features ")."""
    meta = META_LEAD.match(text)
    lead_removed = meta.group(0) if meta else ""
    body = text[len(lead_removed) :] if meta else text
    shot = _SHOT_LEAD.match(body)
    if shot:  # "Tracking shot of a cyclist riding" -> "Tracking shot, a cyclist riding"
        body = f"{shot.group(1)}, {body[shot.end() :]}"
    pieces = split_pieces(body)
    subject = find_subject(pieces)
    if subject is not None:
        pieces, subject = _split_subject_piece(pieces, subject)
    for index, piece in enumerate(pieces):
        piece.category = classify(piece)
        if (
            subject is not None
            and index == subject.piece
            and (piece.category == "other" or (subject.start == 0 and subject.end >= len(piece.words)))
        ):
            piece.category = "subject"
    assign_actors(pieces)
    for piece in pieces:
        if piece.category in ("action", "expression", "camera", "other", "subject") or piece.actor == "other":
            piece.static = static_parts(piece)
    return pieces, subject, lead_removed
