"""ipvg.svg, the one plot helper of the web UI and both reports: ticks, gaps, clamping, histograms."""

from __future__ import annotations

import re

import pytest

from ipvg.svg import (
    MIN_HISTOGRAM_VALUES,
    Series,
    histogram_svg,
    identity_chart_svg,
    line_chart_svg,
    nice_ticks,
)


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0, 1, 5) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(0, 120, 9, integer=True) == [0, 20, 40, 60, 80, 100, 120]
    assert nice_ticks(0, 8, 9, integer=True) == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert nice_ticks(3, 3) == [3]


def test_identity_chart_puts_points_at_frame_indices_and_crosses_for_misses() -> None:
    """Catches points spread by position instead of frame index, a line drawn through a miss, and values
    outside [0, 1] drawn outside the plot."""
    svg = identity_chart_svg([0, 40, 80, 120], [0.5, None, 1.7, 0.25], num_frames=121, width=640, height=240)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="point"') == 3 and svg.count('class="missing"') == 1
    assert "frame 40: no face" in svg and "frame 120: 0.250" in svg
    assert svg.count("<polyline") == 1  # 0.5 stands alone (the miss splits it off); 1.7 -> 0.25 is one line
    xs = [float(x) for x in re.findall(r'<circle class="point" cx="([\d.]+)"', svg)]
    assert xs[0] == pytest.approx(48 + 12) and xs[-1] == pytest.approx(640 - 16)  # frame 0 and frame 120
    ys = [float(y) for y in re.findall(r'<circle class="point" cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys[1] == pytest.approx(14)  # 1.7 clamped to the top edge
    with pytest.raises(ValueError, match="differ in length"):
        identity_chart_svg([0, 1], [0.5], num_frames=2)


def test_a_series_needs_as_many_x_as_y_values() -> None:
    with pytest.raises(ValueError, match="2 x values but 1 y values"):
        line_chart_svg([Series([0, 1], [0.5])])


def test_histogram_needs_enough_values() -> None:
    """Catches a histogram of two numbers (less readable than the numbers)."""
    assert histogram_svg([0.1, 0.2, None, 0.3, 0.4], title="t", x_label="x") == ""
    svg = histogram_svg([0.1, 0.2, 0.3, 0.4, 0.4], title="facesim over videos", x_label="facesim")
    assert MIN_HISTOGRAM_VALUES == 5 and svg.startswith("<svg") and "facesim over videos" in svg
    counts = [int(c) for c in re.findall(r"<title>[^<]*: (\d+)</title>", svg)]
    assert sum(counts) == 5
