"""Python entry points: score a submission folder, or one video, and optionally write the report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ipvg.eval.context import FaceStore
from ipvg.eval.frames import DEFAULT_MAX_FRAMES, NUM_SAMPLED_FRAMES
from ipvg.eval.layout import challenge_items, single_item
from ipvg.eval.suite import DEFAULT_METRICS, EvalRun, EvalSuite, create_metrics, usable_result
from ipvg.eval.types import EvalItem, ItemResult
from ipvg.progress import Progress


def evaluate_items(
    items: Sequence[EvalItem],
    metrics: Sequence[str] | None = None,
    *,
    metric_options: dict[str, dict[str, Any]] | None = None,
    faces: FaceStore | None = None,
    face_options: dict[str, dict[str, Any]] | None = None,
    num_frames: int = NUM_SAMPLED_FRAMES,
    max_frames: int = DEFAULT_MAX_FRAMES,
    out: str | Path | None = None,
    resume: bool = False,
    progress: Progress | None = None,
) -> EvalRun:
    """Score `items` with `metrics` (default: every challenge metric that can run here, the others
    skipped with their reason); write JSON, CSV and HTML into `out` when given.

    `resume`: reuse per-video results already in `out` (same video, same metrics) instead of scoring again.
    `metric_options` and `face_options` map a metric / face backend name to keyword arguments for its
    factory (e.g. `{"insightface": {"model_pack": "~/.insightface/models/buffalo_l"}}`).
    """
    faces = faces or FaceStore(options=face_options)
    built, skipped = create_metrics(
        metrics or DEFAULT_METRICS, metric_options, strict=metrics is not None, faces=faces
    )
    suite = EvalSuite(
        built,
        faces=faces,
        num_frames=num_frames,
        max_frames=max_frames,
        progress=progress,
        skipped_metrics=skipped,
    )
    if out is None:
        return suite.run(items)
    from ipvg.eval.report import item_json_path, load_finished, write_item, write_report

    # Each video's JSON is written as soon as it is scored, so an interrupted run can `resume`.
    done = load_finished(out, items, [m.name for m in built]) if resume else {}
    done = {item_id: result for item_id, result in done.items() if usable_result(result)}
    run = suite.run(
        items, done=done, on_result=lambda result: write_item(result, item_json_path(out, result))
    )
    write_report(run, out)
    return run


def evaluate_submission(
    submission_dir: str | Path, testset_dir: str | Path, metrics: Sequence[str] | None = None, **kwargs: Any
) -> EvalRun:
    """Score `submission/idNNN/promptN.mp4` against `testset/idNNN/{image.png, promptN.txt}`."""
    return evaluate_items(challenge_items(submission_dir, testset_dir), metrics, **kwargs)


def evaluate_video(
    video: str | Path,
    face: str | Path | None,
    prompt: str,
    metrics: Sequence[str] | None = None,
    **kwargs: Any,
) -> ItemResult:
    """Score one video against one reference face photo and one prompt."""
    return evaluate_items([single_item(video, face, prompt)], metrics, **kwargs).results[0]
