"""The paper's identity logic in one place, shared by the pipeline, the keyframe command, the web UI and
eval: how faces are found and compared, which video frames are scored, and best-of-N first frames with
the face-detail decision.

- One similarity: the cosine of identity embeddings clamped at 0 (the IPVG challenge's FaceSim).
- One frame sampler: the challenge's `np.linspace(0, F - 1, 16, dtype=int)` (repeats when F < 16).
- One face policy: the largest face; the grey-padded retry when there is none is the face backend's
  own (`detect` applies it, see `ipvg.faces.policies`), so it is never wrapped around `detect` again.
- Best-of-N (arXiv 2507.04705, section 3.2): draw up to N candidates, redraw each one's face when the
  backend offers it, keep the highest similarity to the reference, stop once one exceeds the threshold.

Spatial backends only draw (`SpatialBackend.draw`/`redraw`); everything that judges a face is here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
from PIL import Image

from ipvg.faces.base import Face, FaceBackend, Reference, cosine_similarity, largest_face
from ipvg.progress import Progress, SilentProgress
from ipvg.spatial.base import KeyframeCandidate, KeyframeResult, SpatialBackend
from ipvg.types import StageRecord, Video

NUM_CHALLENGE_FRAMES = 16  # the challenge scores 16 uniformly sampled frames
ARCFACE_EARLY_STOP = 0.5  # the official recipe's threshold, on ArcFace's cosine scale


def challenge_frame_indices(num_frames: int, num_samples: int = NUM_CHALLENGE_FRAMES) -> list[int]:
    """The frames the challenge scorer samples: `np.linspace(0, F - 1, K, dtype=int)` (truncation, not
    rounding; a video shorter than K repeats frames, and the repeats count in the mean as they do there)."""
    if num_frames < 1 or num_samples < 1:
        raise ValueError(f"need at least one frame and one sample, got {num_frames} and {num_samples}.")
    return [int(i) for i in np.linspace(0, num_frames - 1, num_samples, dtype=int)]


def face_embedding(face: Face) -> np.ndarray | None:
    """The vector a face is compared by: the raw embedding when the backend keeps it (the challenge's
    FaceSim-Arc reads ArcFace's raw output), else the normalised one. Cosine ignores the scale."""
    return face.raw_embedding if face.raw_embedding is not None else face.embedding


def identity_similarity(reference: Face, face: Face | None) -> float | None:
    """FaceSim of one face: cosine of identity embeddings clamped at 0; None without a face or vector."""
    if face is None:
        return None
    a, b = face_embedding(reference), face_embedding(face)
    if a is None or b is None:
        return None
    return max(0.0, cosine_similarity(a, b))


def mean_identity(per_frame: Sequence[float | None]) -> float | None:
    """Mean over frames with a face; None when no frame has one."""
    present = [float(value) for value in per_frame if value is not None]
    return float(np.mean(present)) if present else None


@dataclass(frozen=True)
class VideoIdentity:
    """Identity of a video: the sampled frame indices and each one's similarity (None: no face)."""

    frame_indices: list[int]
    per_frame: list[float | None]

    @property
    def mean(self) -> float | None:
        return mean_identity(self.per_frame)

    @property
    def frames_without_face(self) -> int:
        return sum(value is None for value in self.per_frame)


@dataclass
class IdentityJudge:
    """Finds and compares faces with one face backend, the challenge's way (see the module docstring)."""

    faces: FaceBackend
    detect_calls: int = field(default=0, repr=False)  # how many images were searched (for the record)

    @property
    def name(self) -> str:
        return self.faces.name

    def reference_face(self, image: Image.Image, *, source: str = "the face image") -> Face:
        """The largest face of the reference photo; `NoFaceDetectedError` naming `source` when none."""
        self.detect_calls += 1
        face = largest_face(self.faces, image, source=source)
        if face_embedding(face) is None:
            raise AssertionError(f"face backend {self.faces.name} returned a face without an embedding")
        return face

    def find(self, image: Image.Image) -> Face | None:
        """The largest face in `image`, or None."""
        self.detect_calls += 1
        found = self.faces.detect(image)
        return max(found, key=lambda face: face.area) if found else None

    def similarity(self, reference: Face, image: Image.Image) -> tuple[Face | None, float | None]:
        """The largest face in `image` and its similarity to `reference` (None, None without a face)."""
        face = self.find(image)
        return face, identity_similarity(reference, face)

    def video_identity(self, reference: Face, video: Video) -> VideoIdentity:
        """Similarity of the challenge's sampled frames to the reference (each distinct frame searched once)."""
        indices = challenge_frame_indices(video.num_frames)
        by_index = {index: self.similarity(reference, video.frame(index))[1] for index in sorted(set(indices))}
        return VideoIdentity(indices, [by_index[index] for index in indices])



def reference_crop(reference: Reference, scale: float = 2.0) -> Image.Image:
    """The reference face for a reference-conditioned video model: a square around the largest face,
    `scale` times its side (face, hair, neck), at the photo's own resolution (no resampling)."""
    from ipvg.spatial.faceprep import refine_region

    return reference.image.crop(refine_region(reference.face, reference.image.size, scale).box)


# --- best-of-N first frames ----------------------------------------------------------------------


def candidate_seeds(seed: int, num_candidates: int) -> list[int]:
    """Candidate i uses seed + i, so candidate 0 alone reproduces a single-candidate run."""
    return [seed + index for index in range(num_candidates)]


def choose(candidates: Sequence[KeyframeCandidate]) -> int:
    """Index of the highest similarity (the first on a tie); the first candidate when none has a face."""
    scored = [(c.similarity, -i) for i, c in enumerate(candidates) if c.similarity is not None]
    return -max(scored)[1] if scored else 0


def early_stop_threshold(configured: float | None, face_backend: object) -> float:
    """The configured threshold, or else the face backend's own same-person threshold: similarity
    scales differ (dlib's cosines between different people reach 0.9; ArcFace's stay far lower)."""
    if configured is not None:
        return configured
    return float(getattr(face_backend, "match_threshold", ARCFACE_EARLY_STOP))


def best_of_n(
    seeds: Sequence[int],
    draw: Callable[[list[int]], list[Image.Image]],
    evaluate: Callable[[Image.Image, int], KeyframeCandidate],
    *,
    batch_size: int,
    early_stop_similarity: float | None,
) -> tuple[list[KeyframeCandidate], int]:
    """Draw candidates batch by batch; `evaluate` refines and scores one; stop once the best exceeds
    `early_stop_similarity`. Returns every candidate drawn and the chosen index."""
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1, got {batch_size}.")
    candidates: list[KeyframeCandidate] = []
    for start in range(0, len(seeds), batch_size):
        batch = list(seeds[start : start + batch_size])
        images = draw(batch)
        candidates += [evaluate(image, seed) for image, seed in zip(images, batch, strict=True)]
        best = candidates[choose(candidates)].similarity
        if early_stop_similarity is not None and best is not None and best > early_stop_similarity:
            break
    return candidates, choose(candidates)


def draw_first_frame(
    spatial: SpatialBackend,
    judge: IdentityJudge,
    reference: Reference,
    spatial_prompt: str,
    *,
    seed: int = 0,
    num_candidates: int | None = None,
    progress: Progress | None = None,
) -> KeyframeResult:
    """The paper's first frame: up to N candidates from `spatial`, each one's face redrawn when the plan
    says so, the one most like `reference` kept (stopping early above the threshold)."""
    progress = progress or SilentProgress()
    # 1. How the call will run (validated before anything loads), then load and condition
    plan = spatial.plan(num_candidates)
    prepared = spatial.prepare(reference, spatial_prompt, progress)
    stages, warnings = list(prepared.stages), list(prepared.warnings)

    # 2. Judge one candidate: find its face, redraw it (the face-detail pass), score the result
    def evaluate(image: Image.Image, candidate_seed: int) -> KeyframeCandidate:
        face = judge.find(image)
        refined = face is not None and plan.refine_face
        if refined:
            assert face is not None
            image = spatial.redraw(image, face, prepared.prompt, candidate_seed)
            face = judge.find(image)
        return KeyframeCandidate(
            image, candidate_seed, identity_similarity(reference.face, face), refined, face is not None
        )

    # 3. Best of N, in batches; progress counts denoising steps across batches
    # torch loads here, not at import: `ipvg generate` imports this module (via ipvg.segments) before
    # its missing-weights check, which must answer without torch (tests/cli/test_torch_free_preflight.py)
    import torch

    from ipvg.runtime import MemoryMeter

    done = 0
    total_steps = plan.num_candidates * plan.num_inference_steps
    with (
        progress.steps(f"First frames ({spatial.name})", total_steps) as advance,
        MemoryMeter(torch.device(plan.device)) as meter,
    ):

        def draw(seeds: list[int]) -> list[Image.Image]:
            nonlocal done
            offset = done
            images = spatial.draw(
                prepared.prompt, seeds, reference, on_step=lambda step: advance(offset + step * len(seeds))
            )
            done += plan.num_inference_steps * len(seeds)
            return images

        candidates, chosen = best_of_n(
            candidate_seeds(seed, plan.num_candidates),
            draw,
            evaluate,
            batch_size=plan.batch_size,
            early_stop_similarity=early_stop_threshold(plan.early_stop_similarity, judge.faces),
        )
    candidates = [replace(c, chosen=index == chosen) for index, c in enumerate(candidates)]
    stages.append(
        StageRecord(
            "spatial.generate_refine_score" if plan.refine_face else "spatial.generate_score",
            meter.seconds,
            meter.peak_memory_mb,
            plan.device,
            {"candidates": len(candidates), "steps": plan.num_inference_steps},
        )
    )
    if not any(c.face_found for c in candidates):
        warnings.append(
            f"No face was found in any of the {len(candidates)} first-frame candidates; kept candidate 0. "
            "Describe the face in the spatial prompt (e.g. end it with 'close-up') or raise num_candidates."
        )
    return KeyframeResult(
        image=candidates[chosen].image,
        candidates=candidates,
        chosen_index=chosen,
        prompt=prepared.prompt,
        settings=plan.settings,
        stages=stages,
        warnings=warnings,
        models=spatial.describe_models(),
    )


# --- the identity guard: re-sample the video while its identity is too low ---------------------

T = TypeVar("T")


@dataclass(frozen=True)
class GuardAttempt:
    """One video attempt of the identity guard: its seed, its identity and whether it passed."""

    seed: int
    identity: VideoIdentity
    passed: bool
    chosen: bool = False

    def to_dict(self) -> dict[str, object]:
        present = [value for value in self.identity.per_frame if value is not None]
        return {
            "seed": self.seed,
            "mean": self.identity.mean,
            "worst": min(present) if present else None,
            "frames_without_face": self.identity.frames_without_face,
            "per_frame": self.identity.per_frame,
            "passed": self.passed,
            "chosen": self.chosen,
        }


def passes_identity_guard(identity: VideoIdentity, threshold: float) -> bool:
    """Both the mean and the worst sampled frame reach `threshold`; a sampled frame where the face was
    lost counts as failing (the challenge would drop it from the mean, but the person is gone there)."""
    if identity.mean is None or identity.frames_without_face:
        return False
    return identity.mean >= threshold and min(v for v in identity.per_frame if v is not None) >= threshold


def guard_identity(
    animate: Callable[[int], T],
    score: Callable[[T], VideoIdentity],
    *,
    seed: int,
    max_attempts: int,
    threshold: float,
) -> tuple[T, VideoIdentity, list[GuardAttempt]]:
    """Animate with `seed`, then `seed + 1`, ... until an attempt passes the guard or `max_attempts` are
    spent; keep the attempt with the highest mean identity (the first on a tie; no face counts lowest).
    Only the best output is held, so memory does not grow with the attempts."""
    if max_attempts < 1:
        raise ValueError(f"`max_attempts` must be >= 1, got {max_attempts}.")
    attempts: list[GuardAttempt] = []
    best: tuple[T, VideoIdentity, int] | None = None
    for number in range(max_attempts):
        output = animate(seed + number)
        identity = score(output)
        passed = passes_identity_guard(identity, threshold)
        attempts.append(GuardAttempt(seed + number, identity, passed))
        mean = -1.0 if identity.mean is None else identity.mean
        if best is None or mean > (-1.0 if best[1].mean is None else best[1].mean):
            best = (output, identity, number)
        if passed:
            break
    assert best is not None
    attempts = [replace(attempt, chosen=index == best[2]) for index, attempt in enumerate(attempts)]
    return best[0], best[1], attempts
