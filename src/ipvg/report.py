"""A small self-contained HTML report of one generation: the face, both prompts, the first-frame
candidates with their identity scores, the video, and identity similarity per frame."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from PIL import Image

MAX_EMBEDDED_VIDEO_BYTES = 25 * 2**20  # larger videos are linked, not embedded


def _image_data_uri(image: Image.Image, max_side: int = 512) -> str:
    thumb = image.copy()
    thumb.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    thumb.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def similarity_plot_svg(values: list[float | None], width: int = 560, height: int = 180) -> str:
    """Inline SVG line plot of per-frame similarity in [0, 1]; gaps where no face was found."""
    pad = 30
    if not values:
        return "<p>No frames were scored.</p>"
    step = (width - 2 * pad) / max(1, len(values) - 1)

    def point(index: int, value: float) -> str:
        return f"{pad + index * step:.1f},{height - pad - value * (height - 2 * pad):.1f}"

    segments, current = [], []
    for index, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(point(index, max(0.0, min(1.0, value))))
    if current:
        segments.append(current)
    lines = "".join(
        f'<polyline fill="none" stroke="#2563eb" stroke-width="2" points="{" ".join(s)}"/>' for s in segments
    )
    dots = "".join(
        f'<circle cx="{point(i, max(0.0, min(1.0, v))).split(",")[0]}" cy="{point(i, max(0.0, min(1.0, v))).split(",")[1]}" r="3" fill="#2563eb"/>'
        for i, v in enumerate(values)
        if v is not None
    )
    misses = "".join(
        f'<text x="{pad + i * step:.1f}" y="{height - pad + 4:.1f}" font-size="12" text-anchor="middle" fill="#888">×</text>'
        for i, v in enumerate(values)
        if v is None
    )
    grid = "".join(
        f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad - g * (height - 2 * pad):.1f}" y2="{height - pad - g * (height - 2 * pad):.1f}" stroke="#ddd"/>'
        f'<text x="4" y="{height - pad - g * (height - 2 * pad) + 4:.1f}" font-size="10">{g:.1f}</text>'
        for g in (0.0, 0.25, 0.5, 0.75, 1.0)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="identity similarity per sampled frame">{grid}{lines}{dots}{misses}'
        f'<text x="{width / 2:.0f}" y="{height - 6}" font-size="11" text-anchor="middle">sampled frame (× no face)</text></svg>'
    )


def render_report(
    *,
    face: Image.Image,
    record: dict[str, Any],
    candidates: list[tuple[Image.Image, dict[str, Any]]],
    video_path: Path | None,
    similarities: list[float | None],
    note: str = "",
) -> str:
    prompts = record.get("prompts", {})
    esc = html.escape
    candidate_cells = "".join(
        f'<figure class="{"chosen" if info.get("chosen") else ""}"><img src="{_image_data_uri(image, 256)}" alt="candidate {index}">'
        f"<figcaption>seed {esc(str(info.get('seed')))} · similarity {_fmt(info.get('similarity'))}"
        f"{' · <b>chosen</b>' if info.get('chosen') else ''}</figcaption></figure>"
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
        f"<tr><td>{esc(s['name'])}</td><td>{s['seconds']:.2f} s</td><td>{_fmt(s.get('peak_memory_mb'), '{:.0f} MB')}</td></tr>"
        for s in record.get("stages", [])
    )
    warnings = "".join(f"<li>{esc(w)}</li>" for w in record.get("warnings", []))
    scores = record.get("scores", {})
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ipvg run</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#111}}
.row{{display:flex;gap:1.5em;flex-wrap:wrap;align-items:flex-start}} .row>div{{flex:1;min-width:280px}} figure{{margin:0}}
img,video{{max-width:100%;border-radius:6px}} .row figure img{{width:256px;image-rendering:auto}} video{{width:100%;max-width:720px}}
figure.chosen img{{outline:4px solid #16a34a}} .note{{background:#fef3c7;padding:.6em 1em;border-radius:6px}}
table{{border-collapse:collapse}} td,th{{padding:.2em .8em;border-bottom:1px solid #eee;text-align:left}} pre{{white-space:pre-wrap}}
</style></head><body>
<h1>ipvg: identity-preserving video</h1>
{f'<p class="note">{esc(note)}</p>' if note else ""}
<div class="row"><figure><img src="{_image_data_uri(face, 256)}" alt="reference face"><figcaption>reference face</figcaption></figure>
<div><h3>Prompt</h3><pre>{esc(str(prompts.get("source", "")))}</pre>
<h3>Spatial prompt (first frame)</h3><pre>{esc(str(prompts.get("spatial", "")))}</pre>
<h3>Temporal prompt (video)</h3><pre>{esc(str(prompts.get("temporal", "")))}</pre></div></div>
<h2>First-frame candidates</h2><div class="row">{candidate_cells}</div>
<h2>Video</h2>{video_html}
<h2>Identity similarity per frame</h2>
<p>Mean {_fmt(scores.get("video_identity_mean"))} over frames with a face ({esc(str(scores.get("face_backend", "")))}).</p>
{similarity_plot_svg(similarities)}
<h2>Stages</h2><table><tr><th>stage</th><th>time</th><th>peak memory</th></tr>{stages}</table>
{f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else ""}
</body></html>
"""


def _fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)
