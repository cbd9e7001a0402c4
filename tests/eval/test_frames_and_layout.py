from __future__ import annotations

import numpy as np
import pytest

from ipvg.errors import BadInputError
from ipvg.eval.frames import is_variable_rate, probe_video, sample_frames, uniform_frame_indices
from ipvg.eval.layout import challenge_items, single_item
from ipvg.eval.types import EvalProblem, Reason


def test_uniform_indices_match_the_challenge_scorer():
    assert uniform_frame_indices(121).tolist() == np.linspace(0, 120, 16, dtype=int).tolist()
    assert uniform_frame_indices(121)[[0, -1]].tolist() == [0, 120]
    assert uniform_frame_indices(5).tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4]


def test_variable_rate_detection():
    assert not is_variable_rate([0, 512, 1024, 1536, 2048])
    assert not is_variable_rate([0, 1001, 2002, 3003, 4004, 5005])  # 29.97 fps in 1/30000 ticks
    assert is_variable_rate([0, 4, 8, 20, 24, 28])


def test_challenge_layout(challenge_dirs):
    testset, submission = challenge_dirs
    items = challenge_items(submission, testset)
    assert [item.item_id for item in items] == [
        "id001/prompt1", "id001/prompt2", "id001/prompt3",
        "id004/prompt1", "id004/prompt2", "id004/prompt3", "id004/prompt4", "id005/prompt1",
    ]  # fmt: skip
    assert items[0].prompt == "a woman smiles at the camera"
    assert items[0].video_path == submission / "id001" / "prompt1.mp4"
    assert items[-1].reference_path == testset / "id005" / "image.webp"


def test_eval_reads_the_test_set_as_batch_does_and_drops_nothing_silently(tmp_path, challenge_dirs):
    """One reader (ipvg.io.layout) for batch and eval. Items batch would refuse are still scored here
    as failures (wrong code caught: eval dropping an identity without a photo, or an empty prompt);
    only names unsafe as paths are left out."""
    import shutil

    _, submission = challenge_dirs
    testset = tmp_path / "testset"
    (testset / "id001").mkdir(parents=True)
    (testset / "id001" / "prompt1.txt").write_text("a woman smiles")  # no reference photo
    (testset / "id002").mkdir()
    shutil.copyfile(challenge_dirs[0] / "id001" / "image.png", testset / "id002" / "image.png")
    (testset / "id002" / "prompt1.txt").write_text("   ")  # empty prompt
    (testset / "id003\n").mkdir()  # unsafe name: trailing newline
    (testset / "id003\n" / "prompt1.txt").write_text("a man waves")
    items = {item.item_id: item for item in challenge_items(submission, testset)}
    assert sorted(items) == ["id001/prompt1", "id002/prompt1"]
    assert items["id001/prompt1"].reference_path is None and items["id001/prompt1"].prompt == "a woman smiles"
    assert items["id002/prompt1"].prompt == "" and items["id002/prompt1"].reference_path is not None


def test_layout_errors(tmp_path, challenge_dirs):
    testset, submission = challenge_dirs
    with pytest.raises(BadInputError, match="Test set folder not found"):
        challenge_items(submission, tmp_path / "nope")
    with pytest.raises(BadInputError, match="No prompts found"):
        challenge_items(submission, tmp_path)
    item = single_item(submission / "id001" / "prompt1.mp4", testset / "id001" / "image.png", "  hi ")
    assert (item.item_id, item.prompt) == ("prompt1", "hi")


def test_sampling_keeps_the_chosen_frames(challenge_dirs):
    _, submission = challenge_dirs
    sampled = sample_frames(submission / "id001" / "prompt1.mp4")
    assert sampled.indices == tuple(np.linspace(0, 19, 16, dtype=int).tolist())
    assert sampled.frames_KHWC.shape == (16, 128, 128, 3)
    # Frames 0 and 19 were black when encoded; the others carry the face.
    assert sampled.frames_KHWC[0].mean() < 5 and sampled.frames_KHWC[-1].mean() < 5
    assert sampled.frames_KHWC[1].mean() > 40
    assert not sampled.warnings


@pytest.mark.parametrize(
    ("identity", "prompt", "reason"),
    [
        ("id001", "prompt3", Reason.MISSING_VIDEO),
        ("id004", "prompt2", Reason.NO_FRAMES),
        ("id004", "prompt3", Reason.UNREADABLE_VIDEO),
        ("id004", "prompt4", Reason.TOO_MANY_FRAMES),
    ],
)
def test_unscorable_videos(challenge_dirs, identity, prompt, reason):
    _, submission = challenge_dirs
    with pytest.raises(EvalProblem) as caught:
        sample_frames(submission / identity / f"{prompt}.mp4")
    assert caught.value.reason == reason


def test_long_video_with_a_raised_limit_and_variable_rate(challenge_dirs):
    _, submission = challenge_dirs
    assert probe_video(submission / "id004" / "prompt4.mp4").num_frames == 2000
    sampled = sample_frames(submission / "id004" / "prompt4.mp4", max_frames=2000)
    assert sampled.indices[-1] == 1999 and len(sampled.indices) == 16
    vfr = sample_frames(submission / "id004" / "prompt1.mp4")
    assert vfr.probe.variable_frame_rate and vfr.warnings[0].startswith("variable_frame_rate")


def test_frames_above_the_pixel_cap_are_refused_before_decoding(tmp_path):
    """Issue 14: a 17 KB 8192x8192 video cost 5 minutes and 10 GB. The cap is read from the stream
    header; wrong code caught: checking the size only after decoding (or not at all)."""
    from ipvg.io.video import write_video

    video = write_video(np.zeros((2, 64, 96, 3), np.uint8), 8, tmp_path / "wide.mp4")
    with pytest.raises(EvalProblem) as caught:
        sample_frames(video, max_pixels=64 * 96 - 1)
    assert caught.value.reason == Reason.TOO_LARGE and "64" in caught.value.message
    assert sample_frames(video, max_pixels=64 * 96).frames_KHWC.shape[1:] == (64, 96, 3)
