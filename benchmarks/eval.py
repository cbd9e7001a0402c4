"""Evaluation speed: videos per minute for `ipvg eval` on the offline dlib path (CPU).

    python benchmarks/eval.py                          # 6 videos, 832x480, 49 frames each
    python benchmarks/eval.py --width 1280 --height 704 --frames 121   # the challenge's 5B size
    python benchmarks/eval.py --model-metrics      # FID/CLIP/AMT-S/MUSIQ networks at real size, random weights

Builds a challenge-layout test set and submission in a temporary folder from the VIP-200K sample
faces (each video: the face pasted on a moving background, so dlib's HOG detector finds it), then
times `evaluate_submission` with FaceSim-dlib (16 sampled frames per video, as the challenge).
Decoding, detection and embedding are all in the timing; building the videos is not.
Results: benchmarks/results/eval-cpu.json and .md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, write_results

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "vip200k-sample"
HOG_IDS = ("id001", "id004", "id005")  # faces dlib's HOG detector finds (see shared/data/README.md)


def make_video_frames(face: Image.Image, width: int, height: int, num_frames: int, seed: int) -> np.ndarray:
    """The face (40% of the height) on a smooth background that drifts, the face moving slowly."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    size = int(height * 0.4)
    face_small = face.convert("RGB").resize((size, size))
    base = rng.integers(0, 255, 3)
    frames = []
    for index in range(num_frames):
        background = np.stack(
            [
                (x * 0.2 + index * 2 + base[0]) % 256,
                (y * 0.3 + base[1]) % 256,
                ((x + y) * 0.1 + base[2]) % 256,
            ],
            axis=-1,
        ).astype(np.uint8)
        canvas = Image.fromarray(background)
        canvas.paste(face_small, (width // 3 + index, height // 4))
        frames.append(np.asarray(canvas))
    return np.stack(frames)


def build_dataset(root: Path, num_videos: int, width: int, height: int, num_frames: int) -> tuple[Path, Path]:
    from ipvg.io.images import load_image
    from ipvg.io.video import write_video

    testset, submission = root / "testset", root / "submission"
    for index in range(num_videos):
        identity = HOG_IDS[index % len(HOG_IDS)]
        prompt = f"prompt{index // len(HOG_IDS) + 1}"
        (testset / identity).mkdir(parents=True, exist_ok=True)
        (submission / identity).mkdir(parents=True, exist_ok=True)
        face = load_image(SAMPLES / identity / "image.png")
        face.save(testset / identity / "image.png")
        (testset / identity / f"{prompt}.txt").write_text("a person smiles at the camera\n")
        write_video(
            make_video_frames(face, width, height, num_frames, index),
            24,
            submission / identity / f"{prompt}.mp4",
        )
    return testset, submission


def time_model_metrics(repeats: int = 3) -> list[dict[str, Any]]:
    """Real-size architectures with random weights (speed does not depend on the values): seconds per
    unit of work of each model-backed metric on this CPU."""
    import torch
    from _common import time_call
    from transformers import CLIPConfig, CLIPModel

    from ipvg.eval.amt import AmtS, MidFrameInterpolator
    from ipvg.eval.inception import InceptionV3Features
    from ipvg.eval.musiq import Musiq, vbench_frame_tensor

    rows = []
    frame_1280 = np.random.default_rng(0).integers(0, 255, (704, 1280, 3), dtype=np.uint8)
    with torch.no_grad():
        inception = InceptionV3Features("pytorch-fid").eval()
        crops = torch.rand(16, 3, 224, 224)
        timing = time_call(lambda: inception(crops), repeats=repeats)
        rows.append(
            {"metric": "fid", "model": "Inception v3 (21.8M)", "unit": "16 face crops", **_seconds(timing)}
        )
        clip = CLIPModel(CLIPConfig(vision_config={"patch_size": 16}, projection_dim=512)).eval()
        pixels, tokens = torch.rand(16, 3, 224, 224), torch.randint(0, 49000, (1, 77))
        timing = time_call(
            lambda: (clip.get_image_features(pixel_values=pixels), clip.get_text_features(input_ids=tokens)),
            repeats=repeats,
        )
        rows.append(
            {
                "metric": "clipscore",
                "model": "CLIP ViT-B/16 (150M)",
                "unit": "16 frames + prompt",
                **_seconds(timing),
            }
        )
        interpolate = MidFrameInterpolator(AmtS())
        timing = time_call(lambda: interpolate(frame_1280, frame_1280), repeats=max(1, repeats - 1))
        rows.append(
            {
                "metric": "motion-smoothness",
                "model": "AMT-S (3.0M)",
                "unit": "1 interpolated 1280x704 frame",
                **_seconds(timing),
            }
        )
        musiq = Musiq().eval()
        timing = time_call(lambda: musiq(vbench_frame_tensor(frame_1280)), repeats=repeats)
        rows.append(
            {
                "metric": "imaging-quality",
                "model": "MUSIQ (27.1M)",
                "unit": "1 frame (512x281)",
                **_seconds(timing),
            }
        )
    return rows


def _seconds(timing: dict[str, Any]) -> dict[str, float]:
    return {"median_s": timing["median_s"], "min_s": timing["min_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--num-videos", type=int, default=6)
    parser.add_argument("--width", type=int, default=832)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--frames", type=int, default=49)
    parser.add_argument("--metrics", default="facesim-dlib")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--model-metrics",
        action="store_true",
        help="Time the model-backed metrics at real size instead (random weights).",
    )
    args = parser.parse_args()
    if args.model_metrics:
        rows = time_model_metrics()
        payload = {
            "benchmark": "eval-model-metrics",
            "rows": rows,
            "machine": {**machine(), "load_average_1_5_15": os.getloadavg()},
        }
        write_results("eval-model-metrics-cpu", {**payload, "summary": rows}, rows, args.out)
        return

    from ipvg.eval import evaluate_submission
    from ipvg.eval.frames import sample_frames

    with tempfile.TemporaryDirectory(prefix="ipvg-eval-bench-") as folder:
        testset, submission = build_dataset(
            Path(folder), args.num_videos, args.width, args.height, args.frames
        )
        # Decoding alone, for the split between video IO and face work.
        start = time.perf_counter()
        for video in sorted(submission.rglob("*.mp4")):
            sample_frames(video)
        decode_s = time.perf_counter() - start
        start = time.perf_counter()
        run = evaluate_submission(submission, testset, args.metrics.split(","))
        total_s = time.perf_counter() - start
    summary = run.summary()
    result: dict[str, Any] = {
        "benchmark": "eval",
        "metrics": args.metrics.split(","),
        "num_videos": args.num_videos,
        "video": {
            "width": args.width,
            "height": args.height,
            "frames": args.frames,
            "fps": 24,
            "codec": "h264",
        },
        "sampled_frames_per_video": 16,
        "summary": {
            "videos_per_minute": 60.0 * args.num_videos / total_s,
            "seconds_per_video": total_s / args.num_videos,
            "decode_seconds_per_video": decode_s / args.num_videos,
            "total_s": total_s,
            "num_ok": summary["num_ok"],
            "num_failed": summary["num_failed"],
            "mean_scores": {name: stats["mean"] for name, stats in summary["metrics"].items()},
            "mean_no_face_share": {
                name: stats.get("mean_no_face_share") for name, stats in summary["metrics"].items()
            },
        },
        "machine": {**machine(), "load_average_1_5_15": os.getloadavg()},
        "note": "The first video also pays for loading dlib's models (about a second). The machine is shared: "
        "a load average above its core count means other work slowed this run.",
    }
    table = [{"metrics": args.metrics, "size": f"{args.width}x{args.height}x{args.frames}", **{
        k: v for k, v in result["summary"].items() if k in ("videos_per_minute", "seconds_per_video", "decode_seconds_per_video")
    }}]  # fmt: skip
    write_results("eval-cpu", result, table, args.out)


if __name__ == "__main__":
    main()
