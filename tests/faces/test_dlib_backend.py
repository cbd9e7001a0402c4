from __future__ import annotations

import io
import itertools
import logging

import numpy as np
import pytest
from PIL import Image, ImageOps

from ipvg.errors import NoFaceDetectedError, WeightsNotFoundError
from ipvg.faces import cosine_similarity, create_face_backend, largest_face
from ipvg.faces.dlib_backend import find_dlib_models

from .conftest import SAMPLE_IDS, insightface_image

pytest.importorskip("dlib")


def variants(image: Image.Image) -> dict[str, Image.Image]:
    """The same person, changed the ways frames and uploads change a photo."""
    width, height = image.size
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=40)
    return {
        "flip": ImageOps.mirror(image),
        "crop": image.crop((width // 10, height // 12, width - width // 12, height - height // 10)),
        "resize": image.resize((int(width * 0.6), int(height * 0.6)), Image.Resampling.BICUBIC),
        "jpeg": Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"),
    }


def test_every_sample_face_is_found_with_a_unit_128d_descriptor(dlib_sample_faces):
    for key, faces in dlib_sample_faces.items():
        assert len(faces) == 1, key
        face = faces[0]
        assert face.embedding.shape == (128,) and face.raw_embedding.shape == (128,)
        assert np.linalg.norm(face.embedding) == pytest.approx(1.0, abs=1e-5)
        assert face.gender is None and face.backend == "dlib"
        x0, y0, x1, y1 = face.box_xyxy
        left_eye, right_eye, nose, mouth_left, mouth_right = face.keypoints_52
        # Keypoints inside the box, in ArcFace's order: eyes above nose above mouth, left before right.
        assert x0 <= nose[0] <= x1 and y0 <= nose[1] <= y1, key
        assert left_eye[0] < right_eye[0] and mouth_left[0] < mouth_right[0], key
        assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1]), key


def test_hog_misses_the_close_ups_that_the_cnn_finds(dlib_backend, sample_images):
    for identity in ("id002", "id003"):
        image_HWC = np.asarray(sample_images[identity])
        assert dlib_backend.boxes(image_HWC, cnn_fallback=False) == []
    # The CNN's detections are already cached in `dlib_sample_faces`; here only HOG's own verdict.
    assert [d for _, _, d in dlib_backend.boxes(np.asarray(sample_images["id001"]))] == ["hog"]


def test_different_people_score_lower_than_the_same_person_changed(
    dlib_backend, dlib_sample_faces, sample_images
):
    embeddings = {key: faces[0].embedding for key, faces in dlib_sample_faces.items()}
    cross = [
        cosine_similarity(embeddings[a], embeddings[b]) for a, b in itertools.combinations(embeddings, 2)
    ]
    same = []
    for identity in ("id001", "id005"):
        for name, changed in variants(sample_images[identity]).items():
            face = largest_face(dlib_backend, changed, source=f"{identity} {name}")
            same.append(cosine_similarity(embeddings[identity], face.embedding))
    assert min(same) > max(cross) + 0.02, (sorted(same), sorted(cross))
    assert min(same) > dlib_backend.match_threshold > max(cross)


def test_group_photo_gives_many_faces_largest_first(dlib_backend, caplog):
    image = Image.open(insightface_image("t1.jpg"))
    faces = dlib_backend.detect(image)
    assert len(faces) >= 5
    areas = [face.area for face in faces]
    assert areas == sorted(areas, reverse=True)
    with caplog.at_level(logging.WARNING):
        assert largest_face(dlib_backend, image, source="t1.jpg").area == areas[0]
    assert f"{len(faces)} faces found in t1.jpg" in caplog.text


def test_input_modes(dlib_backend, sample_images, tmp_path):
    """RGBA, greyscale, 16-bit PNG and WebP files all reach the detector as 8-bit RGB."""
    from ipvg.io.images import load_image

    image = sample_images["id005"]
    grey = image.convert("L")
    rgba = image.convert("RGBA")
    rgba.putalpha(200)
    files = {
        "rgba.png": rgba,
        "grey.png": grey,
        "grey16.png": Image.fromarray(np.asarray(grey).astype(np.uint16) * 257),
        "face.webp": image,
    }
    for name, variant in files.items():
        variant.save(tmp_path / name)
        faces = dlib_backend.detect(load_image(tmp_path / name))
        assert len(faces) == 1, name
    assert len(dlib_backend.detect(grey)) == 1  # a PIL image in mode L directly


def test_no_face_raises_naming_the_file(dlib_backend):
    blank = Image.new("RGB", (96, 96), (200, 180, 160))
    with pytest.raises(NoFaceDetectedError, match=r"blank\.png"):
        largest_face(dlib_backend, blank, source="blank.png")


def test_an_extreme_strip_is_no_face_not_a_crash(dlib_backend):
    """Issue 14 fuzz: a 64x16384 image is 4 pixels tall once downscaled for detection, and dlib's CNN
    fallback stopped with "Filter windows must be small enough". Wrong code caught: running the CNN
    on any image, however thin (a RuntimeError instead of the clean no-face error)."""
    strip = Image.new("RGB", (16384, 64), (200, 180, 160))
    with pytest.raises(NoFaceDetectedError, match=r"strip\.png"):
        largest_face(dlib_backend, strip, source="strip.png")


def test_tom_hanks(dlib_backend):
    face = largest_face(dlib_backend, Image.open(insightface_image("Tom_Hanks_54745.png")))
    assert face.score > 0 and face.embedding.shape == (128,)


def test_models_folder_errors(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="not found in"):
        find_dlib_models(tmp_path)
    paths = find_dlib_models()
    assert paths.recognition.name == "dlib_face_recognition_resnet_model_v1.dat"


@pytest.mark.parametrize("identity", SAMPLE_IDS[:1])
def test_align_gives_the_requested_square(dlib_backend, dlib_sample_faces, sample_images, identity):
    face = dlib_sample_faces[identity][0]
    crop = dlib_backend.align(sample_images[identity], face, 224)
    assert crop.size == (224, 224) and crop.mode == "RGB"


def test_model_root_is_the_models_folder(tmp_path):
    with pytest.raises(WeightsNotFoundError, match=str(tmp_path)):
        create_face_backend("dlib", model_root=str(tmp_path))
