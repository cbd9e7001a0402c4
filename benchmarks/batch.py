"""Batch throughput: items per minute with 1 and 2 Ray workers on the tiny preset, and the scaling ratio.

    python benchmarks/batch.py                        # 6 items (3 ids x 2 prompts), 1 and 2 workers
    python benchmarks/batch.py --ids 3 --prompts 4 --workers 1 2 4

Both runs go through Ray (one actor per worker, 1 CPU and 1 torch thread each) so that they differ
only in the number of workers. Two rates per run:
- `items_per_minute_wall`: every item over the whole run, model loading (once per worker) included;
- `items_per_minute_warm`: after every worker has finished its first item (models loaded), the items
  finished per minute, from the manifest's finish times: the steady state of a long batch.
The tiny preset's models are random-weight miniatures, so this measures the batch machinery and CPU
scaling, not real video speed. Results: benchmarks/results/batch-tiny.json and .md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, write_results

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "vip200k-sample"
FAST_IDS = ("id001", "id004", "id005")  # dlib's HOG finds these faces; id002/id003 need the slower CNN


def make_testset(target: Path, num_ids: int, num_prompts: int) -> Path:
    for identity in FAST_IDS[:num_ids]:
        (target / identity).mkdir(parents=True)
        shutil.copyfile(SAMPLES / identity / "image.png", target / identity / "image.png")
        for number in range(1, num_prompts + 1):
            shutil.copyfile(
                SAMPLES / identity / f"prompt{number}.txt", target / identity / f"prompt{number}.txt"
            )
    return target


def warm_rate(manifest: Path) -> tuple[float | None, int]:
    """Items per minute after every worker finished its first item; and how many items that counts."""
    with sqlite3.connect(manifest) as db:
        rows = db.execute(
            "SELECT worker, finished_at FROM items WHERE state = 'done' ORDER BY finished_at"
        ).fetchall()
    first_per_worker: dict[str, float] = {}
    for worker, finished in rows:
        first_per_worker.setdefault(worker, finished)
    warm_start = max(first_per_worker.values())
    warm = [finished for _, finished in rows if finished > warm_start]
    if not warm:
        return None, 0
    return 60.0 * len(warm) / (warm[-1] - warm_start), len(warm)


def run_once(testset: Path, workers: int) -> dict[str, Any]:
    from ipvg.batch import run_batch

    with tempfile.TemporaryDirectory(prefix="ipvg-bench-batch-") as temp:
        out = Path(temp) / "submission"
        started = time.perf_counter()
        summary = run_batch(testset, out, preset="tiny", workers=workers, use_ray=True)
        wall = time.perf_counter() - started
        if not summary.ok:
            raise SystemExit(f"benchmark run failed: {summary.to_dict()}")
        warm, warm_items = warm_rate(out / "_ipvg" / "manifest.sqlite")
    return {
        "workers": workers,
        "items": summary.done_now,
        "wall_s": round(wall, 2),
        "items_per_minute_wall": round(60.0 * summary.done_now / wall, 2),
        "items_per_minute_warm": None if warm is None else round(warm, 2),
        "warm_items": warm_items,
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ids", type=int, default=3, choices=range(1, len(FAST_IDS) + 1))
    parser.add_argument("--prompts", type=int, default=2, choices=range(1, 6))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("IPVG_CACHE", str(REPO / ".ipvg-cache" / "bench"))

    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ipvg-bench-testset-") as temp:
        testset = make_testset(Path(temp) / "testset", args.ids, args.prompts)
        for workers in args.workers:
            rows.append(run_once(testset, workers))
            print(rows[-1], flush=True)
    base = rows[0]
    for row in rows:
        for key in ("items_per_minute_wall", "items_per_minute_warm"):
            if base[key] and row[key]:
                row[f"scaling_{key.removeprefix('items_per_minute_')}"] = round(row[key] / base[key], 2)
    payload = {
        "benchmark": "batch throughput, tiny preset, Ray actors (1 CPU each)",
        "machine": machine()
        | {"cpu_count": os.cpu_count(), "load_average_before": [round(v, 2) for v in load_before]},
        "items": args.ids * args.prompts,
        "runs": rows,
        "summary": {
            f"{row['workers']}_workers": {
                key: row.get(key)
                for key in ("items_per_minute_wall", "items_per_minute_warm", "scaling_wall", "scaling_warm")
            }
            for row in rows
        },
    }
    write_results("batch-tiny", payload, table=rows, out=args.out)


if __name__ == "__main__":
    main()
