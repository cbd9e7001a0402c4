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
    def __init__(self, fail_with: BaseException | None = None, delay_s: float = 0.0) -> None:
        self.config = get_preset("tiny")
        self.faces = FakeFaces()
        self.fail_with = fail_with
        self.delay_s = delay_s
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
            progress = kwargs["progress"]
            with progress.steps("Denoising", 2) as step:
                time.sleep(self.delay_s)
                step(1)
                if self.fail_with is not None:
                    raise self.fail_with
                step(2)
            prompts = kwargs["prompts"] or self.decouple(prompt)
            frames_FHWC = np.zeros((5, 32, 32, 3), dtype=np.uint8)
            out = Path(kwargs["out_dir"])
            out.mkdir(parents=True)
            record = out / "record.json"
            record.write_text(json.dumps({"prompts": prompts.to_dict()}))
            image = Image.fromarray(frames_FHWC[0])
            result = GenerationResult(
                prompts,
                image,
                [Candidate(image, 0, 0.2), Candidate(image, 1, 0.6, chosen=True)],
                Video(frames_FHWC, 8.0),
                [0.5, None, 0.4, 0.3, 0.2],
                RunRecord(kind="generate", config={}, inputs={}),
            )
            result.paths = {"video": write_video(frames_FHWC, 8.0, out / "video.mp4"), "record": record}
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
    assert final["plot"].count('class="face"') == 4 and final["plot"].count('class="no-face"') == 1
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
