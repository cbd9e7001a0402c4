"""GME embeddings through transformers' Qwen2-VL on a tiny random model, checked against the model's
own forward where the two must agree (text), and the GME metric's maths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ipvg.eval.gme import IMAGE_PAD, chat_input, pre_resize


@pytest.fixture(scope="module")
def gme():
    from ipvg.eval.gme import GmeEmbedder

    return GmeEmbedder("ipvg-tiny:gme-qwen2-vl-2b", min_image_tokens=4, max_image_tokens=16)


def test_text_embedding_is_the_normalised_last_token_state(gme):
    texts = ["a woman smiles at the camera", "a man runs"]
    embeds = gme.text_embeds(texts)
    # Independent path: Qwen2VLModel's full forward (text only: its rope index is plain positions),
    # one text at a time so there is no padding to account for.
    for text, row in zip(texts, embeds, strict=True):
        tokens = gme.tokenizer(
            [chat_input(text, "Find an image that matches the given text.")], return_tensors="pt"
        )
        with torch.no_grad():
            hidden = gme.model.model(**tokens).last_hidden_state[0, -1]
        assert row == pytest.approx((hidden / hidden.norm()).numpy(), abs=1e-5)
    assert chat_input("x").endswith("<|im_start|>assistant\n<|endoftext|>")


def test_image_embeddings(gme):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 255, (100, 150, 3), dtype=np.uint8)) for _ in range(3)]
    embeds = gme.image_embeds(images)
    assert embeds.shape == (3, 32) and np.linalg.norm(embeds, axis=1) == pytest.approx(np.ones(3))
    assert not np.allclose(embeds[0], embeds[1])
    # Batching (right padding) does not change an embedding.
    assert gme.image_embeds(images[:1])[0] == pytest.approx(embeds[0], abs=1e-5)
    assert pre_resize(images[0]).size == (140, 112)  # multiples of 28
    assert IMAGE_PAD in chat_input("<|vision_start|><|image_pad|><|vision_end|>")


def test_gme_metric_is_the_mean_frame_cosine(challenge_dirs):
    from ipvg.eval import evaluate_video

    testset, submission = challenge_dirs
    result = evaluate_video(
        submission / "id001" / "prompt1.mp4", testset / "id001" / "image.png", "a woman smiles", ["gme"],
        metric_options={"gme": {"gme_model": "ipvg-tiny:gme-qwen2-vl-2b", "min_image_tokens": 4, "max_image_tokens": 16}},
        num_frames=3,
    )  # fmt: skip
    gme_value = result.metrics["gme"]
    assert len(gme_value.per_frame) == 3 and all(-1.0 <= v <= 1.0 for v in gme_value.per_frame)
    assert gme_value.value == pytest.approx(float(np.mean(gme_value.per_frame)))


def test_gme_matches_the_authors_inference_with_transformers_4_45(gme):
    """Embeddings from GME's own `gme_inference.py` logic (fetch_image pre-resize, Qwen2-VL processor,
    right padding, last-token pooling) run with transformers 4.45.2 on the same tiny checkpoint,
    outside this repository; see tests/eval/fixtures/README.md."""
    from pathlib import Path

    fixture = np.load(Path(__file__).parent / "fixtures" / "gme_reference_transformers445.npz")

    def image(height: int, width: int, k: int) -> Image.Image:
        y, x = np.mgrid[0:height, 0:width]
        return Image.fromarray(
            np.stack([(x * k) % 256, (y * (k + 1)) % 256, ((x + y) * 2) % 256], -1).astype(np.uint8)
        )

    texts = ["a woman smiles at the camera", "a man runs in the park while the camera pans"]
    images = [image(100, 150, 3), image(120, 90, 5), image(64, 200, 7)]  # three sizes: padded batch
    assert np.abs(gme.text_embeds(texts) - fixture["text_embeds"]).max() < 1e-4
    assert np.abs(gme.image_embeds(images) - fixture["image_embeds"]).max() < 1e-4
