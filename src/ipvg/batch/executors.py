"""Where items run: in this process (`LocalExecutor`) or on Ray actors (`RayExecutor`).

Both pull requests one at a time from the runner when a worker is free (`next_request`), so items
are handed out dynamically and a slow item never holds up the others; both report each outcome
back to the runner (`on_outcome`), which alone writes files and the manifest.

Ray: one actor per worker, each holding its own loaded pipeline for the whole run. On GPU machines
an actor reserves one GPU (`num_gpus=1`, Ray sets CUDA_VISIBLE_DEVICES), on CPU machines
`cpus_per_worker` CPUs (its torch thread count, so results do not depend on how many actors share
the machine). `address=None` starts a local Ray instance; `"auto"` or `ray://host:10001` joins a
cluster. Workers' own logs (library warnings) stay in Ray's log folder
(/tmp/ray/session_latest/logs), so the progress bar stays readable; their errors come back as outcomes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, Protocol

from ipvg.batch.work import GeneratorFactory, ItemGenerator, ItemOutcome, ItemRequest, run_item, worker_name
from ipvg.errors import ConfigError, IpvgError, MissingDependencyError

logger = logging.getLogger(__name__)

NextRequest = Callable[[], ItemRequest | None]
OnOutcome = Callable[[ItemOutcome], None]
# Environment a Ray worker on another node needs to resolve models and caches like the driver does.
FORWARDED_ENV_PREFIXES = ("IPVG_", "HF_", "TRANSFORMERS_", "TOKENIZERS_", "OMP_")
MAX_ACTOR_DEATHS = 2


class Executor(Protocol):
    name: str
    num_workers: int

    def run(self, next_request: NextRequest, on_outcome: OnOutcome) -> None: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Items one after the other in this process, with one generator kept for the whole run."""

    name = "local"
    num_workers = 1

    def __init__(self, factory: GeneratorFactory) -> None:
        self.factory = factory
        self._generator: ItemGenerator | None = None

    def run(self, next_request: NextRequest, on_outcome: OnOutcome) -> None:
        while (request := next_request()) is not None:
            if self._generator is None:
                self._generator = self.factory()
            on_outcome(run_item(self._generator, request))

    def close(self) -> None:
        self._generator = None


class _ActorBody:
    """What each Ray actor runs: build the generator once, then generate item after item."""

    def __init__(self, factory: GeneratorFactory, num_threads: int | None) -> None:
        if num_threads:
            import torch

            torch.set_num_threads(num_threads)
        self.error: str | None = None
        self.generator: ItemGenerator | None = None
        try:
            self.generator = factory()
        except Exception as error:
            self.error = (
                error.one_line() if isinstance(error, IpvgError) else f"{type(error).__name__}: {error}"
            )

    def run(self, request: ItemRequest) -> ItemOutcome:
        if self.generator is None:
            return ItemOutcome(
                request.item_id,
                ok=False,
                reason="fatal",
                message=self.error,
                worker=worker_name(),
                fatal=True,
            )
        return run_item(self.generator, request)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError(
            "Ray is not installed.", "pip install 'ipvg[ray]' (or run without --workers/--ray-address)."
        ) from None
    return ray


class RayExecutor:
    """`num_workers` Ray actors, each with its own generator; requests go to whichever is free."""

    name = "ray"

    def __init__(
        self,
        factory: GeneratorFactory,
        num_workers: int,
        *,
        address: str | None = None,
        use_gpu: bool | None = None,
        cpus_per_worker: int = 1,
    ) -> None:
        if num_workers < 1:
            raise ConfigError(f"`--workers` must be >= 1, got {num_workers}.")
        ray = _import_ray()
        self.num_workers = num_workers
        self._started_ray = False
        if not ray.is_initialized():
            env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV_PREFIXES)}
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
                "runtime_env": {"env_vars": env},
            }
            if address is None:
                # A private local instance sized to the workers asked for (plus the machine's GPUs).
                kwargs["num_cpus"] = max(num_workers * cpus_per_worker, os.cpu_count() or 1)
            ray.init(address=address, **kwargs)
            self._started_ray = True
        resources = ray.cluster_resources()
        self.use_gpu = bool(resources.get("GPU", 0)) if use_gpu is None else use_gpu
        need, have = ("GPU", 1) if self.use_gpu else ("CPU", cpus_per_worker)
        available = resources.get(need, 0)
        if available < num_workers * have:
            self.close()
            raise ConfigError(
                f"{num_workers} workers need {num_workers * have} {need}s; the Ray cluster has {available:g}.",
                f"pass --workers {max(int(available // have), 1)} or add nodes to the cluster.",
            )
        options: dict[str, Any] = {"max_restarts": MAX_ACTOR_DEATHS, "max_task_retries": 0}
        if self.use_gpu:
            options |= {"num_gpus": 1, "num_cpus": cpus_per_worker}
        else:
            options |= {"num_cpus": cpus_per_worker}
        actor_class = ray.remote(_ActorBody).options(**options)
        threads = None if self.use_gpu else cpus_per_worker
        self._actors = [actor_class.remote(factory, threads) for _ in range(num_workers)]
        self._ray = ray

    def run(self, next_request: NextRequest, on_outcome: OnOutcome) -> None:
        ray = self._ray
        free = list(self._actors)
        deaths = {id(actor): 0 for actor in free}
        in_flight: dict[Any, tuple[Any, ItemRequest]] = {}
        while True:
            # 1. Hand a request to every free worker
            while free:
                request = next_request()
                if request is None:
                    break
                actor = free.pop(0)
                in_flight[actor.run.remote(request)] = (actor, request)
            if not in_flight:
                return
            # 2. Wait for whichever finishes first, report it, free its worker
            (ref,), _ = ray.wait(list(in_flight), num_returns=1)
            actor, request = in_flight.pop(ref)
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayActorError as error:
                deaths[id(actor)] += 1
                outcome = ItemOutcome(
                    request.item_id,
                    ok=False,
                    reason="worker_died",
                    message=f"the Ray worker died while generating this item: {str(error).splitlines()[0]}",
                )
            except ray.exceptions.RayError as error:  # e.g. the request could not be sent
                outcome = ItemOutcome(
                    request.item_id, ok=False, reason="error", message=str(error).splitlines()[0]
                )
            on_outcome(outcome)
            if deaths[id(actor)] <= MAX_ACTOR_DEATHS:
                free.append(actor)
            elif not free and not in_flight:
                raise IpvgError(
                    "Every Ray worker died repeatedly.",
                    "look at the Ray logs (/tmp/ray/session_latest/logs); a worker usually dies from host out-of-memory.",
                )

    def close(self) -> None:
        ray = getattr(self, "_ray", None) or _import_ray()
        for actor in getattr(self, "_actors", []):
            ray.kill(actor)
        self._actors = []
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False
