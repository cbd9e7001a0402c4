"""Subject phrase from a face (fake face backend: the mapping, not detection) and from the text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ipvg.errors import NoFaceDetectedError
from ipvg.faces.base import Face
from ipvg.prompts import subject_for_gender, subject_from_face
from ipvg.prompts.rules import RulesBackend
from ipvg.prompts.subject import subject_from_text


class FakeFaceBackend:
    """Returns fixed faces; records what it was asked."""

    name = "fake"
    embedding_dim = 4

    def __init__(self, faces: list[Face]) -> None:
        self.faces = faces
        self.calls = 0

    def detect(self, image: Image.Image) -> list[Face]:
        self.calls += 1
        assert isinstance(image, Image.Image) and image.mode == "RGB"
        return self.faces

    def align(self, image: Image.Image, face: Face, size: int = 112) -> Image.Image:
        return image.resize((size, size))


def _face(gender: str | None, width: float = 50.0) -> Face:
    return Face(
        box_xyxy=(0.0, 0.0, width, width),
        keypoints_52=np.zeros((5, 2)),
        score=0.9,
        gender=gender,
        backend="fake",
    )


@pytest.mark.parametrize(
    ("gender", "expected"), [("female", "A woman"), ("male", "A man"), (None, "A person"), ("x", "A person")]
)
def test_subject_from_face_maps_gender(gender: str | None, expected: str) -> None:
    image = Image.new("RGB", (64, 64))
    assert subject_from_face(image, FakeFaceBackend([_face(gender)])) == expected
    assert subject_for_gender(gender) == expected


def test_subject_from_face_uses_the_largest_face_and_reads_paths(example_face: Path) -> None:
    backend = FakeFaceBackend([_face("male", 20.0), _face("female", 80.0)])
    assert subject_from_face(example_face, backend) == "A woman"
    assert backend.calls == 1


def test_subject_from_face_without_a_face_raises() -> None:
    with pytest.raises(NoFaceDetectedError):
        subject_from_face(Image.new("RGB", (32, 32)), FakeFaceBackend([]))


def test_subject_from_text() -> None:
    assert subject_from_text("The gymnast twirled as the stadium around her cheered") == "A woman"
    assert subject_from_text("The driver pushed his car") == "A man"
    assert subject_from_text("The teacher rushed to the board") == "A person"
    assert subject_from_text("A man hugs a woman") == "A person"


@pytest.mark.parametrize(
    ("prompt", "subject", "temporal_start"),
    [
        ("The gymnast twirled in the air.", "A woman", "A woman, a gymnast, twirled in the air."),
        ("An individual stands at a podium.", "A man", "A man stands at a podium."),
        ("A young woman with red hair walks home.", "A woman", "A young woman with red hair walks home."),
        ("A young woman with red hair walks home.", "A man", "A young man with red hair walks home."),
        ("She dances in the rain.", "A woman", "A woman dances in the rain."),
        (
            "The old fisherman, with a grey beard, nods.",
            "A man",
            "A man, an old fisherman, with a grey beard, nods.",
        ),
        ("Walking through a forest at dawn.", "A person", "A person walking through a forest at dawn."),
    ],
)
def test_subject_replaces_the_prompts_subject(prompt: str, subject: str, temporal_start: str) -> None:
    record = RulesBackend().decouple(prompt, subject=subject)
    assert record.temporal.startswith(temporal_start), record.temporal
    assert record.subject == subject
