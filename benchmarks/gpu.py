"""Issue 18's GPU measurements in one short run (under 8 minutes on one H100): run by gpu.sh.

    python benchmarks/gpu.py                 # CUDA, real sizes, random weights; budget 450 s
    python benchmarks/gpu.py --smoke         # CPU, scaled-down architectures: checks the script itself

Sections, in order of importance, each with its own time guard (a measurement is skipped, and
says so, when its estimated cost does not fit what is left of the section or of the whole run;
a section that fails records its error and the run goes on):
1. `wan22-ti2v-5b`: the real-size transformer at 1280x704x121: vanilla diffusers (native SDPA, the
   pipeline's two calls per step), each option alone (attention backends native/_native_cudnn/
   flash/_flash_3/sage, batched CFG, regional compile, fp8 storage, First-Block cache), and ipvg's
   fastest output-preserving combination (best attention + batched CFG + compile);
2. the SDXL first frame at 832x480: UNet steps (CFG batch 2), 20 steps x 3 candidates + the face
   pass (10 steps at 1024x1024) + VAE decodes/encodes, projected from measured parts;
3. Wan VAE decodes: Wan2.2's (TI2V-5B, 1280x704x121) plain and tiled;
4. peak GPU memory of the `low-vram` preset's 5B path (model CPU offload: one component on the GPU
   at a time, so the peak is the largest of UMT5-XXL encoding, a transformer step, a tiled decode);
5. `wan22-i2v-a14b` at 1280x720x81 (one expert; both have the same architecture): vanilla, the
   combination, then options alone while time remains;
6. `wan21-vace-14b` (WanVACETransformer3DModel, 14B config) at 1280x720x81: vanilla and the combination.

Every row: seconds per denoising step (both guidance passes), projected seconds per video
(x the recipe's steps), achieved TFLOP/s (runtime/flops.py's matmul count / time) and the ratio of
the projection to the FLOP floor (the recipe's FLOPs at this GPU's measured bf16 matmul rate).
Weights are random: speed and memory do not depend on their values, but a cache's skip rate does,
so the cache row's speed is NOT representative of real weights. Writes gpu-<device>.json and .md
under benchmarks/results/ after every section (a killed run keeps what it measured).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, machine, markdown_table, synchronize

from ipvg.runtime.flops import WanShape, video_tokens, wan_forward_flops, wan_shape
from temporal import REAL_CONFIGS

COLUMNS = ["section", "variant", "s_per_step", "s_per_video", "tflops", "x_floor", "peak_gb", "note"]
ATTENTION_BACKENDS = ["native", "_native_cudnn", "_native_flash", "flash", "_flash_3", "sage"]
ATTENTION_DEFAULT: list[Any] = []  # diffusers' process-wide default attention backend, read at start
VACE_14B = REAL_CONFIGS["a14b"] | {
    "in_channels": 16,
    "vace_layers": [0, 5, 10, 15, 20, 25, 30, 35],
    "vace_in_channels": 96,
}


@dataclass(frozen=True)
class WanCase:
    """One video model's real-size step: architecture, size, recipe steps, VAE factor."""

    name: str
    config: dict[str, Any]
    frames: int
    height: int
    width: int
    vae_spatial: int
    steps: int
    vace: bool = False
    # 14B models (~20 s a step on an H100): warm up on a small input, then time one full call (one
    # pass, doubled for the two guidance passes; or the batched call) instead of whole steps.
    quick: bool = False


