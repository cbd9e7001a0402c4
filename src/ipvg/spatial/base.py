"""Stage 1 interface: a spatial prompt + a reference face -> identity-preserving first-frame candidates.

A spatial backend only draws: `plan` validates how a call will run (before anything loads), `prepare`
loads the models and conditions them on the reference, `draw` makes one image per seed, and `redraw`
repaints a face region (the face-detail pass). Choosing among candidates, deciding to refine and scoring
identity are the method's, in `ipvg.identity.draw_first_frame`, shared by every backend.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image

from ipvg.config import OptionsT, SpatialConfig, parse_options
from ipvg.errors import PromptError
from ipvg.faces.base import Face, Reference
from ipvg.progress import Progress
from ipvg.types import StageRecord

logger = logging.getLogger(__name__)


@dataclass
class KeyframeCandidate:
    image: Image.Image
    seed: int
    similarity: float | None  # FaceSim to the reference face; None when no face was found in it
    refined: bool = False
    face_found: bool = False
    chosen: bool = False


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


@dataclass(frozen=True)
class DrawPlan:
    """How one call will draw, resolved and validated before any model loads."""

    num_candidates: int
    batch_size: int  # candidates per `draw` call (early stopping is checked between calls)
    num_inference_steps: int
    early_stop_similarity: float | None  # None: the face backend's own same-person threshold
    refine_face: bool  # whether each candidate's face is redrawn (the backend must offer `redraw`)
    device: str
    settings: dict[str, Any]  # the resolved settings, as the record lists them


@dataclass
class Prepared:
    """What `prepare` did: the prompt the model reads, and its timings and warnings."""

    prompt: str
    stages: list[StageRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class SpatialBackend(Protocol):
    """A first-frame model. Models load once per object and are reused across calls."""

    name: str

    def plan(self, num_candidates: int | None = None) -> DrawPlan: ...

    def prepare(
        self, identity: Reference, spatial_prompt: str, progress: Progress | None = None
    ) -> Prepared: ...

    def draw(
        self,
        prompt: str,
        seeds: list[int],
        identity: Reference,
        *,
        on_step: Callable[[int], None] | None = None,
    ) -> list[Image.Image]: ...

    def redraw(self, image: Image.Image, face: Face, prompt: str, seed: int) -> Image.Image: ...

    def unload(self) -> None: ...

    def describe_models(self) -> dict[str, Any]: ...


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


def resolve_options(
    options_class: type[OptionsT], tiny: dict[str, Any] | None, config: SpatialConfig
) -> OptionsT:
    """A backend's typed options: its recipe (the dataclass defaults, with the tiny-model overrides when
    `tiny` is given), then the `spatial.options` pairs; unknown keys and bad values are ConfigErrors."""
    base = dataclasses.replace(options_class(), **tiny) if tiny else None  # type: ignore[type-var]
    return parse_options(config.options, options_class, "spatial.options", base=base)
