"""Browser fixtures: one headless Debian chromium per session (Playwright, no browser download) and one
ipvg web server per session on a free localhost port, serving the real `tiny` preset.

Skipped with the reason when Gradio, Playwright or chromium is missing; under `CI=true` that skip is a
failure (see tests/conftest.py). CI installs them with `apt-get install -y chromium` and
`pip install -e '.[web]'`.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("IPVG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Small caps in the test server, so the limit checks need no large files.
TEST_MAX_UPLOAD_BYTES = 1024 * 1024
TEST_MAX_IMAGE_SIDE = 2048


def browser_missing_reason() -> str | None:
    for module, install in (("gradio", "pip install -e '.[web]'"), ("playwright", "pip install -e '.[web]'")):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed ({install})"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"chromium not found at {CHROMIUM} (apt-get install -y chromium, or set IPVG_CHROMIUM)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = browser_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The real app over the real tiny preset, served from a background thread: (url, WebApp)."""
    reason = browser_missing_reason()
    if reason:
        pytest.skip(reason)
    from ipvg.web import WebLimits, create_app, launch

    limits = WebLimits(max_upload_bytes=TEST_MAX_UPLOAD_BYTES, max_image_side=TEST_MAX_IMAGE_SIDE)
    demo, web = create_app("tiny", limits=limits, runs_dir=tmp_path_factory.mktemp("web-runs"))
    port = free_port()
    launch(demo, web, host="127.0.0.1", port=port, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", web
    finally:
        demo.close()


@pytest.fixture
def page(browser: Any, web_server: tuple[str, Any]) -> Iterator[Any]:
    """A fresh page on the app; fails the test if anything is requested outside localhost."""
    url, _ = web_server
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    page.goto(url)
    page.wait_for_selector("#ipvg-generate")
    yield page
    context.close()
    assert not outside, f"the page requested addresses outside localhost: {outside}"
