"""Evaluation: the IPVG challenge's metrics over a submission, or over one video.

Feature extractors (models: `inception`, `clip`, face backends) are kept apart from the metric
maths (`maths`); each metric is a registered backend of kind "metrics" (`metrics`), run by the
`suite`, written out by `report`. Public entry points: `evaluate_submission`, `evaluate_video`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ipvg.eval.api import evaluate_items, evaluate_submission, evaluate_video

__all__ = ["evaluate_items", "evaluate_submission", "evaluate_video", "register"]

_FACES_HINT = "pip install 'ipvg[faces]'"
FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"  # also in ipvg.eval.inception (which imports torch)


def _first_existing(*paths: Path) -> Path:
    return next((path for path in paths if path.is_file()), paths[-1])


def register(registry: Any) -> None:
    """Register the built-in metrics (kind "metrics")."""
    from ipvg.registry import BackendSpec
    from ipvg.weights import cache_dir

    # Single-file weights are looked up in ipvg's cache by default (`--*-weights` flags override).
    fid_weights = _first_existing(
        Path.home() / ".cache" / "torch" / "hub" / "checkpoints" / FID_WEIGHTS_FILE,
        cache_dir() / "weights" / FID_WEIGHTS_FILE,
    )

    specs = [
        BackendSpec(
            "metrics",
            "facesim-dlib",
            "ipvg.eval.metrics:create_facesim_dlib",
            "Identity similarity with dlib's offline face models (challenge protocol, no downloads).",
            requires=("dlib", "face_recognition_models"),
            pip_hint=_FACES_HINT,
        ),
        BackendSpec(
            "metrics",
            "facesim-arc",
            "ipvg.eval.metrics:create_facesim_arc",
            "FaceSim-Arc: insightface ArcFace cosine, clamped at 0, mean over 16 frames with a face.",
            requires=("insightface", "onnxruntime"),
            pip_hint=_FACES_HINT,
        ),
        BackendSpec(
            "metrics",
            "facesim-cur",
            "ipvg.eval.metrics:create_facesim_cur",
            "FaceSim-Cur: CurricularFace IR-101 cosine on insightface-aligned crops.",
            requires=("insightface", "onnxruntime"),
            pip_hint=_FACES_HINT,
        ),
        BackendSpec(
            "metrics",
            "fid",
            "ipvg.eval.metrics:create_fid",
            "FID of aligned face crops vs the reference (Inception v3 pool features, torch only).",
            weights=(str(fid_weights),),
        ),
        BackendSpec(
            "metrics",
            "clipscore",
            "ipvg.eval.metrics:create_clipscore",
            "CLIPScore: 100 x cosine of CLIP ViT-B/16 frame and prompt embeddings.",
            weights=("openai/clip-vit-base-patch16",),
        ),
        BackendSpec(
            "metrics",
            "gme",
            "ipvg.eval.metrics:create_gme",
            "GME score: prompt-as-query vs frame embeddings of gme-Qwen2-VL-2B-Instruct, mean cosine.",
            weights=("Alibaba-NLP/gme-Qwen2-VL-2B-Instruct",),
        ),
        BackendSpec(
            "metrics",
            "motion-smoothness",
            "ipvg.eval.metrics:create_motion_smoothness",
            "VBench motion smoothness: AMT-S interpolation error of odd frames from even ones (amt-s.pth).",
            weights=(str(cache_dir() / "weights" / "amt-s.pth"),),
        ),
        BackendSpec(
            "metrics",
            "imaging-quality",
            "ipvg.eval.metrics:create_imaging_quality",
            "VBench imaging quality: MUSIQ-SPAQ per frame (longer side <= 512) / 100 (musiq_spaq_ckpt-358bb6af.pth).",
            weights=(str(cache_dir() / "weights" / "musiq_spaq_ckpt-358bb6af.pth"),),
        ),
        BackendSpec(
            "metrics",
            "overall-first-place",
            "ipvg.eval.metrics:create_first_place_overall",
            "The first-place team's overall score: 0.3 GME + 0.2 (Cur + Arc) + 0.15 (motion + imaging).",
        ),
    ]
    for spec in specs:
        registry.register(spec)
