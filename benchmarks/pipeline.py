"""Per-stage time and peak memory of the whole method, for a preset, measured in one run.

    python benchmarks/pipeline.py --preset tiny --repeats 3

Runs `IdentityVideoPipeline` on a sample face and prompt (first call warms up and loads models;
it is reported separately), then reports the median of each stage over the timed calls: prompt
decoupling, reference face, first frame (best-of-N + refinement), video denoising, VAE decode,
video encode, per-frame identity. Results: benchmarks/results/pipeline-<preset>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, write_results

from ipvg.pipeline import IdentityVideoPipeline

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FACE = REPO.parent / "shared" / "data" / "vip200k-sample" / "id004" / "image.png"
DEFAULT_PROMPT = (
    "The man smiles, then turns his head to the left while the camera slowly zooms in, in a sunny park"
)


def stage_seconds(record: dict[str, Any]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for stage in record["stages"]:
        totals[stage["name"]] += stage["seconds"]
    return dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--face",
        type=Path,
        default=DEFAULT_FACE if DEFAULT_FACE.exists() else REPO / "examples" / "astronaut.png",
    )
    parser.add_argument("--prompt", default=DEFAULT_PROMPT)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    pipeline = IdentityVideoPipeline.from_preset(args.preset)
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(args.repeats + 1):
            result = pipeline(args.face, args.prompt, seed=index, out_dir=Path(scratch) / str(index))
            record = json.loads(result.paths["record"].read_text())
            runs.append(
                (stage_seconds(record), {s["name"]: s.get("peak_memory_mb") for s in record["stages"]})
            )
    first, timed = runs[0], runs[1:]
    names = list(first[0])
    rows = []
    for name in names:
        values = [run[0].get(name, 0.0) for run in timed]
        peaks = [run[1].get(name) for run in timed if run[1].get(name) is not None]
        rows.append(
            {
                "stage": name,
                "median_s": statistics.median(values),
                "min_s": min(values),
                "first_call_s": first[0][name],
                "peak_memory_mb": max(peaks) if peaks else None,
            }
        )
    total = sum(
        row["median_s"] for row in rows if not row["stage"].endswith("vae_decode")
    )  # decode is inside denoise_decode
    payload = {
        "preset": args.preset,
        "machine": machine(),
        "repeats": args.repeats,
        "face": str(args.face),
        "prompt": args.prompt,
        "rows": rows,
        "summary": {"median_total_s": total, **{row["stage"]: round(row["median_s"], 4) for row in rows}},
    }
    write_results(f"pipeline-{args.preset}", payload, rows, args.out)


if __name__ == "__main__":
    main()
