"""The per-frame identity plot as a self-contained SVG (no plotting library, nothing fetched)."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


def identity_plot_svg(frame_indices: list[int], similarities: list[float | None], num_frames: int) -> str:
    """Identity similarity (0-1) of each sampled frame against the reference; frames without a face
    are grey crosses on the axis. Lines join consecutive frames that have a face."""
    if len(frame_indices) != len(similarities):
        raise ValueError(
            f"`frame_indices` ({len(frame_indices)}) and `similarities` ({len(similarities)}) differ in length."
        )
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    last = max(1, num_frames - 1)

    def x(frame: int) -> float:
        return LEFT + plot_w * frame / last

    def y(value: float) -> float:
        return TOP + plot_h * (1.0 - min(1.0, max(0.0, value)))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="Identity similarity per frame" class="ipvg-identity-plot" '
        f'style="max-width:{WIDTH}px;font-family:sans-serif;font-size:11px">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):  # y grid; 0.5 is the spatial stage's early-stop bar
        dash = "" if tick == 0.5 else ' stroke-dasharray="2,3"'
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ccc"{dash}/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#666">{tick:.2f}</text>'
        )
    for frame in sorted({0, last, *frame_indices[:: max(1, len(frame_indices) // 8)]}):
        parts.append(
            f'<text x="{x(frame):.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" fill="#666">{frame}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 4}" text-anchor="middle" fill="#444">frame</text>'
    )
    segment: list[str] = []
    segments: list[list[str]] = []
    for frame, value in zip(frame_indices, similarities, strict=True):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(frame):.1f},{y(value):.1f}")
    if segment:
        segments.append(segment)
    for points in segments:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#2a7de1" stroke-width="2"/>')
    for frame, value in zip(frame_indices, similarities, strict=True):
        title = f"frame {frame}: " + ("no face" if value is None else f"{value:.3f}")
        if value is None:
            cx, cy = x(frame), y(0.0)
            parts.append(
                f'<path class="no-face" d="M{cx - 4:.1f},{cy - 4:.1f}L{cx + 4:.1f},{cy + 4:.1f}'
                f'M{cx - 4:.1f},{cy + 4:.1f}L{cx + 4:.1f},{cy - 4:.1f}" stroke="#999" stroke-width="2">'
                f"<title>{escape(title)}</title></path>"
            )
        else:
            parts.append(
                f'<circle class="face" cx="{x(frame):.1f}" cy="{y(value):.1f}" r="3.5" fill="#2a7de1">'
                f"<title>{escape(title)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
