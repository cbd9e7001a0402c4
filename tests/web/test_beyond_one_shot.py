"""The web UI's second face and Duration box (issue 17) on the real tiny preset, without a browser:
which `ipvg.segments` call a request reaches, what the page shows of its record, the requests refused
before any model loads, and Cancel during the writing step (nothing partial is kept).

`generate_people` / `generate_long` are wrapped by spies that record their arguments and then run the
real function on the real tiny pipeline, so the page is built from a real record.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ipvg import segments
from ipvg.errors import OutputError
from ipvg.pipeline import IdentityVideoPipeline
from ipvg.web import WebLimits
from ipvg.web.logic import read_upload

gr = pytest.importorskip("gradio", reason="the web extra is not installed (pip install -e '.[web]')")
from ipvg.web.app import WebApp  # noqa: E402  (needs gradio)

TIMELINE = "0-0.2s: A woman waves. 0.2-0.4s: She turns and smiles."


@pytest.fixture(scope="module")
def tiny_pipeline() -> IdentityVideoPipeline:
    return IdentityVideoPipeline.from_preset("tiny")  # models load on first use, once for the module


@pytest.fixture
def faces(sample_testset: Path) -> tuple[str, str]:
    return str(sample_testset / "id004" / "image.png"), str(sample_testset / "id001" / "image.png")


def make_app(tmp_path: Path, pipeline: Any) -> WebApp:
    return WebApp("tiny", pipeline_factory=lambda name: pipeline, limits=WebLimits(), runs_dir=tmp_path / "runs")


def spy_on(monkeypatch: pytest.MonkeyPatch, name: str) -> list[dict[str, Any]]:
    """Record each call of `ipvg.segments.<name>` (faces/face, prompt, keywords), then run the real one."""
    real: Callable[..., Any] = getattr(segments, name)
    calls: list[dict[str, Any]] = []

    def spy(pipeline: Any, faces: Any, prompt: str, **kwargs: Any) -> Any:
        calls.append({"faces": faces, "prompt": prompt, **kwargs})
        return real(pipeline, faces, prompt, **kwargs)

    monkeypatch.setattr(segments, name, spy)
    return calls


def run(app: WebApp, face: str | None, prompt: str, **kwargs: Any) -> dict[str, Any]:
    """One on_generate to its end: its last output by name."""
    events = list(app.on_generate(face, prompt, "tiny", 3, "", "", None, **kwargs))
    assert events, "the handler yielded nothing"
    return dict(zip(app.output_names, events[-1], strict=True))


def test_a_second_face_reaches_generate_people_in_order(
    tmp_path: Path, tiny_pipeline: IdentityVideoPipeline, faces: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches a second face that is dropped (a one-person clip is made), faces sent in the wrong order,
    and Advanced values lost on this path (the frames and candidates must reach the record)."""
    calls = spy_on(monkeypatch, "generate_people")
    app = make_app(tmp_path, tiny_pipeline)
    final = run(
        app, faces[0], "A woman and a man talk on a bench", second_face_path=faces[1], frames=5, candidates=1
    )
    assert "Done in" in final["progress"], final["progress"]
    assert len(calls) == 1 and len(calls[0]["faces"]) == 2
    for sent, path in zip(calls[0]["faces"], faces, strict=True):
        assert np.array_equal(np.asarray(sent), np.asarray(read_upload(path, WebLimits())))
    assert calls[0]["duration_s"] is None and calls[0]["seed"] == 3
    record = json.loads((Path(final["video"]).parent / "record.json").read_text())
    assert record["kind"] == "generate-people" and len(record["inputs"]["faces"]) == 2
    assert record["outputs"]["num_frames"] == 5 and record["config"]["spatial"]["num_candidates"] == 1
    # The page shows what the record holds: each person's score in order, both lines in the plot
    summary = final["summary"]
    first, second = (summary.index(f"Identity of person {p}") for p in (1, 2))
    assert first < second and "5 frames" in summary
    assert final["plot"].count("<title>person 1: ") == final["plot"].count("<title>person 2: ") == 16
    assert final["candidates"][-1][1] == "first frame: each face redrawn as its person"
    assert Path(final["video"]).name == "video.mp4" and (Path(final["video"]).parent / "report.html").exists()
    assert final["download_report"] != gr.skip()  # the report's download button is shown


