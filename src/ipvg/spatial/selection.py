"""Best-of-N first frames (the paper's recipe: up to 3 attempts, keep the highest ArcFace similarity
to the reference, stop early once one exceeds 0.5).

Candidates are generated in batches (`batch_size` at a time, all at once when memory allows); early
stopping is checked between batches. Every candidate and its score is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PIL import Image

from ipvg.spatial.base import KeyframeCandidate


def candidate_seeds(seed: int, num_candidates: int) -> list[int]:
    """Candidate i uses seed + i, so candidate 0 alone reproduces a single-candidate run."""
    return [seed + index for index in range(num_candidates)]


def choose(candidates: Sequence[KeyframeCandidate]) -> int:
    """Index of the highest similarity; the first candidate when no candidate has a face."""
    scored = [(c.similarity, -i) for i, c in enumerate(candidates) if c.similarity is not None]
    return -max(scored)[1] if scored else 0


ARCFACE_EARLY_STOP = 0.5  # the official recipe's threshold, on ArcFace's cosine scale


def early_stop_threshold(configured: float | None, face_backend: object) -> float:
    """The configured threshold, or else the face backend's own same-person threshold: similarity
    scales differ (dlib's cosines between different people reach 0.9; ArcFace's stay far lower)."""
    if configured is not None:
        return configured
    return float(getattr(face_backend, "match_threshold", ARCFACE_EARLY_STOP))


def best_of_n(
    seeds: Sequence[int],
    generate: Callable[[list[int]], list[Image.Image]],
    evaluate: Callable[[Image.Image, int], KeyframeCandidate],
    *,
    batch_size: int,
    early_stop_similarity: float | None,
) -> tuple[list[KeyframeCandidate], int]:
    """Generate candidates batch by batch; `evaluate` refines and scores one. Returns all candidates
    and the chosen index."""
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1, got {batch_size}.")
    candidates: list[KeyframeCandidate] = []
    for start in range(0, len(seeds), batch_size):
        batch = list(seeds[start : start + batch_size])
        images = generate(batch)
        candidates += [evaluate(image, seed) for image, seed in zip(images, batch, strict=True)]
        best = candidates[choose(candidates)].similarity
        if early_stop_similarity is not None and best is not None and best > early_stop_similarity:
            break
    return candidates, choose(candidates)
