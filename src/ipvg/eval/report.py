"""Write an evaluation run: per-video JSON, CSV tables, summary JSON and a self-contained HTML report.

Every file is written to a temporary name and renamed (`ipvg.io.files`), so a crash never leaves a
half-written output. Layout of `out/`:
  videos/idNNN/promptN.json   one item: status, reason, per-metric value and per-frame values
  scores.csv                  one row per item: status, reason, each metric's value
  summary.csv                 one row per metric: mean, std, min, max, count
  summary.json                counts by status and reason, warnings, metric summaries
  report.html                 the metrics table first, metrics not run (one line each, with the fix),
                              charts, then every video worst first: thumbnails, the playable video,
                              the full prompt, identity per frame; failures (no external files but
                              the videos themselves, linked relative to the report)
"""

from __future__ import annotations

import base64
import csv
import html
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ipvg.eval.suite import EvalRun
from ipvg.eval.types import EvalItem, ItemResult
from ipvg.io.files import ensure_writable_dir, write_json_atomic, write_text_atomic
from ipvg.svg import MUTED, Series, histogram_svg, identity_chart_svg, line_chart_svg, mean_curve

IDENTITY_PREFIX = "facesim"
MAX_PRELOADED_VIDEOS = 50
esc = html.escape


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
    paths["report_html"] = write_text_atomic(out / "report.html", report_html(run, summary, out))
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


def ranked_items(run: EvalRun, metric: str | None) -> list[ItemResult]:
    """Every item, worst `metric` first; items without a value last, in their original order."""
    if metric is None:
        return list(run.results)
    scored = [r for r in run.results if r.value(metric) is not None]
    unscored = [r for r in run.results if r.value(metric) is None]
    ranked = sorted(scored, key=lambda r: r.value(metric), reverse=not run.higher_is_better[metric])  # type: ignore[arg-type,return-value]
    return ranked + unscored


def plural(count: int, noun: str, many: str | None = None) -> str:
    """"1 video", "2 videos", "0 videos"."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def short_reason(text: str) -> tuple[str, str]:
    """A long "message Fix: fix" cut to its first clause and the options or command that fix it."""
    message, _, fix = text.partition(" Fix: ")
    first = re.split(r"(?<=[.;:])\s|\s\(", message.strip(), maxsplit=1)[0].rstrip(".:; ")
    commands = re.findall(r"`((?:ipvg|hf|pip) [^`]+)`", fix)[:1]
    flags = list(dict.fromkeys(re.findall(r"--[a-z][a-z-]+(?: [A-Z]+\b)?", fix)))
    parts = [f"run `{commands[0]}`"] if commands else []
    if flags:
        parts.append("pass " + " or ".join(flags))
    if not parts and fix:
        parts.append(re.split(r"(?<=[.;])\s|,\s", fix.strip(), maxsplit=1)[0].rstrip(".; "))
    return first, " or ".join(parts)


def summary_text(summary: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The summary as terminal lines: (table for stdout, metrics not run for stderr). `ipvg eval` prints
    it for a submission and for one video alike."""
    lines = [
        f"{plural(summary['num_items'], 'video')}: {summary['num_ok']} ok, {summary['num_partial']} partial, "
        f"{summary['num_failed']} failed"
    ]
    lines += [f"  failed ({reason}): {count}" for reason, count in summary["failures"].items()]
    width = max([22, *(len(name) for name in summary["metrics"])])
    for name, stats in summary["metrics"].items():
        mean = "n/a" if stats["mean"] is None else f"{stats['mean']:.4f}"
        missing = summary["metric_failures"].get(name, {})
        why = "; no value: " + ", ".join(f"{r} ({c})" for r, c in missing.items()) if missing else ""
        lines.append(f"  {name:{width}s} {mean:>10s}  ({plural(stats['count'], 'video')}{why})")
    skipped = []
    for name, reason in summary["skipped_metrics"].items():
        first, fix = short_reason(reason)
        skipped.append(f"  not run: {name}: {first}" + (f". Fix: {fix}." if fix else "."))
    return lines, skipped


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
            image.thumbnail((96, 96))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=85)
            cache[path] = buffer.getvalue()
        except ImageReadError:
            cache[path] = None
    return cache[path]


def _video_link(video: Path, out: Path | None) -> str:
    """The video's address as seen from the report: relative when both are on one tree, else file://."""
    video = Path(video)
    if out is not None:
        try:
            return Path(os.path.relpath(video.resolve(), Path(out).resolve())).as_posix()
        except ValueError:  # another drive (Windows)
            pass
    return video.resolve().as_uri()


