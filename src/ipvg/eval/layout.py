"""Read the challenge layout into evaluation items, or make one item from a single video.

Test set: `testset/idNNN/{image.png|image.webp|image.jpg, prompt1.txt .. promptN.txt}`.
Submission: `submission/idNNN/promptN.mp4` (H.264). Items are every prompt of the test set; a
missing video is not skipped silently: the item is kept and scored as failed (`missing_video`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ipvg.errors import BadInputError
from ipvg.eval.types import EvalItem
from ipvg.io.layout import IMAGE_NAMES as REFERENCE_NAMES
from ipvg.io.layout import find_reference, read_prompt_file, read_testset, unsafe_name_reason

logger = logging.getLogger(__name__)

__all__ = ["REFERENCE_NAMES", "challenge_items", "find_reference", "single_item"]


def challenge_items(submission_dir: str | Path, testset_dir: str | Path) -> list[EvalItem]:
    """One item per `idNNN/promptN.txt` of the test set, paired with `submission/idNNN/promptN.mp4`.

    The test set is read by `ipvg.io.layout` (as batch reads it). Items it marks invalid are still
    scored, as failures with their reason (a missing reference photo, an empty prompt), never
    dropped; only identity names that are unsafe as paths are left out (reported by the reader)."""
    submission, testset = Path(submission_dir).expanduser(), Path(testset_dir).expanduser()
    if not testset.is_dir():
        raise BadInputError(
            f"Test set folder not found: {testset}.", "pass --testset DIR holding idNNN/ folders."
        )
    if not submission.is_dir():
        raise BadInputError(
            f"Submission folder not found: {submission}.", "pass the folder holding idNNN/promptN.mp4."
        )
    try:
        dataset = read_testset(testset)
    except BadInputError:
        raise BadInputError(
            f"No prompts found in {testset}.",
            "the test set must hold idNNN/ folders with image.png and prompt1.txt .. files.",
        ) from None
    prompts = {item.item_id: item.prompt for item in dataset.items}
    items = []
    for item_id in dataset.all_item_ids():
        identity, _, name = item_id.rpartition("/")
        reason = unsafe_name_reason(identity) or unsafe_name_reason(name)
        if reason:  # its per-video JSON would be written under that name: left out, and said so
            logger.warning("not scored: %s/%s: %s", identity, name, reason)
            continue
        items.append(
            EvalItem(
                item_id=item_id,
                identity=identity,
                prompt_name=name,
                prompt=prompts.get(item_id) or _prompt(testset / identity / f"{name}.txt"),
                reference_path=find_reference(testset / identity),
                video_path=submission / identity / f"{name}.mp4",
            )
        )
    return items


def _prompt(path: Path) -> str:
    """The prompt of an item batch would refuse (no photo, say): scored all the same; "" when the
    file itself is unusable (scored as empty_prompt)."""
    text, _ = read_prompt_file(path)
    return text or ""


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