REAL_CASES = {
    "5b": WanCase("wan22-ti2v-5b", REAL_CONFIGS["5b"], 121, 704, 1280, 16, 50),
    "a14b": WanCase("wan22-i2v-a14b", REAL_CONFIGS["a14b"], 81, 720, 1280, 8, 40, quick=True),
    "vace": WanCase("wan21-vace-14b", VACE_14B, 81, 720, 1280, 8, 50, vace=True, quick=True),
}
_SMOKE_WAN = REAL_CONFIGS["smoke"]
SMOKE_CASES = {
    "5b": WanCase("wan22-ti2v-5b (smoke)", _SMOKE_WAN, 9, 64, 96, 16, 50),
    "a14b": WanCase(
        "wan22-i2v-a14b (smoke)",
        _SMOKE_WAN | {"in_channels": 36, "out_channels": 16},
        9,
        32,
        48,
        8,
        40,
        quick=True,
    ),
    "vace": WanCase(
        "wan21-vace-14b (smoke)",
        _SMOKE_WAN | {"in_channels": 16, "out_channels": 16, "vace_layers": [0], "vace_in_channels": 96},
        9,
        32,
        48,
        8,
        50,
        vace=True,
        quick=True,
    ),
}
SDXL_UNET = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "block_out_channels": (320, 640, 1280),
    "layers_per_block": 2,
    "attention_head_dim": (5, 10, 20),
    "transformer_layers_per_block": (1, 2, 10),
    "cross_attention_dim": 2048,
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
}
SDXL_VAE = {
    "block_out_channels": (128, 256, 512, 512),
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "latent_channels": 4,
    "layers_per_block": 2,
    "sample_size": 1024,
}
WAN22_VAE = {  # Wan-AI/Wan2.2-TI2V-5B-Diffusers vae/config.json (latent statistics left at defaults)
    "base_dim": 160,
    "decoder_base_dim": 256,
    "z_dim": 48,
    "dim_mult": [1, 2, 4, 4],
    "num_res_blocks": 2,
    "temperal_downsample": [False, True, True],
    "is_residual": True,
    "in_channels": 12,
    "out_channels": 12,
    "patch_size": 2,
    "scale_factor_spatial": 16,
    "latents_mean": [0.0] * 48,
    "latents_std": [1.0] * 48,
}
UMT5_XXL = {  # google/umt5-xxl encoder (Wan's text encoder)
    "vocab_size": 256384,
    "d_model": 4096,
    "d_kv": 64,
    "d_ff": 10240,
    "num_layers": 24,
    "num_heads": 64,
    "feed_forward_proj": "gated-gelu",
    "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128,
}


# --- budget and results ----------------------------------------------------------------------


class Budget:
    """Wall-clock guard: the whole run and each section get a share; nothing starts that would not fit."""

    def __init__(self, total_s: float) -> None:
        self.start = time.perf_counter()
        self.total_s = total_s
        self.section_end = self.start + total_s

    def left(self) -> float:
        now = time.perf_counter()
        return min(self.start + self.total_s, self.section_end) - now

    @contextlib.contextmanager
    def section(self, seconds: float) -> Iterator[None]:
        self.section_end = time.perf_counter() + seconds
        try:
            yield
        finally:
            self.section_end = self.start + self.total_s

    def fits(self, estimate_s: float) -> bool:
        return estimate_s <= self.left()


@dataclass
class Results:
    """Rows plus run facts, written to JSON and markdown after every section."""

    path: Path
    facts: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, section: str, variant: str, **values: Any) -> dict[str, Any]:
        row = {"section": section, "variant": variant} | values
        self.rows.append(row)
        shown = {k: v for k, v in row.items() if k in COLUMNS and v is not None}
        print(json.dumps(shown, default=str), flush=True)
        return row

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = self.facts | {"rows": self.rows}
        self.path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        self.path.with_suffix(".md").write_text(self.markdown() + "\n")

    def markdown(self) -> str:
        header = [
            f"Device: {self.facts['machine'].get('gpu', 'CPU')}; measured bf16 matmul "
            f"{self.facts['peak_tflops']:.3g} TFLOP/s; "
            f"{'SMOKE (scaled-down models)' if self.facts['smoke'] else 'real sizes'}, "
            "random weights.",
            "",
        ]
        return "\n".join(header) + markdown_table(self.rows, COLUMNS)


# --- building models with random weights --------------------------------------------------------


@contextlib.contextmanager
def _default(device: str, dtype: torch.dtype) -> Iterator[None]:
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)


