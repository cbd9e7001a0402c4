"""insightface backend offline: no model pack here, so the pack lookup must fail clearly (and never
download), and a tiny random ONNX with ArcFace's shapes exercises the single-recogniser path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ipvg.errors import ConfigError, RuntimeOptionError, WeightsNotFoundError
from ipvg.faces import create_face_backend
from ipvg.faces.geometry import norm_crop

pytest.importorskip("insightface")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def tiny_arcface() -> Path:
    from ipvg.testing import ensure_tiny_model
    from ipvg.testing.faces import TINY_ARCFACE_FILE

    return ensure_tiny_model("arcface-onnx") / TINY_ARCFACE_FILE


@pytest.fixture(scope="module")
def tiny_backend(tiny_arcface, dlib_backend):
    return create_face_backend(
        "insightface", recognition_model=tiny_arcface, detector=dlib_backend, providers="cpu"
    )


@pytest.fixture
def no_downloads(monkeypatch):
    """Fail the test if insightface tries to download anything."""
    import insightface.utils.storage as storage

    def refuse(*args, **kwargs):
        raise AssertionError(f"insightface tried to download {args}")

    monkeypatch.setattr(storage, "download", refuse)
    monkeypatch.setattr(storage, "download_onnx", refuse)


def test_missing_pack_names_where_it_looked_and_how_to_get_one(tmp_path, no_downloads):
    with pytest.raises(WeightsNotFoundError) as error:
        create_face_backend("insightface", root=tmp_path, providers="cpu")
    message = str(error.value)
    assert str(tmp_path / "models" / "buffalo_l") in message and "antelopev2" in message
    assert "buffalo_l.zip" in message and "model_pack=" in message


def test_pack_without_a_detector_is_refused(tmp_path, tiny_arcface, no_downloads):
    pack = tmp_path / "models" / "buffalo_l"
    pack.mkdir(parents=True)
    (pack / "w600k_r50.onnx").write_bytes(tiny_arcface.read_bytes())
    with pytest.raises(WeightsNotFoundError, match="no face detection model"):
        create_face_backend("insightface", root=tmp_path, providers="cpu")


def test_recogniser_file_errors(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="not an existing .onnx"):
        create_face_backend("insightface", recognition_model=tmp_path / "nope.onnx", detector="dlib")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07not really an onnx protobuf" * 10)
    with pytest.raises(WeightsNotFoundError, match="Cannot load"):
        create_face_backend("insightface", recognition_model=corrupt, detector="dlib")


def test_options_are_checked():
    with pytest.raises(ConfigError, match="det_size"):
        create_face_backend("insightface", det_size=300)
    with pytest.raises(ConfigError, match="detector"):
        create_face_backend("insightface", detector="mtcnn")
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        with pytest.raises(RuntimeOptionError, match="onnxruntime-gpu"):
            create_face_backend("insightface", providers="cuda")


def test_tiny_recogniser_through_insightface_get_model(tiny_backend, dlib_sample_faces, sample_images):
    assert tiny_backend._recognizer.input_size == (112, 112)
    image = sample_images["id001"]
    faces = tiny_backend.detect(image)
    assert len(faces) == 1 and faces[0].backend == "insightface"
    face = faces[0]
    assert face.raw_embedding.shape == (512,) and np.linalg.norm(face.embedding) == pytest.approx(
        1.0, abs=1e-5
    )
    np.testing.assert_allclose(face.keypoints_52, dlib_sample_faces["id001"][0].keypoints_52, atol=1e-4)
    # The embedding is the recogniser applied to the ArcFace-aligned 112 crop (ours vs insightface's
    # alignment may differ by one grey level in a few pixels).
    again = tiny_backend.embed_aligned([norm_crop(image, face.keypoints_52, 112)])[0]
    np.testing.assert_allclose(again, face.raw_embedding, rtol=1e-3, atol=1e-3)
    assert face.gender is None  # a lone recogniser has no gender head


def test_tiny_recogniser_is_deterministic_and_depends_on_the_face(tiny_backend, sample_images):
    first = tiny_backend.detect(sample_images["id005"])[0].raw_embedding
    second = tiny_backend.detect(sample_images["id005"])[0].raw_embedding
    other = tiny_backend.detect(sample_images["id001"])[0].raw_embedding
    np.testing.assert_array_equal(first, second)
    assert np.abs(first - other).max() > 1e-3


@pytest.fixture(scope="module")
def tiny_pack() -> Path:
    from ipvg.testing import ensure_tiny_model

    return ensure_tiny_model("insightface-pack")


def test_tiny_pack_matches_face_analysis_itself(tiny_pack, astronaut, no_downloads):
    """Our wrapper (pack lookup, detection size, recogniser run on the chosen keypoints, gender/age
    names) gives what insightface's own FaceAnalysis gives on the same pack."""
    from insightface.app import FaceAnalysis

    backend = create_face_backend("insightface", model_pack=tiny_pack, det_size=320, providers="cpu")
    faces = backend.detect(astronaut)
    app = FaceAnalysis(name=str(tiny_pack), providers=["CPUExecutionProvider"])
    app.prepare(ctx_id=-1, det_size=(320, 320))
    theirs = app.get(np.ascontiguousarray(np.asarray(astronaut)[:, :, ::-1]))
    theirs = sorted(theirs, key=lambda f: (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]), reverse=True)
    assert len(faces) == len(theirs) > 0
    for ours, ref in zip(faces, theirs, strict=True):
        np.testing.assert_allclose(ours.box_xyxy, ref.bbox[:4], atol=1e-3)
        np.testing.assert_allclose(ours.keypoints_52, ref.kps, atol=1e-3)
        np.testing.assert_allclose(ours.raw_embedding, ref.embedding, rtol=1e-5, atol=1e-5)
        assert ours.score == pytest.approx(float(ref.det_score))
        assert ours.gender == {0: "female", 1: "male"}[int(ref.gender)] and ours.age == ref.age
    assert faces[0].area >= faces[-1].area


def test_tiny_pack_by_scheme(tiny_pack):
    backend = create_face_backend("insightface", model_pack="ipvg-tiny:insightface-pack", providers="cpu")
    assert backend.model_pack == tiny_pack and backend._app is not None


def test_pack_is_found_by_name_under_root(tiny_pack, tmp_path, no_downloads):
    import shutil

    shutil.copytree(
        tiny_pack, tmp_path / "models" / "antelopev2" / "antelopev2"
    )  # how antelopev2.zip unpacks
    backend = create_face_backend("insightface", root=tmp_path, model_pack="antelopev2", providers="cpu")
    assert backend.model_pack == tmp_path / "models" / "antelopev2" / "antelopev2"
    assert backend.recognition_model.name == "tiny_arcface_r0.onnx"


def test_model_root_is_the_pack(tiny_pack):
    backend = create_face_backend("insightface", model_root=str(tiny_pack), providers="cpu")
    assert backend.model_pack == tiny_pack


def test_pack_is_found_in_a_cached_consisid_download(tiny_pack, tmp_path, monkeypatch, no_downloads):
    import shutil

    from huggingface_hub import constants

    snapshot = tmp_path / "hub" / "models--BestWishYsh--ConsisID-preview" / "snapshots" / "0123abc"
    shutil.copytree(tiny_pack, snapshot / "face_encoder" / "models" / "buffalo_l")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    from ipvg.faces.insightface_backend import find_model_pack

    assert (
        find_model_pack(None, tmp_path / "empty-root") == snapshot / "face_encoder" / "models" / "buffalo_l"
    )
