"""Few long videos on many GPUs each: the batch under `torchrun`, with context parallelism.

The alternative to one video per GPU (Ray) when videos are few and long: every rank of a torchrun
group works on the same item at the same time (`runtime.ulysses_degree` = the group size splits
each attention sequence across the GPUs; see `ipvg.runtime.options.apply_context_parallel`).

    torchrun --nproc-per-node 8 -m ipvg.cli.main batch testset --out submission \\
        --preset paper-14b --set runtime.ulysses_degree=8

Rank 0 is the only one that reads the manifest and writes files: it takes each request from the
runner and broadcasts it; every rank generates it; rank 0 commits the outcome. The others follow
until rank 0 broadcasts the end. An error that strikes one rank only (e.g. out of memory on one
GPU) leaves the others waiting in a collective: torchrun's timeout then stops the group, and the
resumed run retries the item.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ipvg.batch.executors import NextRequest, OnOutcome
from ipvg.batch.work import GeneratorFactory, ItemGenerator, ItemRequest, run_item


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


@contextlib.contextmanager
def distributed_world() -> Iterator[World]:
    """World(0, 1) normally; under torchrun (WORLD_SIZE > 1) a process group for its duration."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        yield World()
        return
    import torch
    import torch.distributed as dist

    created = False
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        created = True
    try:
        yield World(dist.get_rank(), dist.get_world_size())
    finally:
        if created:
            dist.destroy_process_group()


def _broadcast(request: ItemRequest | None) -> ItemRequest | None:
    import torch.distributed as dist

    box: list[Any] = [request]
    dist.broadcast_object_list(box, src=0)
    return box[0]


class ContextParallelExecutor:
    """Rank 0's executor: each request goes to every rank, and rank 0's outcome is the result."""

    name = "torchrun"
    num_workers = 1

    def __init__(self, factory: GeneratorFactory, world: World) -> None:
        assert world.is_main, "only rank 0 runs the batch runner"
        self.factory = factory
        self.world = world
        self._generator: ItemGenerator | None = None
        self._ended = False

    def run(self, next_request: NextRequest, on_outcome: OnOutcome) -> None:
        try:
            while (request := next_request()) is not None:
                _broadcast(request)
                if self._generator is None:
                    self._generator = self.factory()
                on_outcome(run_item(self._generator, request))
        finally:
            self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            _broadcast(None)  # releases the followers, also when rank 0 stops early

    def close(self) -> None:
        self._end()  # rank 0 failed before running (e.g. the manifest is locked): release the followers
        self._generator = None


def follow(factory: GeneratorFactory) -> int:
    """Ranks > 0: generate what rank 0 broadcasts (their outputs are dropped) until it says stop."""
    generator: ItemGenerator | None = None
    count = 0
    while (request := _broadcast(None)) is not None:
        if generator is None:
            generator = factory()
        run_item(generator, request)
        count += 1
    return count
