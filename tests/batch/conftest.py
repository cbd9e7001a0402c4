"""Batch fixtures: small test sets in the challenge layout (copies of the shared sample) and a fake generator."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # fake_generator.py, importable by subprocesses too

FAST_IDS = ("id001", "id004")  # dlib's HOG finds these faces quickly (see data/README.md)


def make_testset(sample: Path, target: Path, ids: tuple[str, ...] = FAST_IDS, prompts: int = 2) -> Path:
    """A copy of `ids` from the sample test set with their first `prompts` prompt files."""
    for identity in ids:
        (target / identity).mkdir(parents=True)
        shutil.copyfile(sample / identity / "image.png", target / identity / "image.png")
        for number in range(1, prompts + 1):
            shutil.copyfile(
                sample / identity / f"prompt{number}.txt", target / identity / f"prompt{number}.txt"
            )
    return target


@pytest.fixture
def small_testset(sample_testset: Path, tmp_path: Path) -> Path:
    return make_testset(sample_testset, tmp_path / "testset")


@pytest.fixture
def fake_factory():
    from fake_generator import FakeFactory

    return FakeFactory()
