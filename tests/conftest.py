"""Test-wide settings: offline, ipvg's cache in the repository (built once per machine), sample data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("IPVG_CACHE", str(REPO / ".ipvg-cache" / "tests"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _shared_data() -> Path:
    for candidate in (REPO.parent / "shared" / "data", REPO / "shared" / "data"):
        if candidate.exists():
            return candidate
    return REPO.parent / "shared" / "data"


SHARED_DATA = _shared_data()
SAMPLE_TESTSET = SHARED_DATA / "vip200k-sample"
EXAMPLE_FACE = REPO / "examples" / "astronaut.png"


@pytest.fixture(scope="session")
def sample_testset() -> Path:
    if not SAMPLE_TESTSET.exists():
        pytest.skip(f"sample data not found at {SAMPLE_TESTSET} (../shared/data)")
    return SAMPLE_TESTSET


@pytest.fixture(scope="session")
def example_face() -> Path:
    return EXAMPLE_FACE
