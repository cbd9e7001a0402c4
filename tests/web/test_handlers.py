"""The app's event handlers without a browser, over a fake pipeline that records what it was asked.

The fake stands in for `IdentityVideoPipeline` only where the real one is too slow to make a point
(errors half-way, two visitors at once); the browser tests run the real tiny preset.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ipvg.config import get_preset
from ipvg.errors import OutputError
from ipvg.faces import Face
from ipvg.identity import VideoIdentity
from ipvg.io.video import write_video
from ipvg.pipeline import Candidate, GenerationResult
from ipvg.types import DecoupledPrompt, RunRecord, Video
from ipvg.web import WebLimits

gr = pytest.importorskip("gradio", reason="the web extra is not installed (pip install -e '.[web]')")
from ipvg.web.app import WebApp  # noqa: E402  (needs gradio)


class FakeFaces:
    name = "fake"

    def detect(self, image: Any) -> list[Face]:
        array = np.asarray(image)
        if array.mean() > 200:  # "a face" is a bright image in this fake
            return [Face(box_xyxy=(4.0, 4.0, 20.0, 20.0), keypoints_52=np.zeros((5, 2)), score=1.0)]
        return []


class FakePipeline:
    def __init__(
        self,
        fail_with: BaseException | None = None,
        delay_s: float = 0.0,
        num_steps: int = 2,
        hold_writing: tuple[threading.Event, threading.Event] | None = None,
    ) -> None:
        self.config = get_preset("tiny")
        self.faces = FakeFaces()
        self.fail_with = fail_with
        self.delay_s = delay_s
        self.num_steps = num_steps
        self.hold_writing = hold_writing  # (set once half-written, waited on before the rest)
        self.calls: list[dict[str, Any]] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def decouple(self, prompt: str, face_image: Image.Image | None = None) -> DecoupledPrompt:
        return DecoupledPrompt(
            source=prompt,
            spatial="A man, close-up",
            temporal=f"A man {prompt}",
            subject="A man",
            backend="fake",
        )

    def __call__(self, face: Any, prompt: str, **kwargs: Any) -> GenerationResult:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            self.calls.append({"prompt": prompt, **kwargs})
            Path(kwargs["out_dir"]).mkdir(parents=True)  # as the pipeline does first, before any model runs
            progress = kwargs["progress"]
            with progress.steps("Denoising", self.num_steps) as step:
                time.sleep(self.delay_s)
                step(1)
                if self.fail_with is not None:
                    raise self.fail_with
                for index in range(2, self.num_steps + 1):
                    time.sleep(self.delay_s)
                    step(index)
            prompts = kwargs["prompts"] or self.decouple(prompt)
            frames_FHWC = np.zeros((5, 32, 32, 3), dtype=np.uint8)
            out = Path(kwargs["out_dir"])
            out.mkdir(parents=True, exist_ok=True)
            with progress.stage("Writing outputs"):  # as the pipeline: no progress events while writing
                write_video(frames_FHWC, 8.0, out / "video.mp4")
                if self.hold_writing is not None:
                    half_written, go_on = self.hold_writing
                    half_written.set()
                    assert go_on.wait(30), "the test never let the writer go on"
                record = out / "record.json"
                record.write_text(json.dumps({"prompts": prompts.to_dict()}))
            image = Image.fromarray(frames_FHWC[0])
            result = GenerationResult(
                prompts,
                image,
                [Candidate(image, 0, 0.2), Candidate(image, 1, 0.6, chosen=True)],
                Video(frames_FHWC, 8.0),
                VideoIdentity([0, 1, 2, 3, 4], [0.5, None, 0.4, 0.3, 0.2]),
                RunRecord(kind="generate", config={}, inputs={}),
            )
            result.paths = {"video": out / "video.mp4", "record": record}
            return result
        finally:
            with self._lock:
                self.active -= 1


@pytest.fixture
def face_png(tmp_path: Path) -> str:
    path = tmp_path / "face.png"
    Image.new("RGB", (48, 48), (240, 240, 240)).save(path)
    return str(path)


def make_app(tmp_path: Path, pipeline: FakePipeline) -> WebApp:
    return WebApp(
        "tiny", pipeline_factory=lambda name: pipeline, limits=WebLimits(), runs_dir=tmp_path / "runs"
    )


def last(events: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    assert events, "the handler yielded nothing"
    return events[-1]


def test_upload_boxes_the_face_or_says_none_was_found(tmp_path: Path, face_png: str) -> None:
    app = make_app(tmp_path, FakePipeline())
    boxed, status, kept = app.on_upload(face_png, "tiny")
    assert status.startswith("✓ Face found at (4, 4)-(20, 20)") and kept == face_png
    assert tuple(np.asarray(boxed)[4, 10]) == (40, 200, 80)
    dark = tmp_path / "dark.png"
    Image.new("RGB", (48, 48), (10, 10, 10)).save(dark)
    preview, status, kept = app.on_upload(str(dark), "tiny")
    assert status.startswith("⚠ No face found in the uploaded photo") and kept is None
    assert preview is not None  # the photo is still shown, unboxed


def test_generate_without_decoupling_fills_the_prompt_boxes(tmp_path: Path, face_png: str) -> None:
    pipeline = FakePipeline()
    app = make_app(tmp_path, pipeline)
    events = list(app.on_generate(face_png, "waves", "tiny", 7, "", "", None))
    final = dict(zip(app.output_names, last(events), strict=True))
    assert pipeline.calls[0]["prompts"] is None and pipeline.calls[0]["seed"] == 7
    assert final["temporal"] == "A man waves" and final["spatial"] == "A man, close-up"
    assert "✓ Denoising 2/2" in final["progress"] and "Done in" in final["progress"]
    assert [caption for _, caption in final["candidates"]] == [
        "seed 0 · identity 0.200",
        "✓ chosen · seed 1 · identity 0.600",
    ]
    assert final["plot"].count('class="point"') == 4 and final["plot"].count('class="missing"') == 1
    assert Path(final["video"]).name == "video.mp4"
    assert "Identity (first frame):** 0.600" in final["summary"]


def test_generate_passes_edited_prompts_to_the_pipeline(tmp_path: Path, face_png: str) -> None:
    pipeline = FakePipeline()
    app = make_app(tmp_path, pipeline)
    spatial, temporal, decoupled, status = app.on_decouple(face_png, "waves", "tiny")
    assert "Decoupled by `fake`; subject: A man." in status
    list(app.on_generate(face_png, "waves", "tiny", None, spatial, "A man waves twice", decoupled))
    sent = pipeline.calls[0]["prompts"]
    assert sent.temporal == "A man waves twice" and sent.backend == "fake+edited"
    stale = list(app.on_generate(face_png, "dances", "tiny", None, spatial, temporal, decoupled))
    assert "changed after it was decoupled" in last(stale)[0] and len(pipeline.calls) == 1


def test_a_failure_half_way_shows_one_clear_line_and_the_stages_so_far(tmp_path: Path, face_png: str) -> None:
    error = OutputError("Cannot write /nowhere/video.mp4.", "pass a writable --out folder.")
    app = make_app(tmp_path, FakePipeline(fail_with=error))
    final = last(list(app.on_generate(face_png, "waves", "tiny", None, "", "", None)))
    assert final[0].startswith("⚠ Cannot write /nowhere/video.mp4. Fix: pass a writable --out folder.")
    assert "Denoising 1/2" in final[0]
    assert final[1:] == (gr.skip(),) * (len(app.output_names) - 1)  # earlier results stay on the page
    # The failure state: the stage that failed is crossed, never ticked, and the run never reads as done
    assert "✗ Denoising 1/2" in final[0] and "**Failed after" in final[0] and "Done in" not in final[0]
    assert list((tmp_path / "runs").iterdir()) == []  # the failed run's folder is gone


def test_an_unexpected_error_is_reported_without_a_traceback(tmp_path: Path, face_png: str) -> None:
    app = make_app(tmp_path, FakePipeline(fail_with=RuntimeError("CUDA out of memory")))
    final = last(list(app.on_generate(face_png, "waves", "tiny", None, "", "", None)))
    assert final[0].startswith("⚠ Internal error (RuntimeError: CUDA out of memory)")


def test_two_visitors_never_run_the_pipeline_at_once(tmp_path: Path, face_png: str) -> None:
    pipeline = FakePipeline(delay_s=0.3)
    app = make_app(tmp_path, pipeline)
    threads = [
        threading.Thread(target=lambda: list(app.on_generate(face_png, "waves", "tiny", None, "", "", None)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(pipeline.calls) == 2 and pipeline.max_active == 1
    assert app.cache.num_created == 1


def test_prompt_and_face_checks_come_first(tmp_path: Path, face_png: str) -> None:
    pipeline = FakePipeline()
    app = WebApp(
        "tiny",
        pipeline_factory=lambda name: pipeline,
        limits=WebLimits(max_prompt_chars=10),
        runs_dir=tmp_path,
    )
    assert (
        "No usable face photo yet"
        in last(list(app.on_generate(None, "waves", "tiny", None, "", "", None)))[0]
    )
    too_long = last(list(app.on_generate(face_png, "waves " * 5, "tiny", None, "", "", None)))[0]
    assert "the limit is 10" in too_long
    assert "prompt is empty" in app.on_decouple(face_png, "  ", "tiny")[3]
    assert pipeline.calls == []


def test_advanced_settings_reach_the_pipeline_call(tmp_path: Path, face_png: str) -> None:
    """Catches settings that are dropped on the way, leak into the next run, or are sent when unchanged."""
    pipeline = FakePipeline()
    app = make_app(tmp_path, pipeline)
    list(
        app.on_generate(
            face_png, "waves", "tiny", 5, "", "", None,
            steps=7, frames=13, resolution="128x96", guidance=2.5, candidates=1, negative_prompt=" blurry ",
        )
    )  # fmt: skip
    call = pipeline.calls[0]
    assert (call["num_inference_steps"], call["num_frames"], call["width"], call["height"]) == (7, 13, 128, 96)
    assert call["guidance_scale"] == 2.5 and call["negative_prompt"] == "blurry"
    assert call["num_candidates"] == 1 and call["seed"] == 5
    list(app.on_generate(face_png, "waves", "tiny", 5, "", "", None))
    assert "num_frames" not in pipeline.calls[1]  # nothing carried over from the previous run
    # The panel sends every box; boxes left at the preset's values override nothing (a clean record)
    shown = app.defaults("tiny")
    list(
        app.on_generate(
            face_png, "waves", "tiny", 5, "", "", None, steps=shown.num_inference_steps, frames=shown.num_frames,
            resolution=shown.resolution, guidance=shown.guidance_scale, candidates=shown.num_candidates,
            negative_prompt=shown.negative_prompt,
        )
    )  # fmt: skip
    assert not {"num_inference_steps", "num_frames", "width", "guidance_scale", "negative_prompt"} & set(
        pipeline.calls[2]
    )


def test_bad_advanced_settings_are_refused_before_the_models(tmp_path: Path, face_png: str) -> None:
    pipeline = FakePipeline()
    app = make_app(tmp_path, pipeline)
    refused = last(list(app.on_generate(face_png, "waves", "tiny", 0, "", "", None, resolution="big")))[0]
    assert "not WIDTHxHEIGHT" in refused and "Fix:" in refused
    refused = last(list(app.on_generate(face_png, "waves", "tiny", 0, "", "", None, steps=2.5)))[0]
    assert "`steps` must be a whole number" in refused
    assert pipeline.calls == []


def test_cancel_stops_a_running_generation_and_keeps_nothing(tmp_path: Path, face_png: str) -> None:
    """Catches a cancel that only hides the run (the worker goes on) or leaves its half-written folder."""
    pipeline = FakePipeline(delay_s=0.02, num_steps=500)
    app = make_app(tmp_path, pipeline)
    events: list[tuple[Any, ...]] = []
    worker = threading.Thread(
        target=lambda: events.extend(app.on_generate(face_png, "waves", "tiny", 0, "", "", None, run_id="r1"))
    )
    worker.start()
    deadline = time.monotonic() + 30
    while "Denoising" not in (events[-1][0] if events else "") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list((tmp_path / "runs").iterdir()), "the run should have started writing its folder"
    shown = last([(text,) for text in app.on_cancel("r1")])[0]
    worker.join(timeout=30)
    assert "**Cancelled after" in shown and "✗ Denoising" in shown
    assert "**Cancelled after" in last(events)[0] and last(events)[1] == gr.skip()
    assert list((tmp_path / "runs").iterdir()) == []  # no partial output
    assert pipeline.active == 0 and "video.mp4" not in str(events)


def test_cancel_while_queued_means_the_run_never_starts(tmp_path: Path, face_png: str) -> None:
    pipeline = FakePipeline()
    app = make_app(tmp_path, pipeline)
    run_id, waiting = app.new_run()
    assert "Waiting" in waiting
    assert list(app.on_cancel(run_id)) == ["✗ Cancelled before it started. Nothing was run."]
    final = last(list(app.on_generate(face_png, "waves", "tiny", 0, "", "", None, run_id=run_id)))
    assert "Cancelled before it started" in final[0] and pipeline.calls == []


def test_an_example_loads_its_face_and_prompt_in_one_call(tmp_path: Path, face_png: str) -> None:
    from ipvg.web.examples import Example

    example = Example("id001 · prompt1", Path(face_png), "A man waves")
    app = WebApp("tiny", pipeline_factory=lambda name: FakePipeline(), runs_dir=tmp_path, examples=[example])
    face_file, preview, status, kept, prompt, spatial, temporal, decoupled, _ = app.on_example(0, "tiny")
    assert face_file == face_png and kept == face_png and prompt == "A man waves"
    assert status.startswith("✓ Face found") and "example id001 · prompt1" in status
    assert (spatial, temporal, decoupled) == ("", "", None)  # stale prompts of an earlier face are cleared
    assert preview is not None
    assert app.on_example(5, "tiny") == (gr.skip(),) * 9


def test_changing_preset_fills_the_advanced_panel_with_its_defaults(tmp_path: Path) -> None:
    """Catches a panel that keeps the tiny preset's 2 steps for a real model (or the reverse)."""
    app = make_app(tmp_path, FakePipeline())
    _, steps, frames, resolution, guidance, candidates, negative, seed = app.on_preset("tiny")
    assert (steps, frames, resolution.value, candidates, seed) == (2, 9, "96x64", 2, 0)
    _, steps, frames, resolution, guidance, candidates, negative, _ = app.on_preset("paper-5b")
    assert (steps, frames, resolution.value, guidance, candidates) == (50, 121, "1280x704", 5.0, 3)
    assert negative  # Wan's official negative prompt, shown so it can be edited