def test_the_panel_frames_reach_a_two_person_run_after_a_one_person_run(
    tmp_path: Path, faces: tuple[str, str]
) -> None:
    """The browser order (a one-person run first, so the video stage is already loaded, then two people
    with frames=5) on one fresh pipeline. Catches an override that reaches only a stage created inside
    it: the loaded video stage would keep the preset's 9 frames."""
    app = make_app(tmp_path, IdentityVideoPipeline.from_preset("tiny"))
    assert "Done in" in run(app, faces[0], "A woman waves at the camera")["progress"]
    final = run(app, faces[0], "A woman and a man talk on a bench", second_face_path=faces[1], frames=5)
    assert "Done in" in final["progress"], final["progress"]
    records = sorted((tmp_path / "runs").glob("*/record.json"))
    people = [json.loads(r.read_text()) for r in records if "people" in json.loads(r.read_text())["scores"]]
    assert len(people) == 1 and people[0]["outputs"]["num_frames"] == 5


def test_a_duration_reaches_generate_long(
    tmp_path: Path, tiny_pipeline: IdentityVideoPipeline, faces: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches a Duration box that never leaves the page (the model's one clip is made instead) or reaches
    the library as text; and a summary without the segments table."""
    calls = spy_on(monkeypatch, "generate_long")
    app = make_app(tmp_path, tiny_pipeline)
    final = run(app, faces[0], "A woman waves at the camera", duration=0.5)
    assert "Done in" in final["progress"], final["progress"]
    assert len(calls) == 1 and calls[0]["duration_s"] == 0.5 and isinstance(calls[0]["duration_s"], float)
    record = json.loads((Path(final["video"]).parent / "record.json").read_text())
    assert record["kind"] == "generate-segments" and record["inputs"]["duration_s"] == 0.5
    assert "| # | temporal prompt | frames |" in final["summary"]
    assert final["summary"].count("\n| 1 |") == 1


def test_a_timeline_prompt_without_a_duration_is_a_long_run(
    tmp_path: Path, tiny_pipeline: IdentityVideoPipeline, faces: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches a web UI that goes by segments only when the Duration box is filled (the CLI's rule: a
    timeline sets its own length), and a segments table that is not the record's."""
    calls = spy_on(monkeypatch, "generate_long")
    app = make_app(tmp_path, tiny_pipeline)
    final = run(app, faces[0], TIMELINE)
    assert len(calls) == 1 and calls[0]["duration_s"] is None and calls[0]["prompt"] == TIMELINE
    record = json.loads((Path(final["video"]).parent / "record.json").read_text())
    rows = [f"| {s['index'] + 1} | {s['prompt']} | {s['frames'][0]}-{s['frames'][1]} |" for s in
            record["outputs"]["segments"]]  # fmt: skip
    assert len(rows) == 2 and all(row in final["summary"] for row in rows), final["summary"]
    assert "segments join at frames" in final["plot"]


class NeverBuilt:
    """A pipeline factory that fails the test if a refused request got as far as the models."""

    def __call__(self, preset: str) -> Any:
        raise AssertionError(f"a pipeline was created for a request that should be refused ({preset})")


@pytest.mark.parametrize(
    ("prompt", "extra", "message"),
    [
        ("A woman waves", {"duration": -3}, "positive number of seconds"),
        ("A woman waves", {"duration": 0}, "positive number of seconds"),  # 0 is not "empty"
        ("A woman waves", {"duration": "soon"}, "not a number of seconds"),
        ("A woman waves", {"duration": 61}, "at most 60 s"),
        ("0-90s: A woman waves.", {}, "would last 90 s"),  # a timeline is held to the same cap
        ("0-2s: A woman waves. 2-4s: She smiles.", {"duration": 10}, "disagrees with the prompt's timeline"),
        ("0-1s: A woman waves. 2-3s: She smiles.", {}, "gap"),
        ("A woman waves", {"preset": "first-place-like", "duration": 4}, "no first-frame stage"),
    ],
)
def test_bad_requests_are_refused_before_the_models(
    tmp_path: Path, faces: tuple[str, str], prompt: str, extra: dict[str, Any], message: str
) -> None:
    """Catches a bad duration or timeline that reaches the models (and fails minutes later), a refusal
    without its fix, or one that reads like a finished run."""
    app = WebApp(
        "tiny",
        pipeline_factory=NeverBuilt(),
        runs_dir=tmp_path / "runs",
        presets=["tiny", "first-place-like"],
    )
    preset = extra.pop("preset", "tiny")
    events = list(app.on_generate(faces[0], prompt, preset, 0, "", "", None, **extra))
    shown = events[-1][0]
    assert shown.startswith("⚠") and message in shown and "Fix:" in shown, shown
    assert "**Not started.**" in shown and "Done in" not in shown
    assert not (tmp_path / "runs").exists() and app.cache.num_created == 0


def test_hand_edited_prompts_are_refused_for_two_people(tmp_path: Path, faces: tuple[str, str]) -> None:
    """Catches edits in the spatial/temporal boxes that a two-person run would silently drop."""
    from ipvg.types import DecoupledPrompt

    app = WebApp("tiny", pipeline_factory=NeverBuilt(), runs_dir=tmp_path / "runs")
    decoupled = DecoupledPrompt("A woman waves", "A woman, close-up", "A woman waves", "A woman", "rules")
    events = list(
        app.on_generate(
            faces[0], "A woman waves", "tiny", 0, "A woman, close-up", "A woman waves twice", decoupled,
            second_face_path=faces[1],
        )
    )  # fmt: skip
    assert "edited by hand" in events[-1][0] and "**Not started.**" in events[-1][0]


def test_a_failure_in_a_two_person_run_shows_the_failure_state(
    tmp_path: Path, tiny_pipeline: IdentityVideoPipeline, faces: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches the two-person path keeping a half-written folder, or ticking the stage that failed."""

    def failing(pipeline: Any, faces: Any, prompt: str, *, out_dir: Any, progress: Any, **kwargs: Any) -> Any:
        Path(out_dir).mkdir(parents=True)
        (Path(out_dir) / "first_frame.png").write_bytes(b"half")
        with progress.stage("Drawing the first frame of both people"):
            raise OutputError("Cannot write the video.", "free some disk space.")

    monkeypatch.setattr(segments, "generate_people", failing)
    app = make_app(tmp_path, tiny_pipeline)
    final = run(app, faces[0], "A woman and a man talk", second_face_path=faces[1])
    shown = final["progress"]
    assert shown.startswith("⚠ Cannot write the video. Fix: free some disk space."), shown
    assert "✗ Drawing the first frame of both people" in shown and "**Failed after" in shown
    assert "Done in" not in shown and list((tmp_path / "runs").iterdir()) == []


def test_cancel_while_a_segmented_run_writes_its_outputs_keeps_nothing(
    tmp_path: Path, tiny_pipeline: IdentityVideoPipeline, faces: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancel pressed during the writing step (no progress events come then): the run must still end as
    cancelled and its folder go. Catches a worker that checks Cancel only at progress events, or only on
    the one-clip path. The writer is held half-way (video and record written, report not yet) until the
    cancel is in."""
    writing, cancelled = threading.Event(), threading.Event()
    real_write_text = segments.write_text_atomic

    def held_write_text(path: Any, text: str) -> Any:
        writing.set()
        assert cancelled.wait(60), "the test never cancelled"
        return real_write_text(path, text)

    monkeypatch.setattr(segments, "write_text_atomic", held_write_text)
    app = make_app(tmp_path, tiny_pipeline)
    events: list[tuple[Any, ...]] = []
    worker = threading.Thread(
        target=lambda: events.extend(app.on_generate(faces[0], TIMELINE, "tiny", 0, "", "", None, run_id="w1"))
    )
    worker.start()
    assert writing.wait(120), "the run never reached its writing step"
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "video.mp4").exists()  # a partial output exists at this point
    cancelling = app.on_cancel("w1")
    assert "Cancelling" in next(cancelling)
    cancelled.set()
    shown = list(cancelling)[-1]
    worker.join(timeout=60)
    assert "✗ Writing outputs" in shown and "**Cancelled after" in shown, shown
    assert "**Cancelled after" in events[-1][0] and events[-1][1] == gr.skip()  # no results shown
    assert list((tmp_path / "runs").iterdir()) == []