def report_html(run: EvalRun, summary: dict[str, Any], out: str | Path | None = None) -> str:
    """One HTML page whose first screen is the metrics table; charts are inline SVG, thumbnails base64
    JPEG, videos linked (relative to `out`, where the report is written)."""
    out_dir = Path(out) if out is not None else None
    sections = [_header(summary), _metric_table(summary), _not_run(summary), _charts(run, summary)]
    sections.append(_video_rows(run, out_dir))
    problems = [r for r in run.results if r.status != "ok" or r.warnings]
    if problems:
        rows = [
            f"<tr><td>{esc(r.item.item_id)}</td><td>{esc(r.status)}</td><td>{esc(r.reason or '')}</td>"
            f"<td>{esc(r.message or '')}{'<br>' if r.message and r.warnings else ''}{esc('; '.join(r.warnings))}</td></tr>"
            for r in problems
        ]
        sections.append(
            f"<h2>Problems ({plural(len(problems), 'video')})</h2><table><tr><th>item</th><th>status</th>"
            "<th>reason</th><th>details</th></tr>" + "".join(rows) + "</table>"
        )
    return _PAGE.format(body="\n".join(section for section in sections if section))


def _header(summary: dict[str, Any]) -> str:
    counts = (
        f"{plural(summary['num_items'], 'video')}: {summary['num_ok']} ok, {summary['num_partial']} partly "
        f"scored, {summary['num_failed']} failed"
    )
    speed = f"{summary['seconds']:.1f} s"
    if summary["videos_per_minute"]:
        speed += f", {summary['videos_per_minute']:.1f} videos/min"
    parts = [f"<h1>ipvg evaluation</h1><p>{esc(counts)} ({speed}).</p>"]
    for title, table in (("Failures by reason", summary["failures"]), ("Warnings", summary["warnings"])):
        if table:
            parts.append(
                f"<p><b>{title}:</b> " + ", ".join(f"{esc(str(k))} ({v})" for k, v in table.items()) + "</p>"
            )
    return "".join(parts)


def _metric_table(summary: dict[str, Any]) -> str:
    rows = []
    for name, stats in summary["metrics"].items():
        direction = "higher is better" if stats["higher_is_better"] else "lower is better"
        missing = summary["metric_failures"].get(name, {})
        if missing:  # why some videos have no value (e.g. missing_inputs: 4)
            direction += "; no value: " + ", ".join(
                f"{reason} ({plural(count, 'video')})" for reason, count in missing.items()
            )
        mean = "n/a" if stats["mean"] is None else f"<b>{_cell(stats['mean'])}</b>"
        cells = "".join(f"<td>{_cell(stats[k])}</td>" for k in ("std", "min", "max"))
        rows.append(
            f"<tr><td>{esc(name)}</td><td class='num'>{mean}</td>{cells}<td>{stats['count']}</td>"
            f"<td>{_cell(stats.get('mean_no_face_share'))}</td><td>{esc(direction)}</td></tr>"
        )
    return (
        "<h2>Metrics</h2><table class='metrics'><tr><th>metric</th><th>mean</th><th>std</th><th>min</th>"
        "<th>max</th><th>videos</th><th>no-face share</th><th></th></tr>" + "".join(rows) + "</table>"
        "<p class='small'>overall-first-place is the first-place team's own weighting (0.3 GME + 0.2 (Cur + Arc) + "
        "0.15 (motion smoothness + imaging quality)), not the official challenge score. FaceSim-dlib uses dlib's "
        "128-d descriptors, whose cosines are high for everyone: compare it only with itself, not with ArcFace "
        "scores.</p>"
    )


def _not_run(summary: dict[str, Any]) -> str:
    """Each metric that could not run: one short line with the fix; the full message folded under it."""
    skipped = summary["skipped_metrics"]
    if not skipped:
        return ""
    items = []
    for name, reason in skipped.items():
        first, fix = short_reason(reason)
        fix_html = f" <span class='fix'>Fix: {esc(fix)}.</span>" if fix else ""
        items.append(
            f"<li><details><summary><b>{esc(name)}</b>: {esc(first)}.{fix_html}</summary>"
            f"<p class='small'>{esc(reason)}</p></details></li>"
        )
    return f"<h3>Not run ({plural(len(skipped), 'metric')})</h3><ul class='notrun'>" + "".join(items) + "</ul>"


