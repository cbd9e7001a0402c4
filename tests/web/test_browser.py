"""End to end in headless chromium against the real `tiny` preset: upload, decouple, edit, generate,
watch the video play, read the downloaded record; and the messages for bad uploads."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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
    page: Any, web_server: tuple[str, Any], sample_testset: Path
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
    points = page.locator("#ipvg-identity-plot svg .face, #ipvg-identity-plot svg .no-face").count()
    assert points == 9, points  # the tiny preset's 9 frames, all scored
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
    assert web.cache.num_created == 1  # upload, decouple and generate shared one pipeline

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-final.png"), full_page=True)


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
