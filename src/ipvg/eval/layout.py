"""Read the challenge layout into evaluation items, or make one item from a single video.

Test set: `testset/idNNN/{image.png|image.webp|image.jpg, prompt1.txt .. promptN.txt}`.
Submission: `submission/idNNN/promptN.mp4` (H.264). Items are every prompt of the test set; a
missing video is not skipped silently: the item is kept and scored as failed (`missing_video`).
"""

from __future__ import annotations

import re
from pathlib import Path

from ipvg.errors import BadInputError
from ipvg.eval.types import EvalItem

REFERENCE_NAMES = ("image.png", "image.webp", "image.jpg", "image.jpeg")
PROMPT_PATTERN = re.compile(r"^(prompt\d+)\.txt$")


def _natural_key(name: str) -> tuple[object, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def find_reference(identity_dir: Path) -> Path | None:
    """The reference face photo of one identity folder (first of `REFERENCE_NAMES` that exists)."""
    for name in REFERENCE_NAMES:
        if (identity_dir / name).is_file():
            return identity_dir / name
    return None


def read_prompt(path: Path) -> str:
    """A prompt file's text (UTF-8, BOM and surrounding whitespace removed)."""
    return path.read_text(encoding="utf-8-sig", errors="replace").strip()


def challenge_items(submission_dir: str | Path, testset_dir: str | Path) -> list[EvalItem]:
    """One item per `idNNN/promptN.txt` of the test set, paired with `submission/idNNN/promptN.mp4`."""
    submission, testset = Path(submission_dir).expanduser(), Path(testset_dir).expanduser()
    if not testset.is_dir():
        raise BadInputError(
            f"Test set folder not found: {testset}.", "pass --testset DIR holding idNNN/ folders."
        )
    if not submission.is_dir():
        raise BadInputError(
            f"Submission folder not found: {submission}.", "pass the folder holding idNNN/promptN.mp4."
        )
    items = []
    for identity_dir in sorted(
        (p for p in testset.iterdir() if p.is_dir()), key=lambda p: _natural_key(p.name)
    ):
        prompt_files = sorted(
            (p for p in identity_dir.iterdir() if PROMPT_PATTERN.match(p.name)),
            key=lambda p: _natural_key(p.name),
        )
        reference = find_reference(identity_dir)
        for prompt_file in prompt_files:
            prompt_name = prompt_file.stem
            items.append(
                EvalItem(
                    item_id=f"{identity_dir.name}/{prompt_name}",
                    identity=identity_dir.name,
                    prompt_name=prompt_name,
                    prompt=read_prompt(prompt_file),
                    reference_path=reference,
                    video_path=submission / identity_dir.name / f"{prompt_name}.mp4",
                )
            )
    if not items:
        raise BadInputError(
            f"No prompts found in {testset}.",
            "the test set must hold idNNN/ folders with image.png and prompt1.txt .. files.",
        )
    return items


def single_item(video: str | Path, face: str | Path | None, prompt: str) -> EvalItem:
    """One item from one video, one reference face photo and one prompt (`ipvg eval --video`)."""
    video_path = Path(video).expanduser()
    return EvalItem(
        item_id=video_path.stem,
        identity=Path(face).stem if face else "reference",
        prompt_name=video_path.stem,
        prompt=prompt.strip(),
        reference_path=Path(face).expanduser() if face else None,
        video_path=video_path,
    )
