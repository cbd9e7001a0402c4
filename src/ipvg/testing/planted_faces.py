"""A face backend for tests that finds "planted" faces: square patches with a magenta frame whose
inside encodes an identity as a 4x4 grid of colours.

Real detectors find nothing in the tiny preset's noise, so code that must act on faces in generated
frames (per-frame identity, re-anchoring, assigning faces to people) is tested with faces planted
where the test wants them: `plant_face(image, code, box)` draws one, `PlantedFaceBackend.detect`
finds every planted face (left to right) and embeds it as the centred colours of its grid, so the
cosine of two faces is the cosine of their codes. `identity_code(seed)` gives a random identity;
`blend(a, b, t)` a face drifting from `a` towards `b`.

Faces must not overlap horizontally (detection splits them by the columns their frames cover).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ipvg.faces.base import Face

GRID = 4
BORDER = 2  # pixels of magenta frame
CODE_DIM = GRID * GRID * 3


def identity_code(seed: int) -> np.ndarray:
    """A random identity: GRID x GRID x 3 colours in [40, 215] (far from the frame's magenta)."""
    rng = np.random.default_rng(seed)
    return rng.integers(40, 216, size=(GRID, GRID, 3)).astype(np.uint8)


def blend(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """A code `t` of the way from `a` to `b`."""
    return np.clip(np.round((1 - t) * a.astype(np.float64) + t * b.astype(np.float64)), 0, 255).astype(
        np.uint8
    )


def code_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The cosine the backend reports between faces planted with codes `a` and `b`."""
    va, vb = _centred(a), _centred(b)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


def plant_face(image_HWC: np.ndarray, code: np.ndarray, box_xyxy: tuple[int, int, int, int]) -> np.ndarray:
    """Draw a planted face with identity `code` into a copy of `image_HWC` (uint8 RGB)."""
    x0, y0, x1, y1 = box_xyxy
    side = x1 - x0
    assert side == y1 - y0 and side >= GRID * 2 + 2 * BORDER, box_xyxy
    out = image_HWC.copy()
    out[y0:y1, x0:x1] = (255, 0, 255)
    inner = side - 2 * BORDER
    cells = np.kron(code, np.ones((-(-inner // GRID), -(-inner // GRID), 1), dtype=np.uint8))[:inner, :inner]
    out[y0 + BORDER : y1 - BORDER, x0 + BORDER : x1 - BORDER] = cells
    return out


def read_code(image_HWC: np.ndarray, box_xyxy: tuple[int, int, int, int]) -> np.ndarray:
    """The GRID x GRID x 3 code of the face in `box_xyxy` (cell centres: resampling blur matters little)."""
    x0, y0, x1, y1 = box_xyxy
    inner = image_HWC[y0 + BORDER : y1 - BORDER, x0 + BORDER : x1 - BORDER].astype(np.float64)
    size = inner.shape[0]
    centres = ((np.arange(GRID) + 0.5) * size / GRID).astype(int)
    return inner[np.ix_(centres, centres)].round().astype(np.uint8)


def _centred(code: np.ndarray) -> np.ndarray:
    return code.astype(np.float64).ravel() - 127.5


@dataclass
class PlantedFaceBackend:
    """`FaceBackend` that finds planted faces; `calls` counts the images searched."""

    name: str = "planted"
    embedding_dim: int = CODE_DIM
    min_side: int = GRID * 2 + 2 * BORDER
    calls: int = 0

    def detect(self, image: Image.Image) -> list[Face]:
        self.calls += 1
        pixels = np.asarray(image.convert("RGB")).astype(np.int16)
        magenta = (pixels[..., 0] > 180) & (pixels[..., 1] < 80) & (pixels[..., 2] > 180)
        faces = []
        for x0, x1 in _runs(magenta.any(axis=0)):
            rows = np.flatnonzero(magenta[:, x0:x1].any(axis=1))
            y0, side = int(rows[0]), x1 - x0
            if side < self.min_side or y0 + side > pixels.shape[0]:
                continue
            box = (x0, y0, x1, y0 + side)
            raw = _centred(read_code(pixels.astype(np.uint8), box))
            faces.append(
                Face(
                    box_xyxy=tuple(float(v) for v in box),  # type: ignore[arg-type]
                    keypoints_52=_keypoints(box),
                    score=1.0,
                    embedding=raw / np.linalg.norm(raw),
                    raw_embedding=raw,
                    backend=self.name,
                )
            )
        # The FaceBackend contract: largest first (ties keep left-to-right order).
        return sorted(faces, key=lambda face: -face.area)

    def align(self, image: Image.Image, face: Face, size: int = 112) -> Image.Image:
        return image.crop(tuple(int(v) for v in face.box_xyxy)).resize((size, size))  # type: ignore[arg-type]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in a 1-D mask."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _keypoints(box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    relative = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.55], [0.35, 0.75], [0.65, 0.75]])
    return np.array([x0, y0], dtype=np.float64) + relative * np.array([w, h])
