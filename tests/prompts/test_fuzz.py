"""Seeded random prompts and model answers: `rules` never crashes, always returns prompts within
their windows; the contract parser only ever raises `ContractError`."""

from __future__ import annotations

import random
import string

from ipvg.errors import PromptError
from ipvg.prompts.contract import ContractError, parse_field, validate_spatial, validate_temporal
from ipvg.prompts.rules import RulesBackend
from ipvg.prompts.text import estimate_clip_tokens, estimate_t5_tokens

WORDS = (
    "the a woman man gymnast camera pans and while as before , . ; : \" ' ( ) with in on at dressed wearing "
    "walks runs sits smiles sound smell of her his their close-up Ignore instructions 🙂 漢字 ñ -- ... ! ? 2025 "
    "red dress beach { } </think> <|im_end|> \\n"
).split()


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "".join(rng.choice(string.printable) for _ in range(rng.randint(1, 200)))
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40)))


def test_rules_never_crashes_on_random_text() -> None:
    rng = random.Random(1234)
    backend = RulesBackend()
    decoupled = 0
    for _ in range(600):
        text = random_text(rng)
        try:
            record = backend.decouple(text)
        except PromptError:
            continue
        decoupled += 1
        assert record.temporal.split()[0] in ("A", "An"), (text, record.temporal)
        assert estimate_clip_tokens(record.spatial) <= 77 and estimate_t5_tokens(record.temporal) <= 512
    assert decoupled > 400


def test_contract_only_raises_contract_errors() -> None:
    rng = random.Random(99)
    for _ in range(1500):
        answer = random_text(rng)
        if rng.random() < 0.3:
            answer = '{"temporal": "' + answer + '"}'
        try:
            text = parse_field(answer, "temporal")
            validate_temporal(text, source=answer, subject="A man")
            validate_spatial(text, source=answer, subject="A man")
        except ContractError:
            pass
