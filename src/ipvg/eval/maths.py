"""Metric maths: pure functions on arrays, no models (k-diffusion's split of extractors and metrics).

Shape legend: D feature dimension, N samples, K sampled frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# The project's one cosine (pure numpy, lives in the earliest stage that needs it); CLIP/GME scores use
# it too. FaceSim's clamp at 0 is `ipvg.identity.identity_similarity`, not repeated here.
from ipvg.faces.base import cosine_similarity as cosine

# The first-place team's overall score (their definition, from their challenge report):
# 0.3 * GME + 0.2 * (FaceSim-Cur + FaceSim-Arc) + 0.15 * (motion smoothness + imaging quality).
FIRST_PLACE_WEIGHTS: dict[str, float] = {
    "gme": 0.3,
    "facesim-cur": 0.2,
    "facesim-arc": 0.2,
    "motion-smoothness": 0.15,
    "imaging-quality": 0.15,
}


def mean_over_present(values: Sequence[float | None]) -> float | None:
    """Mean over frames that have a value (a face); None when no frame has one."""
    present = [float(v) for v in values if v is not None]
    return float(np.mean(present)) if present else None


def missing_share(values: Sequence[float | None]) -> float:
    """Share of frames without a value (no face found); 0 for no frames."""
    return sum(v is None for v in values) / len(values) if values else 0.0


def activation_statistics(features_ND: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of features (rows are samples). One sample is repeated, as the challenge
    scorer does, so its covariance is zero rather than undefined."""
    features_ND = np.asarray(features_ND, dtype=np.float64)
    if features_ND.ndim != 2:
        raise ValueError(f"`features_ND` must be 2-D (samples, features); got shape {features_ND.shape}.")
    if features_ND.shape[0] == 1:
        features_ND = np.repeat(features_ND, 2, axis=0)
    return features_ND.mean(axis=0), np.atleast_2d(np.cov(features_ND, rowvar=False))


def frechet_distance(
    mu1_D: np.ndarray, sigma1_DD: np.ndarray, mu2_D: np.ndarray, sigma2_DD: np.ndarray
) -> float:
    """Frechet distance between two Gaussians, ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)).

    Heusel et al., "GANs trained by a two time-scale update rule", NeurIPS 2017. Tr((S1 S2)^(1/2))
    is the sum of square roots of the eigenvalues of S1 S2, which are real and >= 0 for covariance
    matrices (similar to S1^(1/2) S2 S1^(1/2)); tiny negative round-off is clamped at 0.
    """
    mu1_D, mu2_D = np.asarray(mu1_D, dtype=np.float64), np.asarray(mu2_D, dtype=np.float64)
    sigma1_DD, sigma2_DD = np.asarray(sigma1_DD, dtype=np.float64), np.asarray(sigma2_DD, dtype=np.float64)
    if mu1_D.shape != mu2_D.shape or sigma1_DD.shape != sigma2_DD.shape:
        raise ValueError(
            f"Mismatched statistics: {mu1_D.shape} vs {mu2_D.shape}, {sigma1_DD.shape} vs {sigma2_DD.shape}."
        )
    eigenvalues = np.linalg.eigvals(sigma1_DD @ sigma2_DD).real
    trace_sqrt_product = float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())
    difference_D = mu1_D - mu2_D
    return float(
        difference_D @ difference_D + np.trace(sigma1_DD) + np.trace(sigma2_DD) - 2.0 * trace_sqrt_product
    )


def fid_from_features(reference_ND: np.ndarray, generated_ND: np.ndarray) -> float:
    """FID between two feature sets (rows are samples)."""
    return frechet_distance(*activation_statistics(reference_ND), *activation_statistics(generated_ND))


def clip_score(image_embeds_KD: np.ndarray, text_embed_D: np.ndarray) -> tuple[float, list[float]]:
    """CLIPScore over frames: 100 x cosine per frame; the video's score is the mean, clamped at 0
    (torchmetrics' definition; Hessel et al., EMNLP 2021, use 2.5 instead of 100).

    Returns (video score, per-frame scores).
    """
    image_embeds_KD = np.atleast_2d(np.asarray(image_embeds_KD, dtype=np.float64))
    per_frame = [100.0 * cosine(row_D, text_embed_D) for row_D in image_embeds_KD]
    return max(0.0, float(np.mean(per_frame))), per_frame


def gme_score(frame_embeds_KD: np.ndarray, text_embed_D: np.ndarray) -> tuple[float, list[float]]:
    """GME text-video score: cosine of the prompt's (query) embedding with each frame's, averaged.

    Returns (video score, per-frame cosines).
    """
    frame_embeds_KD = np.atleast_2d(np.asarray(frame_embeds_KD, dtype=np.float64))
    per_frame = [cosine(row_D, text_embed_D) for row_D in frame_embeds_KD]
    return float(np.mean(per_frame)), per_frame


def mean_abs_difference(a_HWC: np.ndarray, b_HWC: np.ndarray) -> float:
    """Mean absolute difference of two uint8 images, in grey levels (0..255)."""
    return float(np.abs(np.asarray(a_HWC, dtype=np.int16) - np.asarray(b_HWC, dtype=np.int16)).mean())


def interpolation_smoothness(mean_abs_differences: Sequence[float]) -> float:
    """VBench's motion smoothness from frame-interpolation errors: (255 - mean error) / 255, so 1 is a
    video whose odd frames are exactly what interpolating the even ones predicts (Huang et al.,
    "VBench", CVPR 2024)."""
    if not mean_abs_differences:
        raise ValueError("`mean_abs_differences` is empty: motion smoothness needs at least three frames.")
    return (255.0 - float(np.mean(mean_abs_differences))) / 255.0


def first_place_overall(scores: Mapping[str, float | None]) -> float | None:
    """The first-place team's overall score (their weighting, `FIRST_PLACE_WEIGHTS`); None unless
    every input is present."""
    if any(scores.get(name) is None for name in FIRST_PLACE_WEIGHTS):
        return None
    return float(sum(weight * float(scores[name]) for name, weight in FIRST_PLACE_WEIGHTS.items()))  # type: ignore[arg-type]


def summarise(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Mean, standard deviation, min, max and count of the values that are present."""
    present = np.asarray([v for v in values if v is not None], dtype=np.float64)
    if present.size == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "count": 0}
    return {
        "mean": float(present.mean()),
        "std": float(present.std()),
        "min": float(present.min()),
        "max": float(present.max()),
        "count": int(present.size),
    }
