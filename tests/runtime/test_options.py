"""Runtime options: each one that can run on a CPU is exercised on a tiny Wan pipeline; the
others must refuse clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ipvg.config import LoraConfig, RuntimeConfig, TemporalConfig
from ipvg.errors import RuntimeOptionError
from ipvg.runtime import MemoryMeter, resolve_device, resolve_dtype
from ipvg.temporal import create_temporal_backend
from ipvg.testing.wan import build_wan_lora

PROMPT = "A woman turns her head and smiles"


def run(runtime: RuntimeConfig, name: str = "wan22-ti2v-5b", steps: int = 2):
    config = TemporalConfig(
        backend=name, model=f"ipvg-tiny:{name}", height=64, width=96, num_frames=5, num_inference_steps=steps
    )
    backend = create_temporal_backend(config, runtime)
    image = Image.new("RGB", (96, 64), (120, 90, 60))
    return backend, backend.animate(image, PROMPT, seed=1)


@pytest.fixture(scope="module")
def baseline():
    return run(RuntimeConfig(device="cpu", dtype="float32"))[1].video.frames_FHWC


def test_fp8_storage_keeps_weights_in_float8(baseline):
    backend, output = run(RuntimeConfig(device="cpu", dtype="float32", fp8_storage=True))
    weight = backend.pipe.transformer.blocks[0].attn1.to_q.weight
    assert weight.dtype == torch.float8_e4m3fn
    assert "fp8-storage" in output.models["runtime"]["applied"]
    assert output.video.frames_FHWC.shape == baseline.shape


@pytest.mark.parametrize("cache", ["first-block", "taylorseer"])
def test_caches_apply_and_run(cache):
    backend, output = run(
        RuntimeConfig(device="cpu", dtype="float32", cache=cache, cache_threshold=0.2), steps=4
    )
    assert any(item.startswith(f"cache:{cache}") for item in output.models["runtime"]["applied"])
    assert backend.pipe.transformer.is_cache_enabled
    assert output.video.frames_FHWC.shape == (5, 64, 96, 3)


def test_cache_applies_to_both_experts():
    backend, _ = run(RuntimeConfig(device="cpu", dtype="float32", cache="first-block"), name="wan22-i2v-a14b")
    assert backend.pipe.transformer.is_cache_enabled and backend.pipe.transformer_2.is_cache_enabled


def test_faster_cache_on_wan_refuses_before_denoising():
    """The Python API path (the CLI's preflight refuses earlier). Wrong code caught: enabling
    FasterCache on a Wan pipeline, which raised an IndexError inside diffusers' hook mid-run."""
    with pytest.raises(RuntimeOptionError, match="runtime.cache=faster does not work with Wan"):
        run(RuntimeConfig(device="cpu", dtype="float32", cache="faster"))


def test_magcache_without_calibration_refuses():
    with pytest.raises(RuntimeOptionError, match="calibrat"):
        run(RuntimeConfig(device="cpu", dtype="float32", cache="mag"))


def test_magcache_with_ratios_runs():
    _, output = run(
        RuntimeConfig(device="cpu", dtype="float32", cache="mag", mag_calibration=(1.0, 0.99, 0.98, 0.97)),
        steps=4,
    )
    assert any(item.startswith("cache:mag") for item in output.models["runtime"]["applied"])


def test_native_attention_backend_matches_default(baseline):
    _, output = run(RuntimeConfig(device="cpu", dtype="float32", attention_backend="native"))
    np.testing.assert_allclose(output.video.frames_FHWC.astype(int), baseline.astype(int), atol=2)


def test_unusable_attention_backend_refuses():
    with pytest.raises(RuntimeOptionError, match="flash"):
        run(RuntimeConfig(device="cpu", dtype="float32", attention_backend="flash"))


def test_vae_tiling_applies():
    backend, output = run(RuntimeConfig(device="cpu", dtype="float32", vae_tiling=True))
    assert backend.pipe.vae.use_tiling and "vae-tiling" in output.models["runtime"]["applied"]


def test_regional_compile_wraps_repeated_blocks():
    from ipvg.runtime.options import AppliedOptions, apply_compile

    backend, _ = run(RuntimeConfig(device="cpu", dtype="float32"))
    applied = AppliedOptions(device="cpu", dtype="float32")
    apply_compile(backend.pipe, RuntimeConfig(compile=True), applied, ("transformer",))
    assert applied.applied == ["compile:regional"]
    assert all(block._compiled_call_impl is not None for block in backend.pipe.transformer.blocks)


def test_lora_scale_changes_output_and_zero_scale_does_not(tmp_path, baseline):
    lora = build_wan_lora(tmp_path / "lora.safetensors")
    _, strong = run(
        RuntimeConfig(device="cpu", dtype="float32", loras=(LoraConfig(path=str(lora), scale=1.0),))
    )
    _, zero = run(
        RuntimeConfig(device="cpu", dtype="float32", loras=(LoraConfig(path=str(lora), scale=0.0),))
    )
    assert "lora:lora_0@1.0" in strong.models["runtime"]["applied"]
    assert np.abs(strong.video.frames_FHWC.astype(int) - baseline.astype(int)).max() > 2
    np.testing.assert_allclose(zero.video.frames_FHWC.astype(int), baseline.astype(int), atol=1)


def test_missing_lora_refuses(tmp_path):
    with pytest.raises(RuntimeOptionError, match="LoRA"):
        run(
            RuntimeConfig(
                device="cpu", dtype="float32", loras=(LoraConfig(path=str(tmp_path / "none.safetensors")),)
            )
        )


@pytest.mark.parametrize("offload", ["model", "group", "sequential"])
def test_offload_on_cpu_refuses(offload):
    with pytest.raises(RuntimeOptionError, match="GPU"):
        run(RuntimeConfig(device="cpu", dtype="float32", offload=offload))


def test_context_parallel_refuses_without_gpus():
    with pytest.raises(RuntimeOptionError, match="Context parallelism"):
        run(RuntimeConfig(device="cpu", dtype="float32", ulysses_degree=2))


def test_float16_on_cpu_refuses():
    with pytest.raises(RuntimeOptionError, match="float16"):
        run(RuntimeConfig(device="cpu", dtype="float16"))


def test_device_and_dtype_resolution():
    assert resolve_device(RuntimeConfig(device="cpu")).type == "cpu"
    assert resolve_dtype(RuntimeConfig(device="cpu"), torch.device("cpu")) == torch.float32
    assert resolve_dtype(RuntimeConfig(dtype="bfloat16"), torch.device("cpu")) == torch.bfloat16
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeOptionError, match="CUDA"):
            resolve_device(RuntimeConfig(device="cuda"))


