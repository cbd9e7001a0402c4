"""Model-backed metrics through the registry on tiny random weights, checked against explicit
computations; and FaceSim-dlib end to end with the real offline dlib backend."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from PIL import Image

from ipvg.eval import evaluate_video
from ipvg.eval.context import FaceStore
from ipvg.eval.frames import sample_frames
from ipvg.eval.inception import load_inception

from .conftest import FakeFaceBackend

TINY_OPTIONS = {
    "fid": {"inception_weights": "ipvg-tiny:inception-v3-fid", "face_backend": "dlib"},
    "clipscore": {"clip_model": "ipvg-tiny:clip-vit-b16"},
}


@pytest.fixture(scope="module")
def one_video(challenge_dirs):
    testset, submission = challenge_dirs
    result = evaluate_video(
        submission / "id001" / "prompt1.mp4",
        testset / "id001" / "image.png",
        "a woman smiles at the camera",
        ["fid", "clipscore", "facesim-dlib"],
        metric_options=TINY_OPTIONS,
        faces=FaceStore({"dlib": FakeFaceBackend("dlib")}),
    )
    return result, testset / "id001" / "image.png", submission / "id001" / "prompt1.mp4"


def test_fid_matches_explicit_inception_features(one_video):
    from ipvg.eval.metrics import find_inception_weights

    result, reference_path, video_path = one_video
    model = load_inception(find_inception_weights("ipvg-tiny:inception-v3-fid"))

    def features(image: Image.Image) -> np.ndarray:
        crop = (
            np.asarray(image.convert("RGB").resize((224, 224), Image.Resampling.BILINEAR), dtype=np.float32)
            / 255
        )
        with torch.no_grad():
            return model(torch.from_numpy(crop).permute(2, 0, 1)[None]).double().numpy()[0]

    reference = features(Image.open(reference_path))
    expected = [
        None if frame.std() <= 12 else float(((features(Image.fromarray(frame)) - reference) ** 2).sum())
        for frame in sample_frames(video_path).frames_KHWC
    ]
    fid = result.metrics["fid"]
    assert [v is None for v in fid.per_frame] == [v is None for v in expected]
    assert [v for v in fid.per_frame if v is not None] == pytest.approx(
        [v for v in expected if v is not None], rel=1e-4
    )
    assert fid.value == pytest.approx(np.mean([v for v in expected if v is not None]), rel=1e-5)
    assert fid.details["no_face_share"] == pytest.approx(2 / 16)


def test_clipscore_on_every_sampled_frame(one_video):
    result, _, _ = one_video
    clip = result.metrics["clipscore"]
    assert len(clip.per_frame) == 16 and all(-100.0 <= v <= 100.0 for v in clip.per_frame)
    assert clip.value == pytest.approx(max(0.0, float(np.mean(clip.per_frame))))
    assert clip.details["model"] == "ipvg-tiny:clip-vit-b16"
    assert result.status == "ok" and result.item.item_id == "prompt1"


def test_missing_weights_are_a_clear_error_or_a_skip(challenge_dirs, tmp_path):
    from ipvg.errors import WeightsNotFoundError
    from ipvg.eval.suite import create_metrics

    options = {
        "fid": {"inception_weights": tmp_path / "nope.pth"},
        "clipscore": {"clip_model": str(tmp_path / "no-clip")},
    }
    with pytest.raises(WeightsNotFoundError, match="inception-weights"):
        create_metrics(["fid"], options)
    metrics, skipped = create_metrics(["fid", "clipscore", "overall-first-place"], options, strict=False)
    assert [m.name for m in metrics] == ["overall-first-place"]
    assert set(skipped) == {"fid", "clipscore"} and "not" in skipped["clipscore"]


@pytest.mark.skipif(importlib.util.find_spec("dlib") is None, reason="dlib is not installed")
def test_facesim_dlib_with_the_real_backend(challenge_dirs):
    testset, submission = challenge_dirs
    own = evaluate_video(
        submission / "id001" / "prompt1.mp4",
        testset / "id001" / "image.png",
        "x",
        ["facesim-dlib"],
        num_frames=4,
    )
    other = evaluate_video(
        submission / "id001" / "prompt2.mp4",
        testset / "id001" / "image.png",
        "x",
        ["facesim-dlib"],
        num_frames=4,
    )
    # Frames 0 and 19 are black: of the 4 sampled (0, 6, 12, 19) two have no face.
    assert own.metrics["facesim-dlib"].details["no_face_share"] == 0.5
    assert own.value("facesim-dlib") > 0.95
    assert other.value("facesim-dlib") < own.value("facesim-dlib") - 0.05
