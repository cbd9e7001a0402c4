"""`clip_token_count`: the real CLIP BPE count offline (SDXL's 77-token window)."""

from __future__ import annotations

import os

import pytest

from ipvg.prompts import clip_token_count
from ipvg.prompts.clip_vocab import clip_counter_name, packaged_vocab_path, real_clip_tokenizer
from ipvg.prompts.text import estimate_clip_tokens


def _require_real_tokenizer() -> None:
    if real_clip_tokenizer()[0] is None:
        message = "CLIP merges not installed: scripts/setup-venv.sh installs clip-anytorch==2.6.0 --no-deps"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_known_ids_of_openai_clip() -> None:
    """Catches a vocabulary rebuilt in the wrong order (byte symbols, '</w>' forms, merges, specials):
    any shift changes these ids, which are openai/clip-vit-large-patch14's."""
    _require_real_tokenizer()
    tokenizer, _ = real_clip_tokenizer()
    assert tokenizer("a photo of a cat")["input_ids"] == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert clip_counter_name() != "word-based estimate"


def test_count_includes_start_and_end_and_splits_rare_words() -> None:
    """Catches a count without the two special tokens, or one token per word (rare words are several)."""
    _require_real_tokenizer()
    assert clip_token_count("a photo of a cat") == 7
    assert clip_token_count("") == 2
    assert clip_token_count("fcsks fxhks fhyks") > 5  # trigger words are not in the vocabulary
    text = "A woman with short curly red hair, wearing a denim jacket, in a neon-lit alley at night, medium shot"
    assert clip_token_count(text) <= estimate_clip_tokens(text)  # the estimate stays conservative


def test_packaged_merges_found_without_importing_the_package() -> None:
    """Catches reading the data file through `import clip` (which imports torchvision, not installed)."""
    _require_real_tokenizer()
    import sys

    if packaged_vocab_path() is not None:
        assert "clip.clip" not in sys.modules
