"""Run metrics over evaluation items: one item's problems are recorded, never fatal to the run.

Steps per item: 1. sample 16 frames (or record why the video cannot be scored); 2. load the
reference photo (a problem there fails only the metrics that need it); 3. score every metric in
order (derived scores last), recording per-metric problems; 4. status ok / partial / failed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from ipvg.errors import ImageReadError, IpvgError
from ipvg.eval import maths
from ipvg.eval.context import EvalContext, FaceStore, Metric, metric_value_for_problem
from ipvg.eval.frames import DEFAULT_MAX_FRAMES, NUM_SAMPLED_FRAMES, sample_frames
from ipvg.eval.types import EvalItem, EvalProblem, ItemResult, MetricValue, Reason
from ipvg.progress import Progress, SilentProgress

logger = logging.getLogger(__name__)

DEFAULT_METRICS = (
    "facesim-dlib",
    "facesim-arc",
    "facesim-cur",
    "fid",
    "clipscore",
    "gme",
    "motion-smoothness",
    "imaging-quality",
    "overall-first-place",
)
# Metrics computed from other metrics' values run after them.
DERIVED_METRICS = ("overall-first-place",)


@dataclass
class EvalRun:
    """All item results of a run, with its summary."""

    results: list[ItemResult]
    metrics: list[str]
    higher_is_better: dict[str, bool]
    skipped_metrics: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return summarise_run(self)


def create_metrics(
    names: Sequence[str],
    options: dict[str, dict[str, Any]] | None = None,
    *,
    strict: bool = True,
    faces: FaceStore | None = None,
) -> tuple[list[Metric], dict[str, str]]:
    """Build the named metric backends, and the face backends they use (in `faces`), up front.

    `strict`: a metric that cannot be built raises (the user asked for it); otherwise it is skipped
    with its reason (the default set on a fresh machine, where only dlib needs nothing downloaded).
    """
    from ipvg.registry import registry

    metrics, skipped = [], {}
    ordered = [n for n in names if n not in DERIVED_METRICS] + [n for n in names if n in DERIVED_METRICS]
    for name in dict.fromkeys(ordered):
        try:
            metric = registry.create("metrics", name, **(options or {}).get(name, {}))
            face_backend = getattr(metric, "face_backend", None)
            if faces is not None and face_backend is not None:
                faces.backend(face_backend)
            metrics.append(metric)
        except IpvgError as error:
            if strict:
                raise
            skipped[name] = error.one_line()
            logger.info("metric %s skipped: %s", name, error.one_line())  # listed in the run's summary
    return metrics, skipped


class EvalSuite:
    """Scores items with a list of metrics, sharing face detections between them."""

    def __init__(
        self,
        metrics: Sequence[Metric],
        *,
        faces: FaceStore | None = None,
        num_frames: int = NUM_SAMPLED_FRAMES,
        max_frames: int = DEFAULT_MAX_FRAMES,
        progress: Progress | None = None,
        skipped_metrics: dict[str, str] | None = None,
    ) -> None:
        if num_frames < 1:
            raise ValueError(f"`num_frames` must be >= 1; got {num_frames}.")
        self.metrics = list(metrics)
        self.faces = faces or FaceStore()
        self.num_frames, self.max_frames = num_frames, max_frames
        self.progress = progress or SilentProgress()
        self.skipped_metrics = dict(skipped_metrics or {})
        self._references: dict[Path | None, Image.Image | EvalProblem] = {}

    def reference(self, item: EvalItem) -> Image.Image | EvalProblem:
        """The item's reference photo (cached per file), or the problem loading it."""
        from ipvg.io.images import load_image

        key = item.reference_path
        if key not in self._references:
            if key is None or not key.is_file():
                self._references[key] = EvalProblem(
                    Reason.MISSING_REFERENCE,
                    f"no reference photo for {item.identity} ({key or 'none given'})",
                    "put image.png (or .webp/.jpg) in the identity's test-set folder",
                )
            else:
                try:
                    self._references[key] = load_image(key)
                except ImageReadError as error:
                    self._references[key] = EvalProblem(Reason.UNREADABLE_REFERENCE, error.message, error.fix)
        return self._references[key]

    def evaluate_item(self, item: EvalItem) -> ItemResult:
        start = time.perf_counter()
        # 1. Sample frames; a video that cannot be scored fails the whole item.
        try:
            frames = sample_frames(item.video_path, self.num_frames, max_frames=self.max_frames)
        except EvalProblem as problem:
            return ItemResult(
                item,
                "failed",
                reason=str(problem.reason),
                message=problem.one_line(),
                seconds=time.perf_counter() - start,
            )
        probe = frames.probe
        result = ItemResult(
            item,
            "ok",
            warnings=list(frames.warnings),
            frame_indices=list(frames.indices),
            video={
                "num_frames": probe.num_frames,
                "fps": probe.fps,
                "width": probe.width,
                "height": probe.height,
                "codec": probe.codec,
                "variable_frame_rate": probe.variable_frame_rate,
            },
        )
        result.thumbnail_jpeg = thumbnail_strip(frames.frames_KHWC)
        # 2. The reference photo: a problem there fails only metrics that need it.
        reference = self.reference(item)
        context = EvalContext(
            item,
            frames,
            reference if isinstance(reference, Image.Image) else None,
            reference if isinstance(reference, EvalProblem) else None,
            self.faces,
        )
        # 3. Every metric, in order; derived metrics read `context.scores`.
        for metric in self.metrics:
            context.scores[metric.name] = self._score_metric(metric, context)
        result.metrics = context.scores
        self.faces.forget_frames()
        # 4. Status.
        # A derived score that lacks inputs this run did not compute is not a problem with the video.
        failed = [
            name
            for name, value in result.metrics.items()
            if value.value is None and value.reason != str(Reason.MISSING_INPUTS)
        ]
        measured = [
            name for name, value in result.metrics.items() if value.reason != str(Reason.MISSING_INPUTS)
        ]
        if failed:
            result.status = "partial" if len(failed) < len(measured) else "failed"
            reasons = sorted({result.metrics[name].reason or "" for name in failed})
            result.reason = reasons[0] if len(reasons) == 1 else ",".join(reasons)
            result.message = "; ".join(f"{name}: {result.metrics[name].message}" for name in failed)
        result.seconds = time.perf_counter() - start
        return result

    def _score_metric(self, metric: Metric, context: EvalContext) -> MetricValue:
        try:
            return metric.score(context)
        except EvalProblem as problem:
            return metric_value_for_problem(problem)
        except IpvgError as error:  # e.g. a face backend rejecting an image: record, keep going
            return MetricValue(None, reason=str(Reason.METRIC_ERROR), message=error.one_line())
        except Exception as error:  # a bug or an odd video must not end a 1,000-video run: log, record
            logger.exception("metric %s failed on %s", metric.name, context.item.item_id)
            return MetricValue(
                None, reason=str(Reason.METRIC_ERROR), message=f"{type(error).__name__}: {error}"
            )

    def run(
        self,
        items: Iterable[EvalItem],
        *,
        done: dict[str, ItemResult] | None = None,
        on_result: Callable[[ItemResult], None] | None = None,
    ) -> EvalRun:
        """Score every item; `done` results (from an earlier, interrupted run) are reused, and
        `on_result` sees each new result as soon as it exists (to write it out)."""
        items = list(items)
        start = time.perf_counter()
        results = []
        with self.progress.steps("Scoring videos", len(items)) as advance:
            for index, item in enumerate(items):
                if done and item.item_id in done:
                    results.append(done[item.item_id])
                else:
                    results.append(self.evaluate_item(item))
                    if on_result is not None:
                        on_result(results[-1])
                advance(index + 1)
        return EvalRun(
            results,
            [m.name for m in self.metrics],
            {m.name: m.higher_is_better for m in self.metrics},
            dict(self.skipped_metrics),
            time.perf_counter() - start,
        )


