"""Animate an image with a text prompt (the temporal stage on its own), from Python:

    from ipvg.animate import Animator
    animator = Animator.from_preset("tiny")
    result = animator("face.png", "A woman smiles and waves", seed=0, out_dir="out")

Models are loaded on the first call and reused for the next ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ipvg.config import PipelineConfig, check_seed, get_preset
from ipvg.inputs import clean_prompt
from ipvg.io.files import ensure_writable_dir
from ipvg.io.images import load_image
from ipvg.io.video import write_video
from ipvg.progress import Progress, SilentProgress
from ipvg.records import environment_info, image_fingerprint, write_record
from ipvg.temporal import create_temporal_backend
from ipvg.types import RunRecord, Video

VIDEO_NAME = "video.mp4"
RECORD_NAME = "record.json"


@dataclass
class AnimateResult:
    video: Video
    record: RunRecord
    video_path: Path | None = None
    record_path: Path | None = None


class Animator:
    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self.backend: Any = create_temporal_backend(config.temporal, config.runtime)

    @classmethod
    def from_preset(cls, preset: str = "tiny", overrides: dict[str, Any] | None = None) -> Animator:
        return cls(get_preset(preset).with_overrides(overrides or {}))

    def __call__(
        self,
        image: str | Path | Image.Image,
        prompt: str,
        *,
        seed: int | None = None,
        out_dir: str | Path | None = None,
        progress: Progress | None = None,
    ) -> AnimateResult:
        progress = progress or SilentProgress()
        # 1. Check inputs before any model loads (a seed torch.Generator refuses would fail mid-run)
        seed = check_seed(self.config.seed if seed is None else seed)
        prompt = clean_prompt(prompt)
        source = image if isinstance(image, str | Path) else None
        picture = load_image(image)
        folder = ensure_writable_dir(out_dir) if out_dir is not None else None
        # 2. Animate (loads the model on the first call)
        output = self.backend.animate(picture, prompt, seed=seed, progress=progress)
        record = RunRecord(
            kind="animate",
            config=self.config.to_dict(),
            inputs={"image": image_fingerprint(picture, source), "prompt": prompt, "seed": seed},
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
        # 3. Write outputs atomically: the video first, then the record that describes it
        if folder is not None:
            with progress.stage("Writing video"):
                result.video_path = write_video(
                    output.video.frames_FHWC, output.video.fps, folder / VIDEO_NAME
                )
            output.video.path = result.video_path
            record.outputs["video"] = VIDEO_NAME
            result.record_path = write_record(folder / RECORD_NAME, record)
        return result
