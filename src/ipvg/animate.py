"""Animate an image with a text prompt (the temporal stage on its own), from Python:

    from ipvg.animate import Animator
    animator = Animator.from_preset("tiny")
    result = animator("face.png", "A woman smiles and waves", seed=0, num_frames=13, out_dir="out")

Models are loaded on the first call and reused for the next ones. The run folder has the layout of
`generate` (the input as first_frame.png, video.mp4, report.html, record.json) and, as there, appears
complete or not at all (`ipvg.io.rundir`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ipvg.config import PipelineConfig, get_preset
from ipvg.inputs import clean_prompt
from ipvg.io.rundir import check_run_dir, write_staged
from ipvg.pipeline import ImageInput, call_seed, load_input_image, video_overrides
from ipvg.progress import Progress, SilentProgress
from ipvg.records import RECORD, VIDEO, environment_info, image_fingerprint, report_note, write_run
from ipvg.temporal import create_temporal_backend
from ipvg.temporal.base import TemporalBackend
from ipvg.types import RunRecord, Video
from ipvg.verbosity import quiet_libraries

VIDEO_NAME = VIDEO
RECORD_NAME = RECORD


@dataclass
class AnimateResult:
    video: Video
    record: RunRecord
    video_path: Path | None = None
    record_path: Path | None = None


class Animator:
    """Image-to-video with one temporal backend, kept loaded across calls."""

    def __init__(self, config: PipelineConfig, *, temporal: TemporalBackend | None = None) -> None:
        quiet_libraries()
        self.config = config
        self.backend: TemporalBackend = temporal or create_temporal_backend(config.temporal, config.runtime)

    @classmethod
    def from_preset(cls, preset: str = "tiny", overrides: dict[str, Any] | None = None) -> Animator:
        return cls(get_preset(preset).with_overrides(overrides or {}))

    def __repr__(self) -> str:
        return (
            f"Animator(preset={self.config.name!r}, temporal={self.config.temporal.backend!r}, "
            f"model={self.config.temporal.model!r}, device={self.config.runtime.device!r})"
        )

    def to(self, device: str | torch.device) -> Animator:
        """Run on `device` from the next call (the model is released and loads there)."""
        if str(device) != self.config.runtime.device:
            self.config = self.config.with_overrides({"runtime.device": str(device)})
            self.backend = create_temporal_backend(self.config.temporal, self.config.runtime)
        return self

    def __call__(
        self,
        image: ImageInput,
        prompt: str,
        *,
        reference: ImageInput | None = None,
        num_frames: int | None = None,
        num_inference_steps: int | None = None,
        height: int | None = None,
        width: int | None = None,
        guidance_scale: float | None = None,
        negative_prompt: str | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        out_dir: str | Path | None = None,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> AnimateResult:
        """A video that starts from `image` and follows `prompt`; the keyword arguments set this call only.
        `reference` (the person's face) is seen by reference-conditioned backends (VACE) in every step.
        With `out_dir`, the run folder replaces it whole on success; a folder ipvg did not write is refused
        unless `overwrite`."""
        progress = progress or SilentProgress()
        seed = call_seed(seed, generator, self.config.seed)
        overrides = video_overrides(
            num_frames=num_frames,
            num_inference_steps=num_inference_steps,
            height=height,
            width=width,
            guidance_scale=guidance_scale,
            negative_prompt=negative_prompt,
        )
        # 1. Check inputs (and the per-call settings) before any model loads
        config = self.config.with_overrides(overrides) if overrides else self.config
        prompt = clean_prompt(prompt)
        picture, source = load_input_image(image, "the image")
        face, face_source = load_input_image(reference, "the reference") if reference is not None else (None, None)
        folder = check_run_dir(out_dir, overwrite=overwrite) if out_dir is not None else None
        # 2. Animate (loads the model on the first call); the backend reads its config at call time
        saved = getattr(self.backend, "config", None)
        if saved is not None:
            self.backend.config = config.temporal  # type: ignore[attr-defined]
        try:
            output = self.backend.animate(picture, prompt, seed=seed, progress=progress, reference=face)
        finally:
            if saved is not None:
                self.backend.config = saved  # type: ignore[attr-defined]
        record = RunRecord(
            kind="animate",
            config=config.to_dict(),
            inputs={"image": image_fingerprint(picture, source), "prompt": prompt, "seed": seed}
            | ({"reference": image_fingerprint(face, face_source)} if face is not None else {}),
            prompts={"source": prompt, "spatial": "", "temporal": prompt},
            models={"temporal": output.models},
            stages=output.stages,
            outputs={
                "num_frames": output.video.num_frames,
                "fps": output.video.fps,
                "width": output.video.width,
                "height": output.video.height,
                "settings": vars(output.settings),
            },
            warnings=output.warnings,
            environment=environment_info(),
        )
        result = AnimateResult(video=output.video, record=record)
        # 3. Write the run folder (the input as first_frame.png) staged, swapped in once complete
        if folder is not None:
            with progress.stage("Writing video"):
                paths = write_staged(
                    folder,
                    lambda staging: write_run(
                        staging,
                        record,
                        face=picture,
                        first_frame=picture,
                        video=output.video,
                        note=report_note(config.name),
                    ),
                    overwrite=overwrite,
                )
            result.video_path, result.record_path = paths["video"], paths["record"]
            output.video.path = paths["video"]  # not the staging folder's name
        return result
