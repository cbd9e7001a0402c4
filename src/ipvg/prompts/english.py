"""Word classes and forms of English words, from `lemminflect` (its lexicon ships inside the package).

`lemminflect` answers, for one word out of context, which parts of speech it can be and its lemmas
and inflections; that is all the decoupler and the checker need (they never tag whole sentences, so
a tagger model such as spaCy's, which is not on PyPI, is not needed). Closed-class words (articles,
prepositions, pronouns) are listed here because they are few and fixed.
"""

from __future__ import annotations

import functools

ARTICLES = frozenset({"a", "an", "the"})
DETERMINERS = frozenset(
    {
        *ARTICLES,
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "its",
        "their",
        "my",
        "our",
        "your",
        "some",
        "each",
        "every",
        "another",
        "any",
        "no",
        "several",
        "many",
        "few",
        "both",
        "either",
    }
)
PREPOSITIONS = frozenset(
    {
        "about",
        "above",
        "across",
        "after",
        "against",
        "along",
        "alongside",
        "amid",
        "amidst",
        "among",
        "around",
        "at",
        "before",
        "behind",
        "below",
        "beneath",
        "beside",
        "between",
        "beyond",
        "by",
        "down",
        "during",
        "for",
        "from",
        "in",
        "inside",
        "into",
        "near",
        "of",
        "off",
        "on",
        "onto",
        "out",
        "over",
        "past",
        "through",
        "throughout",
        "to",
        "toward",
        "towards",
        "under",
        "underneath",
        "upon",
        "with",
        "within",
        "without",
    }
)
CONJUNCTIONS = frozenset({"and", "or", "but", "nor", "as", "while", "whereas", "because", "if", "then", "than"})
AUXILIARIES = frozenset(
    {
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "has",
        "have",
        "had",
        "does",
        "do",
        "did",
        "can",
        "could",
        "will",
        "would",
        "may",
        "might",
        "must",
        "should",
        "shall",
    }
)
# Adjectives that also have a rare noun reading ("a lush", "the rich"): at the end of a phrase after an
# article they are a cut adjective list, not a noun.
NOUNLESS_ADJECTIVES = frozenset(
    "lush slight rich tall gentle bright soft warm cool dark quiet calm serene vibrant elegant large small "
    "big little long wide deep thick thin heavy pale golden silver wooden stylish colorful colourful "
    "beautiful sleek modern ancient rustic cozy cosy busy crowded vast distant faint subtle sharp smooth "
    "rough delicate intricate dramatic radiant glowing shimmering sparkling towering sprawling bustling".split()
)
PRONOUN_SUBJECTS = frozenset({"he", "she", "they", "it", "i", "we", "you", "who", "which", "that"})


@functools.lru_cache(maxsize=65536)
def word_classes(word: str) -> frozenset[str]:
    """Universal POS tags `word` can have (empty for unknown words)."""
    from lemminflect import getAllLemmas

    classes = frozenset(getAllLemmas(word.lower()).keys())
    if not classes and "-" in word and word.lower().endswith("ing"):
        return word_classes(word.rsplit("-", 1)[1])  # "spray-painting" is a form of "painting"
    return classes


@functools.lru_cache(maxsize=65536)
def verb_lemma(word: str) -> str | None:
    """The verb lemma of `word` when it can be a verb form ("tousling" -> "tousle"), else None."""
    from lemminflect import getAllLemmas

    lemmas = getAllLemmas(word.lower())
    found = lemmas.get("VERB") or lemmas.get("AUX")
    if not lemmas and "-" in word and word.lower().endswith("ing"):
        return verb_lemma(word.rsplit("-", 1)[1])  # "spray-painting" -> "paint"
    return found[0] if found else None


@functools.lru_cache(maxsize=65536)
def verb_tags(word: str) -> frozenset[str]:
    """Penn tags `word` has as a form of its verb lemma (VBZ, VBD, VBG, VBN, VBP, VB)."""
    from lemminflect import getAllInflections

    lemma = verb_lemma(word)
    if lemma is None:
        return frozenset()
    lower = word.lower()
    if "-" in lower and lower.endswith("ing") and not getAllInflections(lemma, upos="VERB").get("VBG", ()) == (lower,):
        lower = lower.rsplit("-", 1)[1]  # "spray-painting": tagged as "painting"
    tags = {tag for tag, forms in getAllInflections(lemma, upos="VERB").items() if lower in forms}
    if lower == lemma:
        tags |= {"VB", "VBP"}
    return frozenset(tags)


@functools.lru_cache(maxsize=65536)
def third_person(verb: str) -> str:
    """ "sit" -> "sits", "carry" -> "carries" (present tense, third person singular)."""
    from lemminflect import getInflection

    lemma = verb_lemma(verb) or verb
    forms = getInflection(lemma, tag="VBZ")
    return forms[0] if forms else verb


@functools.lru_cache(maxsize=65536)
def gerund(verb: str) -> str:
    """ "sit" -> "sitting", "sits" -> "sitting"."""
    from lemminflect import getInflection

    lemma = verb_lemma(verb) or verb
    forms = getInflection(lemma, tag="VBG")
    return forms[0] if forms else verb


def is_adjective_only(word: str) -> bool:
    """True when `word` is an adjective and nothing a phrase can end with (no noun reading)."""
    classes = word_classes(word)
    return "ADJ" in classes and "NOUN" not in classes and "PROPN" not in classes


def can_be_adjective(word: str) -> bool:
    return "ADJ" in word_classes(word)


def is_adverb_only(word: str) -> bool:
    classes = word_classes(word)
    return classes == frozenset({"ADV"})


def is_finite_verb(word: str, previous: str | None = None) -> bool:
    """A finite verb: an auxiliary or modal, a third-person or past form, or a base form after a
    pronoun subject ("they walk")."""
    lower = word.lower()
    if lower in AUXILIARIES:
        return True
    tags = verb_tags(lower)
    if tags & {"VBZ", "VBD"}:
        return True
    return "VBP" in tags and (previous or "").lower() in PRONOUN_SUBJECTS


def is_verb_form(word: str) -> bool:
    return word.lower() in AUXILIARIES or bool(verb_tags(word))
