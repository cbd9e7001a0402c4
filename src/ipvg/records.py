"""Run records: what ran, with which models and settings, how long and how much memory, so any
result can be reproduced and compared; and the one writer of a run folder (generate, keyframe, animate):

    first_frame.png, candidates/candidate_N.png, video.mp4, report.html, record.json (last)

Each file is written atomically and record.json last, so its presence means the folder is complete (the
CLI also stages the whole folder beside --out: `ipvg.io.rundir`). The record stays a typed `RunRecord`
until this writer adds the file names and the encode timing and serialises it.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from ipvg.io.files import write_json_atomic, write_png_atomic, write_text_atomic
from ipvg.types import RunRecord, StageRecord, Video

if TYPE_CHECKING:
    from ipvg.identity import VideoIdentity
    from ipvg.spatial.base import KeyframeCandidate

FIRST_FRAME = "first_frame.png"
VIDEO = "video.mp4"
REPORT = "report.html"
RECORD = "record.json"


def environment_info() -> dict[str, Any]:
    import diffusers
    import torch
    import transformers

    import ipvg

    info: dict[str, Any] = {
        "ipvg": ipvg.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "platform": platform.platform(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def image_fingerprint(image: Image.Image, source: str | Path | None = None) -> dict[str, Any]:
    digest = hashlib.sha256(image.tobytes()).hexdigest()[:16]
    return {
        "source": str(source) if source is not None else None,
        "width": image.width,
        "height": image.height,
        "sha256_rgb": digest,
    }


def write_record(path: str | Path, record: RunRecord) -> Path:
    return write_json_atomic(path, record.to_dict())


def candidate_name(index: int) -> str:
    return f"candidates/candidate_{index}.png"


def candidate_entries(candidates: list[KeyframeCandidate], *, with_files: bool) -> list[dict[str, Any]]:
    """What the record says about each first-frame candidate."""
    return [
        {"seed": c.seed, "similarity": c.similarity, "chosen": c.chosen, "refined": c.refined}
        | ({"file": candidate_name(index)} if with_files else {})
        for index, c in enumerate(candidates)
    ]


def write_run(
    folder: Path,
    record: RunRecord,
    *,
    face: Image.Image | None,
    first_frame: Image.Image | None = None,
    candidates: list[KeyframeCandidate] | None = None,
    video: Video | None = None,
    video_identity: VideoIdentity | None = None,
    note: str = "",
) -> dict[str, Path]:
    """Write a run's files into `folder` (see the module docstring); returns their paths by name."""
    import time

    from ipvg.io.video import write_video
    from ipvg.report import render_report

    candidates = candidates or []
    paths: dict[str, Path] = {}
    if first_frame is not None:
        paths["first_frame"] = write_png_atomic(folder / FIRST_FRAME, first_frame)
        record.outputs["first_frame"] = FIRST_FRAME
    for index, candidate in enumerate(candidates):
        paths[f"candidate_{index}"] = write_png_atomic(folder / candidate_name(index), candidate.image)
    if candidates:
        record.outputs["candidates"] = candidate_entries(candidates, with_files=True)
    if video is not None:
        started = time.perf_counter()
        paths["video"] = video.path = write_video(video.frames_FHWC, video.fps, folder / VIDEO)
        record.stages.append(
            StageRecord(
                "outputs.encode_video",
                time.perf_counter() - started,
                extra={"codec": "libx264", "frames": video.num_frames},
            )
        )
        record.outputs["video"] = VIDEO
    if face is not None:  # the report shows the reference beside the results
        record.outputs["report"] = REPORT
    as_dict = record.to_dict()
    if face is not None:
        entries = as_dict["outputs"].get("candidates", [])
        html = render_report(
            face=face,
            record=as_dict,
            candidates=[(c.image, entry) for c, entry in zip(candidates, entries, strict=True)],
            video_path=paths.get("video"),
            similarities=list(video_identity.per_frame) if video_identity is not None else [],
            note=note,
            video_frames_FHWC=video.frames_FHWC if video is not None else None,
        )
        paths["report"] = write_text_atomic(folder / REPORT, html)
    paths["record"] = write_json_atomic(folder / RECORD, as_dict)
    return paths


def report_note(preset: str) -> str:
    """The note a report shows for runs of `preset` (the tiny preset's output is noise by design)."""
    from ipvg.config import TINY_NOTE

    return TINY_NOTE[0].upper() + TINY_NOTE[1:] + "." if preset == "tiny" else ""
