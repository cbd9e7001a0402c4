"""The "generate one item" seam: error classification, outcomes, and factories that Ray can ship."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from ipvg.batch.work import (
    ItemRequest,
    PipelineGenerator,
    PipelineGeneratorFactory,
    classify_error,
    is_out_of_memory,
    run_item,
)
from ipvg.config import get_preset
from ipvg.errors import (
    BadInputError,
    ConfigError,
    ImageReadError,
    NoFaceDetectedError,
    PromptError,
    WeightsNotFoundError,
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (NoFaceDetectedError("no face"), ("no_face", False)),
        (ImageReadError("broken"), ("bad_image", False)),
        (PromptError("empty"), ("bad_prompt", False)),
        (BadInputError("odd"), ("bad_input", False)),
        (WeightsNotFoundError("missing"), ("fatal", True)),
        (ConfigError("bad"), ("fatal", True)),
        (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), ("out_of_memory", False)),
        (
            RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes"),
            ("out_of_memory", False),
        ),
        (MemoryError(), ("out_of_memory", False)),
        (ValueError("something else"), ("error", False)),
    ],
)
def test_errors_are_classified(error: BaseException, expected: tuple[str, bool]) -> None:
    assert classify_error(error) == expected


def test_is_out_of_memory_does_not_match_other_runtime_errors() -> None:
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))  # only runtime/memory errors count


class _NoVideo:
    def generate(self, request: ItemRequest, out_dir: Path) -> None:
        (out_dir / "record.json").write_text("{}")


def test_a_generator_that_writes_no_video_fails_the_item() -> None:
    request = ItemRequest("id001/prompt1", "A man waves", b"", "image.png", seed=1)
    outcome = run_item(_NoVideo(), request)
    assert not outcome.ok and outcome.reason == "error" and "no video.mp4" in (outcome.message or "")
    assert outcome.detail and "AssertionError" in outcome.detail and outcome.worker


def test_pipeline_factory_pickles_and_builds_lazily() -> None:
    factory = PipelineGeneratorFactory(get_preset("tiny"))
    clone = pickle.loads(pickle.dumps(factory))
    generator = clone()
    assert isinstance(generator, PipelineGenerator) and generator._pipeline is None  # nothing loaded yet
    assert generator.low_memory_overrides == {"runtime.offload": "model", "runtime.vae_tiling": True}
    low = generator.pipeline(low_memory=True)
    assert low.config.runtime.offload == "model" and low.config.runtime.vae_tiling
    assert generator.pipeline(low_memory=False).config.runtime.offload == "none"
