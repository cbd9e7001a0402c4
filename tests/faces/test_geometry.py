from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from ipvg.errors import BadInputError
from ipvg.faces.base import Face
from ipvg.faces.geometry import (
    ARCFACE_TEMPLATE_52,
    arcface_matrix_23,
    norm_crop,
    pad_with_grey,
    shift_face,
    similarity_transform_23,
    to_rgb_array,
    unit,
)

KEYPOINTS_52 = np.array([[203.0, 102.0], [246.0, 104.0], [225.0, 127.0], [201.0, 139.0], [246.0, 141.0]])


def test_similarity_transform_recovers_a_known_transform():
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -5.0])
    rotation_22 = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target_52 = ARCFACE_TEMPLATE_52 @ rotation_22.T + shift
    matrix_23 = similarity_transform_23(ARCFACE_TEMPLATE_52, target_52)
    np.testing.assert_allclose(matrix_23[:, :2], rotation_22, atol=1e-9)
    np.testing.assert_allclose(matrix_23[:, 2], shift, atol=1e-9)


@pytest.mark.parametrize("size", [112, 224])
def test_alignment_matches_insightface(size, astronaut):
    face_align = pytest.importorskip("insightface.utils.face_align")
    np.testing.assert_allclose(
        arcface_matrix_23(KEYPOINTS_52, size), face_align.estimate_norm(KEYPOINTS_52, size), atol=1e-6
    )
    image_HWC = np.asarray(astronaut)
    ours_HWC = norm_crop(image_HWC, KEYPOINTS_52, size).astype(int)
    theirs_HWC = face_align.norm_crop(image_HWC, KEYPOINTS_52, size).astype(int)
    # Matrices agree to 1e-6; the warp's fixed-point rounding may then flip a handful of pixels by 1.
    assert np.abs(ours_HWC - theirs_HWC).max() <= 1 and (ours_HWC != theirs_HWC).mean() < 1e-3


def test_alignment_rejects_sizes_off_the_template():
    with pytest.raises(BadInputError, match="multiple of 112"):
        arcface_matrix_23(KEYPOINTS_52, 100)


def test_pad_with_grey_matches_the_challenge_scorer():
    image_HWC = np.random.default_rng(0).integers(0, 255, (40, 80, 3), dtype=np.uint8)
    padded_HWC, (left, top) = pad_with_grey(image_HWC, 1.25)
    assert (left, top) == (20, 10) and padded_HWC.shape == (60, 120, 3)
    np.testing.assert_array_equal(padded_HWC[top : top + 40, left : left + 80], image_HWC)
    assert (padded_HWC[:top] == 128).all() and (padded_HWC[:, :left] == 128).all()
    with pytest.raises(BadInputError):
        pad_with_grey(image_HWC, 0.9)


def test_shift_face_moves_box_and_keypoints():
    face = Face(box_xyxy=(10, 20, 30, 40), keypoints_52=np.zeros((5, 2)), score=1.0)
    moved = shift_face(face, -5, 3)
    assert moved.box_xyxy == (5, 23, 25, 43)
    np.testing.assert_array_equal(moved.keypoints_52, np.tile([-5.0, 3.0], (5, 1)))


def test_to_rgb_array_accepts_modes_and_rejects_bad_arrays():
    assert to_rgb_array(Image.new("L", (8, 8), 7)).shape == (8, 8, 3)
    assert to_rgb_array(Image.new("RGBA", (8, 8))).shape == (8, 8, 3)
    assert to_rgb_array(np.zeros((8, 8), np.uint8)).shape == (8, 8, 3)
    with pytest.raises(BadInputError, match="uint8"):
        to_rgb_array(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(BadInputError, match="shape"):
        to_rgb_array(np.zeros((8, 8, 2), np.uint8))


def test_unit():
    np.testing.assert_allclose(np.linalg.norm(unit(np.array([3.0, 4.0]))), 1.0)
    assert not unit(np.zeros(3)).any()


def test_alignment_without_opencv_stays_within_a_few_grey_levels(astronaut, monkeypatch):
    image_HWC = np.asarray(astronaut)
    with_cv2 = norm_crop(image_HWC, KEYPOINTS_52, 224).astype(int)
    monkeypatch.setitem(sys.modules, "cv2", None)  # `import cv2` now raises ImportError
    without_cv2 = norm_crop(image_HWC, KEYPOINTS_52, 224).astype(int)
    difference = np.abs(with_cv2 - without_cv2)
    assert difference.mean() < 1.0 and difference.max() <= 4
