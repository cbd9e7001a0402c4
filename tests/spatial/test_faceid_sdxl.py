"""faceid-sdxl on the tiny SDXL + tiny IP-Adapter FaceID Plus v2 (h94 file layout) through diffusers'
`load_ip_adapter` and `load_lora_weights`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ipvg.config import get_preset
from ipvg.spatial import create_spatial_backend

PROMPT = "a man in a dark suit, studio light, close-up"


@pytest.fixture(scope="module")
def faceid(face_backend):
    config = get_preset("tiny")
    spatial = dataclasses.replace(config.spatial, backend="faceid-sdxl", refine_face=False)
    return create_spatial_backend(spatial, config.faces, config.runtime)


def test_faceid_loads_through_ip_adapter_path_and_identity_steers_the_image(faceid, faces, generate) -> None:
    from diffusers.models.embeddings import IPAdapterFaceIDPlusImageProjection

    first = generate(faceid, faces["id001"], PROMPT, seed=5, num_candidates=1)
    projection = faceid.pipe.unet.encoder_hid_proj.image_projection_layers[0]
    assert isinstance(projection, IPAdapterFaceIDPlusImageProjection)
    assert projection.shortcut  # Plus v2
    assert faceid.pipe.get_list_adapters() == {"unet": ["faceid"]}
    assert first.image.size == (96, 64) and first.prompt == PROMPT
    unet = faceid.pipe.unet
    second = generate(faceid, faces["id005"], PROMPT, seed=5, num_candidates=1)
    assert faceid.pipe.unet is unet
    # Same seed and prompt, another face: only the identity tokens differ.
    assert not np.array_equal(np.asarray(first.image), np.asarray(second.image))