def random_model(factory: Callable[[], torch.nn.Module], device: str, dtype: torch.dtype) -> torch.nn.Module:
    """Build directly on `device` in `dtype` (no float32 copy of a 14B model), then put the modules
    that from_pretrained keeps in float32 (Wan's norms and time embedding) back to float32."""
    with _default(device, dtype):
        model = factory().eval()
    keep = set(getattr(model, "_keep_in_fp32_modules", None) or [])
    for name, parameter in model.named_parameters():  # names such as `scale_shift_table` are parameters
        if keep & set(name.split(".")):
            parameter.data = parameter.data.float()
    return model.requires_grad_(False)


def free() -> None:
    """Collect dropped models (hook registries make reference cycles) and return cached GPU memory."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def peak_gb(device: str) -> float | None:
    return torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None


def reset_peak(device: str) -> None:
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def timed(function: Callable[[], Any], repeats: int) -> float:
    """Median seconds of `repeats` calls (the caller warms up)."""
    samples = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        with torch.no_grad():
            function()
        synchronize()
        samples.append(time.perf_counter() - start)
    return sorted(samples)[len(samples) // 2]


def measured_peak_tflops(device: str) -> float:
    n, dtype = (8192, torch.bfloat16) if device == "cuda" else (512, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    return 2 * n**3 / timed(lambda: a @ b, 10) / 1e12


# --- the Wan transformer step ------------------------------------------------------------------


class BarePipe:
    """Just enough of a diffusers pipeline for ipvg's runtime functions: named denoisers and an
    `encode_prompt` (batched CFG reads the negative embeddings from it)."""

    def __init__(self, transformer: torch.nn.Module, text: torch.Tensor, negative: torch.Tensor) -> None:
        self.transformer = transformer
        self.current_timestep = 500
        self._embeddings = (text, negative)

    def encode_prompt(self, *_args: Any, **_kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        return self._embeddings


class WanStep:
    """One denoising step as diffusers' Wan pipelines run it: cond then uncond, each in its cache context."""

    def __init__(self, case: WanCase, device: str, dtype: torch.dtype) -> None:
        from diffusers import WanTransformer3DModel, WanVACETransformer3DModel

        cls = WanVACETransformer3DModel if case.vace else WanTransformer3DModel
        self.case, self.device, self.dtype = case, device, dtype
        self.transformer = random_model(lambda: cls(**case.config), device, dtype)
        text_dim = case.config["text_dim"]
        self.text = torch.randn(1, 512, text_dim, device=device, dtype=dtype)
        self.negative = torch.randn(1, 512, text_dim, device=device, dtype=dtype)
        self.inputs = self._inputs(case.frames, case.height, case.width)
        self.small = self._inputs(5, case.height // 4, case.width // 4)  # warm-up shape for quick cases
        self.pipe = BarePipe(self.transformer, self.text, self.negative)

    def _inputs(self, frames: int, height: int, width: int) -> dict[str, Any]:
        case, device, dtype = self.case, self.device, self.dtype
        multiple = case.vae_spatial * 2  # whole 2x2 patches
        height, width = (
            max(multiple, height // multiple * multiple),
            max(multiple, width // multiple * multiple),
        )
        latent = ((frames - 1) // 4 + 1, height // case.vae_spatial, width // case.vae_spatial)
        inputs: dict[str, Any] = {
            "hidden_states": torch.randn(1, case.config["in_channels"], *latent, device=device, dtype=dtype),
            "timestep": torch.tensor([500.0], device=device),
            "return_dict": False,
        }
        if case.vace:
            control = (1, case.config["vace_in_channels"], *latent)
            inputs["control_hidden_states"] = torch.randn(control, device=device, dtype=dtype)
            inputs["control_hidden_states_scale"] = torch.ones(len(case.config["vace_layers"]), device=device)
        return inputs

    def step(self, inputs: dict[str, Any] | None = None) -> None:
        inputs = self.inputs if inputs is None else inputs
        with self.transformer.cache_context("cond"):
            self.transformer(encoder_hidden_states=self.text, **inputs)
        with self.transformer.cache_context("uncond"):
            self.transformer(encoder_hidden_states=self.negative, **inputs)

    def one_pass(self) -> None:
        with self.transformer.cache_context("cond"):
            self.transformer(encoder_hidden_states=self.text, **self.inputs)

    def forward_flops(self) -> float:
        return wan_forward_flops(self.shape(), self.seq_len())

    def seq_len(self) -> int:
        return video_tokens(
            self.case.frames, self.case.height, self.case.width, vae_spatial=self.case.vae_spatial
        )

    def shape(self) -> WanShape:
        return case_shape(self.case)


def apply_runtime(step: WanStep, **options: Any) -> list[str]:
    """ipvg's own option functions (runtime/options.py) on the bare transformer."""
    from ipvg.config import RuntimeConfig
    from ipvg.runtime.options import (
        AppliedOptions,
        apply_attention_backend,
        apply_cache,
        apply_compile,
        apply_fp8_storage,
    )

    runtime = RuntimeConfig(device=step.device, **options)
    applied = AppliedOptions(device=step.device, dtype=str(step.dtype))
    names = ("transformer",)
    apply_fp8_storage(step.pipe, runtime, applied, names, step.dtype)
    apply_attention_backend(step.pipe, runtime, applied, names)
    apply_cache(step.pipe, runtime, applied, names, step.case.steps)
    if runtime.batched_cfg:  # the pipeline-type check of apply_batched_cfg does not apply to BarePipe
        from ipvg.runtime.batched_cfg import apply_batched_cfg

        apply_batched_cfg(step.pipe, [("transformer", step.transformer)])
        step.pipe.encode_prompt()  # as the pipeline call does first: remembers the negative embeddings
        applied.applied.append("batched-cfg")
    apply_compile(step.pipe, runtime, applied, names)
    return applied.applied


def wan_row(
    results: Results,
    step: WanStep,
    variant: str,
    seconds: float,
    peak_tflops: float,
    peak: float | None,
    note: str = "",
) -> None:
    forwards = 2  # cond + uncond per step, batched or not: the FLOPs are the same
    flops = step.forward_flops()
    floor_s = flops * forwards * step.case.steps / (peak_tflops * 1e12)
    results.add(
        step.case.name,
        variant,
        s_per_step=seconds,
        s_per_video=seconds * step.case.steps,
        tflops=flops * forwards / seconds / 1e12,
        x_floor=seconds * step.case.steps / floor_s,
        peak_gb=peak,
        note=note,
        seq_len=step.seq_len(),
        steps=step.case.steps,
        floor_s=floor_s,
    )


def run_wan_section(
    results: Results,
    budget: Budget,
    case: WanCase,
    args: argparse.Namespace,
    variants: list[str],
    state: dict[str, Any],
) -> None:
    """Each variant in turn; a transformer changed by hooks, casting or compilation is rebuilt
    for the next one (attention backends alone are switched on the same module)."""
    step: WanStep | None = None
    estimate = state.get(f"{case.name}:step_s") or guess_step_s(case, args)
    for variant in variants:
        options = _variant_options(variant, state, args)
        compiling = bool(options.get("compile"))
        if "compile" in variant and args.smoke and not args.smoke_compile and variant == "regional compile":
            results.add(
                case.name, variant, note="skipped: --smoke (inductor on CPU is slow); --smoke-compile runs it"
            )
            continue
        calls = 1 if case.quick else args.warmup + args.repeats
        cost = estimate * calls * 1.2 + (args.compile_guess_s if compiling else 0.0)
        if not budget.fits(cost + (args.build_guess_s if step is None or _mutates(options) else 0.0)):
            results.add(case.name, variant, note=f"skipped: time budget ({budget.left():.0f} s left)")
            continue
        try:
            if step is None or _mutates(options):
                step = None  # drop the old transformer before building the next
                free()
                step = WanStep(case, args.device, args.dtype)
            applied = apply_runtime(step, **options) if options else []
            run, warm, factor, repeats = step.step, step.step, 1, args.repeats
            if options.get("cache", "none") != "none":
                run = warm = _reset_then(step)
            if case.quick:  # small warm-up; one full call: the batched step, or one pass of two
                warm, repeats = partial(step.step, step.small), 1
                if not options.get("batched_cfg"):
                    run, factor = step.one_pass, 2
            reset_peak(args.device)
            start = time.perf_counter()
            for _ in range(args.warmup):
                with torch.no_grad():
                    warm()
            warm_s = time.perf_counter() - start
            seconds = timed(run, repeats) * factor
            estimate = seconds
            state.setdefault(f"{case.name}:step_s", seconds)
            notes = [",".join(applied)] if applied else []
            if compiling:
                notes.append(f"warm-up incl. compile {warm_s:.0f} s")
            elif "compile" in variant:
                notes.append("compile skipped in --smoke")
            if case.quick:
                notes.append(
                    "one full call timed after a small warm-up" + (" (one pass x 2)" if factor == 2 else "")
                )
            if options.get("cache", "none") != "none":
                notes.append(
                    "output-changing; cache reset each step: hook cost, no skips (skips need real weights)"
                )
            note = "; ".join(notes)
            wan_row(results, step, variant, seconds, args.peak_tflops, peak_gb(args.device), note)
            if variant.startswith(("attention=", "vanilla")):
                _record_attention(state, case.name, variant, seconds)
        except Exception as error:  # a missing kernel or an OOM is a result too; the run goes on
            results.add(case.name, variant, note=f"error: {_short(error)}")
            step = None
            free()
        finally:
            restore_attention_default()
        if step is not None and _mutates(options):
            step = None
            free()
    step = None
    free()


def restore_attention_default() -> None:
    """diffusers' `set_attention_backend` also sets a process-wide active backend, which every
    model without its own choice then uses; put the default back after each variant."""
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry

    _AttentionBackendRegistry.set_active_backend(ATTENTION_DEFAULT[0])


def _reset_then(step: WanStep) -> Callable[[], None]:
    """Every timed step is a first (full) step: the cache hook's cost, without skips."""

    def run() -> None:
        step.transformer._reset_stateful_cache()
        step.step()

    return run


def guess_step_s(case: WanCase, args: argparse.Namespace) -> float:
    """Before anything is measured: both passes at 40% of the measured matmul rate."""
    latent = video_tokens(case.frames, case.height, case.width, vae_spatial=case.vae_spatial)
    return 2 * wan_forward_flops(case_shape(case), latent) / (0.4 * args.peak_tflops * 1e12)


def case_shape(case: WanCase) -> WanShape:
    """VACE's extra blocks run on the same number of (control) tokens: counted as whole blocks."""
    shape = wan_shape(case.config)
    return WanShape(
        **{**shape.__dict__, "num_layers": shape.num_layers + len(case.config.get("vace_layers", []))}
    )


def _mutates(options: dict[str, Any]) -> bool:
    changed = any(options.get(k) for k in ("fp8_storage", "compile", "batched_cfg"))
    return changed or options.get("cache", "none") != "none"


def _record_attention(state: dict[str, Any], name: str, variant: str, seconds: float) -> None:
    backend = "native" if variant.startswith("vanilla") else variant.removeprefix("attention=")
    best = state.get(f"{name}:best_attention")
    if best is None or seconds < best[1]:
        state[f"{name}:best_attention"] = (backend, seconds)
    if name.startswith("wan22-ti2v-5b"):  # the 5B section's winner is reused by the 14B sections
        best_any = state.get("best_attention")
        if best_any is None or seconds < best_any[1]:
            state["best_attention"] = (backend, seconds)


def _variant_options(variant: str, state: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    if variant.startswith("vanilla"):
        return {}
    if variant.startswith("attention="):
        return {"attention_backend": variant.removeprefix("attention=")}
    fixed = {
        "batched CFG": {"batched_cfg": True},
        "regional compile": {"compile": True},
        "fp8 storage": {"fp8_storage": True},
        "first-block cache 0.05": {"cache": "first-block", "cache_threshold": 0.05},
    }
    if variant in fixed:
        return fixed[variant]
    if variant.startswith("ipvg "):
        best = state.get("best_attention", ("native", 0.0))[0]
        compile_ = "compile" in variant and (args.smoke_compile or not args.smoke)
        return {"attention_backend": best, "batched_cfg": True, "compile": compile_}
    raise AssertionError(variant)


def _short(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return re.sub(r"\s+", " ", text)[:240]


# --- the other sections ------------------------------------------------------------------------


def sdxl_section(results: Results, budget: Budget, args: argparse.Namespace) -> None:
    from diffusers import AutoencoderKL, UNet2DConditionModel

    device, dtype = args.device, args.dtype
    if args.smoke:
        from ipvg.testing.sdxl import UNET_CONFIG

        unet_config, vae_config, sizes = (
            UNET_CONFIG,
            {
                "block_out_channels": (8, 16),
                "down_block_types": ("DownEncoderBlock2D",) * 2,
                "up_block_types": ("UpDecoderBlock2D",) * 2,
                "norm_num_groups": 8,
            },
            ((48, 80), (64, 64)),
        )
    else:
        unet_config, vae_config, sizes = SDXL_UNET, SDXL_VAE, ((480, 832), (1024, 1024))
    unet = random_model(lambda: UNet2DConditionModel(**unet_config), device, dtype)
    vae = random_model(lambda: AutoencoderKL(**vae_config), device, dtype)
    factor = 2 ** (len(vae.config.block_out_channels) - 1)
    text_dim = unet.config.projection_class_embeddings_input_dim - 6 * unet.config.addition_time_embed_dim
    parts: dict[str, float] = {}
    for label, (height, width) in zip(("first", "refine"), sizes, strict=True):
        latents = torch.randn(
            2, 4, height // factor, width // factor, device=device, dtype=dtype
        )  # CFG: batch 2
        text = torch.randn(2, 77, unet.config.cross_attention_dim, device=device, dtype=dtype)
        added = {
            "text_embeds": torch.randn(2, text_dim, device=device, dtype=dtype),
            "time_ids": torch.randn(2, 6, device=device, dtype=dtype),
        }
        unet_call = lambda latents=latents, text=text, added=added: unet(  # noqa: E731
            latents, 500, encoder_hidden_states=text, added_cond_kwargs=added, return_dict=False
        )
        image = torch.randn(1, 3, height, width, device=device, dtype=dtype)
        decode = lambda latents=latents: vae.decode(latents[:1], return_dict=False)  # noqa: E731
        encode = lambda image=image: vae.encode(image, return_dict=False)  # noqa: E731
        for name, call in (
            (f"unet_{label}", unet_call),
            (f"decode_{label}", decode),
            (f"encode_{label}", encode),
        ):
            if not budget.fits(5.0):
                results.add("sdxl first frame", name, note="skipped: time budget")
                continue
            with torch.no_grad():
                call()
            parts[name] = timed(call, args.repeats)
            results.add(
                "sdxl first frame",
                name,
                s_per_step=parts[name],
                note=f"{width}x{height}, batch {2 if 'unet' in name else 1}",
            )
    if len(parts) == 6:
        per_candidate = (
            20 * parts["unet_first"]
            + parts["decode_first"]
            + 10 * parts["unet_refine"]
            + parts["encode_refine"]
            + parts["decode_refine"]
        )
        results.add(
            "sdxl first frame",
            f"3 candidates x (20 steps {sizes[0][1]}x{sizes[0][0]} + face pass 10 steps {sizes[1][1]}x{sizes[1][0]})",
            s_per_video=3 * per_candidate,
            peak_gb=peak_gb(device),
            note="UNet + VAE only (no text encoders, HyperLoRA, face detection/ArcFace); no early stop",
        )
    # the models are collected when this returns (main calls free() after every section)


def vae_section(results: Results, budget: Budget, args: argparse.Namespace) -> None:
    from diffusers import AutoencoderKLWan

    device = args.device
    config = (
        WAN22_VAE
        if not args.smoke
        else WAN22_VAE | {"base_dim": 8, "decoder_base_dim": 8, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1}
    )
    frames, height, width = (121, 704, 1280) if not args.smoke else (9, 64, 96)
    # ipvg runs the Wan VAE in float32, as the official code does.
    vae = random_model(lambda: AutoencoderKLWan(**config), device, torch.float32)
    latents = torch.randn(1, 48, (frames - 1) // 4 + 1, height // 16, width // 16, device=device)
    for variant, tiled in (("decode", False), ("decode tiled (low-vram)", True)):
        if not budget.fits(args.vae_guess_s):
            results.add("wan2.2 vae", variant, note="skipped: time budget")
            continue
        try:
            if tiled:
                vae.enable_tiling()
            reset_peak(device)
            seconds = timed(lambda: vae.decode(latents, return_dict=False), 1)
            results.add(
                "wan2.2 vae",
                variant,
                s_per_video=seconds,
                peak_gb=peak_gb(device),
                note=f"{width}x{height}x{frames}, float32",
            )
        except Exception as error:
            results.add("wan2.2 vae", variant, note=f"error: {_short(error)}")
            free()
    # the models are collected when this returns (main calls free() after every section)


def low_vram_section(results: Results, budget: Budget, args: argparse.Namespace, case: WanCase) -> None:
    """Model offload keeps one component on the GPU; the preset's peak is the largest component's."""
    from transformers import UMT5Config, UMT5EncoderModel

    device, dtype = args.device, args.dtype
    peaks: dict[str, float | None] = {}
    config = (
        UMT5_XXL
        if not args.smoke
        else UMT5_XXL
        | {"vocab_size": 300, "d_model": 32, "d_kv": 8, "d_ff": 32, "num_layers": 2, "num_heads": 4}
    )
    if budget.fits(args.build_guess_s * 2):
        encoder = random_model(lambda: UMT5EncoderModel(UMT5Config(**config)), device, dtype)
        tokens = torch.randint(0, config["vocab_size"], (2, 512), device=device)
        reset_peak(device)
        with torch.no_grad():
            encoder(input_ids=tokens)
        peaks["umt5-xxl encode (prompt + negative)"] = peak_gb(device)
        del encoder
        free()
    if budget.fits(guess_step_s(case, args) * 2 + args.build_guess_s):
        step = WanStep(case, device, dtype)
        reset_peak(device)
        with torch.no_grad():
            step.step()
        peaks[f"{case.name} step"] = peak_gb(device)
        del step
        free()
    for name, value in peaks.items():
        results.add("low-vram peak", name, peak_gb=value, note="one component resident (model CPU offload)")
    measured = [value for value in peaks.values() if value is not None]
    tiled = [row.get("peak_gb") for row in results.rows if row["variant"] == "decode tiled (low-vram)"]
    measured += [value for value in tiled if value is not None]
    if measured:
        results.add(
            "low-vram peak", "preset peak (largest component)", peak_gb=max(measured), note="target < 24 GB"
        )


# --- main ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options plus the run's derived settings (device, dtype, repeats, first guesses)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke", action="store_true", help="CPU, scaled-down architectures (checks the script)"
    )
    parser.add_argument(
        "--smoke-compile", action="store_true", help="with --smoke: also run regional compile"
    )
    parser.add_argument("--budget-s", type=float, default=450.0, help="whole-run wall-clock budget")
    parser.add_argument("--sections", default="5b,sdxl,vae,lowvram,a14b,vace")
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/gpu-<device>.json)")
    args = parser.parse_args(argv)
    if not args.smoke and not torch.cuda.is_available():
        raise SystemExit("benchmarks/gpu.py needs a CUDA GPU (real sizes); --smoke runs on a CPU.")
    args.device = "cpu" if args.smoke else "cuda"
    args.dtype = torch.float32 if args.smoke else torch.bfloat16
    args.warmup, args.repeats = (1, 1) if args.smoke else (1, 2)
    # Guesses before anything is measured (H100): a regional compile, a model build, a VAE decode.
    args.compile_guess_s, args.build_guess_s, args.vae_guess_s = (
        (5.0, 0.5, 1.0) if args.smoke else (60.0, 8.0, 25.0)
    )
    return args


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    budget = Budget(args.budget_s)
    torch.manual_seed(0)
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry

    ATTENTION_DEFAULT[:] = [_AttentionBackendRegistry._active_backend]
    args.peak_tflops = measured_peak_tflops(args.device)
    info = machine()
    device_name = re.sub(r"[^A-Za-z0-9]+", "-", info.get("gpu", "cpu")).strip("-").lower()
    out = args.out or RESULTS / f"gpu-{'smoke-' if args.smoke else ''}{device_name}.json"
    import diffusers

    results = Results(
        out,
        {
            "machine": info,
            "diffusers": diffusers.__version__,
            "smoke": args.smoke,
            "peak_tflops": args.peak_tflops,
            "budget_s": args.budget_s,
            "columns": {
                "s_per_step": "seconds per denoising step (both guidance passes), median",
                "s_per_video": "projected: s_per_step x recipe steps (or a measured whole, e.g. a decode)",
                "tflops": "runtime/flops.py matmul FLOPs per step / s_per_step",
                "x_floor": "s_per_video / (recipe FLOPs at the measured bf16 matmul rate)",
            },
        },
    )
    cases = SMOKE_CASES if args.smoke else REAL_CASES
    vanilla = "vanilla diffusers (native SDPA, 2 calls/step)"
    attention = [f"attention={b}" for b in ATTENTION_BACKENDS[1:]]
    fastest = "ipvg fastest lossless (best attention + batched CFG + compile)"
    lossless = "ipvg lossless (best attention + batched CFG)"  # 14B: compile is measured on the 5B only
    five_b = [
        vanilla,
        *attention,
        "batched CFG",
        fastest,
        "regional compile",
        "fp8 storage",
        "first-block cache 0.05",
    ]
    plan: list[tuple[str, float, Callable[[], None]]] = [
        ("5b", 0.38, lambda: run_wan_section(results, budget, cases["5b"], args, five_b, state)),
        ("sdxl", 0.04, lambda: sdxl_section(results, budget, args)),
        ("vae", 0.14, lambda: vae_section(results, budget, args)),
        ("lowvram", 0.07, lambda: low_vram_section(results, budget, args, cases["5b"])),
        (
            "a14b",
            0.20,
            lambda: run_wan_section(
                results, budget, cases["a14b"], args, [vanilla, lossless, "fp8 storage", "batched CFG"], state
            ),
        ),
        (
            "vace",
            0.14,
            lambda: run_wan_section(results, budget, cases["vace"], args, [vanilla, lossless], state),
        ),
    ]
    state: dict[str, Any] = {}
    wanted = set(args.sections.split(","))
    plan = [entry for entry in plan if entry[0] in wanted]
    for index, (name, share, run) in enumerate(plan):
        # This section's share of the time still left: what earlier sections did not use goes on.
        later = sum(entry[1] for entry in plan[index:])
        start = time.perf_counter()
        with budget.section(budget.left() * share / later):
            try:
                run()
            except Exception as error:  # the section's error is a result; the next section runs
                traceback.print_exc()
                results.add(name, "section failed", note=f"error: {_short(error)}")
        results.facts.setdefault("section_seconds", {})[name] = round(time.perf_counter() - start, 1)
        results.write()
        free()
    results.facts["total_seconds"] = round(time.perf_counter() - budget.start, 1)
    results.write()
    print()
    print(results.markdown())
    print(f"\nwrote {out} and {out.with_suffix('.md')}")
    return out


if __name__ == "__main__":
    main()
