"""Feature extractors through their real loading paths, on tiny random weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ipvg.errors import WeightsNotFoundError
from ipvg.eval.inception import FID_WEIGHTS_FILE, InceptionV3Features, _avg_pool_3x3, load_inception
from ipvg.weights import resolve_model


@pytest.fixture(scope="session")
def tiny_inception_path():
    from ipvg.eval.metrics import find_inception_weights

    return find_inception_weights("ipvg-tiny:inception-v3-fid")


@pytest.fixture(scope="session")
def clip_embedder():
    from ipvg.eval.clip import ClipEmbedder

    return ClipEmbedder("ipvg-tiny:clip-vit-b16")


def test_inception_matches_torchvision_parameter_count():
    # torchvision documents inception_v3 at 27,161,264 parameters; without its classifier
    # (2048 x 1000 + 1000) and auxiliary head (3,326,696) that leaves the feature network's count.
    model = InceptionV3Features("pytorch-fid", width=1.0)
    assert sum(p.numel() for p in model.parameters()) == 27_161_264 - 2_049_000 - 3_326_696
    assert model.feature_dim == 2048
    assert len(model.state_dict()) == 564


def test_tf_pooling_ignores_padding():
    ones = torch.ones(1, 1, 4, 4)
    assert torch.allclose(_avg_pool_3x3(ones, fid=True), ones)
    assert _avg_pool_3x3(ones, fid=False)[0, 0, 0, 0].item() == pytest.approx(4 / 9)


def test_inception_loads_safely_and_extracts(tiny_inception_path, tmp_path):
    assert tiny_inception_path.name == FID_WEIGHTS_FILE
    model = load_inception(tiny_inception_path)
    assert model.width == 1 / 8 and model.feature_dim == 256 and not model.training
    images = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        features = model(images)
        # Resizing to 299 happens inside; a 299 input takes the same path without resizing.
        resized = torch.nn.functional.interpolate(
            images, size=(299, 299), mode="bilinear", align_corners=False
        )
        assert torch.allclose(model(resized), features, atol=1e-5)
        torchvision_variant = load_inception(tiny_inception_path, variant="torchvision")
        assert not torch.allclose(torchvision_variant(images), features)
    assert features.shape == (2, 256) and (features >= 0).all()  # pool of ReLU outputs
    # A checkpoint that is not Inception is refused with the fix.
    torch.save({"weight": torch.zeros(3)}, tmp_path / "bad.pth")
    with pytest.raises((WeightsNotFoundError, KeyError)):
        load_inception(tmp_path / "bad.pth")
    with pytest.raises(WeightsNotFoundError, match="--inception-weights"):
        load_inception(tmp_path / "missing.pth")


def test_inception_refuses_pickled_code(tiny_inception_path, tmp_path):
    # weights_only=True: a checkpoint that pickles arbitrary objects is rejected, not executed.
    torch.save({"model": InceptionV3Features(width=1 / 8)}, tmp_path / "pickled.pth")
    with pytest.raises(WeightsNotFoundError, match="weights_only=True") as caught:
        load_inception(tmp_path / "pickled.pth")
    assert "if you trust the file" in caught.value.fix
    (tmp_path / "corrupt.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsNotFoundError, match="corrupt"):
        load_inception(tmp_path / "corrupt.pth")


def test_clip_embeddings_match_the_model_forward(clip_embedder):
    from transformers import AutoTokenizer, CLIPModel
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    folder = resolve_model("ipvg-tiny:clip-vit-b16", marker="config.json")
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 255, (40, 56, 3), dtype=np.uint8)) for _ in range(3)]
    prompt = "a woman smiles at the camera"
    image_embeds = clip_embedder.image_embeds(images)
    text_embed = clip_embedder.text_embed(prompt)
    # Independent path: CLIPModel's own forward gives logit_scale * cosine.
    model = CLIPModel.from_pretrained(folder).eval()
    inputs = AutoTokenizer.from_pretrained(folder)([prompt], return_tensors="pt")
    pixels = CLIPImageProcessorPil.from_pretrained(folder)(images=images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        output = model(
            input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], pixel_values=pixels
        )
    cosines = (output.logits_per_image[:, 0] / model.logit_scale.exp()).detach().numpy()
    assert image_embeds @ text_embed == pytest.approx(cosines, abs=1e-5)
    assert np.linalg.norm(image_embeds, axis=1) == pytest.approx(np.ones(3))


def test_clip_truncates_long_prompts(clip_embedder):
    long_prompt = " ".join(["a man walks in the park"] * 40)
    assert clip_embedder.num_tokens(long_prompt) > 77
    assert clip_embedder.text_embed(long_prompt).shape == (16,)


def test_fid_inception_matches_torch_fidelity_reference():
    """Pool features of the real-size network on `random_inception_state_dict(0)`, against
    torch-fidelity's FeatureExtractorInceptionV3 (the TensorFlow FID graph in torch, derived from
    pytorch-fid; run outside this repository, see tests/eval/fixtures/README.md). pytorch-fid itself
    builds on torchvision, which cannot run here."""
    from pathlib import Path

    from ipvg.testing.evalmodels import random_inception_state_dict

    expected = np.load(Path(__file__).parent / "fixtures" / "inception_torch_fidelity_reference.npz")[
        "features"
    ]
    model = InceptionV3Features("pytorch-fid")
    state = random_inception_state_dict(0)
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("fc.")})
    y, x = np.mgrid[0:299, 0:299]
    image = np.stack([(x * 3 + y) % 256, (y * 2) % 256, (x * y // 7) % 256], -1).astype(np.uint8)
    # torch-fidelity feeds (x - 128) / 128 for uint8 x; our [0, 1] input x / 256 maps to exactly that.
    # (The fixture holds a second image's features too; one image keeps this test under ~2 s.)
    with torch.no_grad():
        features = model.eval()(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 256.0).numpy()
    assert np.abs(features[0] - expected[0]).max() < 1e-4
    assert (
        expected[0].std() > 0.1 and np.abs(expected[0] - expected[1]).mean() > 0.1
    )  # not a constant network
