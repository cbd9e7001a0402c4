"""The paper's face path: insightface's ArcFace-shaped 512-d embeddings (a tiny ONNX recogniser through
`insightface.model_zoo.get_model`, dlib finding the faces) feeding a 512-d HyperLoRA."""

from __future__ import annotations

import dataclasses

import pytest

from ipvg.config import FacesConfig, get_preset
from ipvg.errors import ConfigError
from ipvg.spatial import create_spatial_backend

pytest.importorskip("insightface")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def arcface_backend(face_backend):
    from ipvg.faces import create_face_backend
    from ipvg.testing import ensure_tiny_model
    from ipvg.testing.faces import TINY_ARCFACE_FILE

    recogniser = ensure_tiny_model("arcface-onnx") / TINY_ARCFACE_FILE
    return create_face_backend(
        "insightface", recognition_model=recogniser, detector=face_backend, providers="cpu"
    )


@pytest.mark.slow  # a second tiny SDXL load (~15 s on 2 busy cores); the mismatch test below stays default
def test_hyperlora_takes_arcface_embeddings(arcface_backend, faces, generate) -> None:
    config = get_preset("tiny")
    spatial = dataclasses.replace(
        config.spatial, refine_face=False, options=(("hyperlora", "ipvg-tiny:hyperlora-arcface"),)
    )
    backend = create_spatial_backend(spatial, FacesConfig(backend="insightface"), config.runtime)
    result = generate(backend, faces["id001"], "a man, close-up", seed=0, num_candidates=1, faces=arcface_backend)
    assert backend.hyperlora.shape.id_embed_dim == 512
    assert backend.pipe.get_active_adapters() == [backend._adapter]
    assert result.image.size == (96, 64)


def test_width_mismatch_names_the_fix(face_backend, faces, generate) -> None:
    """dlib's 128-d descriptor cannot drive a 512-d ID projector: say to use insightface, before SDXL loads."""
    config = get_preset("tiny")
    spatial = dataclasses.replace(config.spatial, options=(("hyperlora", "ipvg-tiny:hyperlora-arcface"),))
    backend = create_spatial_backend(spatial, config.faces, config.runtime)
    with pytest.raises(ConfigError, match="insightface"):
        generate(backend, faces["id001"], "a man, close-up")
    assert backend.pipe is None
