"""Tiny tokenizers built offline from a small vocabulary, in the real classes' formats.

They are saved with `save_pretrained` and loaded back with `from_pretrained`, exactly as the real
tokenizers of the models are.
"""

from __future__ import annotations

import string

# Enough English to tokenize typical prompts into real pieces; everything else falls back to
# single characters, so no prompt is ever unknown.
COMMON_WORDS = """
a an the and or of in on at to with from by for is are was be as it its this that his her their
man woman person people boy girl child face hair eyes smile smiles smiling looks looking turns
walks walking runs running sits sitting stands standing holds holding dances dancing talks
camera slowly zooms pans close up closeup shot view background light lighting sunlight warm soft
street room park beach city night day wearing shirt dress jacket hat glasses black white red blue
green yellow brown long short young old head hand hands moves moving while then into out over
""".split()


def t5_vocab() -> list[tuple[str, float]]:
    """Unigram pieces (piece, log-prob) in the order T5 expects: pad, eos, unk first."""
    pieces: list[tuple[str, float]] = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    seen = {p for p, _ in pieces}
    for word in COMMON_WORDS:
        piece = "\u2581" + word
        if piece not in seen:
            pieces.append((piece, -5.0 - 0.01 * len(pieces)))
            seen.add(piece)
    for char in string.ascii_letters + string.digits + string.punctuation + "\u2581":
        for piece in (char, "\u2581" + char):
            if piece not in seen:
                pieces.append((piece, -12.0))
                seen.add(piece)
    return pieces


def build_t5_tokenizer(model_max_length: int = 512):
    """A T5/UMT5-style sentencepiece-unigram tokenizer (what Wan and CogVideoX use)."""
    from transformers import T5Tokenizer

    return T5Tokenizer(vocab=t5_vocab(), extra_ids=0, model_max_length=model_max_length)


def build_clip_tokenizer(model_max_length: int = 77):
    """A CLIP BPE tokenizer (what SDXL and CLIPScore use) from a small vocab dict."""
    from transformers import CLIPTokenizer

    vocab: dict[str, int] = {}
    for char in string.ascii_lowercase + string.digits + string.punctuation:
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    merges = []
    for word in COMMON_WORDS:
        # Merge each word left to right so common words become single tokens.
        current = word[0]
        for index, char in enumerate(word[1:], start=1):
            right = char + ("</w>" if index == len(word) - 1 else "")
            merges.append((current, right))
            current = current + right
            vocab.setdefault(current, len(vocab))
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab.setdefault(special, len(vocab))
    merges = list(dict.fromkeys(merges))  # keep first occurrence, BPE rank order
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=model_max_length)
