"""What weights a run needs, the preflight that lists them all before anything loads, and the
download plan (downloads themselves need internet: here the plan and the offline failure are tested)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipvg.config import get_preset
from ipvg.errors import ConfigError, IpvgError, UnknownBackendError, WeightsNotFoundError
from ipvg.models import (
    EVAL_TARGET,
    INSIGHTFACE_PACK,
    download_plan,
    eval_models,
    fetch,
    preflight,
    preset_models,
)

PAPER_5B_MODELS = {
    "Qwen/Qwen3-8B",
    INSIGHTFACE_PACK,
    "SG161222/RealVisXL_V4.0",
    "bytedance-research/HyperLoRA",
    "openai/clip-vit-large-patch14",
    "Wan-AI/Wan2.2-TI2V-5B-Diffusers",
}


@pytest.fixture(autouse=True)
def no_weights_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty Hugging Face cache and home: a machine without weights."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_preflight_lists_every_missing_weight_at_once_with_fixes_that_exist() -> None:
    """Wrong code caught: stopping at the first missing model (the user downloads, reruns, and meets
    the next one), or a fix naming an option no command has."""
    with pytest.raises(WeightsNotFoundError) as caught:
        preflight(get_preset("paper-5b"))
    line = caught.value.one_line()
    assert all(f"`{model}`" in line for model in PAPER_5B_MODELS), line
    assert "ipvg models download paper-5b" in line and "--preset tiny" in line
    assert "--set prompts.backend=rules" in line and "--set faces.backend=dlib" in line
    assert "--set temporal.model=PATH" in line and "--set spatial.model=PATH" in line
    assert caught.value.exit_code == 3


def test_preflight_checks_only_the_stages_a_command_runs() -> None:
    with pytest.raises(WeightsNotFoundError) as caught:
        preflight(get_preset("paper-5b"), ("temporal",))
    assert "Wan2.2-TI2V-5B" in caught.value.message and "Qwen" not in caught.value.message
    preflight(get_preset("tiny"))  # tiny models are built locally: nothing is missing


def test_preflight_names_an_unknown_backend_as_such() -> None:
    config = get_preset("tiny").with_overrides({"temporal.backend": "sora"})
    with pytest.raises(UnknownBackendError, match="sora"):
        preflight(config)


def test_a_local_model_folder_counts_as_present(tmp_path: Path) -> None:
    """A folder counts once it is a complete diffusers copy (wrong code caught: any existing path
    passes the preflight, and the half copy fails later, after other models have loaded)."""
    folder = tmp_path / "wan"
    folder.mkdir()
    config = get_preset("paper-5b").with_overrides({"temporal.model": str(folder)})
    assert not {row.model: row for row in preset_models(config)}[str(folder)].present
    (folder / "model_index.json").write_text("{}")
    rows = {row.model: row for row in preset_models(config)}
    assert rows[str(folder)].present and not rows["Qwen/Qwen3-8B"].present


def test_a_backend_option_replaces_its_companion_weight(tmp_path: Path) -> None:
    """`--option hyperlora=PATH` on keyframe: the preflight must not ask for the hub HyperLoRA."""
    hyper = tmp_path / "HyperLoRA"
    hyper.mkdir()
    config = get_preset("paper-5b")
    config = config.with_overrides({"spatial.options": (("hyperlora", str(hyper)),)})
    models = {row.model for row in preset_models(config, ("spatial",))}
    assert str(hyper) in models and "bytedance-research/HyperLoRA" not in models


def test_download_plan_of_a_preset_and_of_eval() -> None:
    plan = {item.model: item for item in download_plan("paper-5b")}
    assert set(plan) == PAPER_5B_MODELS
    assert plan[INSIGHTFACE_PACK].kind == "url-zip" and "non-commercial" in plan[INSIGHTFACE_PACK].licence
    assert "CC BY-NC" in plan["bytedance-research/HyperLoRA"].licence
    assert plan["Wan-AI/Wan2.2-TI2V-5B-Diffusers"].kind == "hub"
    evaluation = {item.model: item for item in download_plan(EVAL_TARGET)}
    assert set(evaluation) == {row.model for row in eval_models()}
    assert len(evaluation) == 7
    curricular = evaluation["BestWishYsh/ConsisID-preview"]
    assert curricular.kind == "hub-file" and curricular.filename.endswith("curricular_face_r101_backbone.bin")
    assert evaluation["amt-s.pth"].source == "lalala125/AMT" and evaluation["amt-s.pth"].dest.endswith("amt-s.pth")
    assert evaluation["inception (FID)"].source.startswith("https://github.com/mseitzer/pytorch-fid/")


def test_download_refuses_unknown_targets_and_fails_clearly_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="not a preset"):
        download_plan("bogus")
    assert [item.model for item in download_plan("owner/model")] == ["owner/model"]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for item in download_plan(EVAL_TARGET)[:2]:
        with pytest.raises(IpvgError, match="HF_HUB_OFFLINE"):
            fetch(item)


def test_backends_are_usable_only_with_their_weights() -> None:
    """Issue 14: `ipvg backends` said facesim-arc was usable without an insightface pack."""
    from ipvg.registry import registry

    usable = {(a.kind, a.name): a for a in registry.available()}
    assert not usable[("metrics", "facesim-arc")].usable
    assert any("insightface" in line for line in usable[("metrics", "facesim-arc")].missing)
    assert not usable[("faces", "insightface")].usable and usable[("faces", "dlib")].usable
    assert "ipvg models download eval" in usable[("faces", "curricularface")].missing[0]
