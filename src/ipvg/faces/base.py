"""The one faces interface: detect -> `Face` (box, 5 keypoints, score, embedding) -> similarity.

Every face backend (dlib, insightface, CurricularFace) implements `FaceBackend`; callers (best-of-N
first frames, the subject phrase of the prompt decoupler, identity metrics) use only this file.
Keypoint order is insightface's: left eye, right eye, nose tip, left mouth corner, right mouth corner
(left/right as seen in the image).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image

from ipvg.errors import NoFaceDetectedError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Face:
    box_xyxy: tuple[float, float, float, float]  # pixels in the image the face was found in
    keypoints_52: np.ndarray  # (5, 2) x, y pixels
    score: float
    embedding: np.ndarray | None = None  # L2-normalised identity vector
    raw_embedding: np.ndarray | None = None  # before normalisation (ArcFace's raw output)
    gender: str | None = None  # "female" | "male" when the backend can tell
    age: float | None = None
    backend: str = ""

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box_xyxy
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


@dataclass(frozen=True)
class Reference:
    """The person to keep: the reference photo and its largest face (found once per run)."""

    image: Image.Image
    face: Face


class FaceBackend(Protocol):
    """Detects faces and embeds them. `detect` returns faces largest first, embeddings filled in."""

    name: str
    embedding_dim: int

    def detect(self, image: Image.Image) -> list[Face]: ...

    def align(self, image: Image.Image, face: Face, size: int = 112) -> Image.Image: ...


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two embedding vectors."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    denominator = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / denominator) if denominator > 0 else 0.0


def pick_largest(faces: list[Face], *, source: str, detail: str = "") -> Face:
    """The largest of `faces`; warns when there are several, raises `NoFaceDetectedError` naming
    `source` when there are none."""
    if not faces:
        raise NoFaceDetectedError(
            f"No face found in {source}{detail}.",
            "use a photo where one face is clearly visible, roughly frontal, and at least ~64 pixels wide.",
        )
    if len(faces) > 1:
        logger.warning("%d faces found in %s; using the largest.", len(faces), source)
    return max(faces, key=lambda face: face.area)


def largest_face(backend: FaceBackend, image: Image.Image, *, source: str = "the image") -> Face:
    """The largest face `backend` finds in `image` (see `pick_largest`)."""
    return pick_largest(backend.detect(image), source=source, detail=f" (face backend `{backend.name}`)")
