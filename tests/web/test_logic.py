"""The web UI's pure parts: upload limits, prompt edits, stage log, model cache, face boxes, plot."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ipvg.errors import ImageReadError, PromptError
from ipvg.faces import Face
from ipvg.types import DecoupledPrompt
from ipvg.web.logic import (
    PipelineCache,
    StageLog,
    WebLimits,
    candidate_caption,
    check_prompt,
    describe_faces,
    draw_face_boxes,
    edited_prompts,
    human_bytes,
    read_upload,
)

LIMITS = WebLimits(max_upload_bytes=200_000, max_image_side=512, max_prompt_chars=50)


def _save(tmp_path: Path, name: str, image: Image.Image) -> Path:
    path = tmp_path / name
    image.save(path)
    return path


def test_read_upload_accepts_a_photo_and_converts_to_rgb(tmp_path: Path) -> None:
    path = _save(tmp_path, "face.png", Image.new("RGBA", (120, 80), (10, 20, 30, 255)))
    image = read_upload(path, LIMITS)
    assert image.mode == "RGB" and image.size == (120, 80)


def test_read_upload_rejects_too_many_bytes(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(b"\0" * 200_001)
    with pytest.raises(ImageReadError, match=r"195\.3 KB; the limit is 195\.3 KB"):
        read_upload(path, LIMITS)


def test_read_upload_rejects_a_side_over_the_cap(tmp_path: Path) -> None:
    path = _save(tmp_path, "wide.png", Image.new("RGB", (600, 40)))
    with pytest.raises(ImageReadError, match="600x40 pixels; the limit is 512 pixels per side"):
        read_upload(path, LIMITS)


def test_read_upload_rejects_a_non_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(ImageReadError, match=r"Cannot read The uploaded file \(notes.png\) as an image"):
        read_upload(path, LIMITS)


def test_check_prompt_caps_length() -> None:
    assert check_prompt("  A man   waves ", LIMITS) == "A man waves"
    with pytest.raises(PromptError, match="the limit is 50"):
        check_prompt("x" * 51, LIMITS)


DECOUPLED = DecoupledPrompt(
    source="A man waves", spatial="A man, close-up", temporal="A man waves.", subject="A man", backend="rules"
)


def test_edited_prompts_empty_boxes_let_the_pipeline_decouple() -> None:
    assert edited_prompts(None, "A man waves", "", "  ", LIMITS) is None


def test_edited_prompts_unchanged_returns_the_decoupler_output() -> None:
    assert edited_prompts(DECOUPLED, "A man waves", "A man, close-up", "A man waves.", LIMITS) is DECOUPLED


def test_edited_prompts_marks_edits() -> None:
    edited = edited_prompts(DECOUPLED, "A man waves", "A man, close-up", "A man waves slowly.", LIMITS)
    assert edited is not None
    assert edited.temporal == "A man waves slowly." and edited.spatial == "A man, close-up"
    assert edited.backend == "rules+edited" and edited.source == "A man waves"
    assert any("edited" in warning for warning in edited.warnings)
    again = edited_prompts(edited, "A man waves", "A man, close-up", "A man waves fast.", LIMITS)
    assert again is not None and again.backend == "rules+edited"


def test_edited_prompts_refuses_stale_or_orphan_boxes() -> None:
    with pytest.raises(PromptError, match="changed after it was decoupled"):
        edited_prompts(DECOUPLED, "A woman dances", "A man, close-up", "A man waves.", LIMITS)
    with pytest.raises(PromptError, match="without decoupling first"):
        edited_prompts(None, "A man waves", "spatial", "temporal", LIMITS)
    with pytest.raises(PromptError, match="temporal prompt is empty"):
        edited_prompts(DECOUPLED, "A man waves", "A man, close-up", "", LIMITS)


def test_stage_log_orders_stages_and_ticks_finished_ones() -> None:
    log = StageLog()
    assert log.markdown() == "Starting…"
    log.update("Finding the reference face", 0, None)
    log.update("Denoising", 0, 4)
    log.update("Denoising", 3, 4)
    text = log.markdown()
    assert "✓ Finding the reference face" in text and "▶ **Denoising** 3/4" in text
    log.finish()
    text = log.markdown()
    assert "✓ Denoising 3/4" in text and "Done in" in text and "▶" not in text
    assert [stage.description for stage in log.stages] == ["Finding the reference face", "Denoising"]


@pytest.mark.parametrize(
    ("outcome", "ending"),
    [("failed", "**Failed after"), ("cancelled", "**Cancelled after")],
)
def test_stage_log_of_a_failed_or_cancelled_run_never_reads_as_done(outcome: str, ending: str) -> None:
    """Catches the old display, which ticked the stage that failed and printed 'Done in'."""
    log = StageLog()
    log.update("Finding the reference face", 0, None)
    log.update("Denoising", 1, 4)
    log.finish(outcome)
    log.finish("done")  # a second finish changes nothing: the first outcome stands
    text = log.markdown()
    assert "✓ Finding the reference face" in text
    assert "✗ Denoising 1/4" in text and f"{outcome})" in text
    assert ending in text and "Done in" not in text and "✓ Denoising" not in text
    with pytest.raises(ValueError, match="outcome"):
        StageLog().finish("ok")


def test_pipeline_cache_creates_once_per_preset_across_threads() -> None:
    created: list[str] = []

    def factory(name: str) -> object:
        time.sleep(0.05)  # widen the race window
        created.append(name)
        return object()

    cache = PipelineCache(factory, capacity=2)  # type: ignore[arg-type]
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("tiny"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert created == ["tiny"] and len({id(p) for p in got}) == 1
    cache.get("fast")
    cache.get("tiny")  # most recently used now
    cache.get("paper-5b")  # evicts "fast"
    assert cache.loaded() == ["tiny", "paper-5b"] and cache.num_created == 3
    with pytest.raises(ValueError, match="capacity"):
        PipelineCache(factory, capacity=0)  # type: ignore[arg-type]


def _face(box: tuple[float, float, float, float]) -> Face:
    return Face(box_xyxy=box, keypoints_52=np.zeros((5, 2)), score=1.0, gender="male")


def test_draw_face_boxes_marks_the_largest_in_green() -> None:
    image = Image.new("RGB", (100, 100), (0, 0, 0))
    boxed = draw_face_boxes(image, [_face((10, 10, 60, 60)), _face((70, 70, 90, 90))])
    pixels = np.asarray(boxed)
    assert tuple(pixels[10, 30]) == (40, 200, 80)  # top edge of the used face
    assert tuple(pixels[70, 80]) == (170, 170, 170)  # the ignored smaller face
    assert np.asarray(image).max() == 0  # the input is untouched
    assert describe_faces([_face((10, 10, 60, 60))]) == "Face found at (10, 10)-(60, 60), 50x50 px, male."


def test_captions_and_sizes_read_well() -> None:
    assert candidate_caption(3, 0.41234, True) == "✓ chosen · seed 3 · identity 0.412"
    assert candidate_caption(4, None, False) == "seed 4 · no face"
    assert human_bytes(20 * 1024 * 1024) == "20 MB" and human_bytes(512) == "512 bytes"


def test_spatial_token_note_counts_clip_tokens_against_the_77_window() -> None:
    """Catches a count of words or characters instead of CLIP tokens, and a missing warning past 77."""
    from ipvg.prompts import clip_token_count
    from ipvg.web.logic import spatial_token_note

    short = "A woman with red hair, close-up"
    assert spatial_token_note(short) == f"{clip_token_count(short)}/77 CLIP tokens"
    long = "A woman with red hair and a green scarf, standing in a sunlit garden, " * 6
    assert spatial_token_note(long).startswith(f"⚠ {clip_token_count(long)}/77 CLIP tokens")
    assert "the rest is cut" in spatial_token_note(long)
    assert spatial_token_note("   ") == ""


def test_beyond_summary_shows_each_person_and_segment_from_the_record() -> None:
    """Catches people numbered from 0 or swapped, a mean shown for the wrong person, a segments table
    that drops the re-anchoring, and warnings run together."""
    from ipvg.types import RunRecord
    from ipvg.web.logic import beyond_summary_markdown

    segment = {"index": 0, "prompt": "A woman waves.", "frames": [0, 8], "anchor_similarity": None,
               "reanchored": False, "reanchored_similarity": None}  # fmt: skip
    record = RunRecord(
        kind="generate-people",
        config={},
        inputs={},
        outputs={"num_frames": 17, "fps": 8.0, "width": 96, "height": 64, "segments": [
            segment, {**segment, "index": 1, "prompt": "She | smiles.", "frames": [8, 16],
                      "anchor_similarity": 0.31, "reanchored": True, "reanchored_similarity": 0.72}]},
        scores={"people": [{"person": 0, "mean": 0.61}, {"person": 1, "mean": None}], "video_identity_mean": 0.61},
        warnings=["first", "second"],
    )  # fmt: skip
    text = beyond_summary_markdown(record, "")
    assert "17 frames (2.1 s), 96x64, 8 fps, 2 segments" in text
    assert "person 1 (mean over sampled frames where matched):** 0.610" in text
    assert "person 2 (mean over sampled frames where matched):** n/a" in text
    assert "| 1 | A woman waves. | 0-8 | n/a | no |" in text
    assert "| 2 | She \\| smiles. | 8-16 | 0.310 | yes (0.720) |" in text  # a `|` in a prompt stays in its cell
    assert "**⚠ 2 warnings:**\n- first\n- second" in text
