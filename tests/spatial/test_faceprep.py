"""Face crops for HyperLoRA's CLIP input and the refinement region."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ipvg.faces.base import Face
from ipvg.spatial.faceprep import GREY, feathered_mask, hyperlora_face_crop, refine_region


def _face(box: tuple[float, float, float, float]) -> Face:
    return Face(box_xyxy=box, keypoints_52=np.zeros((5, 2)), score=1.0)


def test_clip_crop_is_square_face_with_grey_background() -> None:
    image = Image.new("RGB", (200, 160), (255, 0, 0))
    crop = hyperlora_face_crop(image, _face((80, 40, 120, 100)))
    assert crop.width == crop.height == 90  # 1.5 x the 60-pixel extent
    pixels = np.asarray(crop)
    assert tuple(pixels[0, 0]) == GREY  # corner: background greyed
    assert tuple(pixels[crop.height // 2 + 5, crop.width // 2]) == (255, 0, 0)  # face centre kept


def test_refine_region_is_square_inside_the_image() -> None:
    region = refine_region(_face((5, 5, 25, 35)), (100, 80), crop_factor=3.0)
    assert region.side == 80  # 3 x 30 = 90, capped at the image height
    assert region.left == 0 and region.top == 0  # shifted inside, not shrunk
    region = refine_region(_face((40, 30, 60, 50)), (100, 80), crop_factor=2.0)
    assert region.box == (30, 20, 70, 60)


def test_feathered_mask_is_soft_at_the_edge() -> None:
    mask = np.asarray(feathered_mask(64, (16, 16, 48, 48), feather=6))
    assert mask[32, 32] == 255 and mask[0, 0] == 0
    assert 0 < mask[32, 52] < 255
