"""Peak memory of a long video by segments against one segment (issue 17: within 10%).

    python benchmarks/longvideo_memory.py --preset tiny --segments 1 4

Each count runs in a fresh Python process (peak RSS only grows within one): a one-segment warm-up
run loads every model, then a video of N steps ("1. ... 2. ...") is made with
`ipvg.segments.generate_long` into a temporary folder. Reported per run: peak RSS (`ru_maxrss`:
models, torch's allocator, encoder, everything) after the warm-up and after the measured run, the
tracemalloc peak of Python/numpy allocations during the measured run, frames written and seconds.
Results: benchmarks/results/longvideo-memory-<preset>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, write_results

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FACE = REPO.parent / "shared" / "data" / "vip200k-sample" / "id004" / "image.png"
ACTIONS = ["A woman waves", "She smiles", "She nods", "She laughs", "She turns her head", "She blinks"]

CHILD = r"""
import json, resource, sys, tempfile, time, tracemalloc
from ipvg.pipeline import IdentityVideoPipeline
from ipvg.segments import generate_long
preset, face, prompt = sys.argv[1], sys.argv[2], sys.argv[3]
pipeline = IdentityVideoPipeline.from_preset(preset)
generate_long(pipeline, face, "A woman waves", seed=0)  # warm-up: loads every model once
warm_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with tempfile.TemporaryDirectory() as out:
    tracemalloc.start()
    started = time.perf_counter()
    result = generate_long(pipeline, face, prompt, out_dir=out, seed=0)
    seconds = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
print(json.dumps({
    "segments": len(result.record.outputs["segments"]),
    "frames": result.record.outputs["num_frames"],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "peak_rss_after_warmup_mb": warm_rss,
    "tracemalloc_peak_mb": traced_peak / 2**20,
    "seconds": seconds,
}))
"""


def prompt_for(num_segments: int) -> str:
    if num_segments == 1:
        return ACTIONS[0]  # one clip of the preset's length
    return " ".join(f"{i + 1}. {ACTIONS[i % len(ACTIONS)]}." for i in range(num_segments))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--face", default=str(DEFAULT_FACE))
    parser.add_argument("--segments", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    rows = []
    for count in args.segments:
        output = subprocess.run(
            [sys.executable, "-c", CHILD, args.preset, args.face, prompt_for(count)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]))
    write_results(
        f"longvideo-memory-{args.preset}",
        {"machine": machine(), "preset": args.preset, "runs": rows},
        table=rows,
    )
    base = rows[0]
    for row in rows[1:]:
        rss = row["peak_rss_mb"] / base["peak_rss_mb"]
        traced = row["tracemalloc_peak_mb"] / base["tracemalloc_peak_mb"]
        print(
            f"{row['segments']} segments vs {base['segments']}: peak RSS {rss:.3f}x, tracemalloc {traced:.3f}x"
        )


if __name__ == "__main__":
    main()
