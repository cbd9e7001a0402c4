"""What an evaluation reads and returns: items, per-metric values, per-item results, problems.

A problem with one item (a missing or broken video, a reference without a face) is an
`EvalProblem` with a short machine-readable `reason`; the suite records it and moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from ipvg.errors import BadInputError


class Reason(StrEnum):
    """Why an item (or one metric of it) could not be scored, or was scored with a caveat."""

    MISSING_VIDEO = "missing_video"
    UNREADABLE_VIDEO = "unreadable_video"
    NO_FRAMES = "no_frames"
    TOO_MANY_FRAMES = "too_many_frames"
    TOO_LARGE = "too_large"  # frames with more pixels than any metric needs (a decode-cost bomb)
    VARIABLE_FRAME_RATE = "variable_frame_rate"
    MISSING_REFERENCE = "missing_reference"
    UNREADABLE_REFERENCE = "unreadable_reference"
    NO_FACE_IN_REFERENCE = "no_face_in_reference"
    NO_FACE_IN_VIDEO = "no_face_in_video"
    EMPTY_PROMPT = "empty_prompt"
    METRIC_ERROR = "metric_error"
    MISSING_INPUTS = "missing_inputs"  # a derived score whose input metrics were not computed


class EvalProblem(BadInputError):
    """One item cannot be scored (by every metric, or by one), for `reason`."""

    def __init__(self, reason: Reason, message: str, fix: str | None = None) -> None:
        self.reason = Reason(reason)
        super().__init__(message, fix)


@dataclass(frozen=True)
class EvalItem:
    """One (reference face, prompt, video) triple: `idNNN/promptN` in the challenge layout."""

    item_id: str
    identity: str
    prompt_name: str
    prompt: str
    reference_path: Path | None
    video_path: Path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalItem:
        reference = data.get("reference_path")
        return cls(
            data["item_id"], data["identity"], data["prompt_name"], data["prompt"],
            Path(reference) if reference else None, Path(data["video_path"]),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "identity": self.identity,
            "prompt_name": self.prompt_name,
            "prompt": self.prompt,
            "reference_path": str(self.reference_path) if self.reference_path else None,
            "video_path": str(self.video_path),
        }


@dataclass
class MetricValue:
    """One metric on one video: the value (None when it could not be computed), per-frame values
    (None where a frame had no face), and why it is missing if it is."""

    value: float | None
    per_frame: list[float | None] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricValue:
        return cls(
            data["value"],
            list(data.get("per_frame", [])),
            dict(data.get("details", {})),
            data.get("reason"),
            data.get("message"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "per_frame": self.per_frame,
            "details": self.details,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass
class ItemResult:
    """Everything measured on one item. `status`: ok (every metric has a value), partial, failed."""

    item: EvalItem
    status: str
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    reason: str | None = None
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    frame_indices: list[int] = field(default_factory=list)
    video: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    thumbnail_jpeg: bytes | None = field(
        default=None, repr=False
    )  # a strip of sampled frames, for the report

    def value(self, metric: str) -> float | None:
        metric_value = self.metrics.get(metric)
        return None if metric_value is None else metric_value.value

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        """An item result read back from its per-video JSON (without the report thumbnail)."""
        return cls(
            item=EvalItem.from_dict(data),
            status=data["status"],
            metrics={name: MetricValue.from_dict(value) for name, value in data.get("metrics", {}).items()},
            reason=data.get("reason"),
            message=data.get("message"),
            warnings=list(data.get("warnings", [])),
            frame_indices=list(data.get("frame_indices", [])),
            video=dict(data.get("video", {})),
            seconds=float(data.get("seconds", 0.0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.item.to_dict(),
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "warnings": self.warnings,
            "video": self.video,
            "frame_indices": self.frame_indices,
            "seconds": round(self.seconds, 3),
            "metrics": {name: value.to_dict() for name, value in self.metrics.items()},
        }
