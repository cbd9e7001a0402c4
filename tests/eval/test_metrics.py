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
        num_frames=6,
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
        for frame in sample_frames(video_path, 6).frames_KHWC
    ]
    fid = result.metrics["fid"]
    assert [v is None for v in fid.per_frame] == [v is None for v in expected]
    assert [v for v in fid.per_frame if v is not None] == pytest.approx(
        [v for v in expected if v is not None], rel=1e-4
    )
    assert fid.value == pytest.approx(np.mean([v for v in expected if v is not None]), rel=1e-5)
    assert fid.details["no_face_share"] == pytest.approx(2 / 6)


def test_clipscore_on_every_sampled_frame(one_video):
    result, _, _ = one_video
    clip = result.metrics["clipscore"]
    assert len(clip.per_frame) == 6 and all(-100.0 <= v <= 100.0 for v in clip.per_frame)
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


@pytest.fixture(scope="module")
def tiny_pack():
    pytest.importorskip("insightface")
    from ipvg.testing import ensure_tiny_model

    return ensure_tiny_model("insightface-pack")


def test_facesim_arc_through_the_insightface_backend(challenge_dirs, tiny_pack):
    """FaceSim-Arc through the real insightface code path on a tiny random model pack (its detections
    are noise: this checks the plumbing and the maths against an explicit computation)."""
    from ipvg.faces import create_face_backend

    testset, submission = challenge_dirs
    faces = FaceStore(options={"insightface": {"model_pack": tiny_pack, "providers": "cpu"}})
    video, reference_path = submission / "id001" / "prompt2.mp4", testset / "id001" / "image.png"
    result = evaluate_video(video, reference_path, "x", ["facesim-arc"], faces=faces, num_frames=2)
    check = create_face_backend("insightface", model_pack=tiny_pack, det_size=320, providers="cpu")
    reference = max(
        check.detect(Image.open(reference_path).convert("RGB")), key=lambda f: f.area
    ).raw_embedding
    expected = []
    for frame in sample_frames(video, 2).frames_KHWC:
        found = check.detect(Image.fromarray(frame))
        raw = max(found, key=lambda f: f.area).raw_embedding if found else None
        expected.append(
            None
            if raw is None
            else max(0.0, float(raw @ reference / np.linalg.norm(raw) / np.linalg.norm(reference)))
        )
    arc = result.metrics["facesim-arc"]
    assert [v is None for v in arc.per_frame] == [v is None for v in expected]
    assert [v for v in arc.per_frame if v is not None] == pytest.approx(
        [v for v in expected if v is not None], abs=1e-5
    )
    assert faces.options["insightface"]["det_size"] == 320  # the challenge scorer's detector size


@pytest.mark.slow
def test_facesim_cur_embeds_the_arc_detections(challenge_dirs, tiny_pack):
    """FaceSim-Cur: CurricularFace (random IR-18) on the shared insightface detector's faces."""
    from ipvg.faces.curricularface import IResNet
    from ipvg.testing.faces import random_ir_state_dict

    testset, submission = challenge_dirs
    ir18 = IResNet(18)
    ir18.load_state_dict(random_ir_state_dict(18, seed=1))
    faces = FaceStore(
        options={
            "insightface": {"model_pack": tiny_pack, "providers": "cpu"},
            "curricularface": {"model": ir18},
        }
    )
    video, reference_path = submission / "id001" / "prompt2.mp4", testset / "id001" / "image.png"
    result = evaluate_video(
        video, reference_path, "x", ["facesim-arc", "facesim-cur"], faces=faces, num_frames=2
    )
    assert faces.backend("curricularface").detector is faces.backend("insightface")
    cur = result.metrics["facesim-cur"]
    assert len(cur.per_frame) == 2 and cur.value is not None and 0.0 <= cur.value <= 1.0


def test_fid_torchvision_variant_resizes_crops_with_pil_first(challenge_dirs):
    """The challenge scorer's path: 8-bit PIL bilinear resize to 299, then the network (no resize)."""
    from ipvg.eval.metrics import create_fid

    metric = create_fid(
        inception_weights="ipvg-tiny:inception-v3-fid", variant="torchvision", face_backend="dlib"
    )
    crop = Image.open(challenge_dirs[0] / "id001" / "image.png").convert("RGB").resize((224, 224))
    resized = np.asarray(crop.resize((299, 299), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    with torch.no_grad():
        expected = metric.inception(torch.from_numpy(resized).permute(2, 0, 1)[None]).double().numpy()
        plain = (
            np.asarray(crop, dtype=np.float32) / 255.0
        )  # the float-tensor resize inside the network instead
        unresized = metric.inception(torch.from_numpy(plain).permute(2, 0, 1)[None]).double().numpy()
    assert metric.features([crop]) == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert np.abs(unresized - expected).max() > 1e-3  # the two resizes differ: the test can tell them apart
