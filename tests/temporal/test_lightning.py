"""The `fast` preset: Wan2.2 I2V-A14B + Wan2.2-Lightning 4-step LoRAs, run on the tiny A14B model
with a tiny LoRA in the released files' format (lightx2v keys `diffusion_model.blocks.N.*.lora_down
/lora_up/alpha`), loaded through diffusers' own conversion, one file per expert.

Wrong code each test catches:
- recipe typos (steps, guidance, shift, boundary, size) or LoRA files swapped between experts;
- a multistep/corrected sampler instead of the distillation's Euler steps, or the wrong sigmas;
- a LoRA loaded into both experts, into the wrong one, or with alpha/rank ignored;
- classifier-free guidance left on (16 passes instead of 4);
- a `fast` run without its LoRAs silently sampling the base model in 4 steps;
- `ipvg models download fast` fetching the whole Lightning repository or missing a LoRA file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from PIL import Image

from ipvg.config import LIGHTNING_I2V_FOLDER, LIGHTNING_REPO, LoraConfig, RuntimeConfig, get_preset
from ipvg.errors import IpvgError, RuntimeOptionError
from ipvg.temporal import create_temporal_backend

RANK, ALPHA = 4, 2.0  # alpha/rank = 0.5, so a loader that ignores alpha is off by 2x
TRAINING_SIGMAS = [1.0, 0.9375, 5 / 6, 0.625]  # Wan2.2-Lightning issue #3: t = 1000, 937.5, 833.3, 625


def _tiny_lightning_file(path: Path, transformer: torch.nn.Module, seed: int) -> None:
    """A LoRA for every attention and feed-forward linear of each block, in lightx2v's key names."""
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(seed)
    names = {"attn1": "self_attn", "attn2": "cross_attn"}
    projections = {"to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "o"}
    tensors = {}
    for index, block in enumerate(transformer.blocks):
        layers = {f"{names[a]}.{projections[p]}": block.get_submodule(f"{a}.{p}") for a in names for p in projections}
        layers |= {"ffn.0": block.ffn.net[0].proj, "ffn.2": block.ffn.net[2]}
        for key, layer in layers.items():
            prefix = f"diffusion_model.blocks.{index}.{key}"
            tensors[f"{prefix}.lora_down.weight"] = torch.randn(RANK, layer.in_features, generator=generator)
            tensors[f"{prefix}.lora_up.weight"] = torch.randn(layer.out_features, RANK, generator=generator)
            tensors[f"{prefix}.alpha"] = torch.tensor(ALPHA)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path))


@pytest.fixture(scope="module")
def tiny_lightning(tmp_path_factory) -> Path:
    """A local folder laid out like the hub repository (same sub-folder and file names)."""
    from diffusers import WanTransformer3DModel

    from ipvg.testing import ensure_tiny_model

    model = ensure_tiny_model("wan22-i2v-a14b")
    folder = tmp_path_factory.mktemp("lightning")
    for seed, (expert, name) in enumerate(
        (("transformer", "high_noise_model"), ("transformer_2", "low_noise_model"))
    ):
        transformer = WanTransformer3DModel.from_pretrained(model, subfolder=expert)
        _tiny_lightning_file(folder / LIGHTNING_I2V_FOLDER / f"{name}.safetensors", transformer, seed)
    return folder


def _fast_backend(lora_folder: Path | None, **runtime_overrides: object):
    """The `fast` preset's temporal backend on the tiny A14B, with the preset's runtime options
    (the hub LoRA repository replaced by the local tiny one)."""
    preset = get_preset("fast")
    loras = tuple(dataclasses.replace(lora, path=str(lora_folder)) for lora in preset.runtime.loras)
    runtime = dataclasses.replace(
        preset.runtime, device="cpu", dtype="float32", loras=loras if lora_folder else (), **runtime_overrides
    )
    temporal = dataclasses.replace(
        preset.temporal, model="ipvg-tiny:wan22-i2v-a14b", height=64, width=96, num_frames=9
    )
    return create_temporal_backend(temporal, runtime)


def test_fast_preset_is_the_lightning_recipe():
    preset = get_preset("fast")
    assert preset.temporal.backend == "wan22-i2v-a14b-lightning"
    settings = create_temporal_backend(preset.temporal, preset.runtime).resolve_settings()
    assert (settings.num_inference_steps, settings.guidance_scale, settings.guidance_scale_2) == (4, 1.0, 1.0)
    assert (settings.flow_shift, settings.boundary_ratio) == (5.0, 0.9)
    assert (settings.width, settings.height, settings.num_frames, settings.fps) == (1280, 720, 81, 16.0)
    high, low = preset.runtime.loras
    assert high.path == low.path == LIGHTNING_REPO == "lightx2v/Wan2.2-Lightning"
    assert high.weight_name == "Wan2.2-I2V-A14B-4steps-lora-rank64-Seko-V1/high_noise_model.safetensors"
    assert low.weight_name == "Wan2.2-I2V-A14B-4steps-lora-rank64-Seko-V1/low_noise_model.safetensors"
    assert (high.target, low.target, high.scale, low.scale) == ("transformer", "transformer_2", 1.0, 1.0)
    assert "issue #13" in preset.description  # slower motion is said where the preset is described


