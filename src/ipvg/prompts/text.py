"""Prompt text utilities shared by every decoupling backend: cleaning, injection filtering and
fitting a prompt into a text encoder's token window.

Windows: SDXL's CLIP text encoders read 77 tokens including the start and end tokens; Wan's UMT5
encoder reads 512 tokens (`text_len` of Wan2.1/2.2).
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from ipvg.errors import PromptError
from ipvg.inputs import MAX_PROMPT_CHARS, read_prompt
from ipvg.prompts.lexicon import INSTRUCTION_PATTERNS

logger = logging.getLogger(__name__)

CLIP_WINDOW = 77  # SDXL text encoders, start and end tokens included
UMT5_WINDOW = 512  # Wan2.1 / Wan2.2 text_len
# Longer prompts are cut before decoupling: the one limit of `ipvg.inputs` (see there for why).
MAX_SOURCE_CHARS = MAX_PROMPT_CHARS

DEFAULT_CLIP_TOKENIZER = "openai/clip-vit-large-patch14"
DEFAULT_UMT5_TOKENIZER = "google/umt5-xxl"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class CleanPrompt:
    text: str
    warnings: tuple[str, ...]


def clean_source(text: str | None, *, max_chars: int = MAX_SOURCE_CHARS) -> CleanPrompt:
    """Normalise a user prompt with the one shared check (`ipvg.inputs.read_prompt`: NFC, control and
    bidi characters removed, whitespace collapsed, very long text cut at a sentence boundary), then
    remove instruction-like sentences (prompt injection). Raises `PromptError` when nothing usable
    remains."""
    if text is None or not isinstance(text, str):
        raise PromptError(
            f"The prompt must be text, got {type(text).__name__}.", "pass the prompt as a string."
        )
    # 1-2. The shared normalisation; long prompts are cut (with a warning), not refused, here.
    read = read_prompt(text, max_chars=max_chars, too_long="cut")
    warnings = list(read.warnings)
    # 3. Drop sentences that address a language model instead of describing a video.
    cleaned, removed = remove_instructions(read.text)
    if removed:
        # Not quoted: the record should never carry injected text onward.
        warnings.append(
            f"{len(removed)} instruction-like sentence(s) addressed to a language model were ignored"
        )
    if not cleaned or not any(ch.isalnum() for ch in cleaned):
        raise PromptError(
            "The prompt has no usable description left (it was empty, only symbols, or only instructions).",
            "describe the person and what they do, e.g. 'A man in a blue jacket walks along a beach'.",
        )
    return CleanPrompt(cleaned, tuple(warnings))


def remove_instructions(text: str) -> tuple[str, list[str]]:
    """Remove the sentences that match `INSTRUCTION_PATTERNS`; return (kept text, removed sentences)."""
    if not INSTRUCTION_PATTERNS.search(text):
        return text, []
    kept, removed = [], []
    for sentence in _SENTENCE_END.split(text):
        (removed if INSTRUCTION_PATTERNS.search(sentence) else kept).append(sentence)
    return " ".join(kept).strip(), removed


def has_instructions(text: str) -> bool:
    return INSTRUCTION_PATTERNS.search(text) is not None


# --- token counting ----------------------------------------------------------------------------

TokenCounter = Callable[[str], int]

_CLIP_PIECES = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+", re.IGNORECASE)
_T5_PIECES = re.compile(r"[^\W\d_]+|\d+|[^\s\w]", re.IGNORECASE)


def estimate_clip_tokens(text: str) -> int:
    """Conservative CLIP token count without the tokenizer: start/end tokens; one token per digit
    and per ASCII punctuation run (CLIP's pre-tokenizer splits them so); for words, 1 token per 4
    letters, per 3 letters above 7 and per 2.5 above 9 (long words split into more pieces), and 3
    per non-ASCII character (up to 3 UTF-8 bytes, each a byte-level token at worst). Checked against
    OpenAI's CLIP BPE on 276 prompts and outputs: never below the real count, 1.4x it on average."""
    total = 2
    for piece in _CLIP_PIECES.findall(text.lower()):
        non_ascii = sum(1 for ch in piece if ord(ch) > 127)
        if piece[0].isalpha():
            letters = len(piece) - non_ascii
            total += math.ceil(letters / (2.5 if letters > 9 else 3 if letters > 7 else 4)) + 3 * non_ascii
        else:
            total += 3 * non_ascii + (1 if non_ascii < len(piece) else 0)
    return total


def estimate_t5_tokens(text: str) -> int:
    """Conservative UMT5 sentencepiece count: 1 token per 3 letters of each word (common English
    words are 1-2 pieces), 1 per digit run or symbol, 1 for the end token."""
    total = 1
    for piece in _T5_PIECES.findall(text):
        if piece[0].isalpha():
            non_ascii = sum(1 for ch in piece if ord(ch) > 127)
            total += math.ceil((len(piece) - non_ascii) / 3) + non_ascii
        else:
            total += 1
    return total


def tokenizer_counter(tokenizer: object) -> TokenCounter:
    """Count with a real `transformers` tokenizer, special tokens included."""

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])  # type: ignore[operator]

    return count


