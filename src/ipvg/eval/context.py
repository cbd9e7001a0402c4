"""What every metric sees for one item, and the face detections metrics share.

Face metrics (FaceSim with a backend, FID on that backend's aligned crops) ask a `FaceStore` for
the reference's largest face and each sampled frame's largest face; it detects once per
(backend, image) and caches, so FaceSim-Arc and FID do not detect twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from ipvg.eval.frames import SampledFrames
from ipvg.eval.types import EvalItem, EvalProblem, MetricValue, Reason
from ipvg.faces.base import Face, FaceBackend
from ipvg.identity import IdentityJudge


@dataclass
class EvalContext:
    """One item: the sampled frames, the reference photo (or why it is unusable), earlier metrics."""

    item: EvalItem
    frames: SampledFrames
    reference: Image.Image | None
    reference_problem: EvalProblem | None
    faces: FaceStore
    scores: dict[str, MetricValue] = field(default_factory=dict)
    _images: list[Image.Image] | None = field(default=None, repr=False)

    def frame_images(self) -> list[Image.Image]:
        """The sampled frames as PIL images (made once per item; several metrics read them)."""
        if self._images is None:
            self._images = [Image.fromarray(frame_HWC) for frame_HWC in self.frames.frames_KHWC]
        return self._images

    def require_reference(self) -> Image.Image:
        if self.reference_problem is not None:
            raise self.reference_problem
        assert self.reference is not None
        return self.reference


class Metric(Protocol):
    """A registered metric backend: scores one item."""

    name: str
    higher_is_better: bool

    def score(self, context: EvalContext) -> MetricValue: ...


BackendFactory = Callable[..., FaceBackend]

# The challenge scorer runs insightface's FaceAnalysis with det_size 320.
CHALLENGE_FACE_OPTIONS: dict[str, dict[str, Any]] = {"insightface": {"det_size": 320}}


def _default_backend_factory(name: str, **kwargs: Any) -> FaceBackend:
    from ipvg.faces import create_face_backend

    return create_face_backend(name, **kwargs)


class FaceStore:
    """Face backends by name (created on first use with `options[name]`, or injected) and their
    cached detections."""

    def __init__(
        self,
        backends: dict[str, FaceBackend] | None = None,
        factory: BackendFactory | None = None,
        options: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._backends: dict[str, FaceBackend] = dict(backends or {})
        self._factory = factory or _default_backend_factory
        self.options = {name: dict(kwargs) for name, kwargs in CHALLENGE_FACE_OPTIONS.items()}
        for name, kwargs in (options or {}).items():
            self.options.setdefault(name, {}).update({k: v for k, v in kwargs.items() if v is not None})
        self._references: dict[tuple[str, Path | None], Face | EvalProblem] = {}
        self._frames: dict[tuple[str, str], list[Face | None]] = {}

    def backend(self, name: str) -> FaceBackend:
        if name not in self._backends:
            options = dict(self.options.get(name, {}))
            if name == "curricularface" and "detector" not in options:
                # FaceSim-Cur embeds the faces that FaceSim-Arc's detector found (the challenge's
                # protocol), so both share one insightface detector when a model pack is present.
                options["detector"] = self._shared_detector()
            self._backends[name] = self._factory(name, **options)
        return self._backends[name]

    def _shared_detector(self) -> FaceBackend | str:
        from ipvg.errors import IpvgError

        try:
            return self.backend("insightface")
        except IpvgError:
            return "auto"  # the CurricularFace backend falls back to dlib keypoints, with a warning

    def reference_face(self, name: str, context: EvalContext) -> Face:
        """The reference photo's largest face; raises `EvalProblem(no_face_in_reference)`."""
        key = (name, context.item.reference_path)
        if key not in self._references:
            # The project's one face policy (largest face) is `IdentityJudge.find`; eval reports a
            # missing face as an EvalProblem rather than `largest_face`'s NoFaceDetectedError.
            face = IdentityJudge(self.backend(name)).find(context.require_reference())
            self._references[key] = (
                face
                if face is not None
                else EvalProblem(
                    Reason.NO_FACE_IN_REFERENCE,
                    f"no face found in the reference {context.item.reference_path} by face backend `{name}`",
                    "use a photo with one clearly visible face",
                )
            )
        found = self._references[key]
        if isinstance(found, EvalProblem):
            raise found
        return found

    def frame_faces(self, name: str, context: EvalContext) -> list[Face | None]:
        """Each sampled frame's largest face, None where there is none (the backend applies the
        challenge's grey-padded retry: see `ipvg.faces.policies`)."""
        key = (name, context.item.item_id)
        if key not in self._frames:
            judge = IdentityJudge(self.backend(name))
            self._frames[key] = [judge.find(image) for image in context.frame_images()]
        return self._frames[key]

    def forget_frames(self) -> None:
        """Drop per-video detections (references stay cached: one identity has several prompts)."""
        self._frames.clear()


def metric_value_for_problem(problem: EvalProblem) -> MetricValue:
    return MetricValue(value=None, reason=str(problem.reason), message=problem.one_line())


def describe(metric: Metric) -> dict[str, Any]:
    return {"name": metric.name, "higher_is_better": metric.higher_is_better}
