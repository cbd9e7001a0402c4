"""Stage 2 interface: a temporal prompt + a first frame and/or the reference face -> a video."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image

from ipvg.progress import Progress
from ipvg.types import StageRecord, Video


@dataclass(frozen=True)
class TemporalRecipe:
    """A model's official defaults; every field can be overridden by `TemporalConfig`."""

    model: str
    height: int
    width: int
    num_frames: int
    fps: float
    num_inference_steps: int
    guidance_scale: float
    size_multiple: int
    flow_shift: float | None = None  # flow-matching models only
    guidance_scale_2: float | None = None
    boundary_ratio: float | None = None
    negative_prompt: str = ""


@dataclass(frozen=True)
class TemporalSettings:
    """The resolved values one call runs with (recipe + overrides, rounded to what the model accepts)."""

    height: int
    width: int
    num_frames: int
    fps: float
    num_inference_steps: int
    guidance_scale: float
    guidance_scale_2: float | None
    flow_shift: float | None
    boundary_ratio: float | None
    negative_prompt: str


@dataclass
class AnimateOutput:
    video: Video
    settings: TemporalSettings
    stages: list[StageRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict)


class TemporalBackend(Protocol):
    """A video model. Image-to-video backends animate `image` (the first frame) and ignore `reference`;
    reference-conditioned backends (VACE) keep the person in `reference` (the aligned reference face) and
    may run with no first frame at all (`image=None`, a pipeline without a spatial stage)."""

    name: str
    recipe: TemporalRecipe

    def resolve_settings(self, warnings: list[str] | None = None) -> TemporalSettings: ...

    def load(self, progress: Progress | None = None) -> None: ...

    def animate(
        self,
        image: Image.Image | None,
        prompt: str,
        *,
        seed: int,
        progress: Progress | None = None,
        reference: Image.Image | None = None,
    ) -> AnimateOutput: ...

    def describe_models(self) -> dict[str, Any]: ...