@functools.lru_cache(maxsize=8)
def load_counter(kind: str, name: str | None) -> tuple[TokenCounter, str]:
    """A token counter for `kind` ("clip" or "umt5"): the real tokenizer `name` (hub id in the local
    cache, or a folder) when it can be loaded without downloading, otherwise the conservative
    estimate. Returns (counter, description)."""
    estimate = estimate_clip_tokens if kind == "clip" else estimate_t5_tokens
    if name in (None, "", "estimate"):
        return estimate, "word-based estimate"
    if kind == "clip" and "/" in name and not name.startswith(("/", ".")) and "openai/clip" in name:
        # OpenAI's CLIP tokenizer: the cached hub copy, else the same BPE from an installed package.
        from ipvg.prompts.clip_vocab import real_clip_tokenizer

        tokenizer, description = real_clip_tokenizer(name)
        if tokenizer is not None:
            return tokenizer_counter(tokenizer), description
        return estimate, "word-based estimate"
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
    except Exception as error:  # not cached, not a folder, or no tokenizer files: estimate instead
        logger.debug("tokenizer %s unavailable (%s); estimating %s tokens", name, error, kind)
        return estimate, "word-based estimate"
    return tokenizer_counter(tokenizer), f"tokenizer {name}"


def fit_phrases(
    phrases: list[str], priorities: list[int], budget: int, count: TokenCounter, *, joiner: str = ", "
) -> tuple[list[str], list[str]]:
    """Keep the phrases (in their order) whose joined text fits `budget` tokens, dropping the
    lowest-priority ones first (higher number = dropped earlier); the last phrase left may be cut
    word by word. Returns (kept, dropped descriptions)."""
    kept = list(range(len(phrases)))
    dropped: list[str] = []

    def text_of(indices: list[int]) -> str:
        return joiner.join(phrases[i] for i in indices)

    while kept and count(text_of(kept)) > budget:
        worst = max(kept, key=lambda i: (priorities[i], i))
        if priorities[worst] <= 0 or len(kept) == 1:
            break
        kept.remove(worst)
        dropped.append(phrases[worst])
    result = [phrases[i] for i in kept]
    # Still too long with only essential phrases: cut words from the end.
    while result and count(joiner.join(result)) > budget:
        words = result[-1].split()
        if len(words) <= 1:
            dropped.append(result.pop())
            continue
        cut = max(1, len(words) - max(1, len(words) // 8))
        dropped.append(" ".join(words[cut:]))
        result[-1] = " ".join(words[:cut]).rstrip(",;:")
    return result, dropped


def fit_text(text: str, budget: int, count: TokenCounter) -> tuple[str, str]:
    """Cut `text` to `budget` tokens, at a sentence boundary when one is close; (kept, cut part)."""
    if count(text) <= budget:
        return text, ""
    sentences = _SENTENCE_END.split(text)
    kept: list[str] = []
    for sentence in sentences:
        if count(" ".join([*kept, sentence])) > budget:
            break
        kept.append(sentence)
    if kept:
        result = " ".join(kept)
    else:
        words = text.split()
        low, high = 1, len(words)
        while low < high:  # longest word prefix that fits
            middle = (low + high + 1) // 2
            if count(" ".join(words[:middle])) <= budget:
                low = middle
            else:
                high = middle - 1
        result = " ".join(words[:low])
    return result, text[len(result) :].strip()
