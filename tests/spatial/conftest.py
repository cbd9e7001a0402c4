"""Spatial test fixtures: one dlib face backend, real sample faces, and one tiny hyperlora-sdxl backend
(tiny SDXL + tiny HyperLoRA + tiny CLIP ViT loaded through the real from_pretrained path), per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageOps


@pytest.fixture(scope="session")
def face_backend():
    pytest.importorskip("dlib")
    from ipvg.faces import create_face_backend

    # HOG only: the CNN fallback costs seconds per image on the noise that tiny models draw.
    return create_face_backend("dlib", cnn_fallback=False, pad_scale=None)


@pytest.fixture(scope="session")
def faces(sample_testset: Path) -> dict[str, Image.Image]:
    """Real faces that dlib's fast HOG detector finds (three different people), plus id004 mirrored."""
    from ipvg.io.images import load_image

    images = {
        identity: load_image(sample_testset / identity / "image.png")
        for identity in ("id001", "id004", "id005")
    }
    images["id004_mirrored"] = ImageOps.mirror(images["id004"])
    return images


@pytest.fixture(scope="session")
def tiny_spatial():
    from ipvg.config import get_preset
    from ipvg.spatial import create_spatial_backend

    config = get_preset("tiny")
    return create_spatial_backend(config.spatial, config.faces, config.runtime)


@pytest.fixture(scope="session")
def generate(face_backend):
    """`generate(backend, face_image, prompt, seed=, num_candidates=)`: the method's best-of-N first frame
    (`ipvg.identity.draw_first_frame`) with `backend` drawing and the session's dlib backend judging."""
    from ipvg.faces import Reference
    from ipvg.identity import IdentityJudge, draw_first_frame

    def run(backend, face_image: Image.Image, prompt: str, *, faces=face_backend, **kwargs):
        judge = IdentityJudge(faces)
        reference = Reference(face_image, judge.reference_face(face_image))
        return draw_first_frame(backend, judge, reference, prompt, **kwargs)

    return run
