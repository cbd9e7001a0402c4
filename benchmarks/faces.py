"""Face backends' speed: faces per second for detection + embedding and for embedding alone.

    python benchmarks/faces.py                     # CPU (all backends)
    python benchmarks/faces.py --device cuda       # adds CurricularFace on the GPU (and ORT CUDA if present)

Real weights for insightface and CurricularFace cannot be downloaded here, so both run at their real
size with random weights (speed does not depend on weight values): CurricularFace is our IR-101;
ArcFace is our IR-50 (the layout of buffalo_l's `w600k_r50.onnx`) exported to ONNX and run through
insightface's `get_model` + ONNX Runtime. insightface's SCRFD detector cannot be rebuilt, so the
end-to-end rows of those two backends use dlib's detector for keypoints. dlib runs its shipped models.
Images: the five VIP-200K sample faces and the astronaut (HOG finds four, the CNN the other two).
Results: benchmarks/results/faces-<device>.json and .md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, time_call, write_results

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "vip200k-sample"
HOG_IMAGES = ("id001", "id004", "id005", "astronaut")
CNN_IMAGES = ("id002", "id003")


def load_images() -> dict[str, Image.Image]:
    from ipvg.io.images import load_image

    images = {
        identity: load_image(SAMPLES / identity / "image.png")
        for identity in HOG_IMAGES + CNN_IMAGES
        if identity != "astronaut"
    }
    images["astronaut"] = load_image(REPO / "examples" / "astronaut.png")
    return images


def row(
    backend: str, stage: str, device: str, batch: int, num_faces: int, timing: dict[str, Any]
) -> dict[str, Any]:
    return {
        "backend": backend,
        "stage": stage,
        "device": device,
        "batch": batch,
        "faces_per_s": num_faces / timing["median_s"],
        "faces_per_s_best": num_faces / timing["min_s"],  # the least disturbed run on a shared machine
        "median_s": timing["median_s"],
        "min_s": timing["min_s"],
    }


def bench_detect(
    backend: Any, name: str, images: list[Image.Image], repeats: int, stage: str
) -> dict[str, Any]:
    num_faces = sum(len(backend.detect(image)) for image in images)  # also the warm-up
    timing = time_call(lambda: [backend.detect(image) for image in images], repeats=repeats, warmup=0)
    return row(name, stage, "cpu", 1, num_faces, timing)


def export_arcface_r50(folder: Path) -> Path:
    """A real-size ArcFace R50 recogniser (random weights) as ONNX, routed by insightface like w600k_r50."""
    from ipvg.faces.curricularface import IResNet

    path = folder / "arcface_r50_random.onnx"
    model = IResNet(50).eval()
    warnings.filterwarnings(
        "ignore", message=".*legacy TorchScript-based ONNX export", category=DeprecationWarning
    )
    torch.onnx.export(
        model, (torch.zeros(1, 3, 112, 112),), str(path), input_names=["input.1"], output_names=["embedding"],
        dynamic_axes={"input.1": {0: "batch"}, "embedding": {0: "batch"}}, dynamo=False, opset_version=13,
    )  # fmt: skip
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    from ipvg.faces import create_face_backend, norm_crop
    from ipvg.faces.curricularface import IResNet
    from ipvg.testing.faces import random_ir_state_dict

    images = load_images()
    rows: list[dict[str, Any]] = []
    crops_224 = []

    # 1. dlib: the shipped models, HOG path and CNN-fallback path
    start = time.perf_counter()
    dlib_backend = create_face_backend("dlib")
    load_dlib_s = time.perf_counter() - start
    rows.append(
        bench_detect(
            dlib_backend, "dlib", [images[k] for k in HOG_IMAGES], args.repeats, "detect+embed (HOG)"
        )
    )
    rows.append(
        bench_detect(
            dlib_backend, "dlib", [images[k] for k in CNN_IMAGES], args.repeats, "detect+embed (CNN fallback)"
        )
    )
    for key in HOG_IMAGES:
        face = dlib_backend.detect(images[key])[0]
        crops_224.append(norm_crop(images[key], face.keypoints_52, 224))

    # 2. CurricularFace IR-101 (random weights), embedding only and end to end
    with torch.device("meta"):
        ir101 = IResNet(100)
    ir101.load_state_dict(random_ir_state_dict(100), assign=True)
    devices = ["cpu"] + (["cuda"] if args.device == "cuda" and torch.cuda.is_available() else [])
    for device in devices:
        backend = create_face_backend("curricularface", model=ir101, detector=dlib_backend, device=device)
        for batch in (1, 16):
            crops = (crops_224 * 16)[:batch]
            timing = time_call(
                lambda crops=crops, backend=backend: backend.embed_aligned(crops), repeats=args.repeats
            )
            rows.append(row("curricularface", "embed (IR-101)", device, batch, batch, timing))
        if device == "cpu":
            rows.append(
                bench_detect(
                    backend,
                    "curricularface",
                    [images[k] for k in HOG_IMAGES],
                    args.repeats,
                    "dlib detect + IR-101 embed",
                )
            )

    # 3. insightface ArcFace R50-size ONNX through insightface's own model zoo
    import onnxruntime

    providers = ["CPUExecutionProvider"]
    if args.device == "cuda" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    with tempfile.TemporaryDirectory() as folder:
        onnx_path = export_arcface_r50(Path(folder))
        backend = create_face_backend(
            "insightface", recognition_model=onnx_path, detector=dlib_backend, providers=providers
        )
        ort_device = "cuda (ORT)" if providers[0].startswith("CUDA") else "cpu (ORT)"
        crops_112 = [
            np.asarray(Image.fromarray(c).resize((112, 112), Image.Resampling.BILINEAR)) for c in crops_224
        ]
        for batch in (1, 16):
            crops = (crops_112 * 16)[:batch]
            timing = time_call(lambda crops=crops: backend.embed_aligned(crops), repeats=args.repeats)
            rows.append(row("insightface", "embed (ArcFace R50 size)", ort_device, batch, batch, timing))
        rows.append(
            bench_detect(
                backend,
                "insightface",
                [images[k] for k in HOG_IMAGES],
                args.repeats,
                "dlib detect + ArcFace R50 embed",
            )
        )

    payload = {
        "benchmark": "faces",
        "machine": machine(),
        "onnxruntime_providers": onnxruntime.get_available_providers(),
        "dlib_load_s": load_dlib_s,
        # The development machines are shared: a high load average inflates every time here.
        "load_average_1_5_15": os.getloadavg(),
        "notes": [
            "faces_per_s = faces processed / median wall time over --repeats runs (after one warm-up); "
            "faces_per_s_best uses the fastest run.",
            "insightface and CurricularFace use random weights at real size; SCRFD detection is not measured.",
        ],
        "rows": rows,
        "summary": {
            f"{r['backend']} | {r['stage']} | {r['device']} | batch {r['batch']}": round(r["faces_per_s"], 2)
            for r in rows
        },
    }
    write_results(f"faces-{args.device}", payload, rows, args.out)


if __name__ == "__main__":
    main()
