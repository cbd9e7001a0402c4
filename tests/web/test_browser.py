"""End to end in headless chromium against the real `tiny` preset: upload, decouple, edit, generate,
watch the video play, read the downloaded record; and the messages for bad uploads."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # gitignored
FACE_STATUS = "#ipvg-face-status"
FILE_INPUT = "#ipvg-face-file input[type=file]"
EDITED_TEMPORAL = "A man waves slowly at the camera, then nods twice (edited in the browser)."
GENERATION_TIMEOUT_MS = 300_000  # first use loads every tiny model; a busy 2-core CI box is slow


def upload(page: Any, path: Path) -> str:
    """Upload `path` as the face photo (clearing any earlier upload) and return the status line."""
    clear = page.locator("#ipvg-face-file button[aria-label='Clear']")
    if clear.count():
        clear.first.click()
        page.wait_for_selector(FILE_INPUT, state="attached")
    before = page.inner_text(FACE_STATUS)
    page.set_input_files(FILE_INPUT, str(path))
    page.wait_for_function(
        """([selector, before]) => {
            const text = document.querySelector(selector).innerText;
            return text !== before && (text.includes('✓') || text.includes('⚠'));
        }""",
        arg=[FACE_STATUS, before],
    )
    return page.inner_text(FACE_STATUS)


def test_generate_end_to_end_with_an_edited_temporal_prompt(
    page: Any, web_server: tuple[str, Any], sample_testset: Path, tmp_path: Path
) -> None:
    _, web = web_server
    # 1. Upload a face: it is found and boxed
    status = upload(page, sample_testset / "id001" / "image.png")
    assert status.startswith("✓ Face found at"), status
    assert page.locator("#ipvg-face-preview img").count() == 1

    # 2. Decouple: both prompts appear, editable
    page.fill("#ipvg-prompt textarea", "A man waves at the camera")
    page.click("#ipvg-decouple")
    page.wait_for_function("document.querySelector('#ipvg-temporal textarea').value.length > 0")
    assert page.input_value("#ipvg-spatial textarea")
    assert "Decoupled by rules" in page.inner_text("#ipvg-decouple-status")
    page.fill("#ipvg-temporal textarea", EDITED_TEMPORAL)

    # 3. Generate: per-stage progress, then candidates, plot, video and downloads
    page.click("#ipvg-generate")
    page.wait_for_selector("#ipvg-download-record", state="visible", timeout=GENERATION_TIMEOUT_MS)
    progress = page.inner_text("#ipvg-progress")
    assert "⚠" not in progress, progress
    for stage in ("Finding the reference face", "Scoring identity per frame", "Writing outputs", "Done in"):
        assert stage in progress, progress
    captions = page.inner_text("#ipvg-candidates")
    assert captions.count("seed ") == 2 and captions.count("✓ chosen") == 1, captions
    assert page.locator("#ipvg-identity-plot svg").count() == 1
    points = page.locator("#ipvg-identity-plot svg .point, #ipvg-identity-plot svg .missing").count()
    assert "9 frames, 96x64" in page.inner_text("#ipvg-summary")

    # 4. The video element loads the mp4 and plays
    page.wait_for_function(
        "(() => { const v = document.querySelector('#ipvg-video video'); return v && v.readyState >= 2; })()"
    )
    duration = page.evaluate("document.querySelector('#ipvg-video video').duration")
    assert duration > 0, duration
    page.evaluate("document.querySelector('#ipvg-video video').play()")
    page.wait_for_function("document.querySelector('#ipvg-video video').currentTime > 0")

    # 5. The downloaded record holds the edited prompt
    with page.expect_download() as download_info:
        page.click("#ipvg-download-record")
    record_path = download_info.value.path()
    record = json.loads(Path(record_path).read_text())
    assert record["prompts"]["temporal"] == EDITED_TEMPORAL
    assert record["prompts"]["backend"].endswith("+edited")
    assert record["inputs"]["prompt"] == "A man waves at the camera"
    assert points == len(record["scores"]["video_identity_per_frame"]) > 0  # every sampled frame plotted
    assert web.cache.num_created == 1  # upload, decouple and generate shared one pipeline

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-final.png"), full_page=True)

    # 6. The run's report opens on its settings and the command that reproduces the run
    with page.expect_download() as download_info:
        page.click("#ipvg-download-report")
    saved = tmp_path / "report.html"  # the download has no extension; chromium would show it as text
    download_info.value.save_as(saved)
    report = page.context.new_page()
    report.goto(saved.as_uri())
    assert report.locator("table.settings").bounding_box()["y"] < 400  # on the first screen
    assert "ipvg generate --face" in report.inner_text("pre")
    report.screenshot(path=str(ARTIFACTS / "generate-report.png"), full_page=True)


def test_bad_uploads_get_clear_messages(page: Any, web_server: tuple[str, Any], tmp_path: Path) -> None:
    limits = web_server[1].limits
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("this is a text file, not a photo\n")
    assert "⚠ Cannot read The uploaded file (notes.png) as an image" in upload(page, not_an_image)

    plain = tmp_path / "plain.png"
    Image.new("RGB", (96, 64), (90, 140, 200)).save(plain)  # small: the CNN fallback runs too
    status = upload(page, plain)
    assert "⚠ No face found in the uploaded photo" in status and "Fix:" in status

    wide = tmp_path / "wide.png"
    Image.new("RGB", (limits.max_image_side + 1, 64), (0, 0, 0)).save(wide)
    assert f"the limit is {limits.max_image_side} pixels per side" in upload(page, wide)

    # Generating without a usable face says what to do
    page.fill("#ipvg-prompt textarea", "A woman smiles")
    page.click("#ipvg-generate")
    page.wait_for_function("document.querySelector('#ipvg-progress').innerText.includes('⚠')")
    assert "No usable face photo yet" in page.inner_text("#ipvg-progress")

    # Above the upload cap, Gradio refuses the file before it is sent, with its own message
    big = tmp_path / "big.png"
    big.write_bytes(os.urandom(limits.max_upload_bytes + 1))
    page.locator("#ipvg-face-file button[aria-label='Clear']").click()
    page.set_input_files(FILE_INPUT, str(big))
    page.get_by_text("exceed the maximum allowed size").wait_for()


# -- issue 19: examples, advanced settings, cancel and queue, failure state --------------------------


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot of the current state under test-artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def load_example(page: Any, index: int = 0) -> str:
    """Click example `index` in the gallery; return the face status once the face is found."""
    page.locator("#ipvg-examples button.thumbnail-item").nth(index).click()
    page.wait_for_function(
        "document.querySelector('#ipvg-face-status').innerText.includes('(example ')"
        " && document.querySelector('#ipvg-prompt textarea').value.length > 0",
        timeout=60_000,
    )
    return page.inner_text(FACE_STATUS)


def set_number(page: Any, elem_id: str, value: float) -> None:
    """Type into a slider's number box (Gradio applies it on blur), and make sure it stays.

    Under load a late update from an earlier event (loading an example resets the Advanced values to the
    preset's) can land after the typing: a two-person run once made 9 frames, the default, instead of 5.
    So the value is typed again until it has held for half a second."""
    box = page.locator(f"#{elem_id} input[type=number]")
    shown = f"Number(document.querySelector('#{elem_id} input[type=number]').value) === {float(value)}"
    for _ in range(5):
        box.fill(str(value))
        box.press("Tab")
        page.wait_for_timeout(500)
        if page.evaluate(f"(() => {shown})()"):
            return
    raise AssertionError(f"#{elem_id} did not keep the value {value}")


def open_advanced(page: Any) -> None:
    if not page.locator("#ipvg-steps").is_visible():
        page.get_by_text("Advanced", exact=True).click()
        page.wait_for_selector("#ipvg-steps", state="visible")


def test_an_example_loads_with_one_click(page: Any, web_server: tuple[str, Any]) -> None:
    """Catches examples that show a thumbnail but load nothing, or load the face without its prompt."""
    web = web_server[1]
    example = web.examples[0]  # the sample set's first identity; the repository's photo without it
    status = load_example(page, 0)
    assert status.startswith("✓ Face found at") and example.name in status, status
    assert page.input_value("#ipvg-prompt textarea") == example.prompt
    assert page.locator("#ipvg-face-preview img").count() == 1
    assert example.face.stem in page.inner_text("#ipvg-face-file")  # the file box shows the example's file
    shot(page, "web-example-loaded")


def test_advanced_settings_reach_the_record(page: Any, web_server: tuple[str, Any]) -> None:
    """Catches panel values that never leave the browser, or reach the pipeline under the wrong key."""
    load_example(page, 0)
    open_advanced(page)
    before = page.input_value("#ipvg-seed input")
    page.click("#ipvg-random-seed")
    page.wait_for_function(f"document.querySelector('#ipvg-seed input').value !== '{before}'")
    set_number(page, "ipvg-steps", 3)
    set_number(page, "ipvg-frames", 5)
    set_number(page, "ipvg-guidance", 3.5)
    set_number(page, "ipvg-candidates-count", 1)
    resolution = page.locator("#ipvg-resolution input")
    resolution.fill("64x96")
    resolution.press("Enter")
    page.fill("#ipvg-negative textarea", "blurry, extra fingers")
    page.fill("#ipvg-seed input", "1234")
    page.locator("#ipvg-seed input").press("Tab")
    page.click("#ipvg-generate")
    page.wait_for_selector("#ipvg-download-record", state="visible", timeout=GENERATION_TIMEOUT_MS)
    assert "Done in" in page.inner_text("#ipvg-progress")
    assert "5 frames, 64x96" in page.inner_text("#ipvg-summary")
    shot(page, "web-advanced-done")
    with page.expect_download() as download_info:
        page.click("#ipvg-download-record")
    record = json.loads(Path(download_info.value.path()).read_text())
    temporal = record["config"]["temporal"]
    assert (temporal["num_inference_steps"], temporal["num_frames"]) == (3, 5)
    assert (temporal["width"], temporal["height"], temporal["guidance_scale"]) == (64, 96, 3.5)
    assert temporal["negative_prompt"] == "blurry, extra fingers"
    assert record["config"]["spatial"]["num_candidates"] == 1 and len(record["outputs"]["candidates"]) == 1
    assert record["inputs"]["seed"] == 1234 and record["outputs"]["num_frames"] == 5


@pytest.fixture
def held_in_denoising(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Holds the server's next run at its first video denoising step until the returned event is set,
    then passes that step's progress on again (where a pressed Cancel stops the run). So a cancel lands
    in the denoising loop on any machine, never after it (a loaded box once reached the writing step
    before the click arrived). The server runs in this process, so patching its progress class works."""
    from ipvg.web import app as web_app

    release = threading.Event()

    class HeldProgress(web_app.CallbackProgress):
        def __init__(self, callback: Any) -> None:
            def held(description: str, done: int, total: int | None) -> None:
                callback(description, done, total)
                if description.startswith("Denoising") and done >= 1 and not release.is_set():
                    release.wait(120)
                    callback(description, done, total)  # raises RunCancelled once Cancel was pressed

            super().__init__(held)

    monkeypatch.setattr(web_app, "CallbackProgress", HeldProgress)
    yield release
    release.set()  # never leave a run of the shared server held


def test_cancel_stops_a_run_keeps_nothing_and_the_queue_shows_its_position(
    browser: Any, page: Any, web_server: tuple[str, Any], held_in_denoising: threading.Event
) -> None:
    """Catches a Cancel that only hides the run (the worker goes on and writes its folder), a queued run
    that starts anyway, and a page that says nothing while it waits for another visitor's run."""
    url, web = web_server
    before = set(web.runs_dir.iterdir())
    other = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    other.set_default_timeout(30_000)
    other.goto(url)
    other.wait_for_selector("#ipvg-generate")
    load_example(other, 0)
    load_example(page, 0)
    page.click("#ipvg-generate")
    page.wait_for_function(  # the run is now held at its first denoising step (held_in_denoising)
        "document.querySelector('#ipvg-progress').innerText.includes('Denoising (')",
        timeout=GENERATION_TIMEOUT_MS,
    )
    # A second visitor queues behind the first run and sees its place in the queue
    other.click("#ipvg-generate")
    other.wait_for_function(
        "document.querySelector('#ipvg-progress').closest('.block').innerText.includes('queue')"
    )
    shot(other, "web-queued")
    other.click("#ipvg-cancel")
    other.wait_for_function(
        "document.querySelector('#ipvg-progress').innerText.includes('Cancelled before it started')"
    )
    # The running generation stops at its next step and leaves no folder behind
    page.click("#ipvg-cancel")
    page.wait_for_function("document.querySelector('#ipvg-progress').innerText.includes('Cancelling')")
    held_in_denoising.set()  # the Cancel is in: let the run reach its next step
    page.wait_for_function(
        "document.querySelector('#ipvg-progress').innerText.includes('Cancelled after')", timeout=120_000
    )
    progress = page.inner_text("#ipvg-progress")
    assert "✗ Denoising" in progress and "Done in" not in progress, progress
    assert set(web.runs_dir.iterdir()) == before
    assert not page.locator("#ipvg-download-record").is_visible()
    shot(page, "web-cancelled")
    other.context.close()


def test_a_second_face_makes_a_video_of_two_people(
    page: Any, web_server: tuple[str, Any], sample_testset: Path
) -> None:
    """Issue 17 in the browser: the second face slot finds its face, and Generate makes a two-person run
    whose summary shows each person. Catches a slot whose upload never reaches the run (a one-person
    clip is made) and a result view that shows the one-clip summary for it."""
    load_example(page, 0)
    page.set_input_files("#ipvg-face-file-2 input[type=file]", str(sample_testset / "id004" / "image.png"))
    page.wait_for_function("document.querySelector('#ipvg-face-status-2').innerText.includes('✓ Face found')")
    page.fill("#ipvg-prompt textarea", "A man and a woman talk on a bench")
    open_advanced(page)
    set_number(page, "ipvg-frames", 5)
    page.click("#ipvg-generate")
    page.wait_for_selector("#ipvg-download-record", state="visible", timeout=GENERATION_TIMEOUT_MS)
    assert "Done in" in page.inner_text("#ipvg-progress")
    summary = page.inner_text("#ipvg-summary")
    assert "Identity of person 1" in summary and "Identity of person 2" in summary, summary
    assert page.locator("#ipvg-identity-plot svg").count() == 1
    page.wait_for_function(
        "(() => { const v = document.querySelector('#ipvg-video video'); return v && v.readyState >= 1; })()"
    )
    shot(page, "web-two-people")
    with page.expect_download() as download_info:
        page.click("#ipvg-download-record")
    record = json.loads(Path(download_info.value.path()).read_text())
    assert record["kind"] == "generate-people" and len(record["inputs"]["faces"]) == 2
    assert [p["person"] for p in record["scores"]["people"]] == [0, 1] and record["outputs"]["num_frames"] == 5


def test_a_failing_run_shows_the_failure_state(page: Any) -> None:
    """A preset whose weights are missing: the dropdown says so, and generating fails in the first stage.
    Catches the old page, which ticked the stage that failed and said 'Done in 1.2 s'. Runs last: it
    swaps the cached tiny pipeline for the failing one."""
    load_example(page, 0)  # found with the tiny preset's face models
    page.click("#ipvg-preset input")
    page.get_by_role("option", name="fast (weights missing)").click()
    page.wait_for_function("document.querySelector('#ipvg-preset-note').innerText.includes('cannot run here')")
    assert "ipvg models download fast" in page.inner_text("#ipvg-preset-note")
    page.click("#ipvg-generate")
    page.wait_for_function(
        "document.querySelector('#ipvg-progress').innerText.includes('Failed after')",
        timeout=GENERATION_TIMEOUT_MS,
    )
    progress = page.inner_text("#ipvg-progress")
    assert progress.startswith("⚠") and "Fix:" in progress, progress
    assert "✗ Finding the reference face" in progress and "✓ Finding" not in progress
    assert "Done in" not in progress
    shot(page, "web-failed")


def test_eval_report_of_one_video_opens_on_the_metrics_table(browser: Any, sample_testset: Path, tmp_path: Path) -> None:
    """Issue 19's bar: `ipvg eval` on a one-video submission gives a report whose first screen is the
    metrics table. Catches a report that opens with charts or per-video rows."""
    import numpy as np

    from ipvg.cli.main import main
    from ipvg.io.video import write_video

    testset, submission = tmp_path / "testset" / "id001", tmp_path / "submission" / "id001"
    testset.mkdir(parents=True)
    submission.mkdir(parents=True)
    for name in ("image.png", "prompt1.txt"):
        (testset / name).write_bytes((sample_testset / "id001" / name).read_bytes())
    face = Image.open(testset / "image.png").convert("RGB").resize((128, 128))
    frames = np.stack([np.asarray(face.rotate(angle)) for angle in range(0, 18, 2)])  # a face that turns a little
    write_video(frames, 8.0, submission / "prompt1.mp4")
    out = tmp_path / "scores"
    code = main(["eval", str(tmp_path / "submission"), "--testset", str(tmp_path / "testset"),
                 "--metrics", "facesim-dlib", "--out", str(out)])  # fmt: skip
    assert code == 0
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    report = context.new_page()
    report.goto((out / "report.html").as_uri())
    box = report.locator("table.metrics").bounding_box()
    assert box is not None and box["y"] + box["height"] < 800, box  # wholly on the first screen
    assert "facesim-dlib" in report.inner_text("table.metrics")
    report.wait_for_function("document.querySelector('video').readyState >= 1")  # the linked video loads
    ARTIFACTS.mkdir(exist_ok=True)
    report.screenshot(path=str(ARTIFACTS / "eval-report-first-screen.png"))
    report.screenshot(path=str(ARTIFACTS / "eval-report.png"), full_page=True)
    context.close()
