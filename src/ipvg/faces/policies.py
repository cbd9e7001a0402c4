"""Which face to use: the challenge scorer's policy, as pure functions over any detector. Face backends
apply it inside `detect`, so callers (`ipvg.identity`, eval) never wrap it around `detect` again.

The IPVG challenge's identity scores (ConsisID's `eval/get_facesim_fid.py`) take the largest face;
when the detector finds none, they pad the image with grey by a quarter of its size on every side
("scale 1.25") and detect again, then move the keypoints back into the original image.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PIL import Image

from ipvg.faces.base import Face
from ipvg.faces.geometry import pad_with_grey, shift_face, to_rgb_array

logger = logging.getLogger(__name__)

DetectFn = Callable[[np.ndarray], list[Face]]  # RGB uint8 (H, W, 3) -> faces in that image's pixels


def sort_largest_first(faces: list[Face]) -> list[Face]:
    return sorted(faces, key=lambda face: face.area, reverse=True)


def detect_with_padded_retry(
    detect: DetectFn, image: Image.Image | np.ndarray, *, pad_scale: float | None = 1.25
) -> list[Face]:
    """Faces found by `detect`, largest first; if none, those found in the grey-padded image, with
    boxes and keypoints moved back into the original image's pixels. `pad_scale=None` skips the retry.

    Embeddings of faces found on the retry come from the padded image (as in the challenge scorer).
    """
    image_HWC = to_rgb_array(image)
    faces = detect(image_HWC)
    if faces or pad_scale is None:
        return sort_largest_first(faces)
    padded_HWC, (left, top) = pad_with_grey(image_HWC, pad_scale)
    faces = [shift_face(face, -left, -top) for face in detect(padded_HWC)]
    if faces:
        logger.info("face found only after grey padding (scale %.2f)", pad_scale)
    return sort_largest_first(faces)
