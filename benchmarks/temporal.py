"""Video-stage speed and memory: vanilla diffusers vs ipvg's runtime options, in one run.

    python benchmarks/temporal.py --size tiny          # CPU: tiny Wan2.2 TI2V model, full pipeline calls
    python benchmarks/temporal.py --size real          # GPU: real-size Wan2.2 TI2V-5B transformer, random weights

`tiny` times whole `animate` calls (load excluded) of the tiny random model: vanilla
`WanImageToVideoPipeline` with diffusers defaults against ipvg's backend with each option alone and
combined. `real` builds the released 5B (or `--model a14b`) transformer architecture with random
weights (speed does not depend on weight values), times transformer steps at the official size,
and compares them with the FLOP floor and the GPU's measured bf16 matmul rate.
Results: benchmarks/results/temporal-<size>.json and .md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, time_call, write_results

from ipvg.config import RuntimeConfig, TemporalConfig
from ipvg.runtime.flops import video_tokens, wan_forward_flops, wan_shape

REAL_CONFIGS = {
    # Released transformer configs (Wan-AI/*-Diffusers transformer/config.json).
    "5b": {
        "patch_size": [1, 2, 2],
        "num_attention_heads": 24,
        "attention_head_dim": 128,
        "in_channels": 48,
        "out_channels": 48,
        "text_dim": 4096,
        "freq_dim": 256,
        "ffn_dim": 14336,
        "num_layers": 30,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "eps": 1e-6,
        "rope_max_seq_len": 1024,
    },
    "a14b": {
        "patch_size": [1, 2, 2],
        "num_attention_heads": 40,
        "attention_head_dim": 128,
        "in_channels": 36,
        "out_channels": 16,
        "text_dim": 4096,
        "freq_dim": 256,
        "ffn_dim": 13824,
        "num_layers": 40,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "eps": 1e-6,
        "rope_max_seq_len": 1024,
    },
}
# A scaled-down architecture that runs the same code on a CPU, to check the script itself.
REAL_CONFIGS["smoke"] = REAL_CONFIGS["5b"] | {
    "num_attention_heads": 2,
    "attention_head_dim": 32,
    "ffn_dim": 128,
    "num_layers": 2,
    "text_dim": 64,
}
REAL_SIZES = {  # frames, height, width, VAE factor, steps
    "5b": (121, 704, 1280, 16, 50),
    "a14b": (81, 720, 1280, 8, 40),
    "smoke": (9, 64, 96, 16, 2),
}

TINY_VARIANTS: dict[str, RuntimeConfig] = {
    "ipvg default": RuntimeConfig(device="cpu", dtype="float32"),
    "fp8 storage": RuntimeConfig(device="cpu", dtype="float32", fp8_storage=True),
    "first-block cache (output changes)": RuntimeConfig(
        device="cpu", dtype="float32", cache="first-block", cache_threshold=0.1
    ),
    "taylorseer cache (output changes)": RuntimeConfig(device="cpu", dtype="float32", cache="taylorseer"),
    "vae tiling": RuntimeConfig(device="cpu", dtype="float32", vae_tiling=True),
    "combined": RuntimeConfig(
        device="cpu", dtype="float32", cache="first-block", cache_threshold=0.1, vae_tiling=True
    ),
}


def bench_tiny(repeats: int, steps: int) -> dict[str, Any]:
    from diffusers import WanImageToVideoPipeline

    from ipvg.temporal import create_temporal_backend
    from ipvg.testing import ensure_tiny_model

    folder = ensure_tiny_model("wan22-ti2v-5b")
    image = Image.new("RGB", (96, 64), (128, 100, 80))
    prompt = "A woman turns her head and smiles"
    size = {"height": 64, "width": 96, "num_frames": 17, "num_inference_steps": steps}
    vanilla = WanImageToVideoPipeline.from_pretrained(folder, dtype=torch.float32)
    vanilla.set_progress_bar_config(disable=True)
    calls = {
        "vanilla diffusers": lambda: vanilla(
            image=image, prompt=prompt, generator=torch.Generator().manual_seed(0), **size
        )
    }
    config = TemporalConfig(backend="wan22-ti2v-5b", model=str(folder), **size)
    for name, runtime in TINY_VARIANTS.items():
        backend = create_temporal_backend(config, runtime)
        backend.load()
        calls[name] = lambda b=backend: b.animate(image, prompt, seed=0)
    # Round-robin over variants so that load from other processes spreads evenly across them.
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        call()  # warm-up
    for _ in range(repeats):
        for name, call in calls.items():
            samples[name].append(time_call(call, repeats=1, warmup=0)["median_s"])
    rows = [
        {"variant": name, "median_s": float(np.median(values)), "min_s": min(values), "max_s": max(values)}
        for name, values in samples.items()
    ]
    base = rows[0]["median_s"]
    for row in rows:
        row["speedup_vs_vanilla"] = base / row["median_s"]
    return {
        "size": "tiny",
        "machine": machine(),
        "steps": steps,
        "repeats": repeats,
        "rows": rows,
        "note": "tiny random models on CPU: measures ipvg's overhead and the options' mechanics, not real-size speed",
        "summary": {row["variant"]: round(row["median_s"], 4) for row in rows},
    }


def measured_bf16_tflops(n: int = 8192, repeats: int = 10) -> float:
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    result = time_call(lambda: a @ b, repeats=repeats, warmup=3)
    return 2 * n**3 / result["median_s"] / 1e12


def measured_cpu_tflops(n: int = 1024, repeats: int = 5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / time_call(lambda: a @ b, repeats=repeats, warmup=1)["median_s"] / 1e12


def bench_real(model: str, repeats: int, attention_backends: list[str], compile_: bool) -> dict[str, Any]:
    from diffusers import WanTransformer3DModel

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu" and model != "smoke":
        raise SystemExit(
            "--size real needs a CUDA GPU (it builds the full-size transformer); --model smoke runs on a CPU."
        )
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    config = REAL_CONFIGS[model]
    frames, height, width, vae_factor, steps = REAL_SIZES[model]
    with torch.device("meta"):
        transformer = WanTransformer3DModel(**config)
    transformer = transformer.to_empty(device=device).to(dtype).eval()
    # As from_pretrained does: norms, time embedding and RoPE stay in float32.
    keep = set(getattr(transformer, "_keep_in_fp32_modules", None) or [])
    for name, module in transformer.named_modules():
        if keep & set(name.split(".")):
            module.float()
    with torch.no_grad():
        for parameter in transformer.parameters():
            parameter.normal_(0.0, 0.02)
    latent_frames = (frames - 1) // 4 + 1
    latent_channels = 48 if model == "5b" else 16
    hidden = torch.randn(
        1,
        config["in_channels"],
        latent_frames,
        height // vae_factor,
        width // vae_factor,
        device=device,
        dtype=dtype,
    )
    text = torch.randn(1, 512, config["text_dim"], device=device, dtype=dtype)
    timestep = torch.tensor([500.0], device=device)
    seq_len = video_tokens(frames, height, width, vae_spatial=vae_factor)
    flops = wan_forward_flops(wan_shape(config), seq_len)
    peak_tflops = measured_bf16_tflops() if device == "cuda" else measured_cpu_tflops()
    rows = []

    def forward() -> None:
        with torch.no_grad():
            transformer(
                hidden_states=hidden, timestep=timestep, encoder_hidden_states=text, return_dict=False
            )

    for backend in attention_backends:
        try:
            transformer.set_attention_backend(backend)
        except Exception as error:  # report and continue: a missing kernel is a result too
            rows.append({"variant": f"attention={backend}", "error": str(error)[:200]})
            continue
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        result = time_call(forward, repeats=repeats, warmup=2)
        rows.append(
            {
                "variant": f"attention={backend}",
                **_summary(result),
                "peak_gb": torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None,
            }
        )
    if compile_:
        transformer.set_attention_backend("native")
        transformer.compile_repeated_blocks(fullgraph=True)
        result = time_call(forward, repeats=repeats, warmup=2)
        rows.append({"variant": "attention=native + regional compile", **_summary(result)})
    for row in rows:
        if "median_s" in row:
            row["tflops_achieved"] = flops / row["median_s"] / 1e12
            row["fraction_of_measured_peak"] = row["tflops_achieved"] / peak_tflops
            row["projected_denoise_s_with_cfg"] = row["median_s"] * 2 * steps
    floor = flops * 2 * steps / (peak_tflops * 1e12)
    return {
        "size": "real",
        "model": model,
        "machine": machine(),
        "seq_len": seq_len,
        "latent_channels": latent_channels,
        "forward_tflop": flops / 1e12,
        "denoise_pflop_with_cfg": flops * 2 * steps / 1e15,
        "measured_bf16_tflops": peak_tflops,
        "floor_denoise_s": floor,
        "rows": rows,
        "summary": {"floor_s": floor, "rows": rows},
    }


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    return {"median_s": result["median_s"], "min_s": result["min_s"], "max_s": result["max_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=["tiny", "real"], default="tiny")
    parser.add_argument("--model", choices=list(REAL_CONFIGS), default="5b")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument(
        "--attention",
        nargs="*",
        default=["native", "_native_cudnn", "_native_flash", "flash", "_flash_3", "sage"],
    )
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    np.random.seed(0)
    torch.manual_seed(0)
    if args.size == "tiny":
        payload = bench_tiny(args.repeats, args.steps)
    else:
        payload = bench_real(args.model, args.repeats, args.attention, args.compile)
    write_results(
        f"temporal-{args.size}" + ("" if args.size == "tiny" else f"-{args.model}"),
        payload,
        payload["rows"],
        args.out,
    )


if __name__ == "__main__":
    main()
