"""The whole method in one call: face + prompt -> decoupled prompts -> first frame -> video.

    from ipvg.pipeline import IdentityVideoPipeline
    pipeline = IdentityVideoPipeline.from_preset("paper-5b")
    result = pipeline("face.png", "A woman laughs and waves at the camera", seed=0, out_dir="out")

This is the only module that knows all three stages. Models load on first use and stay loaded for
the next calls; with an offloading runtime the spatial models are released before the video stage
so a 24 GB GPU can run the 5B path.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from ipvg.config import TINY_NOTE, PipelineConfig, get_preset
from ipvg.faces import Face, FaceBackend, create_face_backend
from ipvg.identity import IdentityJudge, VideoIdentity
from ipvg.inputs import clean_prompt
from ipvg.io.files import ensure_writable_dir, write_json_atomic, write_png_atomic, write_text_atomic
from ipvg.io.images import load_image
from ipvg.io.video import write_video
from ipvg.progress import Progress, SilentProgress
from ipvg.records import environment_info, image_fingerprint
from ipvg.report import render_report
from ipvg.types import DecoupledPrompt, RunRecord, StageRecord, Video

logger = logging.getLogger(__name__)

GENERIC_SUBJECT = "A person"


@dataclass
class Candidate:
    image: Image.Image
    seed: int
    similarity: float | None
    chosen: bool = False


@dataclass
class GenerationResult:
    prompts: DecoupledPrompt
    first_frame: Image.Image
    candidates: list[Candidate]
    video: Video
    video_identity: VideoIdentity
    record: RunRecord
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def frame_similarities(self) -> list[float | None]:
        return self.video_identity.per_frame

    @property
    def identity_mean(self) -> float | None:
        return self.video_identity.mean


class IdentityVideoPipeline:
    """Prompt decoupling, identity-preserving first frame, image-to-video; models kept loaded."""

    def __init__(
        self,
        config: PipelineConfig,
        *,
        faces: FaceBackend | None = None,
        prompts: Any = None,
        spatial: Any = None,
        temporal: Any = None,
    ) -> None:
        """Stages not given are created from `config` on first use (given ones: e.g. shared or wrapped)."""
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

    # Stage objects are created on first use and reused by later calls.
    @property
    def faces(self) -> FaceBackend:
        if self._faces is None:
            kwargs = {"model_root": self.config.faces.model_root} if self.config.faces.model_root else {}
            self._faces = create_face_backend(self.config.faces.backend, **kwargs)
        return self._faces

    @property
    def judge(self) -> IdentityJudge:
        """Faces found and compared the challenge's way, with this pipeline's face backend."""
        if self._judge is None or self._judge.faces is not self.faces:
            self._judge = IdentityJudge(self.faces)
        return self._judge

    @property
    def prompts(self) -> Any:
        if self._prompts is None:
            from ipvg.prompts import create_prompt_backend

            self._prompts = create_prompt_backend(self.config.prompts)
        return self._prompts

    @property
    def spatial(self) -> Any:
        if self._spatial is None:
            from ipvg.spatial import create_spatial_backend

            self._spatial = create_spatial_backend(
                self.config.spatial, self.config.faces, self.config.runtime, face_backend=self.faces
            )
        return self._spatial

    @property
    def temporal(self) -> Any:
        if self._temporal is None:
            from ipvg.temporal import create_temporal_backend

            self._temporal = create_temporal_backend(self.config.temporal, self.config.runtime)
        return self._temporal

    def _release_spatial(self) -> None:
        """Free the first-frame models before the video stage when memory is tight."""
        if self.config.runtime.offload == "none" or self._spatial is None:
            return
        release = getattr(self._spatial, "unload", None)
        if release is not None:
            release()
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

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
        face: str | Path | Image.Image,
        prompt: str,
        *,
        seed: int | None = None,
        out_dir: str | Path | None = None,
        prompts: DecoupledPrompt | None = None,
        progress: Progress | None = None,
    ) -> GenerationResult:
        progress = progress or SilentProgress()
        seed = self.config.seed if seed is None else seed
        stages: list[StageRecord] = []
        warnings: list[str] = []

        # 1. Check inputs before anything expensive: prompt, face image, a face in it, output folder
        prompt = clean_prompt(prompt)
        source = face if isinstance(face, str | Path) else None
        face_image = load_image(face)
        folder = ensure_writable_dir(out_dir) if out_dir is not None else None
        started = time.perf_counter()
        with progress.stage("Finding the reference face"):
            reference = self.judge.reference_face(face_image, source=str(source or "the face image"))
        stages.append(
            StageRecord("faces.reference", time.perf_counter() - started, extra={"backend": self.faces.name})
        )

        # 2. Decouple the prompt into spatial and temporal prompts (unless given, e.g. edited in the UI)
        started = time.perf_counter()
        if prompts is None:
            with progress.stage(f"Decoupling the prompt ({self.config.prompts.backend})"):
                prompts = self.decouple(
                    prompt, reference=reference
                )  # the face found in step 1, not detected again
        warnings += list(prompts.warnings)
        stages.append(
            StageRecord("prompts.decouple", time.perf_counter() - started, extra={"backend": prompts.backend})
        )

        # 3. Spatial stage: identity-preserving first frame, best of N by face similarity
        keyframe = self.spatial.generate(
            face_image, prompts.spatial, seed=seed, progress=progress, reference=reference
        )
        stages += list(keyframe.stages)
        warnings += list(keyframe.warnings)
        candidates = [
            Candidate(
                image=c.image, seed=c.seed, similarity=c.similarity, chosen=(i == keyframe.chosen_index)
            )
            for i, c in enumerate(keyframe.candidates)
        ]
        self._release_spatial()

        # 4. Temporal stage: animate the first frame with the temporal prompt
        animated = self.temporal.animate(keyframe.image, prompts.temporal, seed=seed, progress=progress)
        stages += animated.stages
        warnings += animated.warnings

        # 5. Identity of the video: similarity of sampled frames to the reference face
        started = time.perf_counter()
        with progress.stage("Scoring identity per frame"):
            identity = self.judge.video_identity(reference, animated.video)
        stages.append(
            StageRecord(
                "faces.video_identity",
                time.perf_counter() - started,
                extra={"frames": len(identity.frame_indices)},
            )
        )

        record = RunRecord(
            kind="generate",
            config=self.config.to_dict(),
            inputs={"face": image_fingerprint(face_image, source), "prompt": prompt, "seed": seed},
            models={
                "spatial": _describe(self._spatial),
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
                "candidates": [
                    {"seed": c.seed, "similarity": c.similarity, "chosen": c.chosen} for c in candidates
                ],
            },
            scores={
                "face_backend": self.faces.name,
                "first_frame_similarity": keyframe.candidates[keyframe.chosen_index].similarity,
                "video_identity_frames": identity.frame_indices,
                "video_identity_per_frame": identity.per_frame,
                "video_identity_mean": identity.mean,
                "frames_without_face": identity.frames_without_face,
            },
            warnings=warnings,
            environment=environment_info(),
        )
        record_dict = record.to_dict() | {"prompts": prompts.to_dict()}
        result = GenerationResult(prompts, keyframe.image, candidates, animated.video, identity, record)

        # 6. Write outputs, each atomically; record.json last, so its presence means the run is complete
        if folder is not None:
            with progress.stage("Writing outputs"):
                result.paths = self._write_outputs(folder, face_image, result, record_dict)
        return result

    def _write_outputs(
        self, folder: Path, face_image: Image.Image, result: GenerationResult, record: dict[str, Any]
    ) -> dict[str, Path]:
        paths: dict[str, Path] = {
            "first_frame": write_png_atomic(folder / "first_frame.png", result.first_frame)
        }
        for index, candidate in enumerate(result.candidates):
            paths[f"candidate_{index}"] = write_png_atomic(
                folder / "candidates" / f"candidate_{index}.png", candidate.image
            )
        started = time.perf_counter()
        paths["video"] = write_video(result.video.frames_FHWC, result.video.fps, folder / "video.mp4")
        record["stages"].append(
            {
                "name": "outputs.encode_video",
                "seconds": time.perf_counter() - started,
                "peak_memory_mb": None,
                "device": "cpu",
                "extra": {"codec": "libx264", "frames": result.video.num_frames},
            }
        )
        result.video.path = paths["video"]
        record["outputs"] |= {
            "first_frame": "first_frame.png",
            "video": "video.mp4",
            "report": "report.html",
            "candidates": [
                dict(c, file=f"candidates/candidate_{i}.png")
                for i, c in enumerate(record["outputs"]["candidates"])
            ],
        }
        html = render_report(
            face=face_image,
            record=record,
            candidates=[
                (c.image, {"seed": c.seed, "similarity": c.similarity, "chosen": c.chosen})
                for c in result.candidates
            ],
            video_path=paths["video"],
            similarities=result.frame_similarities,
            note=TINY_NOTE[0].upper() + TINY_NOTE[1:] + "." if self.config.name == "tiny" else "",
        )
        paths["report"] = write_text_atomic(folder / "report.html", html)
        paths["record"] = write_json_atomic(folder / "record.json", record)
        return paths


def _describe(backend: Any) -> Any:
    describe = getattr(backend, "describe_models", None)
    return describe() if describe is not None else None
