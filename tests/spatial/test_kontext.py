"""kontext on a tiny FLUX.1 Kontext pipeline through `FluxKontextPipeline.from_pretrained`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ipvg.config import get_preset
from ipvg.errors import ConfigError
from ipvg.spatial import create_spatial_backend


def _spatial(**changes):
    config = get_preset("tiny")
    spatial = dataclasses.replace(
        config.spatial, backend="kontext", model="ipvg-tiny:flux-kontext", **changes
    )
    return spatial, config


def test_kontext_uses_the_face_as_context(face_backend, faces, generate) -> None:
    from diffusers import FluxKontextPipeline

    spatial, config = _spatial()
    backend = create_spatial_backend(spatial, config.faces, config.runtime)
    first = generate(backend, faces["id001"], "a man in a suit, close-up", seed=2, num_candidates=1)
    assert isinstance(backend.pipe, FluxKontextPipeline)
    assert first.image.size == (96, 64) and [c.seed for c in first.candidates] == [2]
    second = generate(backend, faces["id005"], "a man in a suit, close-up", seed=2, num_candidates=1)
    assert not np.array_equal(np.asarray(first.image), np.asarray(second.image))  # the context image matters


def test_kontext_rejects_refinement_and_odd_sizes() -> None:
    spatial, config = _spatial(refine_face=True)
    with pytest.raises(ConfigError, match="refinement"):
        create_spatial_backend(spatial, config.faces, config.runtime)
    spatial, config = _spatial(height=72)
    with pytest.raises(ConfigError, match="multiples of 16"):
        create_spatial_backend(spatial, config.faces, config.runtime)
