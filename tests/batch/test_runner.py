"""The resumable runner with a fake generator: layout of outputs, resume, failures, retries, adoption."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fake_generator import FakeFactory

from ipvg.batch import item_seed, read_testset, run_batch
from ipvg.batch.decouple import decouple_pass
from ipvg.batch.manifest import Manifest, ManifestLock
from ipvg.config import get_preset
from ipvg.errors import BadInputError, ConfigError, OutputError
from ipvg.io.video import read_video
from ipvg.types import DecoupledPrompt

IDS = ["id001/prompt1", "id001/prompt2", "id004/prompt1", "id004/prompt2"]


def run(testset: Path, out: Path, factory: FakeFactory, **kwargs):
    kwargs.setdefault("config", get_preset("tiny"))
    return run_batch(testset, out, factory=factory, **kwargs)


def manifest_of(out: Path, suffix: str = "") -> Manifest:
    return Manifest(out / "_ipvg" / f"manifest{suffix}.sqlite")


def done_events(out: Path, suffix: str = "") -> list[str]:
    manifest = manifest_of(out, suffix)
    try:
        return [item_id for item_id, event, _ in manifest.events() if event in ("done", "adopted")]
    finally:
        manifest.close()


def test_full_run_writes_the_challenge_layout_then_resumes_as_a_no_op(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    out = tmp_path / "submission"
    summary = run(small_testset, out, fake_factory)

    assert summary.ok and summary.done_now == 4 and summary.total == 4 and summary.failed_now == 0
    assert sorted(fake_factory.calls) == IDS
    # The submission folders hold the mp4s and nothing else; records live under _ipvg/records.
    for identity in ("id001", "id004"):
        assert sorted(p.name for p in (out / identity).iterdir()) == ["prompt1.mp4", "prompt2.mp4"]
    assert sorted(p.name for p in out.iterdir()) == ["_ipvg", "id001", "id004"]
    record_dir = out / "_ipvg" / "records" / "id004" / "prompt2"
    batch = json.loads((record_dir / "batch.json").read_text())
    assert (
        batch["seed"]
        == item_seed(0, "id004/prompt2")
        == json.loads((record_dir / "record.json").read_text())["seed"]
    )
    assert (record_dir / "candidates" / "candidate_0.png").is_file()
    assert (record_dir / "video.mp4").resolve() == (out / "id004" / "prompt2.mp4").resolve()
    video = read_video(out / "id004" / "prompt2.mp4")
    assert video.num_frames == 3 and (video.height, video.width) == (16, 16)
    assert not list((out / "_ipvg").glob("staging/*"))
    assert json.loads((out / "_ipvg" / "summary.json").read_text())["done_now"] == 4

    again = run(small_testset, out, fake_factory)
    assert again.ok and again.done_now == 0 and again.skipped_done == 4
    assert len(fake_factory.calls) == 4  # nothing generated twice
    assert sorted(done_events(out)) == IDS


def test_failures_are_recorded_the_run_goes_on_and_retries_stop_at_the_limit(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    (small_testset / "id001" / "prompt2.txt").write_text("A man waves NOFACE")
    (small_testset / "id004" / "prompt1.txt").write_text("A woman waves CRASH")
    out = tmp_path / "submission"
    summary = run(small_testset, out, fake_factory, max_attempts=2)
    assert summary.done_now == 2 and summary.failed_now == 2 and not summary.ok
    assert summary.reasons == {"no_face": 1, "error": 1}
    manifest = manifest_of(out)
    failed = manifest.get("id004/prompt1")
    assert failed is not None and failed.state == "failed" and failed.attempts == 1
    assert failed.message == "RuntimeError: fake crash"
    detail = manifest._db.execute("SELECT detail FROM items WHERE item_id = 'id004/prompt1'").fetchone()[0]
    assert "Traceback" in detail
    manifest.close()
    assert not (out / "id004" / "prompt1.mp4").exists()

    second = run(small_testset, out, fake_factory, max_attempts=2)  # retried once more
    assert second.failed_now == 2 and second.skipped_done == 2
    third = run(small_testset, out, fake_factory, max_attempts=2)  # no attempts left
    assert third.failed_now == 0 and third.gave_up == 2 and third.skipped_done == 2
    assert fake_factory.calls.count("id004/prompt1") == 2

    (small_testset / "id004" / "prompt1.txt").write_text("A woman waves")  # fixed: the input changed
    fourth = run(small_testset, out, fake_factory, max_attempts=3)
    assert fourth.done_now == 1 and (out / "id004" / "prompt1.mp4").is_file()


def test_out_of_memory_is_retried_with_the_low_memory_settings(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    (small_testset / "id001" / "prompt1.txt").write_text("A man waves OOM")
    out = tmp_path / "submission"
    summary = run(small_testset, out, fake_factory)
    assert summary.ok and summary.done_now == 4
    assert fake_factory.calls.count("id001/prompt1") == 2
    record = json.loads((out / "_ipvg" / "records" / "id001" / "prompt1" / "record.json").read_text())
    assert record["low_memory"] is True
    manifest = manifest_of(out)
    events = [event for _, event, _ in manifest.events("id001/prompt1")]
    state = manifest.get("id001/prompt1")
    manifest.close()
    assert events == ["added", "started", "oom_retry", "started", "done"]
    assert state is not None and state.low_memory and state.attempts == 2

    no_retry_out = tmp_path / "no-retry"
    summary = run(small_testset, no_retry_out, FakeFactory(), oom_retry=False)
    assert summary.reasons == {"out_of_memory": 1}


def test_a_fatal_error_stops_the_run_without_using_up_attempts(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    (small_testset / "id001" / "prompt2.txt").write_text("A man waves FATAL")
    out = tmp_path / "submission"
    summary = run(small_testset, out, fake_factory)
    assert summary.fatal is not None and "Fake weights are missing" in summary.fatal
    assert summary.done_now == 1 and summary.not_run == 3 and not summary.ok
    manifest = manifest_of(out)
    state = manifest.get("id001/prompt2")
    manifest.close()
    assert state is not None and state.state == "pending" and state.attempts == 0


def test_a_crash_after_the_mp4_is_adopted_not_regenerated(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    out = tmp_path / "submission"
    run(small_testset, out, fake_factory)
    # The process "died" after moving id001/prompt2.mp4 into place, before the manifest said done;
    # and id004/prompt1 died mid-generation (no mp4).
    db = sqlite3.connect(out / "_ipvg" / "manifest.sqlite")
    db.execute("UPDATE items SET state = 'running' WHERE item_id IN ('id001/prompt2', 'id004/prompt1')")
    db.commit()
    db.close()
    (out / "id004" / "prompt1.mp4").unlink()
    before = (out / "id001" / "prompt2.mp4").read_bytes()

    summary = run(small_testset, out, fake_factory)
    assert summary.ok and summary.done_now == 1 and summary.skipped_done == 3
    assert fake_factory.calls.count("id001/prompt2") == 1 and fake_factory.calls.count("id004/prompt1") == 2
    assert (out / "id001" / "prompt2.mp4").read_bytes() == before
    manifest = manifest_of(out)
    events = [event for _, event, _ in manifest.events("id001/prompt2")]
    manifest.close()
    assert events[-2:] == ["interrupted", "adopted"]

    # A corrupted mp4 (sha differs from its batch.json) is not adopted: it is made again.
    db = sqlite3.connect(out / "_ipvg" / "manifest.sqlite")
    db.execute("UPDATE items SET state = 'pending' WHERE item_id = 'id001/prompt2'")
    db.commit()
    db.close()
    (out / "id001" / "prompt2.mp4").write_bytes(before[:100])
    run(small_testset, out, fake_factory)
    assert fake_factory.calls.count("id001/prompt2") == 2
    assert read_video(out / "id001" / "prompt2.mp4").num_frames == 3


def test_settings_must_match_to_resume_and_one_driver_per_manifest(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    out = tmp_path / "submission"
    run(small_testset, out, fake_factory, limit=1)
    with pytest.raises(ConfigError, match="started with other settings"):
        run(small_testset, out, fake_factory, overrides={"seed": 7})
    # How-not-what runtime options may change between runs (e.g. offload after an out-of-memory).
    assert run(small_testset, out, fake_factory, overrides={"runtime.offload": "model"}).done_now == 3

    lock = ManifestLock(out / "_ipvg" / "manifest.sqlite")
    lock.acquire()
    try:
        with pytest.raises(OutputError, match="already working on"):
            run(small_testset, out, fake_factory)
    finally:
        lock.release()


def test_limit_shards_and_output_inside_the_testset(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    out = tmp_path / "submission"
    first = run(small_testset, out, fake_factory, shard="0/2")
    second = run(small_testset, out, fake_factory, shard="1/2", limit=1)
    assert first.total == second.total == 2 and first.done_now == 2 and second.done_now == 1
    assert second.not_run == 1
    assert (out / "_ipvg" / "manifest-shard0of2.sqlite").is_file()
    assert done_events(out, "-shard0of2") == ["id001/prompt1", "id004/prompt1"]
    # The unsharded run adopts what the shards made and only generates the missing item.
    whole = run(small_testset, out, fake_factory)
    assert whole.done_now == 1 and whole.skipped_done == 3 and len(fake_factory.calls) == 4

    with pytest.raises(BadInputError, match="inside the test set"):
        run(small_testset, small_testset / "out", fake_factory)
    assert not (small_testset / "out").exists()


def test_bad_inputs_are_reported_and_nothing_is_written_outside_the_output(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    (small_testset / "id004" / "image.png").write_bytes(b"not an image")
    (small_testset / "id001" / "prompt2.txt").write_text("")
    (small_testset / "stray.txt").write_text("x")
    out = tmp_path / "sub" / "mission"
    summary = run(small_testset, out, fake_factory)
    assert summary.done_now == 1 and summary.invalid == 1 and summary.failed_now == 2
    assert summary.reasons == {"bad_image": 2, "empty_prompt": 1}
    assert any("stray.txt" in notice for notice in summary.notices)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "testset"]
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["mission"]


def test_decoupled_prompts_file_reaches_the_workers(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    out = tmp_path / "submission"
    seen: list[str] = []

    def decouple(prompt: str, face_bytes: bytes, face_name: str) -> DecoupledPrompt:
        seen.append(prompt)
        return DecoupledPrompt(
            source=prompt, spatial="S " + prompt[:10], temporal="T " + prompt[:10], backend="fake"
        )

    dataset = read_testset(small_testset)
    path = out / "_ipvg" / "prompts.jsonl"
    summary = decouple_pass(dataset, decouple, path)
    assert summary.decoupled == 4 and len(path.read_text().splitlines()) == 4
    assert decouple_pass(dataset, decouple, path).reused == 4 and len(seen) == 4  # resumable

    run(small_testset, out, fake_factory)
    record = json.loads((out / "_ipvg" / "records" / "id001" / "prompt1" / "record.json").read_text())
    assert record["prompts"]["backend"] == "fake" and record["prompts"]["spatial"].startswith("S ")


def test_state_dir_elsewhere_leaves_the_submission_mp4_only(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    out, state = tmp_path / "submission", tmp_path / "state"
    summary = run(small_testset, out, fake_factory, state_dir=state)
    assert summary.ok and summary.done_now == 4
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "id001/prompt1.mp4",
        "id001/prompt2.mp4",
        "id004/prompt1.mp4",
        "id004/prompt2.mp4",
    ]
    assert (state / "manifest.sqlite").is_file() and (
        state / "records" / "id004" / "prompt2" / "batch.json"
    ).is_file()
    assert run(small_testset, out, fake_factory, state_dir=state).skipped_done == 4
    with pytest.raises(BadInputError, match="--state-dir folder"):
        run(small_testset, out, fake_factory, state_dir=small_testset / "state")


def test_interrupted_attempts_do_not_count_and_given_up_items_say_how_to_retry(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    """Issue 14: six SIGKILLs must not give an item up. Wrong code caught: an item left `running`
    by a dead process recorded as a failed attempt (it would be given up after --max-attempts kills)."""
    out = tmp_path / "submission"
    run(small_testset, out, fake_factory, limit=0)
    for _ in range(6):  # each "kill" leaves the item running with one more attempt counted
        db = sqlite3.connect(out / "_ipvg" / "manifest.sqlite")
        db.execute(
            "UPDATE items SET state = 'running', attempts = attempts + 1 WHERE item_id = 'id001/prompt1'"
        )
        db.commit()
        db.close()
        run(small_testset, out, fake_factory, limit=0)
    manifest = manifest_of(out)
    state = manifest.get("id001/prompt1")
    manifest.close()
    assert state is not None and state.state == "pending" and state.attempts == 0
    summary = run(small_testset, out, fake_factory, max_attempts=1)
    assert summary.ok and "id001/prompt1" in fake_factory.calls


def test_a_given_up_item_names_the_flag_that_retries_it(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    out = tmp_path / "submission"
    run(small_testset, out, fake_factory, limit=0)
    db = sqlite3.connect(out / "_ipvg" / "manifest.sqlite")
    db.execute(
        "UPDATE items SET state = 'failed', attempts = 3, reason = 'error', message = 'boom'"
        " WHERE item_id = 'id004/prompt2'"
    )
    db.commit()
    db.close()
    summary = run(small_testset, out, fake_factory)
    assert summary.gave_up == 1
    (failure,) = [f for f in summary.failures if f[0] == "id004/prompt2"]
    assert "--max-attempts 4" in failure[2] and failure[2].startswith("boom")


def test_state_dir_never_deletes_a_staging_folder_ipvg_did_not_make(
    small_testset: Path, tmp_path: Path, fake_factory: FakeFactory
) -> None:
    """Issue 14: `--state-dir DIR` deleted `DIR/staging` with the user's files in it."""
    state = tmp_path / "mine"
    (state / "staging").mkdir(parents=True)
    (state / "staging" / "thesis.tex").write_text("years of work")
    with pytest.raises(OutputError, match="not made by ipvg"):
        run(small_testset, tmp_path / "submission", fake_factory, state_dir=state)
    assert (state / "staging" / "thesis.tex").read_text() == "years of work"
    # ipvg's own staging folder (marker inside) left by a killed run is cleared as before.
    fresh = tmp_path / "state2"
    summary = run(small_testset, tmp_path / "sub2", fake_factory, state_dir=fresh)
    (fresh / "staging" / "x.tmp").parent.mkdir(parents=True, exist_ok=True)
    (fresh / "staging" / ".ipvg-staging").touch()
    (fresh / "staging" / "x.tmp").write_text("left by a killed run")
    assert summary.ok and run(small_testset, tmp_path / "sub2", fake_factory, state_dir=fresh).ok
    assert not (fresh / "staging").exists()