def test_fast_preset_round_trips_through_its_record():
    preset = get_preset("fast")
    assert type(preset).from_dict(preset.to_dict()) == preset


def test_tiny_run_with_the_preset_runtime(tiny_lightning):
    backend = _fast_backend(tiny_lightning)
    backend.load()
    pipe = backend.pipe
    # Each expert holds exactly its own file's adapter.
    assert set(pipe.transformer.peft_config) == {"lightning_high_noise"}
    assert set(pipe.transformer_2.peft_config) == {"lightning_low_noise"}
    # Sampler: first-order Euler on the distillation's shifted sigmas, two steps per expert.
    scheduler = pipe.scheduler
    scheduler.set_timesteps(4)
    torch.testing.assert_close(scheduler.sigmas[:4], torch.tensor(TRAINING_SIGMAS), atol=2e-3, rtol=0)
    assert float(scheduler.sigmas[-1]) == 0.0
    boundary = 0.9 * scheduler.config.num_train_timesteps
    assert [bool(t >= boundary) for t in scheduler.timesteps] == [True, True, False, False]
    sample, velocities = torch.randn(1, 4), [torch.randn(1, 4) for _ in range(4)]
    expected = sample.clone()
    scheduler.set_timesteps(4)
    for index, timestep in enumerate(scheduler.timesteps):
        sample = scheduler.step(velocities[index], timestep, sample).prev_sample
        expected = expected + (scheduler.sigmas[index + 1] - scheduler.sigmas[index]) * velocities[index]
    torch.testing.assert_close(sample, expected, atol=1e-5, rtol=1e-5)
    # One pass per step (no guidance), and the video comes out.
    calls = {"transformer": 0, "transformer_2": 0}
    for name in calls:
        getattr(pipe, name).register_forward_pre_hook(
            lambda *_a, n=name: calls.__setitem__(n, calls[n] + 1)
        )
    image = Image.new("RGB", (96, 64), (150, 110, 90))
    output = backend.animate(image, "A woman waves", seed=0)
    assert calls == {"transformer": 2, "transformer_2": 2}
    assert output.video.frames_FHWC.shape == (9, 64, 96, 3)
    assert output.settings.num_inference_steps == 4
    assert any(entry.startswith("lora:") for entry in output.models["runtime"]["applied"])


def test_lightning_lora_scaled_like_the_official_merge(tiny_lightning):
    """ModelTC's loader adds alpha/rank * up @ down to the weight; diffusers' conversion must match."""
    from safetensors.torch import load_file

    backend = _fast_backend(tiny_lightning)
    backend.load()
    layer = backend.pipe.transformer_2.blocks[1].attn1.to_q
    state = load_file(str(tiny_lightning / LIGHTNING_I2V_FOLDER / "low_noise_model.safetensors"))
    prefix = "diffusion_model.blocks.1.self_attn.q"
    delta = ALPHA / RANK * state[f"{prefix}.lora_up.weight"] @ state[f"{prefix}.lora_down.weight"]
    x = torch.randn(3, layer.in_features)
    expected = torch.nn.functional.linear(x, layer.base_layer.weight + delta, layer.base_layer.bias)
    with torch.no_grad():
        torch.testing.assert_close(layer(x), expected, atol=1e-4, rtol=1e-4)


def test_lightning_without_loras_refused():
    backend = _fast_backend(None)
    with pytest.raises(IpvgError, match="distillation") as caught:
        backend.load()
    assert "--preset fast" in caught.value.one_line()


def test_expert_lora_on_single_expert_model_refused(tiny_lightning):
    lora = LoraConfig(path=str(tiny_lightning), weight_name="x.safetensors", target="transformer_2")
    config = dataclasses.replace(get_preset("tiny").temporal, model="ipvg-tiny:wan22-ti2v-5b")
    backend = create_temporal_backend(config, RuntimeConfig(device="cpu", dtype="float32", loras=(lora,)))
    with pytest.raises(RuntimeOptionError, match="transformer_2"):
        backend.load()


def test_models_download_fast_fetches_the_two_lora_files_only():
    from ipvg.models import download_plan, preset_models

    rows = [row for row in preset_models(get_preset("fast")) if row.stage == "runtime"]
    assert [row.model for row in rows] == [f"{LIGHTNING_REPO}/{lora.weight_name}" for lora in get_preset("fast").runtime.loras]
    plan = {item.model: item for item in download_plan("fast")}
    for row in rows:
        if not row.present:
            item = plan[row.model]
            assert (item.kind, item.source) == ("hub-file", LIGHTNING_REPO)
            assert item.filename.startswith(LIGHTNING_I2V_FOLDER + "/")
    assert not any(item.kind == "hub" and item.source == LIGHTNING_REPO for item in plan.values())
