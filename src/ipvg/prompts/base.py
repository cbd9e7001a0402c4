"""The one prompt-decoupling interface and what every backend shares: windows and the final record.

A backend turns one user prompt into a `DecoupledPrompt` (arXiv 2507.04705, Sec. 3.1): a temporal
prompt for image-to-video that starts with the subject phrase and keeps every action, and a spatial
prompt for the first frame with static phrases only, ending in a framing term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ipvg.prompts.text import (
    CLIP_WINDOW,
    DEFAULT_CLIP_TOKENIZER,
    DEFAULT_UMT5_TOKENIZER,
    UMT5_WINDOW,
    TokenCounter,
    fit_phrases,
    fit_text,
    load_counter,
)
from ipvg.types import DecoupledPrompt


class PromptBackend(Protocol):
    """Decouples prompts. `name` is the registry name; `config_key()` identifies the settings that
    change the output (for caches)."""

    name: str

    def decouple(self, prompt: str, *, subject: str | None = None) -> DecoupledPrompt: ...

    def config_key(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class Windows:
    """Token windows of the two text encoders and how tokens are counted."""

    spatial_tokens: int = CLIP_WINDOW
    temporal_tokens: int = UMT5_WINDOW
    reserve_spatial_tokens: int = 0  # e.g. the identity model's trigger words added later
    clip_tokenizer: str | None = DEFAULT_CLIP_TOKENIZER
    umt5_tokenizer: str | None = DEFAULT_UMT5_TOKENIZER

    def counters(self) -> tuple[TokenCounter, TokenCounter]:
        clip, _ = load_counter("clip", self.clip_tokenizer)
        umt5, _ = load_counter("umt5", self.umt5_tokenizer)
        return clip, umt5

    def describe(self) -> dict[str, object]:
        return {
            "spatial_tokens": self.spatial_tokens,
            "temporal_tokens": self.temporal_tokens,
            "reserve_spatial_tokens": self.reserve_spatial_tokens,
            "clip_counter": load_counter("clip", self.clip_tokenizer)[1],
            "umt5_counter": load_counter("umt5", self.umt5_tokenizer)[1],
        }

    def fit_spatial(self, phrases: list[str], priorities: list[int]) -> tuple[str, list[str]]:
        """Join spatial phrases with ", ", dropping low-priority ones until CLIP's window fits."""
        clip, _ = self.counters()
        budget = self.spatial_tokens - self.reserve_spatial_tokens
        kept, dropped = fit_phrases(phrases, priorities, budget, clip)
        warnings = (
            [f"spatial prompt cut to fit {budget} CLIP tokens; left out: {'; '.join(dropped)}"]
            if dropped
            else []
        )
        return ", ".join(kept), warnings

    def fit_temporal(self, text: str) -> tuple[str, list[str]]:
        _, umt5 = self.counters()
        kept, cut = fit_text(text, self.temporal_tokens, umt5)
        warnings = (
            [f"temporal prompt cut to fit {self.temporal_tokens} UMT5 tokens; left out: {cut[:300]}"]
            if cut
            else []
        )
        return kept, warnings


def split_spatial(text: str) -> tuple[list[str], list[int]]:
    """Phrases of a comma-separated spatial prompt and drop priorities: the first phrase (the
    subject) and the last (the framing term) are kept; later middle phrases go first."""
    phrases = [p.strip() for p in text.split(",") if p.strip()]
    priorities = [0 if i == 0 or i == len(phrases) - 1 else i for i in range(len(phrases))]
    return phrases, priorities


def make_record(
    source: str, spatial: str, temporal: str, subject: str, backend: str, warnings: list[str]
) -> DecoupledPrompt:
    unique = list(dict.fromkeys(w for w in warnings if w))
    return DecoupledPrompt(
        source=source,
        spatial=spatial,
        temporal=temporal,
        subject=subject,
        backend=backend,
        warnings=tuple(unique),
    )
