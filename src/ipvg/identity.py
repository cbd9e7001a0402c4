"""The paper's identity logic in one place, shared by the pipeline, the keyframe command, the web UI and
eval: how faces are found and compared, which video frames are scored, and best-of-N first frames with
the face-detail decision.

- One similarity: the cosine of identity embeddings clamped at 0 (the IPVG challenge's FaceSim).
- One frame sampler: the challenge's `np.linspace(0, F - 1, 16, dtype=int)` (repeats when F < 16).
- One face policy: the largest face; the grey-padded retry when there is none is the face backend's
  own (`detect` applies it, see `ipvg.faces.policies`), so it is never wrapped around `detect` again.
- Best-of-N (arXiv 2507.04705, section 3.2): draw up to N candidates, redraw each one's face when the
  backend offers it, keep the highest similarity to the reference, stop once one exceeds the threshold.

Spatial backends only draw (`SpatialBackend.draw`/`redraw`); everything that judges a face is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ipvg.faces.base import Face, FaceBackend, cosine_similarity, largest_face
from ipvg.types import Video

NUM_CHALLENGE_FRAMES = 16  # the challenge scores 16 uniformly sampled frames
ARCFACE_EARLY_STOP = 0.5  # the official recipe's threshold, on ArcFace's cosine scale


def challenge_frame_indices(num_frames: int, num_samples: int = NUM_CHALLENGE_FRAMES) -> list[int]:
    """The frames the challenge scorer samples: `np.linspace(0, F - 1, K, dtype=int)` (truncation, not
    rounding; a video shorter than K repeats frames, and the repeats count in the mean as they do there)."""
    if num_frames < 1 or num_samples < 1:
        raise ValueError(f"need at least one frame and one sample, got {num_frames} and {num_samples}.")
    return [int(i) for i in np.linspace(0, num_frames - 1, num_samples, dtype=int)]


def face_embedding(face: Face) -> np.ndarray | None:
    """The vector a face is compared by: the raw embedding when the backend keeps it (the challenge's
    FaceSim-Arc reads ArcFace's raw output), else the normalised one. Cosine ignores the scale."""
    return face.raw_embedding if face.raw_embedding is not None else face.embedding


def identity_similarity(reference: Face, face: Face | None) -> float | None:
    """FaceSim of one face: cosine of identity embeddings clamped at 0; None without a face or vector."""
    if face is None:
        return None
    a, b = face_embedding(reference), face_embedding(face)
    if a is None or b is None:
        return None
    return max(0.0, cosine_similarity(a, b))


def mean_identity(per_frame: Sequence[float | None]) -> float | None:
    """Mean over frames with a face; None when no frame has one."""
    present = [float(value) for value in per_frame if value is not None]
    return float(np.mean(present)) if present else None


@dataclass(frozen=True)
class VideoIdentity:
    """Identity of a video: the sampled frame indices and each one's similarity (None: no face)."""

    frame_indices: list[int]
    per_frame: list[float | None]

    @property
    def mean(self) -> float | None:
        return mean_identity(self.per_frame)

    @property
    def frames_without_face(self) -> int:
        return sum(value is None for value in self.per_frame)


@dataclass
class IdentityJudge:
    """Finds and compares faces with one face backend, the challenge's way (see the module docstring)."""

    faces: FaceBackend
    detect_calls: int = field(default=0, repr=False)  # how many images were searched (for the record)

    @property
    def name(self) -> str:
        return self.faces.name

    def reference_face(self, image: Image.Image, *, source: str = "the face image") -> Face:
        """The largest face of the reference photo; `NoFaceDetectedError` naming `source` when none."""
        self.detect_calls += 1
        face = largest_face(self.faces, image, source=source)
        if face_embedding(face) is None:
            raise AssertionError(f"face backend {self.faces.name} returned a face without an embedding")
        return face

    def find(self, image: Image.Image) -> Face | None:
        """The largest face in `image`, or None."""
        self.detect_calls += 1
        found = self.faces.detect(image)
        return max(found, key=lambda face: face.area) if found else None

    def similarity(self, reference: Face, image: Image.Image) -> tuple[Face | None, float | None]:
        """The largest face in `image` and its similarity to `reference` (None, None without a face)."""
        face = self.find(image)
        return face, identity_similarity(reference, face)

    def video_identity(self, reference: Face, video: Video) -> VideoIdentity:
        """Similarity of the challenge's sampled frames to the reference (each distinct frame searched once)."""
        indices = challenge_frame_indices(video.num_frames)
        by_index = {index: self.similarity(reference, video.frame(index))[1] for index in sorted(set(indices))}
        return VideoIdentity(indices, [by_index[index] for index in indices])

