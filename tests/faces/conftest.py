"""Faces test fixtures: one dlib backend and its detections on the sample faces, built once per session
(dlib's CNN detector takes seconds per image on one core). Their skips (dlib, insightface, skimage or
the sample data missing) fail the run under `CI=true` (see tests/conftest.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SAMPLE_IDS = ("id001", "id002", "id003", "id004", "id005")


def insightface_image(name: str) -> Path:
    spec = importlib.util.find_spec("insightface")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("insightface is not installed (its wheel holds the sample photos)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "images" / name
    if not path.exists():
        pytest.skip(f"{path} not found in the insightface wheel")
    return path


@pytest.fixture(scope="session")
def dlib_backend():
    pytest.importorskip("dlib")
    from ipvg.faces import create_face_backend

    return create_face_backend("dlib")


@pytest.fixture(scope="session")
def sample_images(sample_testset: Path) -> dict[str, Image.Image]:
    from ipvg.io.images import load_image

    return {
        identity: load_image(next((sample_testset / identity).glob("image.*"))) for identity in SAMPLE_IDS
    }


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    data = pytest.importorskip("skimage.data")
    return Image.fromarray(np.asarray(data.astronaut()))


@pytest.fixture(scope="session")
def dlib_sample_faces(dlib_backend, sample_images, astronaut) -> dict:
    """dlib's detections on the five sample faces and the astronaut (keys: ids and "astronaut")."""
    images = {**sample_images, "astronaut": astronaut}
    return {key: dlib_backend.detect(image) for key, image in images.items()}
