"""The whole method in one call: face + prompt -> decoupled prompts -> first frame -> video -> identity.

    from ipvg.pipeline import IdentityVideoPipeline
    pipeline = IdentityVideoPipeline.from_preset("paper-5b").to("cuda")
    result = pipeline("face.png", "A woman laughs and waves at the camera", seed=0, num_frames=81)
    result.save("out")   # or pass out_dir= to the call; either way "out" appears complete or not at all

This is the only module that knows all the stages. Models load on first use and stay loaded for the
next calls; with an offloading runtime the spatial models are released before the video stage so a
24 GB GPU can run the 5B path. A preset without a first-frame stage (`spatial.backend = "none"`)
hands the video stage the reference face alone.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ipvg.config import PipelineConfig, check_seed, get_preset
from ipvg.faces import Face, FaceBackend, Reference, face_backend_for
from ipvg.identity import (
    GuardAttempt,
    IdentityJudge,
    VideoIdentity,
    draw_first_frame,
    early_stop_threshold,
    guard_identity,
    reference_crop,
)
from ipvg.inputs import clean_prompt
from ipvg.io.images import load_image
from ipvg.io.rundir import check_run_dir, write_staged
from ipvg.progress import Progress, SilentProgress
from ipvg.prompts.base import PromptBackend
from ipvg.records import candidate_entries, environment_info, image_fingerprint, report_note, write_run
from ipvg.spatial.base import KeyframeCandidate, KeyframeResult, SpatialBackend
from ipvg.temporal.base import AnimateOutput, TemporalBackend
from ipvg.types import DecoupledPrompt, RunRecord, StageRecord, Video
from ipvg.verbosity import quiet_libraries

logger = logging.getLogger(__name__)

GENERIC_SUBJECT = "A person"
NO_SPATIAL_STAGE = "none"  # spatial.backend value of a pipeline without a first-frame stage

ImageInput = str | Path | Image.Image | np.ndarray
Candidate = KeyframeCandidate  # the name the web UI and older callers use


@dataclass
class GenerationResult:
    prompts: DecoupledPrompt
    first_frame: Image.Image | None  # None without a first-frame stage
    candidates: list[KeyframeCandidate]
    video: Video
    video_identity: VideoIdentity
    record: RunRecord
    paths: dict[str, Path] = field(default_factory=dict)
    face_image: Image.Image | None = field(default=None, repr=False)
    note: str = ""  # shown on the report (e.g. the tiny preset's "noise by design")

    @property
    def frame_similarities(self) -> list[float | None]:
        return self.video_identity.per_frame

    @property
    def identity_mean(self) -> float | None:
        return self.video_identity.mean

    def save(self, out_dir: str | Path, *, overwrite: bool = False) -> dict[str, Path]:
        """Write first_frame.png, candidates/, video.mp4, report.html and record.json as the folder `out_dir`:
        staged beside it and swapped in whole, so a crash leaves `out_dir` as it was (`ipvg.io.rundir`).
        A folder ipvg did not write is refused unless `overwrite`."""
        self.paths = write_staged(
            out_dir,
            lambda folder: write_run(
                folder,
                self.record,
                face=self.face_image,
                first_frame=self.first_frame,
                candidates=self.candidates,
                video=self.video,
                video_identity=self.video_identity,
                note=self.note,
            ),
            overwrite=overwrite,
        )
        self.video.path = self.paths.get("video", self.video.path)  # not the staging folder's name
        return self.paths


def load_input_image(source: ImageInput, what: str = "the face image") -> tuple[Image.Image, str | None]:
    """An RGB image from a path, a PIL image or an (H, W, 3) uint8 array, and its path if it has one."""
    if isinstance(source, np.ndarray):
        if source.ndim != 3 or source.shape[-1] not in (3, 4) or source.dtype != np.uint8:
            from ipvg.errors import BadInputError

            raise BadInputError(
                f"`{what}` as an array must be (H, W, 3) uint8 RGB, got {source.shape} {source.dtype}.",
                "pass np.asarray(pil_image.convert('RGB')), a PIL image or a path.",
            )
        source = Image.fromarray(source)
    path = str(source) if isinstance(source, str | Path) else None
    return load_image(source), path


def call_seed(seed: int | None, generator: torch.Generator | None, default: int) -> int:
    """The seed of one call: `seed`, else `generator`'s, else `default`; checked now, since torch would
    refuse an out-of-range seed mid-run."""
    if seed is None and generator is not None:
        seed = generator.initial_seed()
    return check_seed(default if seed is None else seed)


def video_overrides(**values: Any) -> dict[str, Any]:
    """The per-call video settings that were given, as `temporal.*` config overrides."""
    return {f"temporal.{name}": value for name, value in values.items() if value is not None}


class IdentityVideoPipeline:
    """Prompt decoupling, identity-preserving first frame, image-to-video; models kept loaded."""

    def __init__(
        self,
        config: PipelineConfig,
        *,
        faces: FaceBackend | None = None,
        prompts: PromptBackend | None = None,
        spatial: SpatialBackend | None = None,
        temporal: TemporalBackend | None = None,
    ) -> None:
        """Stages not given are created from `config` on first use (given ones: e.g. shared or wrapped)."""
        quiet_libraries()
        self.config = config
        self._faces = faces
        self._prompts = prompts
        self._spatial = spatial
        self._temporal = temporal
        self._judge: IdentityJudge | None = None

    @classmethod
    def from_preset(
        cls, preset: str = "tiny", overrides: dict[str, Any] | None = None
    ) -> IdentityVideoPipeline:
        return cls(get_preset(preset).with_overrides(overrides or {}))

    def __repr__(self) -> str:
        spatial = "none" if not self.has_spatial_stage else self.config.spatial.backend
        loaded = [name for name in ("faces", "prompts", "spatial", "temporal") if getattr(self, f"_{name}")]
        return (
            f"IdentityVideoPipeline(preset={self.config.name!r}, prompts={self.config.prompts.backend!r}, "
            f"faces={self.config.faces.backend!r}, spatial={spatial!r}, "
            f"temporal={self.config.temporal.backend!r}, device={self.config.runtime.device!r}, "
            f"created={loaded})"
        )

    def to(self, device: str | torch.device) -> IdentityVideoPipeline:
        """Run on `device` from the next call: stages already created are released and load there."""
        device = str(device)
        if device != self.config.runtime.device:
            self.config = self.config.with_overrides({"runtime.device": device})
            for stage in (self._spatial, self._temporal):
                release = getattr(stage, "unload", None)
                if release is not None:
                    release()
            self._spatial = self._temporal = self._prompts = None
            _free_memory()
        return self

    # Stage objects are created on first use and reused by later calls.
    @property
    def faces(self) -> FaceBackend:
        if self._faces is None:
            self._faces = face_backend_for(self.config.faces)
        return self._faces

    @property
    def judge(self) -> IdentityJudge:
        """Faces found and compared the challenge's way, with this pipeline's face backend."""
        if self._judge is None or self._judge.faces is not self.faces:
            self._judge = IdentityJudge(self.faces)
        return self._judge

    @property
    def prompts(self) -> PromptBackend:
        if self._prompts is None:
            from ipvg.prompts import create_prompt_backend

            self._prompts = create_prompt_backend(self.config.prompts)
        return self._prompts

    @property
    def has_spatial_stage(self) -> bool:
        return self._spatial is not None or self.config.spatial.backend != NO_SPATIAL_STAGE

    @property
    def spatial(self) -> SpatialBackend:
        if self._spatial is None:
            if not self.has_spatial_stage:
                raise AssertionError("this pipeline has no first-frame stage (spatial.backend=none)")
            from ipvg.spatial import create_spatial_backend

            self._spatial = create_spatial_backend(self.config.spatial, self.config.faces, self.config.runtime)
        return self._spatial

    @property
    def temporal(self) -> TemporalBackend:
        if self._temporal is None:
            from ipvg.temporal import create_temporal_backend

            self._temporal = create_temporal_backend(self.config.temporal, self.config.runtime)
        return self._temporal

    def _release_spatial(self) -> None:
        """Free the first-frame models before the video stage when memory is tight."""
        if self.config.runtime.offload == "none" or self._spatial is None:
            return
        self._spatial.unload()
        _free_memory()

    @contextlib.contextmanager
    def overridden(self, overrides: dict[str, Any]) -> Iterator[PipelineConfig]:
        """Run with `overrides` ("temporal.num_frames": 49, ...) for the `with` block only. Stages read
        their config at call time, so theirs are swapped too; model ids and the runtime must not change
        (the loaded weights would no longer match)."""
        base = self.config
        config = base.with_overrides(overrides) if overrides else base
        swapped: list[tuple[Any, Any]] = []
        for section in ("spatial", "temporal"):
            backend = getattr(self, f"_{section}")
            if getattr(base, section) != getattr(config, section) and hasattr(backend, "config"):
                swapped.append((backend, backend.config))
                backend.config = getattr(config, section)
        self.config = config
        try:
            yield config
        finally:
            self.config = base
            for backend, saved in swapped:
                backend.config = saved
            for section in ("spatial", "temporal"):
                # A stage first created inside the block was built from the overridden config.
                backend = getattr(self, f"_{section}")
                if hasattr(backend, "config") and all(backend is not b for b, _ in swapped):
                    if backend.config == getattr(config, section):
                        backend.config = getattr(base, section)

    def decouple(
        self, prompt: str, face_image: Image.Image | None = None, *, reference: Face | None = None
    ) -> DecoupledPrompt:
        """Stage 0 alone (the web UI shows it for editing before generation). The subject phrase
        comes from `reference` (an already detected face) or else from a face found in `face_image`."""
        from ipvg.prompts import subject_for_gender, subject_from_face

        if reference is not None:
            subject: str | None = subject_for_gender(reference.gender)
        else:
            subject = subject_from_face(face_image, self.faces) if face_image is not None else None
        if subject == GENERIC_SUBJECT:
            # The face backend cannot tell (dlib): let the decoupler read the prompt's own words ("her").
            subject = None
        return self.prompts.decouple(clean_prompt(prompt), subject=subject)

    def __call__(
        self,
        face: ImageInput,
        prompt: str,
        *,
        num_frames: int | None = None,
        num_inference_steps: int | None = None,
        height: int | None = None,
        width: int | None = None,
        guidance_scale: float | None = None,
        negative_prompt: str | None = None,
        num_candidates: int | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        out_dir: str | Path | None = None,
        overwrite: bool = False,
        prompts: DecoupledPrompt | None = None,
        progress: Progress | None = None,
    ) -> GenerationResult:
        """A video of the person in `face` doing what `prompt` says.

        `num_frames`, `num_inference_steps`, `height`, `width`, `guidance_scale` and `negative_prompt`
        set the video stage for this call (the first frame follows the preset's recipe);
        `num_candidates` sets the first-frame best-of-N. `seed` (or `generator`'s seed) seeds every stage.
        `prompts` skips decoupling (e.g. prompts edited in the web UI). With `out_dir`, the run is written
        there, all at once (see `GenerationResult.save`; `overwrite` as there); the folder is checked first."""
        overrides = video_overrides(
            num_frames=num_frames,
            num_inference_steps=num_inference_steps,
            height=height,
            width=width,
            guidance_scale=guidance_scale,
            negative_prompt=negative_prompt,
        )
        if num_candidates is not None:
            overrides["spatial.num_candidates"] = num_candidates
        seed = call_seed(seed, generator, self.config.seed)
        with self.overridden(overrides):
            return self._run(
                face, prompt, seed=seed, out_dir=out_dir, overwrite=overwrite, prompts=prompts, progress=progress
            )

    def _run(
        self,
        face: ImageInput,
        prompt: str,
        *,
        seed: int,
        out_dir: str | Path | None,
        overwrite: bool,
        prompts: DecoupledPrompt | None,
        progress: Progress | None,
    ) -> GenerationResult:
        progress = progress or SilentProgress()
        stages: list[StageRecord] = []
        warnings: list[str] = []

        # 1. Check inputs before anything expensive: prompt, face image, output folder (nothing created yet)
        prompt = clean_prompt(prompt)
        face_image, source = load_input_image(face)
        folder = check_run_dir(out_dir, overwrite=overwrite) if out_dir is not None else None

        # 2. Reference face: the largest face in the photo (the backend retries on a grey-padded copy)
        started = time.perf_counter()
        with progress.stage("Finding the reference face"):
            face_found = self.judge.reference_face(face_image, source=source or "the face image")
        reference = Reference(face_image, face_found)
        stages.append(
            StageRecord("faces.reference", time.perf_counter() - started, extra={"backend": self.faces.name})
        )
        # The video settings are checked now (nothing loads), not after the first frame is made: e.g.
        # `temporal.boundary_ratio` on a one-expert model. Their warnings are said by the video stage.
        self.temporal.resolve_settings([])

        # 3. Decouple the prompt into spatial and temporal prompts (unless given, e.g. edited in the UI)
        started = time.perf_counter()
        if prompts is None:
            with progress.stage(f"Decoupling the prompt ({self.config.prompts.backend})"):
                prompts = self.decouple(prompt, reference=reference.face)  # the face of step 2, not again
        warnings += list(prompts.warnings)
        stages.append(
            StageRecord("prompts.decouple", time.perf_counter() - started, extra={"backend": prompts.backend})
        )

        # 4-6. Draw candidates, score and choose, refine: best of N by identity (ipvg.identity)
        keyframe: KeyframeResult | None = None
        if self.has_spatial_stage:
            keyframe = draw_first_frame(
                self.spatial, self.judge, reference, prompts.spatial, seed=seed, progress=progress
            )
            stages += keyframe.stages
            warnings += keyframe.warnings
            self._release_spatial()

        # 7-8. Animate the chosen first frame (image-to-video) and/or the reference face (VACE) with the
        #      temporal prompt, then score the challenge's 16 sampled frames against the reference. The
        #      identity guard re-samples with the next seed while identity is low (temporal.max_attempts).
        first_frame = keyframe.image if keyframe is not None else None
        face_crop = reference_crop(reference)

        def animate(video_seed: int) -> AnimateOutput:
            return self.temporal.animate(
                first_frame, prompts.temporal, seed=video_seed, progress=progress, reference=face_crop
            )

        def score(output: AnimateOutput) -> VideoIdentity:
            started = time.perf_counter()
            with progress.stage("Scoring identity per frame"):
                identity = self.judge.video_identity(reference.face, output.video)
            stages.extend(output.stages)
            warnings.extend(w for w in output.warnings if w not in warnings)
            stages.append(
                StageRecord(
                    "faces.video_identity",
                    time.perf_counter() - started,
                    extra={"frames": len(identity.frame_indices)},
                )
            )
            return identity

        threshold = self.config.temporal.identity_threshold
        if threshold is None:
            threshold = early_stop_threshold(None, self.faces)
        animated, identity, attempts = guard_identity(
            animate, score, seed=seed, max_attempts=self.config.temporal.max_attempts, threshold=threshold
        )
        if not attempts[-1].passed and len(attempts) > 1:
            warnings.append(
                f"The identity guard tried {len(attempts)} video seeds and none reached {threshold:g} "
                f"(mean and worst frame); kept seed {animated_seed(attempts)}, the best by mean identity."
            )

        record = RunRecord(
            kind="generate",
            config=self.config.to_dict(),
            inputs={
                "face": image_fingerprint(face_image, source),
                "prompt": prompt,
                "seed": seed,
                "video_seed": animated_seed(attempts),
            },
            prompts=prompts.to_dict(),
            models={
                "spatial": keyframe.models if keyframe is not None else None,
                "temporal": animated.models,
                "faces": self.faces.name,
                "prompts": prompts.backend,
            },
            stages=stages,
            outputs={
                "num_frames": animated.video.num_frames,
                "fps": animated.video.fps,
                "width": animated.video.width,
                "height": animated.video.height,
                "settings": vars(animated.settings),
                # The first frame's resolved settings: the backend's typed options with the recipe filled in.
                "spatial_settings": keyframe.settings if keyframe is not None else None,
                "candidates": candidate_entries(keyframe.candidates if keyframe else [], with_files=False),
            },
            scores={
                "face_backend": self.faces.name,
                "first_frame_similarity": (
                    keyframe.candidates[keyframe.chosen_index].similarity if keyframe is not None else None
                ),
                "video_identity_frames": identity.frame_indices,
                "video_identity_per_frame": identity.per_frame,
                "video_identity_mean": identity.mean,
                "frames_without_face": identity.frames_without_face,
                "identity_guard": {
                    "threshold": threshold,
                    "max_attempts": self.config.temporal.max_attempts,
                    "attempts": [attempt.to_dict() for attempt in attempts],
                },
            },
            warnings=warnings,
            environment=environment_info(),
        )
        result = GenerationResult(
            prompts,
            keyframe.image if keyframe is not None else None,
            keyframe.candidates if keyframe is not None else [],
            animated.video,
            identity,
            record,
            face_image=face_image,
            note=report_note(self.config.name),
        )

        # 9. Write into a staging folder that replaces `out_dir` only once every file is in it
        if folder is not None:
            with progress.stage("Writing outputs"):
                result.save(folder, overwrite=overwrite)
        return result


def animated_seed(attempts: list[GuardAttempt]) -> int:
    """The seed of the video the guard kept."""
    return next(attempt.seed for attempt in attempts if attempt.chosen)


def _free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


__all__ = [
    "Candidate",
    "GenerationResult",
    "IdentityVideoPipeline",
    "load_input_image",
]
