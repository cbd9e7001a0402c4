"""benchmarks/gpu.py (issue 18's one prepared GPU run) on the CPU smoke architectures: the code
that will run on the GPU runs here, so it cannot rot between GPU sessions. No timing is asserted.

Wrong code each test catches:
- the time guard ignored (a variant built and run with no budget left) or a skip not recorded;
- the JSON/markdown writer dropping rows, columns or the device line;
- a failing variant (missing kernel) stopping the section, or leaving diffusers' process-wide
  attention backend switched so that later variants fail too;
- the batched-CFG variant not going through ipvg's hook; FLOP-floor ratio or projection wrong;
- (slow) any section of the whole run failing on the smoke models;
- (slow) a real-size config or input shape that does not fit (checked on the meta device).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu.py"


@pytest.fixture(scope="module")
def gpu():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("gpu_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _results(gpu, tmp_path):
    return gpu.Results(
        tmp_path / "gpu.json", {"machine": {"gpu": "Test GPU"}, "peak_tflops": 100.0, "smoke": True}
    )


def test_writer_keeps_every_row_and_column(gpu, tmp_path):
    results = _results(gpu, tmp_path)
    results.add("wan22-ti2v-5b", "vanilla", s_per_step=2.0, s_per_video=100.0, tflops=500.0, x_floor=1.6)
    results.add("wan22-ti2v-5b", "attention=flash", note="error: flash-attn missing")
    results.write()
    payload = json.loads((tmp_path / "gpu.json").read_text())
    assert [row["variant"] for row in payload["rows"]] == ["vanilla", "attention=flash"]
    assert payload["peak_tflops"] == 100.0
    table = (tmp_path / "gpu.md").read_text()
    assert "Device: Test GPU" in table and "SMOKE" in table
    assert "| " + " | ".join(gpu.COLUMNS) + " |" in table
    assert "| wan22-ti2v-5b | vanilla | 2 | 100 | 500 | 1.6 |  |  |" in table
    assert "error: flash-attn missing" in table


def test_no_budget_skips_everything_without_building(gpu, tmp_path, monkeypatch):
    args = gpu.parse_args(["--smoke"])
    args.peak_tflops = 1.0
    monkeypatch.setattr(gpu, "WanStep", None)  # building a transformer would now raise
    results = _results(gpu, tmp_path)
    budget = gpu.Budget(0.0)
    variants = ["vanilla diffusers (native SDPA, 2 calls/step)", "batched CFG"]
    gpu.run_wan_section(results, budget, gpu.SMOKE_CASES["5b"], args, variants, {})
    assert [row["variant"] for row in results.rows] == variants
    assert all(row["note"].startswith("skipped: time budget") for row in results.rows)


@pytest.mark.parametrize("case", ["5b", "a14b"])
def test_wan_section_on_smoke_models(gpu, tmp_path, case):
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry

    args = gpu.parse_args(["--smoke"])
    args.peak_tflops = gpu.measured_peak_tflops("cpu")
    gpu.ATTENTION_DEFAULT[:] = [_AttentionBackendRegistry._active_backend]
    results = _results(gpu, tmp_path)
    variants = [
        "vanilla diffusers (native SDPA, 2 calls/step)",
        "attention=_native_cudnn",  # no cuDNN on a CPU: fails inside the forward pass
        "batched CFG",
        "ipvg lossless (best attention + batched CFG)",
    ]
    gpu.run_wan_section(results, gpu.Budget(300.0), gpu.SMOKE_CASES[case], args, variants, {})
    rows = {row["variant"]: row for row in results.rows}
    assert list(rows) == variants
    assert rows["attention=_native_cudnn"]["note"].startswith("error:")
    for name in (variants[0], variants[2], variants[3]):
        row = rows[name]
        assert row["s_per_step"] > 0, name
        assert row["s_per_video"] == pytest.approx(row["s_per_step"] * row["steps"])
        assert row["x_floor"] == pytest.approx(row["s_per_video"] / row["floor_s"])
    assert "batched-cfg" in rows["batched CFG"]["note"]
    assert "attention:native" in rows[variants[3]]["note"]  # the failed backend was not picked as best
    assert _AttentionBackendRegistry._active_backend == gpu.ATTENTION_DEFAULT[0]


@pytest.mark.slow
def test_whole_smoke_run(gpu, tmp_path):
    out = gpu.main(["--smoke", "--out", str(tmp_path / "gpu.json"), "--budget-s", "600"])
    payload = json.loads(out.read_text())
    sections = {row["section"] for row in payload["rows"]}
    assert {"sdxl first frame", "wan2.2 vae", "low-vram peak"} <= sections
    assert any(name.startswith("wan22-i2v-a14b") for name in sections)
    assert any(name.startswith("wan21-vace-14b") for name in sections)
    assert not [row for row in payload["rows"] if row["variant"] == "section failed"]
    assert set(payload["section_seconds"]) == {"5b", "sdxl", "vae", "lowvram", "a14b", "vace"}


@pytest.mark.slow  # 15-30 s each on the shared CPU; run `pytest -m slow tests/benchmarks` before a GPU session
@pytest.mark.parametrize("case", ["5b", "a14b", "vace"])
def test_real_size_steps_have_valid_shapes(gpu, case):
    """The GPU run's real-size transformers and inputs, on the meta device (shapes only, no memory,
    no compute): a wrong channel count, VACE control shape or batched-CFG concatenation would fail
    here instead of inside a 15-minute GPU session."""
    import torch

    from ipvg.runtime.batched_cfg import apply_batched_cfg

    step = gpu.WanStep(gpu.REAL_CASES[case], "meta", torch.bfloat16)
    config = gpu.REAL_CASES[case].config
    with torch.no_grad():
        (sample,) = step.transformer(encoder_hidden_states=step.text, **step.inputs)
        assert sample.shape[1] == config["out_channels"]
        assert sample.shape[2:] == step.inputs["hidden_states"].shape[2:]
        (hook,) = apply_batched_cfg(step.pipe, [("transformer", step.transformer)])
        step.pipe.encode_prompt()
        step.step(step.small)
        step.step()
    assert hook.num_batched_calls == 2


@pytest.mark.slow
def test_real_size_first_frame_and_decoders_have_valid_shapes(gpu):
    import torch
    from diffusers import AutoencoderKL, AutoencoderKLWan, UNet2DConditionModel
    from transformers import UMT5Config, UMT5EncoderModel

    def meta(*shape, dtype=torch.bfloat16):
        return torch.randn(*shape, device="meta", dtype=dtype)

    with torch.no_grad():
        unet = gpu.random_model(lambda: UNet2DConditionModel(**gpu.SDXL_UNET), "meta", torch.bfloat16)
        added = {"text_embeds": meta(2, 1280), "time_ids": meta(2, 6)}
        (noise,) = unet(
            meta(2, 4, 60, 104),
            500,
            encoder_hidden_states=meta(2, 77, 2048),
            added_cond_kwargs=added,
            return_dict=False,
        )
        assert noise.shape == (2, 4, 60, 104)
        vae = gpu.random_model(lambda: AutoencoderKL(**gpu.SDXL_VAE), "meta", torch.bfloat16)
        assert vae.decode(meta(1, 4, 60, 104), return_dict=False)[0].shape == (1, 3, 480, 832)
        wan_vae = gpu.random_model(lambda: AutoencoderKLWan(**gpu.WAN22_VAE), "meta", torch.float32)
        video = wan_vae.decode(meta(1, 48, 31, 44, 80, dtype=torch.float32), return_dict=False)[0]
        assert video.shape == (1, 3, 121, 704, 1280)
        encoder = gpu.random_model(
            lambda: UMT5EncoderModel(UMT5Config(**gpu.UMT5_XXL)), "meta", torch.bfloat16
        )
        assert encoder(
            input_ids=torch.zeros(2, 512, dtype=torch.long, device="meta")
        ).last_hidden_state.shape == (2, 512, 4096)
