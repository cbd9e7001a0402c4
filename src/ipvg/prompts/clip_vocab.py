"""The real CLIP tokenizer offline, for counting a spatial prompt against SDXL's 77-token window.

SDXL's two text encoders share OpenAI CLIP's byte-level BPE (49,408 tokens). Its merges table is
the file `bpe_simple_vocab_16e6.txt.gz` that OpenAI published with CLIP; the registry package
`clip-anytorch` ships it unchanged. We never import that package (it imports torchvision): we find
its folder with `importlib.util.find_spec` and read the data file. The vocabulary is rebuilt the way
OpenAI's tokenizer builds it (256 byte symbols, the same with the end-of-word mark, one token per
merge, then the start and end tokens), which gives the ids of `openai/clip-vit-large-patch14`'s
tokenizer ("a photo of a cat" -> 49406 320 1125 539 320 2368 49407).

Order of preference: the hub tokenizer when it is in the local cache, then the packaged merges,
then `estimate_clip_tokens` (a conservative estimate, never below the real count on our checks),
named as such wherever a count is shown.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

VOCAB_PACKAGE = "clip"  # import name of the registry package `clip-anytorch` (installed with --no-deps)
VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"
NUM_MERGES = 49152 - 256 - 2  # OpenAI's SimpleTokenizer keeps this many merges
PACKAGED_NAME = "OpenAI CLIP BPE (clip-anytorch 2.6.0 vocabulary)"


def _byte_symbols() -> list[str]:
    """GPT-2/CLIP's reversible map from the 256 byte values to printable characters, in id order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return [chr(code) for code in codes]


def packaged_vocab_path() -> Path | None:
    """Where the installed `clip-anytorch` keeps CLIP's merges file, without importing it."""
    try:
        spec = importlib.util.find_spec(VOCAB_PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / VOCAB_FILE
        if path.is_file():
            return path
    return None


def tokenizer_from_merges(path: Path) -> Any:
    """A `transformers.CLIPTokenizer` built from OpenAI's merges file."""
    from transformers import CLIPTokenizer

    lines = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : NUM_MERGES + 1]]
    symbols = _byte_symbols()
    tokens = [*symbols, *(s + "</w>" for s in symbols), *("".join(m) for m in merges)]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(vocab={token: i for i, token in enumerate(tokens)}, merges=merges)


@functools.lru_cache(maxsize=4)
def real_clip_tokenizer(hub_id: str | None = "openai/clip-vit-large-patch14") -> tuple[Any | None, str]:
    """(tokenizer, description): the cached hub tokenizer, else the packaged merges, else (None, why)."""
    if hub_id:
        try:
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(hub_id, local_files_only=True), f"tokenizer {hub_id}"
        except Exception as error:  # not in the cache: the packaged merges give the same ids
            logger.debug("CLIP tokenizer %s not cached (%s)", hub_id, error)
    path = packaged_vocab_path()
    if path is None:
        return None, "word-based estimate (install clip-anytorch==2.6.0 --no-deps for the real count)"
    return tokenizer_from_merges(path), PACKAGED_NAME


def clip_token_count(text: str) -> int:
    """CLIP tokens of `text`, start and end tokens included (SDXL reads 77): the real BPE count
    when the tokenizer is available offline, otherwise the conservative estimate."""
    tokenizer, _ = real_clip_tokenizer()
    if tokenizer is None:
        from ipvg.prompts.text import estimate_clip_tokens

        return estimate_clip_tokens(text)
    return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])


def clip_counter_name() -> str:
    """What `clip_token_count` counts with, for display next to a count."""
    return real_clip_tokenizer()[1]
