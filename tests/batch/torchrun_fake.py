"""Run by `torchrun --nproc-per-node 2` in test_distributed.py: the batch under torchrun with the fake
generator. Rank 0 runs the batch; rank 1 follows. Each rank writes the items it generated to a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_generator import FakeFactory

from ipvg.batch import run_batch
from ipvg.batch.distributed import distributed_world
from ipvg.config import get_preset

testset, out, log_dir = (Path(arg) for arg in sys.argv[1:4])
factory = FakeFactory()
with distributed_world() as world:
    summary = run_batch(testset, out, config=get_preset("tiny"), factory=factory, world=world)
(log_dir / f"rank{world.rank}.json").write_text(
    json.dumps({"rank": world.rank, "size": world.size, "calls": factory.calls, "done_now": summary.done_now})
)
