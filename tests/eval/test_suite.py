"""The suite over the challenge layout with a fake face backend: every problem case is recorded
with its reason, the run continues, and FaceSim matches an explicit computation."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ipvg.eval import evaluate_submission
from ipvg.eval.context import FaceStore
from ipvg.eval.frames import sample_frames

from .conftest import FakeFaceBackend, fake_embedding


@pytest.fixture(scope="module")
def fake_run(challenge_dirs):
    testset, submission = challenge_dirs
    backend = FakeFaceBackend("dlib")
    run = evaluate_submission(
        submission, testset, ["facesim-dlib", "overall-first-place"], faces=FaceStore({"dlib": backend})
    )
    return run, backend


def test_every_problem_is_recorded_and_counted(fake_run):
    run, _ = fake_run
    by_id = {result.item.item_id: result for result in run.results}
    # overall-first-place lacks GME etc.: recorded on the metric, not held against the video.
    assert by_id["id001/prompt1"].status == "ok"
    assert by_id["id001/prompt1"].metrics["overall-first-place"].reason == "missing_inputs"
    assert by_id["id001/prompt3"].reason == "missing_video"
    assert by_id["id004/prompt2"].reason == "no_frames"
    assert by_id["id004/prompt3"].reason == "unreadable_video"
    assert by_id["id004/prompt4"].reason == "too_many_frames"
    assert "variable_frame_rate" in by_id["id004/prompt1"].warnings[0]
    assert by_id["id004/prompt1"].value("facesim-dlib") is not None
    assert by_id["id005/prompt1"].metrics["facesim-dlib"].reason == "no_face_in_reference"
    summary = run.summary()
    assert summary["num_items"] == 8 and summary["num_failed"] == 5 and summary["num_ok"] == 3
    assert summary["failures"] == {
        "missing_video": 1,
        "no_frames": 1,
        "too_many_frames": 1,
        "unreadable_video": 1,
        "no_face_in_reference": 1,
    }
    assert summary["metric_failures"]["facesim-dlib"] == {"no_face_in_reference": 1}
    assert summary["warnings"] == {"variable_frame_rate": 1}
    assert summary["metrics"]["facesim-dlib"]["count"] == 3


def test_facesim_matches_an_explicit_computation(fake_run, challenge_dirs):
    run, _ = fake_run
    testset, submission = challenge_dirs
    result = next(r for r in run.results if r.item.item_id == "id001/prompt1")
    reference = fake_embedding(Image.open(testset / "id001" / "image.png"))
    expected = []
    for frame in sample_frames(submission / "id001" / "prompt1.mp4").frames_KHWC:
        if frame.std() <= 12:
            expected.append(None)
            continue
        embedding = fake_embedding(Image.fromarray(frame))
        expected.append(
            max(0.0, float(embedding @ reference / np.linalg.norm(embedding) / np.linalg.norm(reference)))
        )
    metric = result.metrics["facesim-dlib"]
    assert [v is None for v in metric.per_frame] == [v is None for v in expected] and expected[0] is None
    assert [v for v in metric.per_frame if v is not None] == pytest.approx(
        [v for v in expected if v is not None]
    )
    assert metric.value == pytest.approx(np.mean([v for v in expected if v is not None]))
    assert metric.details["no_face_share"] == pytest.approx(2 / 16)
    # A video of someone else scores lower than the person's own video.
    other = next(r for r in run.results if r.item.item_id == "id001/prompt2")
    assert other.value("facesim-dlib") < metric.value


def test_reference_detected_once_per_identity(fake_run):
    run, backend = fake_run
    scored = [r for r in run.results if r.value("facesim-dlib") is not None]
    # 3 references (id001, id004, id005) + 16 frames per decodable video whose reference has a face.
    assert backend.detect_calls == 3 + 16 * len(scored)


def test_unknown_metric_is_a_clear_error(challenge_dirs):
    from ipvg.errors import UnknownBackendError

    testset, submission = challenge_dirs
    with pytest.raises(UnknownBackendError, match="facesim-dlib"):
        evaluate_submission(
            submission, testset, ["no-such-metric"], faces=FaceStore({"dlib": FakeFaceBackend()})
        )


def test_report_files(fake_run, tmp_path):
    import csv
    import json

    from ipvg.eval.report import write_report

    run, _ = fake_run
    paths = write_report(run, tmp_path / "out")
    item = json.loads((tmp_path / "out" / "videos" / "id001" / "prompt1.json").read_text())
    assert item["status"] == "ok" and len(item["metrics"]["facesim-dlib"]["per_frame"]) == 16
    failed = json.loads((tmp_path / "out" / "videos" / "id004" / "prompt4.json").read_text())
    assert failed["reason"] == "too_many_frames" and "2000 frames" in failed["message"]
    rows = list(csv.DictReader(paths["scores_csv"].open()))
    assert len(rows) == 8 and rows[0]["item_id"] == "id001/prompt1" and float(rows[0]["facesim-dlib"]) > 0
    assert rows[2]["status"] == "failed" and rows[2]["facesim-dlib"] == ""
    summary_rows = {row["metric"]: row for row in csv.DictReader(paths["summary_csv"].open())}
    assert (
        int(summary_rows["facesim-dlib"]["count"]) == 3 and summary_rows["overall-first-place"]["mean"] == ""
    )
    assert json.loads(paths["summary_json"].read_text())["num_failed"] == 5
    page = paths["report_html"].read_text()
    assert page.count("<svg") >= 3 and "data:image/jpeg;base64," in page
    assert (
        "Videos (8 videos, worst facesim-dlib first)" in page and "too_many_frames" in page and "first-place team" in page
    )
    assert 'src="http' not in page and "<script" not in page  # self-contained
    leftovers = [p for p in (tmp_path / "out").rglob("*") if ".tmp" in p.name]
    assert not leftovers


def test_resume_rescoring_only_what_is_missing(challenge_dirs, tmp_path):
    testset, submission = challenge_dirs
    out = tmp_path / "out"
    first = FakeFaceBackend("dlib")
    run = evaluate_submission(
        submission, testset, ["facesim-dlib"], faces=FaceStore({"dlib": first}), out=out
    )
    (out / "videos" / "id001" / "prompt2.json").unlink()  # as if the run had stopped before this video
    second = FakeFaceBackend("dlib")
    resumed = evaluate_submission(
        submission, testset, ["facesim-dlib"], faces=FaceStore({"dlib": second}), out=out, resume=True
    )
    assert second.detect_calls == 1 + 16  # id001's reference and the one missing video's frames

    def without_timing(result) -> dict:
        return {k: v for k, v in result.to_dict().items() if k != "seconds"}

    assert [without_timing(r) for r in resumed.results] == [without_timing(r) for r in run.results]
    assert (out / "videos" / "id001" / "prompt2.json").exists()
    # Asking for a metric the saved results lack scores the videos again.
    third = FakeFaceBackend("dlib")
    evaluate_submission(
        submission,
        testset,
        ["facesim-dlib", "overall-first-place"],
        faces=FaceStore({"dlib": third}),
        out=out,
        resume=True,
    )
    assert third.detect_calls > 17


def test_an_unexpected_metric_crash_is_recorded_not_fatal(challenge_dirs):
    from ipvg.eval.suite import EvalSuite
    from ipvg.eval.types import MetricValue

    class Broken:
        name, higher_is_better = "broken", True

        def score(self, context) -> MetricValue:
            raise RuntimeError("boom")

    testset, submission = challenge_dirs
    from ipvg.eval.layout import challenge_items

    items = challenge_items(submission, testset)[:2]
    run = EvalSuite([Broken()], faces=FaceStore({})).run(items)
    assert [r.metrics["broken"].reason for r in run.results] == ["metric_error", "metric_error"]
    assert (
        run.results[0].metrics["broken"].message == "RuntimeError: boom" and run.results[0].status == "failed"
    )


def test_unreadable_or_missing_reference_fails_only_face_metrics(challenge_dirs, tmp_path):
    from ipvg.eval import evaluate_items
    from ipvg.eval.layout import single_item

    _, submission = challenge_dirs
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    items = [
        single_item(submission / "id001" / "prompt1.mp4", tmp_path / "broken.png", "a woman smiles"),
        single_item(submission / "id001" / "prompt2.mp4", tmp_path / "absent.png", "a woman walks"),
    ]
    run = evaluate_items(items, ["facesim-dlib"], faces=FaceStore({"dlib": FakeFaceBackend("dlib")}))
    assert [r.metrics["facesim-dlib"].reason for r in run.results] == [
        "unreadable_reference",
        "missing_reference",
    ]
    assert "broken.png" in run.results[0].metrics["facesim-dlib"].message
    assert run.summary()["failures"] == {"missing_reference": 1, "unreadable_reference": 1}
