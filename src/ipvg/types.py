"""Request and result dataclasses shared by every stage.

Shape legend for arrays: F frames, H height, W width, C channels (RGB, uint8 unless stated).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class DecoupledPrompt:
    """One user prompt split into a spatial prompt (first frame) and a temporal prompt (video)."""

    source: str
    spatial: str
    temporal: str
    subject: str = "A person"
    backend: str = "none"
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"warnings": list(self.warnings)}


@dataclass
class Video:
    """Decoded video frames held in memory, plus where they were written (if they were)."""

    frames_FHWC: np.ndarray
    fps: float
    path: Path | None = None

    def __post_init__(self) -> None:
        assert self.frames_FHWC.ndim == 4 and self.frames_FHWC.shape[-1] == 3, self.frames_FHWC.shape
        assert self.frames_FHWC.dtype == np.uint8, self.frames_FHWC.dtype

    @property
    def num_frames(self) -> int:
        return int(self.frames_FHWC.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames_FHWC.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames_FHWC.shape[2])

    def frame(self, index: int) -> Image.Image:
        return Image.fromarray(self.frames_FHWC[index])


@dataclass
class StageRecord:
    """Timing and memory of one stage of a run."""

    name: str
    seconds: float
    peak_memory_mb: float | None = None
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    """Everything needed to reproduce and compare one run; written as JSON beside its outputs."""

    kind: str
    config: dict[str, Any]
    inputs: dict[str, Any]
    prompts: dict[str, Any] = field(default_factory=dict)  # DecoupledPrompt.to_dict() when decoupled
    models: dict[str, Any] = field(default_factory=dict)
    stages: list[StageRecord] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)
