from __future__ import annotations

import logging

import numpy as np
import pytest

from ipvg.errors import NoFaceDetectedError
from ipvg.faces.base import Face, pick_largest
from ipvg.faces.policies import detect_with_padded_retry


def fake_face(x0: float, y0: float, size: float) -> Face:
    return Face(box_xyxy=(x0, y0, x0 + size, y0 + size), keypoints_52=np.full((5, 2), x0), score=0.9)


def test_largest_first_without_retry():
    calls = []

    def detect(image_HWC):
        calls.append(image_HWC.shape)
        return [fake_face(0, 0, 10), fake_face(5, 5, 30)]

    faces = detect_with_padded_retry(detect, np.zeros((40, 60, 3), np.uint8))
    assert [f.area for f in faces] == [900, 100]
    assert calls == [(40, 60, 3)]


def test_retry_on_padded_image_maps_back_to_original_pixels():
    def detect(image_HWC):
        # Only "finds" a face once the image has the grey border (as a detector does with close-ups).
        return [fake_face(25, 15, 20)] if image_HWC.shape[:2] == (60, 90) else []

    face = pick_largest(detect_with_padded_retry(detect, np.zeros((40, 60, 3), np.uint8)), source="a frame")
    assert face.box_xyxy == (10, 5, 30, 25)  # padding was 15 px left, 10 px top
    np.testing.assert_array_equal(face.keypoints_52, np.tile([10.0, 15.0], (5, 1)))


def test_no_face_names_the_source():
    with pytest.raises(NoFaceDetectedError, match="frame 3"):
        pick_largest(detect_with_padded_retry(lambda image: [], np.zeros((40, 60, 3), np.uint8)), source="frame 3")
    assert detect_with_padded_retry(lambda image: [], np.zeros((40, 60, 3), np.uint8), pad_scale=None) == []


def test_several_faces_warn_with_the_count(caplog):
    with caplog.at_level(logging.WARNING):
        faces = detect_with_padded_retry(
            lambda image: [fake_face(0, 0, 5), fake_face(0, 0, 9)], np.zeros((20, 20, 3), np.uint8)
        )
        face = pick_largest(faces, source="a frame")
    assert face.area == 81
    assert "2 faces found" in caplog.text
