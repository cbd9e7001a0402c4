"""Test-wide settings: offline, ipvg's cache in the repository (built once per machine), sample data.

Under `CI=true` a skip is a failure: missing shared data (`../shared/data`, or `IPVG_SHARED_DATA`),
a missing fixture file or an optional package that CI installs must fail the run, not thin it out
silently. Only tests marked `gpu` may skip there (CI has no GPU).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("IPVG_CACHE", str(REPO / ".ipvg-cache" / "tests"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _shared_data() -> Path:
    override = os.environ.get("IPVG_SHARED_DATA")
    if override:
        return Path(override)
    for candidate in (REPO.parent / "shared" / "data", REPO / "shared" / "data"):
        if candidate.exists():
            return candidate
    return REPO.parent / "shared" / "data"


SHARED_DATA = _shared_data()
SAMPLE_TESTSET = SHARED_DATA / "vip200k-sample"
EXAMPLE_FACE = REPO / "examples" / "astronaut.png"


def _ci_failure(reason: str) -> str:
    return f"skipped under CI=true, which counts as a failure: {reason}"


def _skip_reason(longrepr: Any) -> str:
    # A skip's longrepr is (file, line, "Skipped: reason").
    return str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if not IN_CI or not report.skipped or hasattr(report, "wasxfail") or item.get_closest_marker("gpu"):
        return
    report.outcome = "failed"
    report.longrepr = _ci_failure(_skip_reason(report.longrepr))


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """Module-level `pytest.importorskip(...)` skips a whole file at collection: fail it under CI too."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.outcome == "skipped":
        report.outcome = "failed"
        report.longrepr = _ci_failure(_skip_reason(report.longrepr))


@pytest.fixture(scope="session")
def sample_testset() -> Path:
    if not SAMPLE_TESTSET.exists():
        pytest.skip(f"sample data not found at {SAMPLE_TESTSET} (../shared/data, or set IPVG_SHARED_DATA)")
    return SAMPLE_TESTSET


@pytest.fixture(scope="session")
def example_face() -> Path:
    return EXAMPLE_FACE
