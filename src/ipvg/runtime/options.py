"""Speed and memory options for a loaded diffusers pipeline, each one small function.

Order matters and is fixed in `prepare_pipeline`: LoRAs are fused into weights before fp8 storage
casting; caching hooks, batched guidance and context parallelism are attached before regional
compilation; device placement or offloading comes last. An option that cannot apply raises `RuntimeOptionError` saying
why; options never silently do nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ipvg.config import RuntimeConfig
from ipvg.errors import RuntimeOptionError
from ipvg.runtime.device import resolve_device, resolve_dtype

logger = logging.getLogger(__name__)


@dataclass
class AppliedOptions:
    """What `prepare_pipeline` did, for the run record."""

    device: str
    dtype: str
    applied: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cache_hooks: list[Any] = field(default_factory=list)
    cfg_hooks: list[Any] = field(default_factory=list)  # batched guidance hooks (count their calls)


def _denoisers(pipe: Any, names: tuple[str, ...]) -> list[tuple[str, torch.nn.Module]]:
    return [(name, getattr(pipe, name)) for name in names if getattr(pipe, name, None) is not None]


def apply_loras(pipe: Any, runtime: RuntimeConfig, applied: AppliedOptions) -> None:
    """Load each LoRA (e.g. a 4-step distilled LoRA) and activate them at their scales."""
    if not runtime.loras:
        return
    if not hasattr(pipe, "load_lora_weights"):
        raise RuntimeOptionError(
            f"{type(pipe).__name__} cannot load LoRAs.", "remove runtime.loras for this backend."
        )
    names, scales = [], []
    has_second_expert = getattr(pipe, "transformer_2", None) is not None
    for index, lora in enumerate(runtime.loras):
        adapter = lora.adapter_name or f"lora_{index}"
        kwargs = {"weight_name": lora.weight_name} if lora.weight_name else {}
        if lora.target == "transformer_2" and not has_second_expert:
            raise RuntimeOptionError(
                f"The LoRA {lora.path} targets `transformer_2`, but {type(pipe).__name__} has one denoiser.",
                "use a two-expert model (Wan2.2 I2V-A14B) or drop the LoRA's target.",
            )
        try:
            if lora.target in (None, "transformer"):
                pipe.load_lora_weights(lora.path, adapter_name=adapter, **kwargs)
            if lora.target == "transformer_2" or (lora.target is None and has_second_expert):
                pipe.load_lora_weights(
                    lora.path, adapter_name=adapter, load_into_transformer_2=True, **kwargs
                )
        except (OSError, ValueError, KeyError) as error:
            raise RuntimeOptionError(
                f"Cannot load the LoRA {lora.path}"
                + (f" ({lora.weight_name})" if lora.weight_name else "")
                + f": {error}",
                "check the path/hub id and that it matches this model; hub LoRAs of a preset are "
                "fetched by `ipvg models download PRESET`.",
            ) from None
        names.append(adapter)
        scales.append(lora.scale)
    pipe.set_adapters(names, adapter_weights=scales)
    applied.applied.append("lora:" + ",".join(f"{n}@{s}" for n, s in zip(names, scales, strict=True)))


def apply_fp8_storage(
    pipe: Any, runtime: RuntimeConfig, applied: AppliedOptions, denoisers: tuple[str, ...], dtype: torch.dtype
) -> None:
    """Store denoiser weights in float8_e4m3fn and upcast per layer for compute (halves weight memory)."""
    if not runtime.fp8_storage:
        return
    for _, module in _denoisers(pipe, denoisers):
        module.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=dtype)
    applied.applied.append("fp8-storage")


def apply_attention_backend(
    pipe: Any, runtime: RuntimeConfig, applied: AppliedOptions, denoisers: tuple[str, ...]
) -> None:
    if not runtime.attention_backend:
        return
    for name, module in _denoisers(pipe, denoisers):
        try:
            module.set_attention_backend(runtime.attention_backend)
        except (ValueError, RuntimeError, ImportError, NotImplementedError) as error:
            raise RuntimeOptionError(
                f"Attention backend `{runtime.attention_backend}` cannot be used for {name}: {error}",
                "use `native`, or install the kernel package it needs on a machine with a supported GPU.",
            ) from None
    applied.applied.append(f"attention:{runtime.attention_backend}")


def _cache_config(pipe: Any, runtime: RuntimeConfig, num_inference_steps: int) -> Any:
    from diffusers import (
        FirstBlockCacheConfig,
        MagCacheConfig,
        PyramidAttentionBroadcastConfig,
        TaylorSeerCacheConfig,
    )

    current_timestep: Callable[[], Any] = lambda: pipe.current_timestep  # noqa: E731
    if runtime.cache == "first-block":
        return FirstBlockCacheConfig(threshold=runtime.cache_threshold)
    if runtime.cache == "taylorseer":
        return TaylorSeerCacheConfig()
    if runtime.cache == "pab":
        return PyramidAttentionBroadcastConfig(
            spatial_attention_block_skip_range=2,
            spatial_attention_timestep_skip_range=(100, 800),
            current_timestep_callback=current_timestep,
        )
    if runtime.cache == "faster":
        from diffusers import FasterCacheConfig

        return FasterCacheConfig(
            spatial_attention_block_skip_range=2,
            spatial_attention_timestep_skip_range=(-1, 681),
            current_timestep_callback=current_timestep,
            attention_weight_callback=lambda _: 0.3,
            unconditional_batch_skip_range=5,
            unconditional_batch_timestep_skip_range=(-1, 781),
            tensor_format="BFCHW",
        )
    if runtime.cache == "mag-calibrate":
        # Skips nothing; records each step's residual magnitude ratio (see `parse_mag_calibration`).
        return MagCacheConfig(calibrate=True, num_inference_steps=num_inference_steps)
    if runtime.cache == "mag":
        if not runtime.mag_calibration:
            raise RuntimeOptionError(
                "MagCache needs magnitude ratios calibrated for this model and scheduler.",
                "run once with `--set runtime.cache=mag-calibrate` (the ratios are saved in the run record, "
                "stage temporal.denoise_decode, `mag_ratios`), then pass them with "
                "`--set runtime.cache=mag --set runtime.mag_calibration=R1,R2,...`.",
            )
        return MagCacheConfig(
            threshold=runtime.cache_threshold,
            num_inference_steps=num_inference_steps,
            mag_ratios=list(runtime.mag_calibration),
        )
    raise AssertionError(runtime.cache)


# diffusers' FasterCache reuses the unconditional half of one batched cond+uncond call; Wan pipelines
# call the transformer once per branch (IndexError deep in the hook), and runtime.batched_cfg's batch
# is not laid out the way FasterCache expects either.
FASTER_CACHE_ON_WAN = (
    "runtime.cache=faster does not work with Wan pipelines: FasterCache expects the conditional and "
    "unconditional passes in one batch, which Wan runs separately (runtime.batched_cfg does not help)."
)
FASTER_CACHE_FIX = "use runtime.cache=first-block, taylorseer or pab (or mag after a mag-calibrate run)."


def apply_cache(
    pipe: Any,
    runtime: RuntimeConfig,
    applied: AppliedOptions,
    denoisers: tuple[str, ...],
    num_inference_steps: int,
) -> None:
    """Output-changing step caching (opt-in): skips transformer work on steps that change little."""
    if runtime.cache == "none":
        return
    if runtime.cache == "faster" and type(pipe).__name__.startswith("Wan"):
        # The CLI's preflight says this before any model loads; this catches the Python API.
        raise RuntimeOptionError(FASTER_CACHE_ON_WAN, FASTER_CACHE_FIX)
    if runtime.cache.startswith("mag") and len(_denoisers(pipe, denoisers)) > 1:
        raise RuntimeOptionError(
            "MagCache is calibrated per step of one transformer; two-expert models split the steps between experts.",
            "use runtime.cache=first-block or taylorseer for Wan2.2 I2V-A14B.",
        )
    for name, module in _denoisers(pipe, denoisers):
        if not hasattr(module, "enable_cache"):
            raise RuntimeOptionError(
                f"{name} ({type(module).__name__}) does not support diffusers caching.",
                "set runtime.cache=none.",
            )
        try:
            module.enable_cache(_cache_config(pipe, runtime, num_inference_steps))
        except (ValueError, NotImplementedError) as error:
            raise RuntimeOptionError(
                f"Cache `{runtime.cache}` cannot apply to {name}: {error}", "choose another runtime.cache."
            ) from None
    applied.applied.append(f"cache:{runtime.cache}@{runtime.cache_threshold}")
    applied.notes.append(f"cache `{runtime.cache}` changes outputs slightly compared with no caching")


MAG_CALIBRATION_MARKER = "[MagCache] Calibration Complete"


def parse_mag_calibration(printed: str) -> list[float]:
    """The ratios diffusers prints at the end of a MagCache calibration run (the first block: the
    conditional branch)."""
    import ast

    lines = printed.splitlines()
    for index, line in enumerate(lines):
        if MAG_CALIBRATION_MARKER in line:
            for candidate in lines[index + 1 :]:
                if candidate.strip().startswith("["):
                    return [float(value) for value in ast.literal_eval(candidate.strip())]
    return []


def apply_context_parallel(
    pipe: Any, runtime: RuntimeConfig, applied: AppliedOptions, denoisers: tuple[str, ...]
) -> None:
    """Ulysses/ring sequence parallelism across GPUs (launch with torchrun; rank 0 writes outputs)."""
    degree = runtime.ulysses_degree * runtime.ring_degree
    if degree == 1:
        return
    import torch.distributed as dist

    if not torch.cuda.is_available():
        raise RuntimeOptionError(
            "Context parallelism needs CUDA GPUs, and none is visible.", "set ulysses_degree=ring_degree=1."
        )
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeOptionError(
            f"Context parallelism over {degree} GPUs needs a process group.",
            f"launch with `torchrun --nproc-per-node {degree} -m ipvg.cli.main animate ...`.",
        )
    if dist.get_world_size() != degree:
        raise RuntimeOptionError(
            f"ulysses_degree*ring_degree = {degree} but torchrun started {dist.get_world_size()} processes.",
            "make them equal.",
        )
    from diffusers import ContextParallelConfig

    for name, module in _denoisers(pipe, denoisers):
        heads = module.config.num_attention_heads
        if heads % runtime.ulysses_degree:
            raise RuntimeOptionError(
                f"{name} has {heads} attention heads, not divisible by ulysses_degree={runtime.ulysses_degree}.",
                f"choose a ulysses degree that divides {heads}.",
            )
        module.enable_parallelism(
            config=ContextParallelConfig(
                ulysses_degree=runtime.ulysses_degree, ring_degree=runtime.ring_degree
            )
        )
    applied.applied.append(f"context-parallel:ulysses={runtime.ulysses_degree},ring={runtime.ring_degree}")


# Caches whose bookkeeping assumes one call per branch and step (MagCache's calibrated ratios) or
# their own cond/uncond batch layout (FasterCache); batched guidance would silently break them.
BATCHED_CFG_INCOMPATIBLE_CACHES = ("mag", "mag-calibrate", "faster")


def apply_batched_cfg(
    pipe: Any, runtime: RuntimeConfig, applied: AppliedOptions, denoisers: tuple[str, ...]
) -> None:
    """Conditional and unconditional passes in one transformer call (`ipvg.runtime.batched_cfg`)."""
    if not runtime.batched_cfg:
        return
    if not hasattr(pipe, "encode_prompt") or not type(pipe).__name__.startswith("Wan"):
        raise RuntimeOptionError(
            f"runtime.batched_cfg applies to diffusers' Wan pipelines, not {type(pipe).__name__} "
            "(CogVideoX and SDXL pipelines already batch their guidance).",
            "set runtime.batched_cfg=false.",
        )
    if runtime.cache in BATCHED_CFG_INCOMPATIBLE_CACHES:
        raise RuntimeOptionError(
            f"runtime.batched_cfg cannot be combined with runtime.cache={runtime.cache}.",
            "use cache none, first-block, taylorseer or pab with batched guidance, or set runtime.batched_cfg=false.",
        )
    from ipvg.runtime.batched_cfg import apply_batched_cfg as attach

    applied.cfg_hooks = attach(pipe, _denoisers(pipe, denoisers))
    applied.applied.append("batched-cfg")


def apply_compile(
    pipe: Any, runtime: RuntimeConfig, applied: AppliedOptions, denoisers: tuple[str, ...]
) -> None:
    """Regional compilation: compile one transformer block and reuse it for all (fast warm-up)."""
    if not runtime.compile:
        return
    for name, module in _denoisers(pipe, denoisers):
        if not getattr(module, "_repeated_blocks", None):
            raise RuntimeOptionError(
                f"{name} ({type(module).__name__}) declares no repeated blocks to compile.",
                "set runtime.compile=false.",
            )
        module.compile_repeated_blocks(fullgraph=True)
    applied.applied.append("compile:regional")


def apply_placement(
    pipe: Any,
    runtime: RuntimeConfig,
    applied: AppliedOptions,
    device: torch.device,
    denoisers: tuple[str, ...],
) -> None:
    """Move to the device, or offload: whole models (`model`), block groups with prefetch (`group`),
    or every submodule (`sequential`, slowest, least memory)."""
    if runtime.offload == "none":
        pipe.to(device)
        return
    if device.type != "cuda":
        raise RuntimeOptionError(
            f"`runtime.offload={runtime.offload}` moves weights between CPU and a GPU, but this run is on {device.type}.",
            "set runtime.offload=none, or run on a CUDA device.",
        )
    if runtime.offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif runtime.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        for _name, module in _denoisers(pipe, denoisers):
            module.enable_group_offload(
                onload_device=device,
                offload_device=torch.device("cpu"),
                offload_type="block_level",
                num_blocks_per_group=1,
                use_stream=True,
            )
        for name, module in pipe.components.items():
            if isinstance(module, torch.nn.Module) and name not in denoisers:
                module.to(device)
    applied.applied.append(f"offload:{runtime.offload}")


def apply_vae_tiling(pipe: Any, runtime: RuntimeConfig, applied: AppliedOptions) -> None:
    if not runtime.vae_tiling:
        return
    if not hasattr(pipe.vae, "enable_tiling"):
        raise RuntimeOptionError(
            f"The VAE {type(pipe.vae).__name__} does not support tiling.", "set runtime.vae_tiling=false."
        )
    pipe.vae.enable_tiling()
    applied.applied.append("vae-tiling")


def prepare_pipeline(
    pipe: Any,
    runtime: RuntimeConfig,
    *,
    denoisers: tuple[str, ...] = ("transformer", "transformer_2"),
    num_inference_steps: int = 50,
) -> AppliedOptions:
    """Apply every runtime option to a freshly loaded pipeline, in the one safe order."""
    device = resolve_device(runtime)
    dtype = resolve_dtype(runtime, device)
    if dtype == torch.float16 and device.type == "cpu":
        raise RuntimeOptionError(
            "float16 is not supported for CPU inference here.", "use --dtype float32 or bfloat16 on CPU."
        )
    applied = AppliedOptions(device=str(device), dtype=str(dtype).removeprefix("torch."))
    apply_loras(pipe, runtime, applied)
    apply_fp8_storage(pipe, runtime, applied, denoisers, dtype)
    apply_attention_backend(pipe, runtime, applied, denoisers)
    apply_cache(pipe, runtime, applied, denoisers, num_inference_steps)
    apply_batched_cfg(pipe, runtime, applied, denoisers)
    apply_context_parallel(pipe, runtime, applied, denoisers)
    apply_compile(pipe, runtime, applied, denoisers)
    apply_placement(pipe, runtime, applied, device, denoisers)
    apply_vae_tiling(pipe, runtime, applied)
    if hasattr(pipe, "set_progress_bar_config"):
        pipe.set_progress_bar_config(disable=True)  # ipvg reports progress itself
    return applied
