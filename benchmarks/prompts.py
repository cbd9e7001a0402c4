"""Prompts per second of the `rules` decoupler on one CPU core, written as JSON.

Usage: python benchmarks/prompts.py [--output benchmarks/results/prompts.json] [--seconds 3]

The workload is the 25 real challenge prompts of ../shared/data/vip200k-sample (when present) plus
the labelled test set, cycled. Short (challenge-style one-sentence) and long (paragraph) prompts are
timed separately, since cost grows with length.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_prompts() -> list[str]:
    prompts = []
    for candidate in (
        REPO.parent / "shared" / "data" / "vip200k-sample",
        REPO / "shared" / "data" / "vip200k-sample",
    ):
        if candidate.exists():
            prompts += [p.read_text(encoding="utf-8") for p in sorted(candidate.glob("*/prompt*.txt"))]
            break
    labelled = REPO / "tests" / "prompts" / "data" / "labelled_prompts.jsonl"
    prompts += [
        json.loads(line)["prompt"]
        for line in labelled.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return prompts


def rate(backend, prompts: list[str], seconds: float) -> dict[str, float]:
    """Decouple `prompts` in a loop for about `seconds`. The rate is per second of this process's
    CPU time (one core), which a busy shared machine does not distort; wall time is given too."""
    for prompt in prompts[:5]:  # warm up word tables and the token counter
        backend.decouple(prompt)
    done = 0
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall_start < seconds:
        for prompt in prompts:
            backend.decouple(prompt)
        done += len(prompts)
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    return {
        "prompts": done,
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "prompts_per_cpu_second": round(done / cpu, 1),
        "prompts_per_wall_second": round(done / wall, 1),
        "mean_cpu_ms": round(1000 * cpu / done, 3),
        "mean_chars": round(sum(map(len, prompts)) / len(prompts), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks" / "results" / "prompts.json")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the goal states
    sys.path.insert(0, str(REPO / "src"))
    from ipvg.prompts.rules import RulesBackend

    backend = RulesBackend()
    prompts = load_prompts()
    short = [p for p in prompts if len(p) < 600]
    long = [p for p in prompts if len(p) >= 600]
    result = {
        "benchmark": "prompts.rules",
        "token_counter": backend.windows.describe(),
        "all": rate(backend, prompts, args.seconds),
        "short": rate(backend, short, args.seconds),
        "long": rate(backend, long, args.seconds) if long else None,
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "cores_used": 1,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    temp = args.output.with_suffix(".tmp")
    temp.write_text(json.dumps(result, indent=2) + "\n")
    temp.replace(args.output)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
