"""A tiny random-weight Qwen3 causal LM with a Qwen-style chat tokenizer, built offline.

Same classes and file layout as `Qwen/Qwen3-8B` (`Qwen3ForCausalLM`, a byte-level BPE
`tokenizer.json` with `<|im_start|>`/`<|im_end|>`/`<think>` special tokens, a Jinja chat template
that honours `enable_thinking=False` by pre-filling an empty think block), so the `llm` prompt backend
loads it through the real `AutoModelForCausalLM` / `AutoTokenizer.from_pretrained` path. With random
weights its answers are garbage, which is what the fallback tests need.
"""

from __future__ import annotations

import json
from pathlib import Path

from ipvg.testing.tokenizers import COMMON_WORDS

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>")

# Qwen3's template logic in short: system/user/assistant turns between <|im_start|> and <|im_end|>;
# with `enable_thinking=False` the assistant turn starts with an empty think block.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if enable_thinking is defined and enable_thinking is false -%}"
    "{{- '<think>\\n\\n</think>\\n\\n' -}}"
    "{%- endif -%}"
    "{%- endif -%}"
)


def _byte_level_alphabet() -> list[str]:
    from tokenizers import pre_tokenizers

    return sorted(pre_tokenizers.ByteLevel.alphabet())


def build_qwen_tokenizer():
    """A byte-level BPE tokenizer in Qwen2's format: 256 byte symbols, merges for common prompt words,
    Qwen's special tokens and chat template. Any text round-trips (byte fallback by construction)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {symbol: index for index, symbol in enumerate(_byte_level_alphabet())}
    merges: list[tuple[str, str]] = []
    for word in ["Ġ" + w for w in COMMON_WORDS] + ['Ġ"', '{"', 'Ġ"temporal', 'Ġ"spatial']:
        current = word[0]
        for char in word[1:]:
            merges.append((current, char))
            current += char
            vocab.setdefault(current, len(vocab))
    merges = list(dict.fromkeys(merges))
    model = models.BPE(vocab=vocab, merges=merges, ignore_merges=False)
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )


def build_qwen3(path: Path) -> None:
    """Save the tiny Qwen3 model + tokenizer to `path` (transformers layout: config.json,
    model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json)."""
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    tokenizer = build_qwen_tokenizer()
    vocab_size = len(tokenizer)
    config = Qwen3Config(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    )
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(config).eval()
    model.generation_config = GenerationConfig(
        do_sample=True,
        temperature=0.1,
        top_p=0.9,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
    )
    path = Path(path)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    (path / "ipvg_tiny.json").write_text(json.dumps({"note": "random weights: output is garbage by design"}))
