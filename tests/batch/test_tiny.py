"""The real pipeline (tiny preset, random-weight models of the real architectures) through the batch
runner: a full run on the sample test set, the decoupling pass, and Ray workers matching one worker."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import make_testset
from ipvg.batch import decouple_batch, item_seed, run_batch
from ipvg.io.video import read_video

ITEMS = ["id001/prompt1", "id004/prompt1"]


@pytest.fixture(scope="module")
def tiny_run(sample_testset: Path, tmp_path_factory: pytest.TempPathFactory):
    """2 identities x 1 prompt, decoupling pass first, then the batch, at 1 torch thread (as a Ray worker)."""
    root = tmp_path_factory.mktemp("tiny-batch")
    testset = make_testset(sample_testset, root / "testset", prompts=1)
    (testset / "id900").mkdir()  # a photo without a face: fails with no_face, the run goes on
    noise_HWC = np.random.default_rng(0).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    Image.fromarray(noise_HWC).save(testset / "id900" / "image.png")
    (testset / "id900" / "prompt1.txt").write_text("A person waves at the camera")
    out = root / "submission"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        decoupled = decouple_batch(testset, out, preset="tiny")
        summary = run_batch(testset, out, preset="tiny")
    finally:
        torch.set_num_threads(threads)
    return testset, out, summary, decoupled


def frames(out: Path, item_id: str) -> np.ndarray:
    identity, name = item_id.split("/")
    return read_video(out / identity / f"{name}.mp4").frames_FHWC


def test_tiny_batch_on_the_sample_writes_a_valid_submission(tiny_run) -> None:
    _, out, summary, decoupled = tiny_run
    assert decoupled.decoupled + len(decoupled.failures) == 3
    assert summary.done_now == 2 and summary.failed_now == 1 and summary.executor == "local"
    assert summary.reasons == {"no_face": 1} and summary.failures[0][0] == "id900/prompt1"
    assert sorted(p.name for p in out.iterdir()) == ["_ipvg", "id001", "id004"]
    prompts = {
        row["item_id"]: row["prompts"]
        for row in map(json.loads, (out / "_ipvg" / "prompts.jsonl").read_text().splitlines())
    }
    for item_id in ITEMS:
        video = frames(out, item_id)
        assert video.shape == (9, 64, 96, 3) and video.std() > 1  # decodes; not a blank frame
        record_dir = out / "_ipvg" / "records" / item_id
        record = json.loads((record_dir / "record.json").read_text())
        batch = json.loads((record_dir / "batch.json").read_text())
        assert record["inputs"]["seed"] == batch["seed"] == item_seed(0, item_id)
        assert batch["used_decoupled_prompts_file"] is True
        assert record["prompts"]["temporal"] == prompts[item_id]["temporal"]  # the pass's prompts were used
        assert record["prompts"]["spatial"] == prompts[item_id]["spatial"]
        assert (record_dir / "report.html").is_file() and (record_dir / "first_frame.png").is_file()


@pytest.mark.slow
def test_two_ray_workers_give_the_same_videos_as_one_worker(tiny_run, tmp_path: Path) -> None:
    testset, out_one, _, _ = tiny_run
    out_two = tmp_path / "submission-ray"
    summary = run_batch(testset, out_two, preset="tiny", workers=2)
    assert summary.executor == "ray" and summary.workers == 2 and summary.done_now == 2
    assert summary.reasons == {"no_face": 1}
    workers = set()
    for item_id in ITEMS:
        record_one, record_two = (out / "_ipvg" / "records" / item_id for out in (out_one, out_two))
        one, two = (json.loads((record / "batch.json").read_text()) for record in (record_one, record_two))
        assert one["seed"] == two["seed"] and one["input_sha"] == two["input_sha"]
        workers.add(two["worker"])
        # Same raw frames (libx264 may encode identical frames to different bitstreams, so the mp4
        # bytes are not compared), same first frame, same prompts.
        frames_one, frames_two = (
            json.loads((r / "frames.json").read_text()) for r in (record_one, record_two)
        )
        assert frames_one == frames_two and frames_one["frames_shape"] == [9, 64, 96, 3]
        assert (record_one / "first_frame.png").read_bytes() == (record_two / "first_frame.png").read_bytes()
        prompts_one, prompts_two = (
            json.loads((r / "record.json").read_text())["prompts"] for r in (record_one, record_two)
        )
        assert prompts_one == prompts_two
        assert frames(out_one, item_id).shape == frames(out_two, item_id).shape
    assert len(workers) == 2  # both actors took an item: handed out dynamically
