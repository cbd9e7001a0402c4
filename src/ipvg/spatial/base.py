"""Stage 1 interface: a face photo + a spatial prompt -> an identity-preserving first frame.

Every spatial backend implements `SpatialBackend.generate`, which returns a `KeyframeResult`: the
chosen frame, every candidate with its seed and face similarity to the reference, per-stage timings
and warnings. Models load once per backend object and are reused across calls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image

from ipvg.errors import ConfigError, PromptError
from ipvg.faces.base import Face
from ipvg.progress import Progress
from ipvg.types import StageRecord

logger = logging.getLogger(__name__)


@dataclass
class KeyframeCandidate:
    image: Image.Image
    seed: int
    similarity: float | None  # cosine to the reference face; None when no face was found in it
    refined: bool = False
    face_found: bool = False


@dataclass
class KeyframeResult:
    image: Image.Image
    candidates: list[KeyframeCandidate]
    chosen_index: int
    prompt: str  # the prompt the model read (trigger words included)
    settings: dict[str, Any] = field(default_factory=dict)
    stages: list[StageRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able record (images excluded)."""
        return {
            "prompt": self.prompt,
            "chosen_index": self.chosen_index,
            "candidates": [
                {"seed": c.seed, "similarity": c.similarity, "face_found": c.face_found, "refined": c.refined}
                for c in self.candidates
            ],
            "settings": self.settings,
            "stages": [vars(s) for s in self.stages],
            "warnings": self.warnings,
            "models": self.models,
        }


class SpatialBackend(Protocol):
    name: str

    def load(self, progress: Progress | None = None) -> None: ...

    def generate(
        self,
        face_image: Image.Image,
        spatial_prompt: str,
        *,
        seed: int = 0,
        num_candidates: int | None = None,
        progress: Progress | None = None,
        reference: Face | None = None,
    ) -> KeyframeResult: ...

    def unload(self) -> None: ...


def with_trigger_words(prompt: str, trigger_words: str) -> str:
    """Prefix the identity model's trigger words (once) to the prompt."""
    prompt = prompt.strip()
    if not trigger_words or prompt.lower().startswith(trigger_words.lower()):
        return prompt
    return f"{trigger_words}, {prompt}"


def check_prompt(prompt: str) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise PromptError(
            "The spatial prompt is empty.", "pass a prompt describing the person and the scene."
        )
    return prompt.strip()


def truncation_warning(tokenizer: Any, prompt: str) -> str | None:
    """A warning naming the words a CLIP text encoder will not read, or None when all fit."""
    window = int(getattr(tokenizer, "model_max_length", 77))
    ids = tokenizer(prompt, add_special_tokens=True, truncation=False).input_ids
    if len(ids) <= window:
        return None
    # window - 1 keeps room for the end token, as the pipeline's truncation does.
    cut = tokenizer.decode(ids[window - 1 : -1], skip_special_tokens=True).strip()
    return (
        f"The spatial prompt has {len(ids)} CLIP tokens; the text encoders read {window}, "
        f"so this end of it is cut: {cut!r}. Shorten the prompt to keep it."
    )


def parse_options(
    options: tuple[tuple[str, Any], ...], allowed: dict[str, Any], backend: str
) -> dict[str, Any]:
    """`spatial.options` pairs over the backend's defaults; unknown keys are a ConfigError."""
    values = dict(allowed)
    for key, value in options:
        if key not in allowed:
            raise ConfigError(
                f"Unknown option `spatial.options.{key}` for the spatial backend `{backend}`.",
                f"allowed: {', '.join(sorted(allowed))}.",
            )
        values[key] = value
    return values
