"""The HTML report of one generation, rendered from its run record: the run's settings and the command
that reproduces it first; then a strip of the reference face, the first frame and the sampled video
frames, each with its identity score; the prompts, the first-frame candidates, the video, identity
per frame, stage timings, warnings and links to the files. Self-contained (images and, up to a size,
the video are embedded), so it can be mailed or attached to an issue.
"""

from __future__ import annotations

import base64
import html
import io
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ipvg.svg import identity_chart_svg

MAX_EMBEDDED_VIDEO_BYTES = 25 * 2**20  # larger videos are linked, not embedded
STRIP_HEIGHT = 120
FACE_PLACEHOLDER = "REFERENCE.png"  # when the face came as an image, not a file (the web UI)
esc = html.escape


def _image_data_uri(image: Image.Image, max_side: int = 512) -> str:
    thumb = image.convert("RGB")
    thumb.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    thumb.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{int(value // 60)} min {value % 60:.0f} s"


def _config_differences(config: dict[str, Any], preset: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys whose value differs from the preset's (what `--set` must say to reproduce)."""
    differences: dict[str, Any] = {}
    for key, value in config.items():
        if key in ("name", "description"):
            continue
        base = preset.get(key)
        if isinstance(value, dict) and isinstance(base, dict):
            differences |= _config_differences(value, base, f"{prefix}{key}.")
        elif value != base:
            differences[f"{prefix}{key}"] = value
    return differences


def reproduce_command(record: dict[str, Any]) -> str:
    """`ipvg generate ...` with the preset, seed and every config value that differs from the preset."""
    from ipvg.config import PRESETS

    config = record.get("config", {})
    inputs = record.get("inputs", {})
    face = (inputs.get("face") or {}).get("source") or FACE_PLACEHOLDER
    name = config.get("name", "")
    words = ["ipvg", "generate", "--face", str(face), "--prompt", str(inputs.get("prompt", ""))]
    notes = []
    if name in PRESETS:
        words += ["--preset", name]
        differences = _config_differences(config, PRESETS[name].to_dict())
    else:
        differences = {}
        notes.append(f"# the config ({name or 'custom'}) is no preset: see config in record.json")
    seed = inputs.get("seed", differences.pop("seed", None))
    differences.pop("seed", None)
    if seed is not None:
        words += ["--seed", str(seed)]
    for key, value in differences.items():
        if isinstance(value, list | dict):
            notes.append(f"# {key} differs from the preset: see config in record.json")
            continue
        words += ["--set", f"{key}={'none' if value is None else value}"]
    if face == FACE_PLACEHOLDER:
        notes.append(f"# {FACE_PLACEHOLDER}: the reference photo (it came as an image, so its path is not known)")
    if str((record.get("prompts") or {}).get("backend", "")).endswith("+edited"):
        notes.append("# the spatial/temporal prompts were edited by hand; this command decouples the prompt again")
    return " ".join(shlex.quote(word) for word in words) + "".join(f"\n{note}" for note in notes)


def _model_id(info: Any) -> str:
    if isinstance(info, dict):
        return str(info.get("model") or info.get("backend") or "n/a")
    return "n/a" if info is None else str(info)


def _settings_table(record: dict[str, Any]) -> str:
    config, outputs, inputs = record.get("config", {}), record.get("outputs", {}), record.get("inputs", {})
    models = record.get("models", {})
    settings = outputs.get("settings") or {}
    total = sum(float(stage.get("seconds") or 0.0) for stage in record.get("stages", []))
    rows = [
        ("preset", config.get("name", "n/a")),
        ("first-frame model", f"{config.get('spatial', {}).get('backend', '')}: {_model_id(models.get('spatial'))}"),
        ("video model", f"{config.get('temporal', {}).get('backend', '')}: {_model_id(models.get('temporal'))}"),
        ("faces / prompts", f"{models.get('faces', 'n/a')} / {models.get('prompts', 'n/a')}"),
        ("steps", _fmt(settings.get("num_inference_steps"), "{}")),
        ("guidance", _fmt(settings.get("guidance_scale"), "{:g}")),
        ("frames", _fmt(outputs.get("num_frames"), "{}")),
        ("size", f"{outputs.get('width', '?')}x{outputs.get('height', '?')}"),
        ("fps", _fmt(outputs.get("fps"), "{:g}")),
        ("seed", _fmt(inputs.get("seed"), "{}")),
        ("total time", _seconds(total)),
    ]
    cells = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in rows)
    return f'<table class="settings">{cells}</table>'


def sampled_frame_indices(record: dict[str, Any], num_scores: int) -> list[int]:
    """The frames the identity scores belong to: the record's own list, else (older records) evenly
    spaced from the first to the last frame."""
    scores = record.get("scores", {})
    indices = scores.get("video_identity_frames")
    if indices is not None and len(indices) == num_scores:
        return [int(i) for i in indices]
    num_frames = int(record.get("outputs", {}).get("num_frames") or num_scores or 1)
    return [int(i) for i in np.linspace(0, num_frames - 1, num_scores, dtype=int)] if num_scores else []


def _figure(image: Image.Image, caption: str, css_class: str = "") -> str:
    return (
        f'<figure class="{css_class}"><img src="{_image_data_uri(image, 2 * STRIP_HEIGHT)}" '
        f'alt="{esc(caption)}"><figcaption>{caption}</figcaption></figure>'
    )


def _score_caption(label: str, score: float | None) -> str:
    value = '<span class="miss">no face</span>' if score is None else f"<b>{score:.3f}</b>"
    return f"{esc(label)}<br>{value}"


def _identity_strip(
    face: Image.Image,
    first_frame: Image.Image | None,
    first_score: float | None,
    frames_FHWC: np.ndarray | None,
    indices: Sequence[int],
    similarities: Sequence[float | None],
) -> str:
    figures = [_figure(face, "reference<br>&nbsp;", "reference")]
    if first_frame is not None:
        figures.append(_figure(first_frame, _score_caption("first frame", first_score), "first"))
    if frames_FHWC is not None:
        shown: set[int] = set()  # a short video's samples repeat frames: show each frame once
        for index, score in zip(indices, similarities, strict=False):
            if 0 <= index < len(frames_FHWC) and index not in shown:
                shown.add(index)
                figures.append(_figure(Image.fromarray(frames_FHWC[index]), _score_caption(f"frame {index}", score)))
    return '<div class="strip">' + "".join(figures) + "</div>"


def _read_frames(video_path: Path | None) -> np.ndarray | None:
    if video_path is None or not video_path.exists():
        return None
    try:
        from ipvg.io.video import read_video

        return read_video(video_path).frames_FHWC
    except Exception:  # a report without the strip beats no report
        return None


def _mean_sentence(mean: float | None, with_face: int, sampled: int) -> str:
    if mean is None or with_face == 0:
        return f"No face was found in any of the {sampled} sampled frames, so the video has no identity score."
    frames = "frame" if with_face == 1 else "frames"
    return f"The video's mean over the {with_face} sampled {frames} with a face is <b>{mean:.3f}</b>."


def _guard_table(scores: dict[str, Any]) -> str:
    """The identity guard's attempts (one row each), when it was on (temporal.max_attempts > 1)."""
    guard = scores.get("identity_guard") or {}
    attempts = guard.get("attempts") or []
    if int(guard.get("max_attempts") or 1) <= 1:
        return ""
    rows = "".join(
        f"<tr><td>{esc(str(a.get('seed')))}</td><td>{_fmt(a.get('mean'))}</td><td>{_fmt(a.get('worst'))}</td>"
        f"<td>{esc(str(a.get('frames_without_face', '')))}</td><td>{'yes' if a.get('passed') else 'no'}</td>"
        f"<td>{'<b>kept</b>' if a.get('chosen') else ''}</td></tr>"
        for a in attempts
    )
    tried = "1 video seed" if len(attempts) == 1 else f"{len(attempts)} video seeds"
    return (
        f"<h3>Identity guard</h3><p>Tried {tried} of up to {esc(str(guard.get('max_attempts')))}; an attempt "
        f"passes when its mean and its worst sampled frame reach {_fmt(guard.get('threshold'))}. The video "
        "with the highest mean was kept.</p><table><tr><th>seed</th><th>mean</th><th>worst frame</th>"
        f"<th>frames without a face</th><th>passed</th><th></th></tr>{rows}</table>"
    )


def _files_list(record: dict[str, Any]) -> str:
    outputs = record.get("outputs", {})
    links = [(outputs.get("video"), "the video"), (outputs.get("first_frame"), "the chosen first frame")]
    for candidate in outputs.get("candidates", []):
        links.append((candidate.get("file"), f"candidate seed {candidate.get('seed')}"))
    links.append(("record.json", "the run record: config, prompts, models, timings, scores"))
    items = "".join(
        f'<li><a href="{esc(str(name))}">{esc(str(name))}</a>: {esc(what)}</li>' for name, what in links if name
    )
    return f"<ul>{items}</ul>"


def render_report(
    *,
    face: Image.Image,
    record: dict[str, Any],
    candidates: list[tuple[Image.Image, dict[str, Any]]],
    video_path: Path | None,
    similarities: list[float | None],
    note: str = "",
    video_frames_FHWC: np.ndarray | None = None,
) -> str:
    """The report page. `video_frames_FHWC` (the decoded video) saves reading `video_path` back for the
    strip of sampled frames."""
    prompts = record.get("prompts", {})
    scores = record.get("scores", {})
    outputs = record.get("outputs", {})
    indices = sampled_frame_indices(record, len(similarities))
    frames = video_frames_FHWC if video_frames_FHWC is not None else _read_frames(video_path)
    chosen = next((image for image, info in candidates if info.get("chosen")), None)
    first_score = scores.get("first_frame_similarity")
    candidate_cells = "".join(
        f'<figure class="{"chosen" if info.get("chosen") else ""}"><img src="{_image_data_uri(image, 256)}" '
        f'alt="candidate {index}"><figcaption>seed {esc(str(info.get("seed")))} · identity '
        f"{_fmt(info.get('similarity'))}{' · <b>chosen</b>' if info.get('chosen') else ''}</figcaption></figure>"
        for index, (image, info) in enumerate(candidates)
    )
    video_html = "<p>No video.</p>"
    if video_path is not None and video_path.exists():
        data = video_path.read_bytes()
        source = (
            "data:video/mp4;base64," + base64.b64encode(data).decode()
            if len(data) <= MAX_EMBEDDED_VIDEO_BYTES
            else esc(video_path.name)
        )
        video_html = f'<video controls loop autoplay muted playsinline src="{source}"></video>'
    stages = "".join(
        f"<tr><td>{esc(s['name'])}</td><td>{s['seconds']:.2f} s</td>"
        f"<td>{_fmt(s.get('peak_memory_mb'), '{:.0f} MB')}</td></tr>"
        for s in record.get("stages", [])
    )
    warnings = "".join(f"<li>{esc(w)}</li>" for w in record.get("warnings", []))
    num_frames = int(outputs.get("num_frames") or max(indices, default=0) + 1)
    chart = (
        identity_chart_svg(indices, similarities, num_frames) if similarities else "<p>No frames were scored.</p>"
    )
    missing = sum(value is None for value in similarities)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ipvg run: {esc(str(prompts.get("source", ""))[:60])}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;color:#111}}
h2{{margin-top:1.6em}} .row{{display:flex;gap:1.5em;flex-wrap:wrap;align-items:flex-start}}
.row>div{{flex:1;min-width:280px}} figure{{margin:0}} img,video{{max-width:100%;border-radius:6px}}
.candidates figure img{{width:256px}} video{{width:100%;max-width:720px}}
figure.chosen img{{outline:4px solid #16a34a}} .note{{background:#fef3c7;padding:.6em 1em;border-radius:6px}}
table{{border-collapse:collapse}} td,th{{padding:.25em .8em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}}
table.settings th{{font-weight:normal;color:#555}} pre{{white-space:pre-wrap;background:#f6f8fa;padding:.6em 1em;border-radius:6px}}
.strip{{display:flex;gap:6px;overflow-x:auto;padding-bottom:6px}} .strip figure{{flex:none;text-align:center;font-size:12px}}
.strip img{{height:{STRIP_HEIGHT}px;width:auto}} .strip .reference img,.strip .first img{{outline:3px solid #2563eb}}
.miss{{color:#999}}
</style></head><body>
<h1>ipvg: identity-preserving video</h1>
{f'<p class="note">{esc(note)}</p>' if note else ""}
<h2>Run</h2>
<div class="row"><div>{_settings_table(record)}</div>
<div><p>Reproduce it:</p><pre>{esc(reproduce_command(record))}</pre></div></div>
<h2>Identity: reference, first frame and sampled video frames</h2>
<p>Cosine similarity of each face to the reference ({esc(str(scores.get("face_backend", "")))}, clamped at 0).
{_mean_sentence(scores.get("video_identity_mean"), len(similarities) - missing, len(similarities))}</p>
{_identity_strip(face, chosen, first_score, frames, indices, similarities)}
{chart}
{_guard_table(scores)}
<h2>Prompts</h2>
<div class="row"><div><h3>Prompt</h3><pre>{esc(str(prompts.get("source", "")))}</pre></div>
<div><h3>Spatial prompt (first frame)</h3><pre>{esc(str(prompts.get("spatial", "")))}</pre>
<h3>Temporal prompt (video)</h3><pre>{esc(str(prompts.get("temporal", "")))}</pre></div></div>
<h2>First-frame candidates</h2><div class="row candidates">{candidate_cells}</div>
<h2>Video</h2>{video_html}
<h2>Stages</h2><table><tr><th>stage</th><th>time</th><th>peak memory</th></tr>{stages}</table>
{f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else ""}
<h2>Files</h2>{_files_list(record)}
</body></html>
"""
