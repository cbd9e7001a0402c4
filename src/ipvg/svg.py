"""The one SVG plot helper of ipvg: line charts (identity per frame) and histograms, as self-contained
inline SVG for the web UI and both HTML reports (no plotting library, nothing fetched, prints well).

Values outside the y range are clamped to its edge; a `None` value is a gap in the line, drawn as a
grey cross on the x axis (e.g. a sampled frame where no face was found).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

ACCENT = "#2563eb"
MUTED = "#64748b"
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 14, 36
MIN_HISTOGRAM_VALUES = 5  # below this a histogram says less than the numbers themselves


@dataclass(frozen=True)
class Series:
    """One line: `y[i]` at `x[i]`; `points` draws a dot (or a cross for None) with a tooltip each."""

    x: Sequence[float]
    y: Sequence[float | None]
    label: str = ""
    color: str = ACCENT
    stroke_width: float = 2.0
    opacity: float = 1.0
    points: bool = True
    missing: str = "none"  # what a None means, in the tooltip


def nice_ticks(low: float, high: float, max_ticks: int = 8, integer: bool = False) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high <= low:
        return [low]
    raw = (high - low) / max(1, max_ticks - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _open(width: int, height: int, label: str, css_class: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}" class="{escape(css_class)}" '
        f'style="max-width:{width}px;font-family:system-ui,sans-serif;font-size:11px">'
    ]


def _tick_label(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def line_chart_svg(
    series: Sequence[Series],
    *,
    x_label: str = "frame",
    y_label: str = "",
    y_range: tuple[float, float] = (0.0, 1.0),
    x_range: tuple[float, float] | None = None,
    marks: Sequence[float] = (),
    title: str = "",
    width: int = 640,
    height: int = 240,
    css_class: str = "ipvg-chart",
) -> str:
    """Lines over a shared x axis; `marks` are dashed horizontal reference lines (e.g. 0.5)."""
    xs = [float(x) for s in series for x in s.x]
    if x_range is None:
        x_range = (min(xs, default=0.0), max(xs, default=1.0))
    x_low, x_high = x_range if x_range[1] > x_range[0] else (x_range[0], x_range[0] + 1.0)
    y_low, y_high = y_range
    top = MARGIN_TOP + (16 if title else 0)
    left, right, bottom = MARGIN_LEFT + (12 if y_label else 0), width - MARGIN_RIGHT, height - MARGIN_BOTTOM

    def px(x: float) -> float:
        return left + (right - left) * (x - x_low) / (x_high - x_low)

    def py(y: float) -> float:
        y = min(y_high, max(y_low, y))
        return bottom - (bottom - top) * (y - y_low) / ((y_high - y_low) or 1.0)

    parts = _open(width, height, title or y_label or "chart", css_class)
    if title:
        parts.append(f'<text x="{width / 2}" y="13" text-anchor="middle" font-weight="bold">{escape(title)}</text>')
    parts.append(
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#bbb"/>'
    )
    for tick in nice_ticks(y_low, y_high, 5):
        dash = "" if tick in marks else ' stroke-dasharray="2,3"'
        colour = "#888" if tick in marks else "#ddd"
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" stroke="{colour}"{dash}/>'
            f'<text x="{left - 8}" y="{py(tick) + 4:.1f}" text-anchor="end" fill="#555">{_tick_label(tick)}</text>'
        )
    for mark in marks:
        if mark not in nice_ticks(y_low, y_high, 5):
            parts.append(f'<line x1="{left}" x2="{right}" y1="{py(mark):.1f}" y2="{py(mark):.1f}" stroke="#888"/>')
    for tick in nice_ticks(x_low, x_high, 9, integer=True):
        parts.append(
            f'<line x1="{px(tick):.1f}" x2="{px(tick):.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="#888"/>'
            f'<text x="{px(tick):.1f}" y="{bottom + 15}" text-anchor="middle" fill="#555">{_tick_label(tick)}</text>'
        )
    parts.append(
        f'<text x="{(left + right) / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="#333">{escape(x_label)}</text>'
    )
    if y_label:
        middle = (top + bottom) / 2
        parts.append(
            f'<text x="12" y="{middle:.1f}" text-anchor="middle" fill="#333" '
            f'transform="rotate(-90 12 {middle:.1f})">{escape(y_label)}</text>'
        )
    for line in series:
        if len(line.x) != len(line.y):
            raise ValueError(f"A series has {len(line.x)} x values but {len(line.y)} y values.")
        style = f'fill="none" stroke="{line.color}" stroke-width="{line.stroke_width}" opacity="{line.opacity:.2f}"'
        segment: list[str] = []
        for x, y in [*zip(line.x, line.y, strict=True), (None, None)]:
            if y is None or x is None:
                if len(segment) > 1:
                    parts.append(f'<polyline points="{" ".join(segment)}" {style}/>')
                segment = []
            else:
                segment.append(f"{px(x):.1f},{py(y):.1f}")
        if not line.points:
            continue
        prefix = f"{line.label}: " if line.label else ""
        for x, y in zip(line.x, line.y, strict=True):
            shown = line.missing if y is None else f"{y:.3f}"
            tip = f"<title>{escape(f'{prefix}{x_label} {_tick_label(x)}: {shown}')}</title>"
            if y is None:
                cx, cy = px(x), bottom
                parts.append(
                    f'<path class="missing" d="M{cx - 4:.1f},{cy - 4:.1f}L{cx + 4:.1f},{cy + 4:.1f}'
                    f'M{cx - 4:.1f},{cy + 4:.1f}L{cx + 4:.1f},{cy - 4:.1f}" stroke="#999" stroke-width="2">{tip}</path>'
                )
            else:
                parts.append(
                    f'<circle class="point" cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{line.color}">{tip}</circle>'
                )
    parts.append("</svg>")
    return "".join(parts)


def identity_chart_svg(
    frame_indices: Sequence[int], similarities: Sequence[float | None], num_frames: int, **kwargs: object
) -> str:
    """Identity similarity (cosine vs the reference, 0-1) of each sampled frame; 0.5 (ArcFace's
    same-person bar, the spatial stage's early stop) is the solid reference line."""
    if len(frame_indices) != len(similarities):
        raise ValueError(
            f"`frame_indices` ({len(frame_indices)}) and `similarities` ({len(similarities)}) differ in length."
        )
    options: dict = {"y_label": "identity", "marks": (0.5,), "css_class": "ipvg-identity-plot", **kwargs}
    return line_chart_svg(
        [Series(list(frame_indices), list(similarities), missing="no face")],
        x_range=(0, max(1, num_frames - 1)),
        **options,  # type: ignore[arg-type]
    )


def mean_curve(curves: Sequence[Sequence[float | None]]) -> list[float | None]:
    """Position-wise mean over the curves that have a value there."""
    length = max((len(c) for c in curves), default=0)
    means: list[float | None] = []
    for index in range(length):
        present = [float(c[index]) for c in curves if index < len(c) and c[index] is not None]  # type: ignore[arg-type]
        means.append(float(np.mean(present)) if present else None)
    return means


def histogram_svg(values: Sequence[float | None], *, title: str, x_label: str, bins: int = 20) -> str:
    """A histogram of `values` with counts on the y axis; "" when fewer than `MIN_HISTOGRAM_VALUES`."""
    data = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if data.size < MIN_HISTOGRAM_VALUES:
        return ""
    low, high = float(data.min()), float(data.max())
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(data, bins=min(bins, max(5, data.size // 2)), range=(low, high))
    width, height = 420, 220
    left, right, top, bottom = MARGIN_LEFT, width - MARGIN_RIGHT, MARGIN_TOP + 16, height - MARGIN_BOTTOM
    parts = _open(width, height, title, "ipvg-histogram")
    parts.append(f'<text x="{width / 2}" y="13" text-anchor="middle" font-weight="bold">{escape(title)}</text>')
    peak = int(counts.max())
    for tick in nice_ticks(0, peak, 5, integer=True):
        y = bottom - (bottom - top) * tick / peak
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{_tick_label(tick)}</text>'
        )
    for tick in nice_ticks(low, high, 6):
        x = left + (right - left) * (tick - low) / (high - low)
        parts.append(f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" fill="#555">{_tick_label(tick)}</text>')
    for count, start, end in zip(counts, edges[:-1], edges[1:], strict=True):
        x0 = left + (right - left) * (start - low) / (high - low)
        x1 = left + (right - left) * (end - low) / (high - low)
        y = bottom - (bottom - top) * count / peak
        parts.append(
            f'<rect x="{x0 + 0.5:.1f}" y="{y:.1f}" width="{max(0.5, x1 - x0 - 1):.1f}" height="{bottom - y:.1f}" '
            f'fill="{ACCENT}" opacity="0.8"><title>{start:.3g}-{end:.3g}: {int(count)}</title></rect>'
        )
    parts.append(
        f'<text x="{(left + right) / 2}" y="{height - 4}" text-anchor="middle" fill="#333">{escape(x_label)}</text>'
        f'<text x="12" y="{(top + bottom) / 2}" text-anchor="middle" fill="#333" '
        f'transform="rotate(-90 12 {(top + bottom) / 2})">videos</text></svg>'
    )
    return "".join(parts)
