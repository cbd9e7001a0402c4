"""Reading a prompt for the `rules` decoupler: sentences, comma pieces and clauses, coarse word tags.

A tag is given from the word's possible classes (`ipvg.prompts.english`, lemminflect's lexicon) and
its neighbours: "a steaming cup" (after a determiner) is an adjective, "sipping a cup" (after a noun)
a verb, "walks" after a noun a verb but after "the" a noun. That is enough for video prompts, which
are one or a few plain descriptive sentences.

Tags: DET PREP CONJ REL PRON AUX VERB PRT ADV ADJ NUM NOUN POS (possessive 's) PUNCT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ipvg.prompts import english as en
from ipvg.prompts import lexicon as lx
from ipvg.prompts.rules_words import CHILD_NOUNS, COMPOUND_HEADS, EMPTY_WITHOUT_OBJECT

# A quoted span ("Tech Minute", 'thumbs up') is one token: a name or sign the frame shows whole.
_TOKEN = re.compile(
    r'"[^"]{1,60}"|“[^”]{1,60}”|(?<![A-Za-z])\'[^\']{1,40}\'(?![A-Za-z])'
    r"|[^\W\d_]+n't\b|[^\W_]+(?:[-.][^\W_]+)*s'(?!\w)"  # "photographers' flashes": a plural possessive
    r"|[^\W_]+(?:[-.][^\W_]+)*|'s\b|[^\s\w]|_"  # letters of any script: "flambéing", "café"
)
_SENTENCE_END = re.compile(r'(?:(?<=[.!?]["”’\'])|(?<=[.!?]))\s+(?=["“‘\']?[A-Z0-9])')
CLAUSE_CONJUNCTIONS = ("while", "as", "before", "after", "when", "until", "then", "whereas", "once", "and")
PARTICLES = frozenset({"up", "down", "out", "off", "away", "back", "over", "around", "about", "along", "in"})
RELATIVES = frozenset({"that", "which", "who", "whose", "where"})
PRONOUNS = frozenset({"he", "she", "they", "it", "him", "them", "i", "we", "you", "me", "us", "himself", "herself",
                      "themselves", "someone", "something", "everyone", "everything"})
NEGATIONS = frozenset({"not", "never", "doesn't", "don't", "didn't", "isn't", "aren't", "wasn't", "won't", "can't",
                       "cannot"})
COLOURS = frozenset(
    "white black red blue green yellow orange purple pink grey gray brown golden silver beige navy teal".split()
)
EXTRA_ADVERBS = frozenset({"barefoot", "together", "alone", "sideways", "backwards", "upside-down", "forward"})
NUMBER_WORDS = frozenset({"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"})
# Verbs that describe a still state: a first frame can show them ("sitting at a desk", "dressed in").
STATIC_LEMMAS = frozenset(
    {*(v for v in lx.POSE_VERBS if "_" not in v), *(v for v in lx.STATIC_VERBS if "_" not in v),
     "wear", "dress", "clad", "don", "adorn", "hold", "stand", "sit", "lie", "lean", "kneel", "crouch",
     "make", "string", "frame", "light", "bathe", "surround", "fill", "cover", "decorate", "line",
     "visible", "focus", "perch", "rest", "wrap", "carry_on", "lit", "dressed", "paint_on", "label", "own",
     "contain", "display", "feature", "show", "depict", "include", "appear", "seem", "remain", "stay", "be",
     "maintain", "keep", "reveal", "overlook", "have", "hang"} - {"look", "gaze", "stare", "watch", "face",
                                                              "suggest", "indicate", "imply", "signal",
                                                              "highlight", "reflect"}
)
COMMENTARY_LEMMAS = frozenset(
    {"suggest", "indicate", "imply", "highlight", "capture", "convey", "emphasize", "emphasise", "reinforce",
     "showcase", "ensure", "reflect", "evoke", "create", "add", "exude", "symbolize", "signal", "illustrate",
     "underscore", "encourage", "attract", "retain", "design", "intend", "aim", "educate", "focus_on"}
)
META_WORDS = frozenset({"video", "sequence", "frames", "clip", "footage", "presentation", "segment",
                        "content", "demonstration", "atmosphere", "narrative", "overall", "throughout"})


@dataclass
class Piece:
    """A comma/semicolon piece or a clause of one sentence: its tokens and their tags."""

    tokens: list[str]
    tags: list[str]
    sentence: int
    lead: str  # the separator before it: "", ",", ";" or a conjunction ("and", "as", ...)

    @property
    def text(self) -> str:
        return join_tokens(self.tokens)

    @property
    def lower(self) -> list[str]:
        return [t.lower() for t in self.tokens]


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("’", "'"))


def join_tokens(tokens: list[str]) -> str:
    """Tokens back to text: no space before punctuation or a possessive, none after an opening quote."""
    out = ""
    for token in tokens:
        if not out:
            out = token
        elif token in {",", ".", ";", ":", "!", "?", ")", "'s"} or (token in {'"', "”"} and out.count('"') % 2):
            out += token
        elif out.endswith(("(", "“")) or (out.endswith('"') and out.count('"') % 2):
            out += token
        else:
            out += " " + token
    return out


_GLUED_SENTENCE = re.compile(r"(?<=[a-z])([.!?])(?=[A-Z][a-z])")  # "danced with joy.The video presents"


def split_sentences(text: str) -> list[str]:
    text = _GLUED_SENTENCE.sub(r"\1 ", text.strip())
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


# --- tags -----------------------------------------------------------------------------------------


def tag_tokens(tokens: list[str]) -> list[str]:
    """Coarse tags in context (see the module docstring)."""
    tags: list[str] = []
    lower = [t.lower() for t in tokens]
    prep_seen = False  # a preposition since the last verb: a noun phrase, not a subject, follows
    finite_seen = False  # "sits ... and eats" (a second finite verb) vs "wearing a blazer and glasses"
    carrying = False  # the last finite verb was one of wearing/holding: "and W" more likely names a thing
    awaiting_verb = False  # the person is named and no verb yet: "A dancer in a red dress [twirls] across"
    for i, word in enumerate(lower):
        previous = tags[i - 1] if i else "START"
        following = lower[i + 1] if i + 1 < len(lower) else ""
        previous2 = tags[i - 2] if i >= 2 else "START"
        tag = _tag(word, previous, lower[i - 1] if i else "", following, finite_seen, prep_seen, previous2)
        if (
            tag in ("NOUN", "ADJ")
            and awaiting_verb
            and word not in _PLURAL_BODY_PARTS  # "a man's wrinkled hands carving": the hands are no verb
            and previous in ("NOUN", "ADJ")
            and "VBZ" in en.verb_tags(word)
            and (
                following in en.DETERMINERS
                or (following in en.PREPOSITIONS and following != "of")
                or following.endswith("ly")
                or ("ADV" in en.word_classes(following) and "NOUN" not in en.word_classes(following))
                or following in PARTICLES
                or (verb_lemma(word) in lx.MOTION_VERBS and "NOUN" in en.word_classes(following))  # "spins records"
            )
        ):
            tag = "VERB"  # "twirls across", "sips a": a present-tense verb after the person's noun phrase
            if previous == "ADJ" and "NOUN" in en.word_classes(lower[i - 1]):
                tags[i - 1] = "NOUN"  # "a red dress twirls": "dress" heads the noun phrase
        if (
            tag == "NOUN"
            and previous == "VERB"
            and i >= 2
            and tags[i - 2] in ("NOUN", "ADJ", "DET")
            and not _person_word(lower[i - 2])  # "A firefighter sprays water at": the person's verb stays
            and lower[i - 1].endswith("s")
            and "NOUN" in en.word_classes(lower[i - 1])
            and word == en.verb_lemma(word)
            and en.verb_tags(word) & {"VB", "VBP"}
            and ((following in en.PREPOSITIONS and following != "of") or following in PARTICLES)
        ):
            tags[i - 1], tag = "NOUN", "VERB"  # "while autumn leaves drift down": the plural noun, then its verb
        if (
            tag == "NOUN"
            and previous == "VERB"
            and i >= 2
            and tags[i - 2] in ("NOUN", "ADJ")
            and "VBZ" in en.verb_tags(word)
            and "VBZ" in en.verb_tags(lower[i - 1])
            and ("NOUN" in en.word_classes(lower[i - 1]) or lower[i - 1] in lx.CLOTHING)  # "blue scrubs checks"
            and following in en.DETERMINERS
        ):
            tags[i - 1], tag = "NOUN", "VERB"  # "with beast ears holds a folder": the noun, then its verb
        if (
            tag == "NOUN"
            and previous == "ADV"
            and i >= 2
            and tags[i - 2] == "PRON"
            and lower[i - 2] in ("she", "he", "they", "i", "we", "you")
            and en.verb_tags(word) & {"VB", "VBP", "VBZ", "VBD"}
        ):
            tag = "VERB"  # "as they slowly move forward"
        if tag == "VERB" and "-" in word and word.endswith("ing") and following[:1].isalnum() and (
            "NOUN" in en.word_classes(following) and following not in en.DETERMINERS and following not in PRONOUNS
        ):
            tag = "ADJ"  # "a green, moisture-wicking jersey" (but "spray-painting a bird")
        if tag == "VERB" and word.endswith("ing") and previous == "VERB" and lower[i - 1].endswith("ing") and (
            following[:1].isalnum() and tag_of_noun(following)
        ):
            tag = "ADJ"  # "juggling flaming torches": the second -ing describes the thing
        if tag == "VERB" and word.endswith("ing") and following in COMPOUND_HEADS and previous not in ("AUX", "PRON"):
            tag = "ADJ"  # "and trekking poles", "a punching bag": what the thing is for
        if tag == "ADJ" and word in _ING_NOUNS and previous == "DET" and "VBZ" in en.verb_tags(following):
            tag = "NOUN"  # "as the drawing takes shape"
        if tag == "NOUN" and previous == "NOUN" and lower[i - 1] in _ING_NOUNS and "VBZ" in en.verb_tags(word) and (
            i >= 2 and tags[i - 2] == "DET"
        ):
            tag = "VERB"  # "the drawing [takes] shape"
        if tag == "VERB" and word in _ING_NOUNS and previous in ("NOUN", "ADJ", "DET") and not _person_word(lower[i - 1]) and (
            not following[:1].isalnum() or following in en.PREPOSITIONS or following in en.CONJUNCTIONS
            or ("VBZ" in en.verb_tags(following) and previous == "DET")
        ):
            tag = "NOUN"  # "renders an oil painting on a canvas", "a lace wedding.", "the drawing takes shape"
        if tag == "VERB" and "VBZ" in en.verb_tags(word) and word.endswith("s"):
            k = i - 1 if previous != "ADV" else i - 2
            if k >= 1 and tags[k] == "VERB" and "VBZ" in en.verb_tags(lower[k]) and "NOUN" in en.word_classes(lower[k]) and (
                tags[k - 1] in ("NOUN", "ADJ")
            ):
                tags[k] = "NOUN"  # "safety goggles carefully examines": two finite verbs in a row, the first a noun
        if (
            tag == "VERB"
            and previous == "CONJ"
            and (word.endswith("ed") or "VBN" in en.verb_tags(word))
            and following[:1].isalnum()
            and "NOUN" in en.word_classes(following)
            and following not in en.DETERMINERS
            and following not in PRONOUNS
            and not en.verb_tags(following) & {"VBZ", "VBD", "VBG"}
            and i >= 2
            and tags[i - 2] == "NOUN"
        ):
            tag = "ADJ"  # "a leather jacket and ripped jeans" (but "and raised it")
        if (
            tag == "NOUN"
            and previous == "CONJ"
            and word == en.verb_lemma(word)
            and "VB" in en.verb_tags(word)
            and any(lower[j - 1] == "to" and tags[j] == "VERB" for j in range(max(1, i - 6), i - 1))
            and (following in en.PREPOSITIONS or following in en.DETERMINERS or not following[:1].isalnum())
        ):
            tag = "VERB"  # "to catch his breath and stare into the distance": a second infinitive
        if tag == "VERB" and previous == "PRON" and lower[i - 1] == "her" and (word.endswith("ed") or "VBN" in en.verb_tags(word)) and (
            following[:1].isalnum() and "NOUN" in en.word_classes(following) and following not in en.DETERMINERS
            and not en.verb_tags(following) & {"VBD", "VBG"}
        ):
            tags[i - 1], tag = "DET", "ADJ"  # "in her gloved hands", "her tied-back hair"
        if tag == "NOUN" and i >= 3 and lower[i - 3] == "of" and previous == "NOUN" and tags[i - 2] == "DET" and (
            "VBZ" in en.verb_tags(word) and "VERB" not in tags and "AUX" not in tags and following in en.PREPOSITIONS
        ):
            tag = "VERB"  # "The color of the apple changes from green": the first verb of the sentence
        if tag == "NOUN" and _person_word(word) and "VERB" not in tags and "AUX" not in tags:
            awaiting_verb = True
        elif tag == "AUX" or (tag == "VERB" and not (
            word.endswith("ing") and previous in ("NOUN", "ADJ") and en.verb_lemma(word) in _CARRY_LEMMAS
        )):
            awaiting_verb = False  # "A DJ wearing headphones [spins]": what they wear does not end the wait
        if (
            tag == "VERB"
            and word.endswith("ing")
            and i >= 2
            and previous == "NOUN"
            and tags[i - 2] in ("DET", "ADJ")
            and not _person_word(lower[i - 1])
            and lower[i - 1] not in ("hand", "hands", "finger", "fingers", "foot", "feet", "arm", "arms")
            and "NOUN" in en.word_classes(following)
            and following not in PARTICLES
            and following not in en.DETERMINERS
            and not en.verb_tags(following) & {"VBZ", "VBD", "VBG"}
        ):
            if not (verb_lemma(word) in lx.MOTION_VERBS and following not in COMPOUND_HEADS):
                tag = "ADJ"  # "a lace wedding dress", "a leather riding jacket"; not "a beard chopping wood"
        if (
            tag == "VERB"
            and i >= 3
            and lower[i - 1] == ","
            and (tags[i - 2] == "ADJ" or en.can_be_adjective(lower[i - 2]))
            and tags[i - 3] in ("DET", "ADJ", "ADV")
            and (word.endswith("ed") or "VBN" in en.verb_tags(word))
        ):
            tag = "ADJ"  # "a tall, weathered brick wall", "a lush, overgrown gate"
        if (
            tag == "VERB"
            and carrying
            and previous == "CONJ"
            and i >= 2
            and tags[i - 2] == "NOUN"
            and "NOUN" in en.word_classes(word)
            and verb_lemma(word) not in lx.MOTION_VERBS
            and verb_lemma(word) not in EXPRESSION_LEMMAS
        ):
            tag = "NOUN"  # "he wears a brown beret and glasses" (not the verb "glass"); "... and smiles" stays
        if tag == "VERB":
            carrying = en.verb_lemma(word) in _CARRY_LEMMAS
        if (tag == "VERB" and en.verb_tags(word) & {"VBZ", "VBD", "VBP"} and "VBG" not in en.verb_tags(word)) or (
            tag == "AUX" and word in ("has", "have", "had") and following in en.DETERMINERS
        ):
            finite_seen = True  # "sits ... and eats"; "has a kind smile ... and looks around"
        elif tag == "VERB":
            finite_seen = False
        if tag in ("VERB", "AUX", "PUNCT", "CONJ", "REL"):
            prep_seen = False
        elif tag == "PREP":
            prep_seen = True
        tags.append(tag)
    return tags


# -ing words that are mostly things ("an oil painting", "a wedding"), when nothing else makes them verbs.
_ING_NOUNS = frozenset("painting paintings drawing drawings building buildings clothing ceiling wedding evening morning "
                       "carving carvings lighting setting landing railing awning frosting icing stuffing pudding "
                       "stocking stockings earring earrings offering recording sketching".split())
_PEOPLE = frozenset("people men women children kids friends girls boys teenagers students dancers couples".split())
_PLURAL_BODY_PARTS = frozenset({"eyes", "hands", "arms", "legs", "feet", "lips", "cheeks", "shoulders", "fingers",
                                "fists", "palms", "knees", "ears", "brows", "eyebrows"})
# Verbs whose coordinated objects are things the person has on or in hand ("wears a hat and gloves").
_CARRY_LEMMAS = frozenset({"wear", "hold", "carry", "sport", "don", "clutch", "grip"})
# Face and voice verbs the motion list does not hold: "wears a hat and smiles" is still an action.
EXPRESSION_LEMMAS = frozenset({"smile", "grin", "frown", "laugh", "nod", "wink", "blink", "sigh", "wave", "speak",
                               "talk", "sing", "shout", "scream", "cry", "smirk", "pout", "glance", "look", "gaze"})
GERUND_PREPOSITIONS = frozenset({"before", "after", "while", "by", "without", "upon", "since", "when"})


def _tag(
    word: str,
    previous: str,
    previous_word: str,
    following: str,
    finite_seen: bool = False,
    prep_seen: bool = False,
    previous2: str = "",
) -> str:
    if word[:1] in "\"“'" and len(word) > 2:
        return "NOUN"  # a quoted name
    if not word[:1].isalnum():
        return "POS" if word == "'s" else "PUNCT"
    if word.isdigit() or word in NUMBER_WORDS:
        return "NUM"
    if word == "her":
        following_classes = en.word_classes(following) if following[:1].isalnum() else frozenset()
        finite = en.verb_tags(following) & {"VBD", "VBN", "VBG", "VBZ"} and "NOUN" not in following_classes
        return "DET" if following_classes & {"NOUN", "ADJ"} and not finite else "PRON"
    if word in RELATIVES and previous in ("NOUN", "PUNCT", "ADJ"):
        return "REL"
    if word in en.DETERMINERS:
        return "DET"
    if word in PRONOUNS:
        return "PRON"
    if word in NEGATIONS or word.endswith("n't"):
        return "NEG"
    if word in EXTRA_ADVERBS:
        return "ADV"
    if word in en.AUXILIARIES:
        return "AUX"
    if word == "being" and previous != "ADJ" and (following.endswith("ed") or "VBN" in en.verb_tags(following)):
        return "AUX"  # "while being followed by": a passive, not the noun of "a human being"
    if word in PARTICLES and previous in ("VERB", "PRT") and (
        following in {"", ",", ".", ";", "and", "with", "to", "from", "at", "for", "in", "on", "into"}
    ):
        return "PRT"
    if word in en.PREPOSITIONS:
        return "PREP"
    if word in en.CONJUNCTIONS:
        return "CONJ"
    if word.endswith("ly") and following.endswith("ing") and "VBG" in en.verb_tags(following) and (
        "ADV" in en.word_classes(word) or previous in ("CONJ", "AUX", "PRON")
    ):
        return "ADV"  # "while leisurely eating potato chips"
    if word in lx.ACTIVITY_GERUNDS and previous not in ("DET", "ADJ", "PREP"):
        return "VERB"  # "a person skydiving over a desert"
    classes = en.word_classes(word)
    if not classes and word.endswith("ly") and len(word) > 4:
        return "ADV"  # "weightlessly": adverbs the lexicon lacks
    if not classes and word.endswith("ed") and len(word) > 4:
        return "ADJ"  # "tattooed arms", "sun-bleached": participles the lexicon lacks
    if classes == frozenset({"ADV"}) or (word.endswith("ly") and "ADV" in classes and "ADJ" not in classes):
        return "ADV"
    if _is_verb(word, previous, previous_word, following, classes, finite_seen, prep_seen, previous2):
        return "VERB"
    if word in COLOURS and following[:1].isalnum() and "NOUN" in en.word_classes(following):
        return "ADJ"  # "long orange shadows", "a white sports jacket"
    if previous == "DET" and word.endswith("ing") and "VBG" in en.verb_tags(word):
        return "ADJ"  # "a glowing fishing rod", "a steaming cup"
    if "ADJ" in classes and "NOUN" in classes and previous in ("DET", "ADJ") and _person_word(word) and (
        en.verb_tags(following) & {"VBZ", "VBD", "VBG"}
    ):
        return "NOUN"  # "A pilot flies over the city": the person, then the verb (not "a pilot program")
    if "ADJ" in classes:
        following_classes = en.word_classes(following) if following[:1].isalnum() else frozenset()
        if previous in ("DET", "ADJ", "CONJ", "PREP", "ADV") and "NOUN" in following_classes:
            return "ADJ"  # "modern and rustic styles", "a red dress": an adjective inside a noun phrase
        if "NOUN" not in classes or ("NOUN" in following_classes and not en.verb_tags(following)):
            return "ADJ"  # "a plain background"; but "an individual standing", "the video features"
        if following_classes & {"NOUN", "ADJ"} and following.endswith(("s", "ed")) is False and not (
            en.verb_tags(following) & {"VBG", "VBZ", "VBD"}
        ):
            return "ADJ"
    return "NOUN"


def _is_verb(
    word: str,
    previous: str,
    previous_word: str,
    following: str,
    classes: frozenset[str],
    finite_seen: bool,
    prep_seen: bool = False,
    previous2: str = "",
) -> bool:
    tags = en.verb_tags(word)
    if not tags:
        return False
    if previous in ("DET", "ADJ", "NUM", "POS") and previous_word not in ("her", "each"):
        return False  # "a steaming cup", "the winding track", "his gaze"
    if previous == "ADV" and previous2 == "DET" and previous_word.endswith("ly"):
        return False  # "the brightly lit stage", "a softly glowing lamp"
    if word in lx.NOT_VERBS and previous in ("DET", "ADJ", "PREP", "NUM") and previous_word != "to" and not (
        previous_word in GERUND_PREPOSITIONS and word.endswith("ing")
    ):
        return False
    if word in lx.NOT_VERBS and previous == "NOUN" and en.verb_tags(following) & {"VBN", "VBD"}:
        return False  # "a drum set made of thunderclouds"
    following_classes = en.word_classes(following) if following[:1].isalnum() else frozenset()
    if tags & {"VBD", "VBN"} and previous == "PREP" and "NOUN" in following_classes and (
        following not in en.DETERMINERS and word.endswith("ed")
    ):
        return False  # "with tattooed arms"
    if "VBG" in tags and (previous == "PREP" or (previous == "ADV" and previous2 in ("PREP", "DET", "ADJ"))) and (
        previous_word not in GERUND_PREPOSITIONS
    ):
        if "NOUN" in following_classes and following not in en.DETERMINERS and following not in PARTICLES and (
            following not in PRONOUNS and following not in ("herself", "himself", "themselves")
        ):
            return False  # "a path of floating lily pads", "a field of gently swaying wildflowers"
        if previous == "PREP" and not following[:1].isalnum():
            return False  # "a flash of lightning", "the sound of clapping"
    if previous in ("START", "PUNCT") and (word.endswith("ed") or "VBN" in tags) and "ADJ" in following_classes and (
        following not in en.DETERMINERS
    ) and following not in en.PREPOSITIONS:
        return False  # "blurred green forest visible through the window"
    if previous == "NOUN" and previous2 == "DET" and prep_seen and not following[:1].isalnum() and not word.endswith(("ed", "ing")):
        return False  # "on a gas stove." ("stove" is also a past tense)
    if previous == "NOUN" and previous2 == "DET" and prep_seen and "VBZ" in tags and "NOUN" in classes and (
        following in en.PREPOSITIONS and not _person_word(previous_word)
    ):
        return False  # "among the tomato plants under the sun": a compound inside a prepositional phrase
    if previous_word in ("has", "have", "had") and en.can_be_adjective(word) and following[:1].isalnum() and (
        "NOUN" in en.word_classes(following) and not en.verb_tags(following) & {"VBN", "VBD"}
    ):
        return False  # "he has light skin": an adjective, not the verb "light"
    if word in COLOURS and previous == "AUX" and previous_word in ("is", "are", "was", "were") and (
        not following[:1].isalnum() or following in ("and", "or", "with")
    ):
        return False  # "His hair is brown and ...": the colour, not the verb "brown"
    base_like = word == en.verb_lemma(word) and not word.endswith("ed")  # "gown", "set": listed as VBN too
    if tags & {"VBG", "VBD", "VBN"} and not (base_like and previous not in ("AUX", "PRON", "REL")):
        return True
    nounish = "NOUN" in classes or "ADJ" in classes
    if "VBZ" in tags:
        if nounish and following in RELATIVES:
            return False  # "lily pads that light up"
        following_open = (
            following in en.DETERMINERS or (following in en.PREPOSITIONS and following != "of") or following.endswith("ly")
        )
        if previous == "NOUN" and _person_word(previous_word) and following != "of" and not (
            en.verb_tags(following) & {"VBG"}
        ):
            return True  # "the individual chops vegetables" (but "cowboy boots taking a stroll")
        if following == "of" or (previous in ("NOUN", "ADJ") and en.can_be_adjective(previous_word) and not following_open):
            return False  # "tears of joy", "face freckles of", "blue scrubs"
        if nounish and en.verb_tags(following) & {"VBG"}:
            return False  # "cowboy boots taking a stroll"
        if nounish and previous == "NOUN" and previous2 in ("VERB", "PREP", "PRT"):
            return False  # "watering tomato plants", "blowing out birthday candles"
        if nounish and previous in ("START", "PUNCT") and (word in _PLURAL_BODY_PARTS):
            return False  # ", eyes wide open": the person's eyes, not the verb "eye"
        if nounish and previous in ("START", "PUNCT"):
            return following_open or ("NOUN" in following_classes and not en.verb_tags(following))
        if nounish and previous == "NOUN" and _person_word(previous_word):
            return True  # "the individual chops vegetables"
        if nounish and previous == "NOUN" and en.can_be_adjective(previous_word) and not following_open:
            return False  # "a white sports jacket"
        if nounish and previous == "NOUN" and previous2 == "ADJ" and (not following[:1].isalnum() or following == "and"):
            return False  # "pink and blue neon lights,"
        if nounish and previous == "CONJ":
            return finite_seen  # "sits ... and eats" but "wearing a blazer and glasses"
        if nounish and prep_seen and (not following[:1].isalnum() or following in ("and", "with")):
            return False  # "with a backdrop of tall evergreen trees"
        return not nounish or previous in ("NOUN", "PRON", "ADV", "REL", "AUX", "NEG")
    plural = previous_word.endswith("s") and not previous_word.endswith(("ss", "us", "is", "as"))
    into_place = following in en.PREPOSITIONS and following not in ("of", "with", "for")
    if previous == "NOUN" and plural and (previous2 in ("DET", "CONJ", "START", "PUNCT", "NUM") or (
        previous2 in ("NOUN", "ADJ", "VERB") and (into_place or not following[:1].isalnum())
        and verb_lemma(word) in lx.MOTION_VERBS
    )) and (  # "cherry blossoms fall around him", "fallen leaves flutter.", but "a white sports jacket over"
        not following[:1].isalnum()
        or following in ("and", "up", "out", "down", "away")
        or following.endswith("ly")
        or (following in en.PREPOSITIONS and following not in ("of", "with", "for"))
    ):
        return True  # "his nostrils flare", "the lily pads light up"
    # Base form: after "to", a modal/auxiliary, a pronoun, a relative pronoun ("pads that light up").
    if previous == "NOUN" and (_person_word(previous_word) or previous_word in _PEOPLE):
        return True  # "A man and a woman dance together", "Two people walk"
    if previous in ("NOUN", "ADJ") and not following[:1].isalnum() and not finite_seen and prep_seen:
        return False  # "on a cast-iron pan." (a noun the lexicon lists only as a verb)

    return previous in ("PRON", "REL", "AUX", "NEG") or previous_word == "to" or (not nounish and previous != "PREP")


def tag_of_noun(word: str) -> bool:
    """`word` is a noun that is not also a verb form ("torches", not "turns")."""
    return "NOUN" in en.word_classes(word) and not en.verb_tags(word) & {"VBG", "VBD", "VBN"}


def _person_word(word: str) -> bool:
    lower = word.lower()
    if lower in ("tennis", "star", "model", "set", "robot"):
        return False  # listed roles that are mostly modifiers or things ("tennis court", "star")
    return lower in lx.GENERIC_PERSON or lower in lx.ROLE_PERSON or lower.endswith(("smith", "woman", "man"))


def verb_lemma(word: str) -> str:
    return en.verb_lemma(word) or word.lower()


def is_motion_verb(word: str) -> bool:
    """A verb a still frame cannot show: anything not a known posture or state verb."""
    lemma = verb_lemma(word)
    lower = word.lower()
    if (lemma == "make" and lower != "made") or (lemma == "wrap" and lower.endswith("ing")):
        return True  # "making pottery", "wrapping his arms" are actions; "made of clouds", "wrapped in" are states
    return lemma not in STATIC_LEMMAS and word.lower() not in STATIC_LEMMAS


def is_commentary_verb(word: str) -> bool:
    return verb_lemma(word) in COMMENTARY_LEMMAS or word.lower() in lx.COMMENTARY


# --- pieces ---------------------------------------------------------------------------------------


def split_pieces(sentence: str, index: int) -> list[Piece]:
    """Comma/semicolon pieces of a sentence, each split further before a conjunction that starts a
    new clause ("sits at a table and eats noodles" -> two pieces)."""
    tokens = tokenize(sentence)
    tags = tag_tokens(tokens)
    pieces: list[Piece] = []
    start, lead = 0, ""
    quote_open = False
    for i, token in enumerate(tokens):
        if token in ('"', "“", "”"):
            quote_open = not quote_open
        if quote_open:
            continue
        coordinate = (
            token == ","
            and i > start
            and (tags[i - 1] == "ADJ" or (tags[i - 1] == "NOUN" and en.can_be_adjective(tokens[i - 1])))
            and i - 1 > start
            and tags[i - 2] in ("DET", "ADJ", "ADV")
            and i + 1 < len(tokens)
            and (tags[i + 1] in ("ADJ", "NOUN") or "VBN" in en.verb_tags(tokens[i + 1]) or tokens[i + 1].lower().endswith("ed"))
        )  # "a tall, weathered brick wall": one noun phrase
        boundary = not coordinate and (token in (",", ";", ":") or (token in (".", "!", "?") and i == len(tokens) - 1))
        conjunction = (
            token.lower() in CLAUSE_CONJUNCTIONS
            and i > start
            and _starts_clause(tokens, tags, i + 1)
            # "and" joins clauses only after a verb: "A man with a mustache and a hat flips" is one
            and (token.lower() != "and" or any(t in ("VERB", "AUX") for t in tags[start:i]))
        )
        if boundary or conjunction:
            if i > start:
                pieces.append(Piece(tokens[start:i], tags[start:i], index, lead))
            lead = token.lower() if conjunction else token
            start = i + 1
    if start < len(tokens):
        pieces.append(Piece(tokens[start:], tags[start:], index, lead))
    return [p for p in pieces if any(t[:1].isalnum() for t in p.tokens)]


def _starts_clause(tokens: list[str], tags: list[str], start: int) -> bool:
    """After a conjunction: a verb, or a subject (pronoun / determiner + noun) followed by a verb."""
    if start >= len(tokens):
        return False
    if tags[start] in ("VERB", "AUX") or (tags[start] == "ADV" and start + 1 < len(tags) and tags[start + 1] == "VERB"):
        return True
    for j in range(start, min(start + 8, len(tokens))):
        if tags[j] in ("VERB", "AUX"):
            finite = tags[j] == "AUX" or en.is_finite_verb(tokens[j], tokens[j - 1] if j else None)
            return tags[start] in ("PRON", "DET", "NOUN", "ADJ") and (finite or tags[start] == "PRON")
        if tags[j] in ("PUNCT", "CONJ", "REL") and j > start:
            return False
    return False


# --- the person's kind, pieces that neither prompt keeps, feature leads (shared by both prompts) ----


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


def is_feature_lead(lead: list[str]) -> bool:
    """ "The video features", "This clip shows": words to drop in front of the person."""
    return bool(lead) and lead[-1] in ("features", "shows", "showing", "featuring", "depicts") and set(lead) <= {
        "the", "this", "a", "video", "clip", "footage", "features", "shows", "showing", "featuring", "depicts"
    }


def without_nonvisual(piece: Piece, *, keep: bool = False, video: bool = False) -> Piece | None:
    """The piece without its sound/smell phrase: "sways gently to the music" -> "sways gently"; a
    piece that is only a sound ("the roar of the engine filling the air") -> None (or itself, unchanged,
    when `keep`: the person's own clause is never dropped whole)."""
    if not is_nonvisual(piece) or (video and _perceived_by_the_person(piece)):
        return piece
    lower = piece.lower
    k = next(i for i in range(len(lower)) if _sound_word_at(lower, piece.tags, i))
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


# "listens to music", "sings a song", "catches his breath": the person's own action, which the video shows.
SOUND_ACTIONS = frozenset({"listen", "sing", "hum", "whistle", "play", "perform", "record", "compose", "rehearse",
                           "practice", "practise", "strum", "conduct", "catch", "hold", "take", "draw"})


def _perceived_by_the_person(piece: Piece) -> bool:
    """ "as she encountered a strong odor", "as he smells the coffee": the person's own reaction, which
    the video shows (kept in the temporal prompt; the first frame still leaves the smell out)."""
    lower, tags = piece.lower, piece.tags
    return len(lower) > 2 and lower[0] in ("she", "he", "they") and tags[1] in ("VERB", "ADV")


def is_nonvisual(piece: Piece) -> bool:
    """A sound or smell piece: a non-visual noun, not the person's own verb ("smelled something"),
    nor a modifier before a noun ("a crackling fireplace" is a fireplace, "a music room" a room)."""
    return any(_sound_word_at(piece.lower, piece.tags, k) for k in range(len(piece.lower)))


def _sound_word_at(lower: list[str], tags: list[str], k: int) -> bool:
    word, tag = lower[k], tags[k]
    return (
        word in lx.NONVISUAL
        and not any(t == "VERB" and verb_lemma(w) in SOUND_ACTIONS for w, t in zip(lower[:k], tags[:k], strict=True))
        and tag != "VERB"
        and word not in ("feel", "feeling", "feels", "taste")
        and not (tag == "ADJ" and k + 1 < len(tags) and tags[k + 1] == "NOUN")
        and not (tag == "NOUN" and k + 1 < len(tags) and tags[k + 1] == "NOUN" and not en.can_be_adjective(lower[k + 1]))
    )
