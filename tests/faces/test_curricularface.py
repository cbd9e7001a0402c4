"""CurricularFace IR-101: parity with ConsisID's reference module on shared random weights, and the
loader's answers to wrong or corrupt files (the real checkpoint cannot be downloaded here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ipvg.errors import WeightsNotFoundError
from ipvg.faces import create_face_backend
from ipvg.faces.curricularface import IResNet, load_curricularface, num_layers_of
from ipvg.testing.faces import random_ir_state_dict

FIXTURE = Path(__file__).parent / "fixtures" / "ir101_parity.npz"


@pytest.fixture(scope="module")
def ir18_checkpoint(tmp_path_factory) -> Path:
    """Random IR-18 weights saved as a ConsisID-style `.bin` (IR-18 keeps the file at ~100 MB)."""
    path = tmp_path_factory.mktemp("curricularface") / "ir18.bin"
    torch.save(random_ir_state_dict(18, seed=1), path)
    return path


def test_ir101_matches_consisid_reference_on_shared_random_weights():
    """The fixture holds ConsisID's `util/on_going_module/curricularface` IR_101 outputs for
    `random_ir_state_dict(100, seed=0)` (generated outside the repository, see tests/faces/README.md)."""
    fixture = np.load(FIXTURE)
    with torch.device("meta"):
        model = IResNet(int(fixture["num_layers"]))
    model.load_state_dict(
        random_ir_state_dict(int(fixture["num_layers"]), seed=int(fixture["seed"])), assign=True
    )
    model.eval()
    pixels_BCHW = (
        torch.from_numpy(fixture["crops_BHWC"]).permute(0, 3, 1, 2).float().div(255).sub(0.5).div(0.5)
    )
    with torch.inference_mode():
        features_B512 = model(pixels_BCHW).numpy()
    expected_B512 = fixture["expected_B512"]
    assert features_B512.shape == (3, 512)
    np.testing.assert_allclose(features_B512, expected_B512, atol=1e-5 * np.abs(expected_B512).max())
    unit_ours = features_B512 / np.linalg.norm(features_B512, axis=1, keepdims=True)
    unit_ref = expected_B512 / np.linalg.norm(expected_B512, axis=1, keepdims=True)
    np.testing.assert_allclose(unit_ours, unit_ref, atol=1e-5)


def test_ir101_has_the_checkpoints_parameter_names_and_size():
    with torch.device("meta"):
        state = IResNet(100).state_dict()
    assert num_layers_of(state) == 100 and len([k for k in state if k.endswith(".weight")]) > 300
    assert state["output_layer.3.weight"].shape == (512, 512 * 7 * 7)
    assert "body.48.res_layer.5.running_var" in state and "body.0.shortcut_layer.0.weight" not in state
    assert 65e6 < sum(v.numel() for v in state.values()) < 66e6


def test_backend_loads_a_checkpoint_and_embeds_deterministically(
    ir18_checkpoint, dlib_backend, sample_images
):
    backend = create_face_backend("curricularface", weights=ir18_checkpoint, detector=dlib_backend)
    assert backend.model.num_layers == 18
    first = backend.detect(sample_images["id001"])
    second = backend.detect(sample_images["id001"])
    assert len(first) == 1 and first[0].backend == "curricularface"
    assert first[0].embedding.shape == (512,) and np.linalg.norm(first[0].embedding) == pytest.approx(
        1.0, abs=1e-5
    )
    np.testing.assert_array_equal(first[0].raw_embedding, second[0].raw_embedding)
    other = backend.detect(sample_images["id005"])[0]
    assert np.abs(other.raw_embedding - first[0].raw_embedding).max() > 1e-3


def test_missing_corrupt_and_wrong_files_are_refused(ir18_checkpoint, tmp_path):
    with pytest.raises(WeightsNotFoundError, match="not found"):
        load_curricularface(tmp_path / "absent.bin")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(WeightsNotFoundError, match="Cannot read"):
        load_curricularface(garbage)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(ir18_checkpoint.read_bytes()[: 1 << 20])
    with pytest.raises(WeightsNotFoundError, match="Cannot read"):
        load_curricularface(truncated)
    pickled_code = tmp_path / "code.bin"
    torch.save({"weights": torch.zeros(2), "hook": Path("/etc/passwd")}, pickled_code)  # not plain tensors
    with pytest.raises(WeightsNotFoundError, match="Cannot read"):
        load_curricularface(pickled_code)
    foreign = tmp_path / "foreign.bin"
    torch.save({"encoder.weight": torch.zeros(3, 3)}, foreign)
    with pytest.raises(WeightsNotFoundError, match="matches no IR depth"):
        load_curricularface(foreign)
    state = torch.load(ir18_checkpoint, weights_only=True)
    state["output_layer.3.weight"] = torch.zeros(512, 100)
    wrong_shape = tmp_path / "wrong_shape.bin"
    torch.save(state, wrong_shape)
    with pytest.raises(WeightsNotFoundError, match="wrong shape 1"):
        load_curricularface(wrong_shape)


def test_default_weights_lookup_never_downloads(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))  # as on a machine without the file
    with pytest.raises(WeightsNotFoundError, match="ConsisID-preview"):
        create_face_backend("curricularface", detector="dlib")


def test_auto_detector_prefers_an_insightface_pack(ir18_checkpoint, tmp_path):
    from ipvg.testing import ensure_tiny_model

    pack = ensure_tiny_model("insightface-pack")
    backend = create_face_backend("curricularface", weights=ir18_checkpoint, model_pack=pack, providers="cpu")
    assert backend.detector.name == "insightface" and backend.detector.model_pack == pack


def test_auto_detector_falls_back_to_dlib_without_a_pack(ir18_checkpoint, tmp_path, caplog):
    backend = create_face_backend(
        "curricularface", weights=ir18_checkpoint, root=tmp_path, det_size=320, providers="cpu"
    )
    assert backend.detector.name == "dlib"
    assert "dlib keypoints" in caplog.text
    with pytest.raises(WeightsNotFoundError, match="No insightface model pack"):
        create_face_backend("curricularface", weights=ir18_checkpoint, model_pack=tmp_path / "missing")


@pytest.mark.gpu
def test_ir101_on_cuda_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    fixture = np.load(FIXTURE)
    with torch.device("meta"):
        model = IResNet(100)
    model.load_state_dict(random_ir_state_dict(100, seed=int(fixture["seed"])), assign=True)
    model.eval()
    pixels_BCHW = (
        torch.from_numpy(fixture["crops_BHWC"]).permute(0, 3, 1, 2).float().div(255).sub(0.5).div(0.5)
    )
    with torch.inference_mode():
        on_gpu = model.cuda()(pixels_BCHW.cuda()).cpu().numpy()
    on_gpu /= np.linalg.norm(on_gpu, axis=1, keepdims=True)
    expected = fixture["expected_B512"] / np.linalg.norm(fixture["expected_B512"], axis=1, keepdims=True)
    np.testing.assert_allclose(on_gpu, expected, atol=1e-3)  # TF32 convolutions on Ampere and later


def test_model_root_finds_the_checkpoint_in_a_consisid_download(ir18_checkpoint, tmp_path, dlib_backend):
    from ipvg.faces.curricularface_backend import HUB_FILE, weights_in

    download = tmp_path / "ConsisID-preview"
    (download / "face_encoder").mkdir(parents=True)
    (download / HUB_FILE).symlink_to(ir18_checkpoint)
    assert weights_in(download) == download / HUB_FILE
    assert weights_in(download / "face_encoder") == download / HUB_FILE
    backend = create_face_backend("curricularface", model_root=str(download), detector=dlib_backend)
    assert backend.model.num_layers == 18
