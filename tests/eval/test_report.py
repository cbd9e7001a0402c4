"""The eval report's page and terminal table, on hand-built results (the scoring itself is tested in
test_suite.py): the metrics table first, metrics not run as one short line with the fix, one row per
video with its playable video, full prompt and identity chart, no histogram of a handful of values,
plurals that agree."""

from __future__ import annotations

from pathlib import Path

from ipvg.eval.report import report_html, short_reason, summary_text
from ipvg.eval.suite import EvalRun
from ipvg.eval.types import EvalItem, ItemResult, MetricValue

INSIGHTFACE_MISSING = (
    "No insightface model pack found (looked in: /root/.insightface/models/buffalo_l). Fix: download a model "
    "pack on a machine with internet and unzip it there, or pass `model_pack=FOLDER` (CLI: --insightface-pack FOLDER)."
)
CLIP_MISSING = (
    "Model weights for `openai/clip-vit-base-patch16` are not available locally (looked in the cache). Fix: "
    "download them with `ipvg models download openai/clip-vit-base-patch16` on a machine with internet, pass a "
    "local folder with --clip-model PATH, or allow downloading with --allow-download."
)
LONG_PROMPT = "A woman walks along a windy beach at dusk " * 8 + "and waves."


def _run(num_videos: int, tmp_path: Path) -> EvalRun:
    results = []
    for index in range(num_videos):
        item = EvalItem(
            f"id{index + 1:03d}/prompt1", f"id{index + 1:03d}", "prompt1", LONG_PROMPT, None,
            tmp_path / "submission" / f"id{index + 1:03d}" / "prompt1.mp4",
        )  # fmt: skip
        per_frame = [0.4 + 0.01 * index, None, 0.5, 0.6]
        value = sum(v for v in per_frame if v is not None) / 3
        results.append(
            ItemResult(
                item,
                "ok",
                {"facesim-dlib": MetricValue(value, per_frame)},
                frame_indices=[0, 10, 20, 32],
                video={"num_frames": 33},
            )
        )
    return EvalRun(
        results, ["facesim-dlib"], {"facesim-dlib": True}, {"facesim-arc": INSIGHTFACE_MISSING}, seconds=2.0
    )


def test_one_video_report_shows_the_metrics_table_first_and_no_histogram(tmp_path: Path) -> None:
    """Catches a report that opens with charts, a histogram of one value, "1 videos", a prompt cut at 200
    characters, and a video linked by a path that does not resolve from the report's folder."""
    run = _run(1, tmp_path)
    page = report_html(run, run.summary(), tmp_path / "out")
    body = page[page.index("<body>") :]
    assert body.index("<h2>Metrics</h2>") < body.index("Not run") < body.index("<h2>Videos")
    assert "ipvg-histogram" not in page and "Charts" not in page  # one value: nothing to chart
    assert "1 video: 1 ok" in page and "1 videos" not in page and "Videos (1 video," in page
    assert LONG_PROMPT in page
    assert 'src="../submission/id001/prompt1.mp4"' in page  # relative to out/, where report.html lives
    row = page[page.index("<h2>Videos") :]
    assert row.count('class="point"') == 3 and row.count('class="missing"') == 1  # the identity chart
    assert "frame 32: 0.600" in row  # points sit at the sampled frame indices, not 0..3


def test_histograms_appear_from_five_values(tmp_path: Path) -> None:
    four, five = _run(4, tmp_path), _run(5, tmp_path)
    assert "ipvg-histogram" not in report_html(four, four.summary())
    page = report_html(five, five.summary())
    assert page.count("ipvg-histogram") == 1 and "5 videos; blue: mean" in page
    videos = page[page.index("<h2>Videos") :]
    assert videos.index("id001/prompt1") < videos.index("id005/prompt1")  # worst identity first


def test_a_metric_not_run_is_one_short_line_with_its_fix() -> None:
    """Catches the full multi-sentence message pasted as the line (it stays folded under it)."""
    assert short_reason(INSIGHTFACE_MISSING) == ("No insightface model pack found", "pass --insightface-pack FOLDER")
    first, fix = short_reason(CLIP_MISSING)
    assert first == "Model weights for `openai/clip-vit-base-patch16` are not available locally"
    assert fix == (
        "run `ipvg models download openai/clip-vit-base-patch16` or pass --clip-model PATH or --allow-download"
    )
    assert short_reason("Something broke.") == ("Something broke", "")


def test_terminal_table_agrees_in_number(tmp_path: Path) -> None:
    run = _run(1, tmp_path)
    table, not_run = summary_text(run.summary())
    assert table[0] == "1 video: 1 ok, 0 partial, 0 failed"
    assert table[1].split()[:2] == ["facesim-dlib", f"{run.results[0].value('facesim-dlib'):.4f}"]
    assert table[1].endswith("(1 video)")
    assert not_run == ["  not run: facesim-arc: No insightface model pack found. Fix: pass --insightface-pack FOLDER."]
    table, _ = summary_text(_run(2, tmp_path).summary())
    assert table[0].startswith("2 videos:") and table[1].endswith("(2 videos)")
