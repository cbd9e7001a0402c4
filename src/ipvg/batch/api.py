"""One call per batch task: `run_batch` (generate, resumable) and `decouple_batch` (prompts only).

    from ipvg.batch import run_batch
    summary = run_batch("testset", "submission", preset="paper-5b", workers=8)  # 8 GPUs, Ray

Both read the test set (challenge folder or CSV/JSONL pairs), take a `PipelineConfig` (or a preset
and overrides), and return a summary. `factory` replaces the pipeline by any `ItemGenerator`
(tests pass a fake one); everything else runs the same code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ipvg.batch.decouple import DecoupleSummary, decouple_pass, prompts_path
from ipvg.batch.distributed import ContextParallelExecutor, World, follow
from ipvg.batch.executors import Executor, LocalExecutor, RayExecutor
from ipvg.batch.items import Dataset
from ipvg.batch.layouts import read_dataset
from ipvg.batch.runner import (
    BatchOptions,
    BatchProgress,
    BatchRunner,
    BatchSummary,
    default_state_dir,
    load_prompts_files,
)
from ipvg.batch.sharding import Shard, parse_shard
from ipvg.batch.work import (
    DEFAULT_LOW_MEMORY_OVERRIDES,
    GeneratorFactory,
    PipelineGenerator,
    PipelineGeneratorFactory,
)
from ipvg.config import PipelineConfig, get_preset
from ipvg.errors import ConfigError

# Runtime fields that change how fast or where a video is made, not what it is: a resumed run may
# change them (e.g. add offload after an out-of-memory) without restarting the batch.
HOW_NOT_WHAT = (
    "device",
    "offload",
    "vae_tiling",
    "attention_backend",
    "compile",
    "allow_download",
    "ulysses_degree",
    "ring_degree",
)


def config_settings(config: PipelineConfig) -> dict[str, str]:
    """What must stay the same for a resumed run to be one batch: the output-defining config and seed."""
    data = config.to_dict()
    data["runtime"] = {key: value for key, value in data["runtime"].items() if key not in HOW_NOT_WHAT}
    data.pop("description", None)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    return {"config_sha": digest, "preset": config.name, "seed": str(config.seed)}


def resolve_config(
    config: PipelineConfig | None, preset: str | None, overrides: dict[str, Any] | None
) -> PipelineConfig:
    base = config if config is not None else get_preset(preset or "tiny")
    return base.with_overrides(overrides or {})


def make_executor(
    factory: GeneratorFactory,
    workers: int = 1,
    ray_address: str | None = None,
    *,
    use_gpu: bool | None = None,
    cpus_per_worker: int = 1,
    use_ray: bool | None = None,
) -> Executor:
    """In this process for one worker without a cluster; Ray actors otherwise (`use_ray` forces either)."""
    if workers < 1:
        raise ConfigError(f"`--workers` must be >= 1, got {workers}.")
    if use_ray is None:
        use_ray = workers > 1 or bool(ray_address)
    if not use_ray:
        if workers > 1 or ray_address:
            raise ConfigError("Several workers or a cluster address need Ray.", "drop use_ray=False.")
        return LocalExecutor(factory)
    return RayExecutor(
        factory, workers, address=ray_address, use_gpu=use_gpu, cpus_per_worker=cpus_per_worker
    )


def run_batch(
    source: str | Path | Dataset,
    out_dir: str | Path,
    *,
    config: PipelineConfig | None = None,
    preset: str | None = None,
    overrides: dict[str, Any] | None = None,
    workers: int = 1,
    ray_address: str | None = None,
    use_gpu: bool | None = None,
    use_ray: bool | None = None,
    shard: Shard | str | None = None,
    max_attempts: int = 3,
    limit: int | None = None,
    oom_retry: bool = True,
    low_memory_overrides: dict[str, Any] | None = None,
    factory: GeneratorFactory | None = None,
    progress: BatchProgress | None = None,
    world: World | None = None,
    state_dir: str | Path | None = None,
) -> BatchSummary:
    """Generate every item of `source` into `out_dir` (challenge layout), resuming earlier runs.

    Under torchrun pass `world` (from `distributed_world()`): rank 0 runs the batch, the other
    ranks follow it item by item (context parallelism) and return an empty summary.
    """
    world = world or World()
    if max_attempts < 1:
        raise ConfigError(f"`--max-attempts` must be >= 1, got {max_attempts}.")
    if limit is not None and limit < 0:
        raise ConfigError(f"`--limit` must be >= 0, got {limit}.")
    # 1. Inputs and settings
    dataset = source if isinstance(source, Dataset) else read_dataset(source)
    resolved = resolve_config(config, preset, overrides)
    shard = shard if isinstance(shard, Shard) else parse_shard(shard)
    out = Path(out_dir).expanduser()
    state_dir = default_state_dir(out, Path(state_dir) if state_dir is not None else None)
    prompt_files = sorted(state_dir.glob("prompts*.jsonl")) if state_dir.is_dir() else []
    options = BatchOptions(
        out_dir=out,
        settings=config_settings(resolved),
        base_seed=resolved.seed,
        max_attempts=max_attempts,
        oom_retry=oom_retry,
        shard=shard,
        limit=limit,
        prompts=load_prompts_files(prompt_files),
        state_root=state_dir,
    )
    # 2. Workers: each builds and keeps its own pipeline
    low_memory = low_memory_overrides if low_memory_overrides is not None else DEFAULT_LOW_MEMORY_OVERRIDES
    factory = factory or PipelineGeneratorFactory(resolved, tuple(low_memory.items()))
    executor: Executor
    if world.size > 1:
        if workers != 1 or ray_address:
            raise ConfigError(
                "Under torchrun all ranks work on one video at a time; --workers/--ray-address do not apply.",
                "drop --workers and --ray-address, or run without torchrun.",
            )
        if not world.is_main:
            follow(factory)
            return BatchSummary(executor="torchrun")
        executor = ContextParallelExecutor(factory, world)
    else:
        executor = make_executor(factory, workers, ray_address, use_gpu=use_gpu, use_ray=use_ray)
    # 3. Run
    try:
        return BatchRunner(dataset, executor, options, progress).run()
    finally:
        executor.close()


def decouple_batch(
    source: str | Path | Dataset,
    out_dir: str | Path,
    *,
    config: PipelineConfig | None = None,
    preset: str | None = None,
    overrides: dict[str, Any] | None = None,
    shard: Shard | str | None = None,
    progress: BatchProgress | None = None,
    state_dir: str | Path | None = None,
) -> DecoupleSummary:
    """Write `out_dir/_ipvg/prompts.jsonl`: every item's decoupled prompts (one prompts backend, e.g. one LLM server)."""
    dataset = source if isinstance(source, Dataset) else read_dataset(source)
    resolved = resolve_config(config, preset, overrides)
    shard = shard if isinstance(shard, Shard) else parse_shard(shard)
    generator = PipelineGenerator(resolved)
    path = prompts_path(
        default_state_dir(Path(out_dir), Path(state_dir) if state_dir is not None else None), shard
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return decouple_pass(dataset, generator.decouple, path, shard=shard, progress=progress)
