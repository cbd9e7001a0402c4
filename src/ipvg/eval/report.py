"""Write an evaluation run: per-video JSON, CSV tables, summary JSON and a self-contained HTML report.

Every file is written to a temporary name and renamed (`ipvg.io.files`), so a crash never leaves a
half-written output. Layout of `out/`:
  videos/idNNN/promptN.json   one item: status, reason, per-metric value and per-frame values
  scores.csv                  one row per item: status, reason, each metric's value
  summary.csv                 one row per metric: mean, std, min, max, count
  summary.json                counts by status and reason, warnings, metric summaries
  report.html                 charts, worst ten videos with thumbnails, failures (no external files)
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ipvg.eval.suite import EvalRun
from ipvg.eval.svg import curves_svg, histogram_svg
from ipvg.eval.types import EvalItem, ItemResult
from ipvg.io.files import ensure_writable_dir, write_json_atomic, write_text_atomic

IDENTITY_PREFIX = "facesim"
NUM_WORST = 10


def item_json_path(out: str | Path, result: ItemResult | EvalItem) -> Path:
    item = result.item if isinstance(result, ItemResult) else result
    return Path(out) / "videos" / f"{item.item_id}.json"


def write_item(result: ItemResult, path: Path) -> Path:
    return write_json_atomic(path, result.to_dict())


def load_finished(
    out: str | Path, items: Sequence[EvalItem], metrics: Sequence[str]
) -> dict[str, ItemResult]:
    """Per-video results already in `out` for these items: same video path, every requested metric."""
    import json

    finished = {}
    for item in items:
        path = item_json_path(out, item)
        try:
            result = ItemResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not there, or half-understood (e.g. a JSON list): score it again
        if result.item.video_path == item.video_path and (
            result.status == "failed" or set(metrics) <= set(result.metrics)
        ):
            finished[item.item_id] = result
    return finished


def write_report(run: EvalRun, out: str | Path) -> dict[str, Path]:
    """Write every output of `run` into `out`; return their paths by kind."""
    out = ensure_writable_dir(out)
    summary = run.summary()
    paths: dict[str, Path] = {}
    for result in run.results:
        write_item(result, item_json_path(out, result))
    paths["videos"] = out / "videos"
    paths["scores_csv"] = write_text_atomic(out / "scores.csv", scores_csv(run))
    paths["summary_csv"] = write_text_atomic(out / "summary.csv", summary_csv(summary))
    paths["summary_json"] = write_json_atomic(out / "summary.json", summary)
    paths["report_html"] = write_text_atomic(out / "report.html", report_html(run, summary))
    return paths


def scores_csv(run: EvalRun) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["item_id", "identity", "prompt", "status", "reason", *run.metrics, "video_path"])
    for result in run.results:
        values = [_cell(result.value(name)) for name in run.metrics]
        writer.writerow(
            [
                result.item.item_id,
                result.item.identity,
                result.item.prompt_name,
                result.status,
                result.reason or "",
                *values,
                result.item.video_path,
            ]
        )
    return buffer.getvalue()


def summary_csv(summary: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["metric", "mean", "std", "min", "max", "count", "higher_is_better", "mean_no_face_share"]
    )
    for name, stats in summary["metrics"].items():
        writer.writerow(
            [
                name,
                *(_cell(stats[k]) for k in ("mean", "std", "min", "max", "count", "higher_is_better")),
                _cell(stats.get("mean_no_face_share")),
            ]
        )
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def primary_metric(run: EvalRun) -> str | None:
    """The metric that ranks videos in the report: the first identity score, else the first metric."""
    identity = [name for name in run.metrics if name.startswith(IDENTITY_PREFIX)]
    return (identity or list(run.metrics) or [None])[0]


def worst_items(run: EvalRun, metric: str, count: int = NUM_WORST) -> list[ItemResult]:
    scored = [r for r in run.results if r.value(metric) is not None]
    return sorted(scored, key=lambda r: r.value(metric), reverse=not run.higher_is_better[metric])[:count]  # type: ignore[arg-type,return-value]


def _image_tag(jpeg: bytes | None, alt: str, height: int = 72) -> str:
    if not jpeg:
        return ""
    data = base64.b64encode(jpeg).decode("ascii")
    return f'<img alt="{html.escape(alt)}" height="{height}" src="data:image/jpeg;base64,{data}">'


def _reference_thumbnail(path: Path | None, cache: dict[Path, bytes | None]) -> bytes | None:
    if path is None:
        return None
    if path not in cache:
        from ipvg.errors import ImageReadError
        from ipvg.io.images import load_image

        try:
            image = load_image(path)
            image.thumbnail((72, 72))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=85)
            cache[path] = buffer.getvalue()
        except ImageReadError:
            cache[path] = None
    return cache[path]


def report_html(run: EvalRun, summary: dict[str, Any]) -> str:
    """One self-contained HTML page: charts are inline SVG, thumbnails base64 JPEG."""
    esc = html.escape
    sections = [_header(summary), _metric_table(summary)]
    # 1. Per-frame identity curves and metric distributions.
    charts = []
    for name in run.metrics:
        if name.startswith(IDENTITY_PREFIX):
            curves = [
                r.metrics[name].per_frame
                for r in run.results
                if name in r.metrics and r.metrics[name].per_frame
            ]
            charts.append(curves_svg(curves, f"{name} per sampled frame", "cosine (clamped)"))
    for name in run.metrics:
        if summary["metrics"][name]["count"] == 0:
            continue
        charts.append(histogram_svg([r.value(name) for r in run.results], f"{name} over videos", name))
    sections.append(
        "<h2>Charts</h2><div class='charts'>" + "".join(f"<figure>{c}</figure>" for c in charts) + "</div>"
    )
    # 2. The worst ten videos by the primary metric.
    metric = primary_metric(run)
    if metric is not None:
        references: dict[Path, bytes | None] = {}
        rows = []
        for result in worst_items(run, metric):
            curve = result.metrics[metric].per_frame
            spark = (
                curves_svg([curve], result.item.item_id, metric)
                if metric.startswith(IDENTITY_PREFIX) and curve
                else ""
            )
            others = ", ".join(
                f"{n}={_cell(result.value(n))}"
                for n in run.metrics
                if n != metric and result.value(n) is not None
            )
            rows.append(
                f"<tr><td>{esc(result.item.item_id)}</td><td>{_cell(result.value(metric))}</td>"
                f"<td>{_image_tag(_reference_thumbnail(result.item.reference_path, references), 'reference')}</td>"
                f"<td>{_image_tag(result.thumbnail_jpeg, 'frames')}</td><td class='spark'>{spark}</td>"
                f"<td>{esc(others)}<br><small>{esc(result.item.prompt[:200])}</small></td></tr>"
            )
        sections.append(
            f"<h2>Worst {NUM_WORST} videos by {esc(metric)}</h2><table><tr><th>item</th><th>{esc(metric)}</th>"
            "<th>reference</th><th>sampled frames</th><th>per frame</th><th>other metrics, prompt</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    # 3. Items that could not be (fully) scored.
    problems = [r for r in run.results if r.status != "ok" or r.warnings]
    if problems:
        rows = [
            f"<tr><td>{esc(r.item.item_id)}</td><td>{esc(r.status)}</td><td>{esc(r.reason or '')}</td>"
            f"<td>{esc(r.message or '')}{'<br>' if r.message and r.warnings else ''}{esc('; '.join(r.warnings))}</td></tr>"
            for r in problems
        ]
        sections.append(
            "<h2>Problems</h2><table><tr><th>item</th><th>status</th><th>reason</th><th>details</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    return _PAGE.format(body="\n".join(sections))


def _header(summary: dict[str, Any]) -> str:
    esc = html.escape
    counts = f"{summary['num_items']} videos: {summary['num_ok']} ok, {summary['num_partial']} partly scored, {summary['num_failed']} failed"
    parts = [
        f"<h1>ipvg evaluation</h1><p>{esc(counts)}; {summary['seconds']:.1f} s ({summary['videos_per_minute'] or 0:.1f} videos/min).</p>"
    ]
    for title, table in (("Failures by reason", summary["failures"]), ("Warnings", summary["warnings"])):
        if table:
            parts.append(
                f"<p><b>{title}:</b> " + ", ".join(f"{esc(str(k))} ({v})" for k, v in table.items()) + "</p>"
            )
    if summary["skipped_metrics"]:
        parts.append(
            "<p><b>Metrics not run:</b></p><ul>"
            + "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in summary["skipped_metrics"].items())
            + "</ul>"
        )
    return "".join(parts)


def _metric_table(summary: dict[str, Any]) -> str:
    rows = []
    for name, stats in summary["metrics"].items():
        direction = "higher is better" if stats["higher_is_better"] else "lower is better"
        missing = summary["metric_failures"].get(name, {})
        if missing:  # why some videos have no value (e.g. missing_inputs: 4)
            direction += "; no value: " + ", ".join(
                f"{reason} ({count})" for reason, count in missing.items()
            )
        cells = "".join(f"<td>{_cell(stats[k])}</td>" for k in ("mean", "std", "min", "max", "count"))
        rows.append(
            f"<tr><td>{html.escape(name)}</td>{cells}<td>{_cell(stats.get('mean_no_face_share'))}</td><td>{direction}</td></tr>"
        )
    return (
        "<h2>Metrics</h2><table><tr><th>metric</th><th>mean</th><th>std</th><th>min</th><th>max</th><th>videos</th>"
        "<th>no-face share</th><th></th></tr>" + "".join(rows) + "</table>"
        "<p><small>overall-first-place is the first-place team's own weighting (0.3 GME + 0.2 (Cur + Arc) + 0.15 "
        "(motion smoothness + imaging quality)), not the official challenge score. FaceSim-dlib uses dlib's 128-d "
        "descriptors, whose cosines are high for everyone: compare it only with itself, not with ArcFace scores.</small></p>"
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ipvg evaluation</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #111; max-width: 1200px; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; font-size: 13px; }}
th {{ background: #f1f5f9; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 12px; }}
figure {{ margin: 0; }}
.spark svg {{ width: 210px; height: 110px; }}
</style></head><body>
{body}
</body></html>
"""