def _charts(run: EvalRun, summary: dict[str, Any]) -> str:
    """Identity per frame over all videos (when there are several) and each metric's histogram (when
    it has enough values to be one)."""
    charts = []
    for name in run.metrics:
        curves = [
            r.metrics[name].per_frame for r in run.results if name in r.metrics and r.metrics[name].per_frame
        ]
        if name.startswith(IDENTITY_PREFIX) and len(curves) > 1:
            series = [
                Series(list(range(len(c))), list(c), color=MUTED, stroke_width=1, opacity=0.35, points=False)
                for c in curves
            ]
            mean = mean_curve(curves)
            series.append(Series(list(range(len(mean))), mean, label="mean", missing="no face in any video"))
            title = f"{name} per sampled frame ({plural(len(curves), 'video')}; blue: mean)"
            options = {"x_label": "sampled frame", "y_label": "cosine (clamped)", "width": 520}
            charts.append(line_chart_svg(series, title=title, marks=(0.5,), **options))  # type: ignore[arg-type]
    for name in run.metrics:
        chart = histogram_svg([r.value(name) for r in run.results], title=f"{name} over videos", x_label=name)
        if chart:  # "" below MIN_HISTOGRAM_VALUES values
            charts.append(chart)
    if not charts:
        return ""
    return "<h2>Charts</h2><div class='charts'>" + "".join(f"<figure>{c}</figure>" for c in charts) + "</div>"


def _video_rows(run: EvalRun, out: Path | None) -> str:
    metric = primary_metric(run)
    identity = metric if metric is not None and metric.startswith(IDENTITY_PREFIX) else None
    references: dict[Path, bytes | None] = {}
    # A browser opening a 1,000-video report should not fetch 1,000 video headers at once.
    preload = "metadata" if len(run.results) <= MAX_PRELOADED_VIDEOS else "none"
    rows = []
    for result in ranked_items(run, metric):
        item = result.item
        chart = ""
        if identity is not None and identity in result.metrics and result.metrics[identity].per_frame:
            per_frame = result.metrics[identity].per_frame
            indices = result.frame_indices
            if len(indices) != len(per_frame):  # an older per-video JSON without indices
                indices = list(range(len(per_frame)))
            num_frames = int(result.video.get("num_frames") or max(indices, default=0) + 1)
            chart = identity_chart_svg(indices, per_frame, num_frames, width=360, height=150)
        values = "".join(
            f"<tr><td>{esc(name)}</td><td>{_cell(result.value(name)) or '—'}</td></tr>" for name in run.metrics
        )
        link = _video_link(item.video_path, out)
        video = (
            f'<video controls preload="{preload}" muted loop src="{esc(link)}" width="240"></video>'
            f'<br><a href="{esc(link)}">{esc(Path(item.video_path).name)}</a>'
            if result.status != "failed" or result.reason not in ("missing_video",)
            else "<i>no video</i>"
        )
        status = ""
        if result.status != "ok":
            status = f"<br><span class='bad'>{esc(result.status)}: {esc(result.reason or '')}</span>"
        rows.append(
            f"<tr><td><b>{esc(item.item_id)}</b>{status}<br>"
            f"{_image_tag(_reference_thumbnail(item.reference_path, references), 'reference face', 96)}</td>"
            f"<td>{video}<br>{_image_tag(result.thumbnail_jpeg, 'sampled frames', 60)}</td>"
            f"<td class='prompt'>{esc(item.prompt)}</td><td class='chart'>{chart}</td>"
            f"<td><table class='values'>{values}</table></td></tr>"
        )
    order = f"worst {metric} first" if metric else "in order"
    return (
        f"<h2>Videos ({plural(len(rows), 'video')}, {esc(order)})</h2><table class='videos'><tr><th>item, reference</th>"
        "<th>video, sampled frames</th><th>prompt</th><th>identity per sampled frame</th><th>metrics</th></tr>"
        + "".join(rows)
        + "</table>"
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ipvg evaluation</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #111; max-width: 1280px; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; font-size: 13px; }}
th {{ background: #f1f5f9; }}
table.metrics td, table.metrics th {{ font-size: 15px; padding: 6px 12px; }}
table.values td {{ border: none; padding: 0 6px 0 0; font-size: 12px; }}
td.prompt {{ max-width: 320px; }} td.chart {{ width: 360px; }}
.small {{ font-size: 12px; color: #555; }} .fix {{ color: #1d4ed8; }} .bad {{ color: #b91c1c; }}
ul.notrun {{ margin: 0; padding-left: 1.2em; font-size: 14px; }} details summary {{ cursor: pointer; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 12px; }} .charts svg {{ width: 520px; }}
figure {{ margin: 0; }}
</style></head><body>
{body}
</body></html>
"""
