"""The batch under torchrun (context-parallel path): rank 0 runs the batch, the other ranks follow it
item by item. On CPU the process group uses gloo; the fake generator stands in for the pipeline."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_torchrun_ranks_follow_rank_zero_and_only_rank_zero_writes(
    small_testset: Path, tmp_path: Path
) -> None:
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    if torchrun is None:
        pytest.skip("torchrun not found next to the Python interpreter")
    (small_testset / "id004" / "prompt2.txt").write_text("A woman waves NOFACE")  # a failure on every rank
    out, logs = tmp_path / "submission", tmp_path / "logs"
    logs.mkdir()
    command = [
        torchrun,
        "--nproc-per-node",
        "2",
        "--master-port",
        str(free_port()),
        str(HERE / "torchrun_fake.py"),
    ]
    completed = subprocess.run(
        [*command, str(small_testset), str(out), str(logs)], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    rank0, rank1 = (json.loads((logs / f"rank{rank}.json").read_text()) for rank in (0, 1))
    assert rank0["size"] == rank1["size"] == 2
    expected = ["id001/prompt1", "id001/prompt2", "id004/prompt1", "id004/prompt2"]
    assert rank0["calls"] == rank1["calls"] == expected  # same items, same order, on both ranks
    assert rank0["done_now"] == 3 and rank1["done_now"] == 0
    assert sorted(p.name for p in (out / "id004").iterdir()) == ["prompt1.mp4"]
    assert sorted(p.name for p in (out / "_ipvg").iterdir() if p.suffix == ".sqlite") == ["manifest.sqlite"]


@pytest.mark.slow
def test_ray_hands_items_out_dynamically_and_survives_a_dying_worker(
    small_testset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_generator import FakeFactory

    from ipvg.batch import run_batch
    from ipvg.config import get_preset

    monkeypatch.setenv("PYTHONPATH", str(HERE))  # Ray's local workers import fake_generator too
    (small_testset / "id001" / "prompt2.txt").write_text("A man waves DIE")
    out = tmp_path / "submission"
    summary = run_batch(small_testset, out, config=get_preset("tiny"), factory=FakeFactory(0.2), workers=2)
    assert summary.executor == "ray" and summary.done_now == 3 and summary.failed_now == 1
    assert summary.reasons == {"worker_died": 1}
    failure = summary.failures[0]
    assert failure[0] == "id001/prompt2" and "worker died" in failure[2]
    # The other actor was free first and took the remaining items: handed out dynamically.
    assert all(
        (out / "_ipvg" / "records" / item / "batch.json").is_file()
        for item in ("id004/prompt1", "id004/prompt2")
    )