def test_cancel_during_the_writing_step_keeps_nothing(tmp_path: Path, face_png: str) -> None:
    """The flaky browser case made deterministic: Cancel pressed while the outputs are written, when no
    progress event comes to stop the run. Catches a worker that honours Cancel only at progress events
    (the run would end as done and keep its folder) or shows the results of a cancelled run."""
    half_written, go_on = threading.Event(), threading.Event()
    app = make_app(tmp_path, FakePipeline(hold_writing=(half_written, go_on)))
    events: list[tuple[Any, ...]] = []
    worker = threading.Thread(
        target=lambda: events.extend(app.on_generate(face_png, "waves", "tiny", 0, "", "", None, run_id="w"))
    )
    worker.start()
    assert half_written.wait(30)
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "video.mp4").exists() and not (run_dir / "record.json").exists()  # half-written
    cancelling = app.on_cancel("w")
    assert "Cancelling" in next(cancelling)
    go_on.set()
    shown = list(cancelling)[-1]
    worker.join(timeout=30)
    assert "✗ Writing outputs" in shown and "**Cancelled after" in shown, shown
    assert "**Cancelled after" in last(events)[0] and last(events)[1] == gr.skip()
    assert list((tmp_path / "runs").iterdir()) == []


def test_a_cancel_after_the_run_ended_says_it_had_ended(tmp_path: Path, face_png: str) -> None:
    """Catches the old reply to a Cancel that comes just after the end ("Cancelled before it started.
    Nothing was run."), which was false: the run was made and kept."""
    app = make_app(tmp_path, FakePipeline())
    final = last(list(app.on_generate(face_png, "waves", "tiny", 0, "", "", None, run_id="late")))
    assert "Done in" in final[0]
    shown = list(app.on_cancel("late"))
    assert len(shown) == 1 and "Done in" in shown[0] and "Cancelled" not in shown[0]
    assert list((tmp_path / "runs").iterdir())  # the finished run is kept