def test_memory_meter_measures():
    with MemoryMeter(torch.device("cpu")) as meter:
        torch.ones(1000, 1000).sum()
    assert meter.seconds > 0 and meter.peak_memory_mb > 10


def test_magcache_calibration_records_ratios_that_a_cached_run_accepts():
    _, calibration = run(RuntimeConfig(device="cpu", dtype="float32", cache="mag-calibrate"), steps=4)
    stage = next(s for s in calibration.stages if s.name == "temporal.denoise_decode")
    ratios = stage.extra["mag_ratios"]
    assert len(ratios) == 4 and all(r > 0 for r in ratios)
    assert any("runtime.mag_calibration=" in w for w in calibration.warnings)
    from ipvg.config import get_preset

    text = next(w for w in calibration.warnings if "mag_calibration=" in w).split("runtime.mag_calibration=")[1]
    config = get_preset("tiny").with_overrides({"runtime.cache": "mag", "runtime.mag_calibration": text})
    assert config.runtime.mag_calibration == pytest.approx(tuple(ratios), abs=1e-5)
    _, cached = run(config.runtime, steps=4)
    assert cached.video.frames_FHWC.shape == (5, 64, 96, 3)


def test_magcache_refuses_two_experts():
    with pytest.raises(RuntimeOptionError, match="two-expert"):
        run(RuntimeConfig(device="cpu", dtype="float32", cache="mag-calibrate"), name="wan22-i2v-a14b")