def usable_result(result: ItemResult) -> bool:
    """Whether a per-video result read back for `--resume` holds only what a summary can use: a known
    status and, for every metric, a finite number or None (a hand-edited or foreign JSON is scored again)."""
    import math

    def number_or_none(value: Any) -> bool:
        if value is None:
            return True
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

    if result.status not in ("ok", "partial", "failed") or not isinstance(result.metrics, dict):
        return False
    for value in result.metrics.values():
        if not number_or_none(value.value) or not isinstance(value.per_frame, list):
            return False
        if not all(number_or_none(v) for v in value.per_frame):
            return False
    return all(isinstance(i, int) and not isinstance(i, bool) for i in result.frame_indices)


def summarise_run(run: EvalRun) -> dict[str, Any]:
    """Counts by status and reason, warnings, and each metric's mean/std/min/max over items."""
    status = Counter(r.status for r in run.results)
    failures = Counter(r.reason for r in run.results if r.status == "failed" and r.reason)
    metric_failures: dict[str, dict[str, int]] = {}
    for name in run.metrics:
        reasons = Counter(
            r.metrics[name].reason or "unknown"
            for r in run.results
            if name in r.metrics and r.metrics[name].value is None
        )
        if reasons:
            metric_failures[name] = dict(sorted(reasons.items()))
    warnings = Counter(w.split(":")[0] for r in run.results for w in r.warnings)
    metrics = {
        name: {
            **maths.summarise([r.value(name) for r in run.results]),
            "higher_is_better": run.higher_is_better[name],
        }
        for name in run.metrics
    }
    for name in run.metrics:
        shares = [r.metrics[name].details.get("no_face_share") for r in run.results if name in r.metrics]
        if any(s is not None for s in shares):
            metrics[name]["mean_no_face_share"] = maths.mean_over_present(shares)
    return {
        "num_items": len(run.results),
        "num_ok": status.get("ok", 0),
        "num_partial": status.get("partial", 0),
        "num_failed": status.get("failed", 0),
        "failures": dict(sorted(failures.items())),
        "metric_failures": metric_failures,
        "warnings": dict(sorted(warnings.items())),
        "metrics": metrics,
        "skipped_metrics": run.skipped_metrics,
        "seconds": round(run.seconds, 3),
        "videos_per_minute": round(60.0 * len(run.results) / run.seconds, 3) if run.seconds > 0 else None,
    }


def thumbnail_strip(frames_KHWC: Any, num_thumbnails: int = 4, height: int = 72) -> bytes:
    """A JPEG strip of `num_thumbnails` evenly spaced frames, `height` pixels tall."""
    import io

    import numpy as np

    picks = np.linspace(0, len(frames_KHWC) - 1, min(num_thumbnails, len(frames_KHWC)), dtype=int)
    tiles = []
    for index in picks:
        tile = Image.fromarray(frames_KHWC[index])
        tiles.append(
            tile.resize((max(1, round(tile.width * height / tile.height)), height), Image.Resampling.BILINEAR)
        )
    strip = Image.new("RGB", (sum(t.width for t in tiles) + 2 * (len(tiles) - 1), height), (255, 255, 255))
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + 2
    buffer = io.BytesIO()
    strip.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
