"""Small inline SVG charts for the HTML report (no plotting dependency; they scale and print well)."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

WIDTH, HEIGHT = 420, 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 46, 28, 26, 34
ACCENT = "#2563eb"


def _frame(title: str, x_label: str, y_label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{html.escape(title)}" font-family="sans-serif" font-size="11">',
        f'<text x="{WIDTH / 2}" y="15" text-anchor="middle" font-size="13" font-weight="bold">{html.escape(title)}</text>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 4}" text-anchor="middle">{html.escape(x_label)}</text>',
        f'<text x="11" y="{HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 11 {HEIGHT / 2})">{html.escape(y_label)}</text>',
    ]


def _axes(lines: list[str], x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
    x0, y0, x1, y1 = MARGIN_LEFT, HEIGHT - MARGIN_BOTTOM, WIDTH - MARGIN_RIGHT, MARGIN_TOP
    lines.append(f'<path d="M{x0} {y1} V{y0} H{x1}" stroke="#333" fill="none"/>')
    for fraction in (0.0, 0.5, 1.0):
        value = y_range[0] + fraction * (y_range[1] - y_range[0])
        y = y0 - fraction * (y0 - y1)
        lines.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end">{value:.3g}</text>')
        lines.append(f'<path d="M{x0} {y:.1f} H{x1}" stroke="#ddd"/>')
        value = x_range[0] + fraction * (x_range[1] - x_range[0])
        x = x0 + fraction * (x1 - x0)
        lines.append(f'<text x="{x:.1f}" y="{y0 + 14}" text-anchor="middle">{value:.3g}</text>')


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    span = high - low if high > low else 1.0
    return out_low + (value - low) / span * (out_high - out_low)


def histogram_svg(values: Sequence[float], title: str, x_label: str, bins: int = 20) -> str:
    """A histogram of `values` (an empty chart says so)."""
    lines = _frame(title, x_label, "videos")
    data = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if data.size == 0:
        lines.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no values</text></svg>')
        return "".join(lines)
    low, high = float(data.min()), float(data.max())
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(data, bins=bins, range=(low, high))
    _axes(lines, (low, high), (0, int(counts.max())))
    bottom, top = HEIGHT - MARGIN_BOTTOM, MARGIN_TOP
    for count, left, right in zip(counts, edges[:-1], edges[1:], strict=True):
        x_left = _scale(left, low, high, MARGIN_LEFT, WIDTH - MARGIN_RIGHT)
        x_right = _scale(right, low, high, MARGIN_LEFT, WIDTH - MARGIN_RIGHT)
        y = _scale(count, 0, counts.max(), bottom, top)
        lines.append(
            f'<rect x="{x_left + 0.5:.1f}" y="{y:.1f}" width="{max(0.5, x_right - x_left - 1):.1f}" '
            f'height="{bottom - y:.1f}" fill="{ACCENT}" opacity="0.8"><title>{int(count)}</title></rect>'
        )
    lines.append("</svg>")
    return "".join(lines)


def curves_svg(
    curves: Sequence[Sequence[float | None]],
    title: str,
    y_label: str,
    y_range: tuple[float, float] = (0.0, 1.0),
) -> str:
    """Per-frame curves, one thin line per video (gaps where a frame had no face), their mean thick."""
    lines = _frame(title, "sampled frame", y_label)
    length = max((len(c) for c in curves), default=0)
    if length == 0:
        lines.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no values</text></svg>')
        return "".join(lines)
    _axes(lines, (0, max(1, length - 1)), y_range)
    opacity = max(0.08, min(0.6, 6.0 / max(1, len(curves))))

    def point(index: int, value: float) -> str:
        x = _scale(index, 0, max(1, length - 1), MARGIN_LEFT, WIDTH - MARGIN_RIGHT)
        y = _scale(
            min(max(value, y_range[0]), y_range[1]),
            y_range[0],
            y_range[1],
            HEIGHT - MARGIN_BOTTOM,
            MARGIN_TOP,
        )
        return f"{x:.1f} {y:.1f}"

    def path(curve: Sequence[float | None]) -> str:
        parts, pen_down = [], False
        for index, value in enumerate(curve):
            if value is None:
                pen_down = False
                continue
            parts.append(("L" if pen_down else "M") + point(index, value))
            pen_down = True
        return " ".join(parts)

    for curve in curves:
        lines.append(
            f'<path d="{path(curve)}" stroke="#64748b" stroke-width="1" fill="none" opacity="{opacity:.2f}"/>'
        )
    mean_curve: list[float | None] = []
    for index in range(length):
        present = [c[index] for c in curves if index < len(c) and c[index] is not None]
        mean_curve.append(float(np.mean(present)) if present else None)  # type: ignore[arg-type]
    lines.append(
        f'<path d="{path(mean_curve)}" stroke="{ACCENT}" stroke-width="2.5" fill="none"><title>mean</title></path>'
    )
    lines.append("</svg>")
    return "".join(lines)
