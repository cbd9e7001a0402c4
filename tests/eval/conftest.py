"""Eval fixtures: small H.264 videos made from the real sample faces, a challenge-layout test set and
submission, and a fake face backend (a stand-in for the faces module's backends in unit tests)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from ipvg.faces.base import Face

FRAME_SIZE = 128


class FakeFaceBackend:
    """Finds one "face" in any image with visible texture (standard deviation > 12) and embeds it as
    its centred 4x4 colour thumbnail; flat images (black frames, grey references) have none."""

    embedding_dim = 48

    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.detect_calls = 0

    def detect(self, image: Image.Image) -> list[Face]:
        self.detect_calls += 1
        array = np.asarray(image.convert("RGB"), dtype=np.float64)
        if array.std() <= 12:
            return []
        embedding = fake_embedding(image)
        height, width = array.shape[:2]
        keypoints = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]]) * [width, height]
        return [
            Face(
                (0.0, 0.0, float(width), float(height)),
                keypoints,
                0.99,
                embedding / np.linalg.norm(embedding),
                embedding,
                backend=self.name,
            )
        ]

    def align(self, image: Image.Image, face: Face, size: int = 112) -> Image.Image:
        return image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)


def fake_embedding(image: Image.Image) -> np.ndarray:
    thumbnail = np.asarray(image.convert("RGB").resize((4, 4), Image.Resampling.BOX), dtype=np.float64)
    return thumbnail.ravel() - 128.0


def encode(frames_FHWC: np.ndarray, path: Path, fps: int = 8, pts: list[int] | None = None) -> Path:
    """H.264 mp4; `pts` (in 1/fps/4 ticks) gives frames uneven timestamps (variable frame rate)."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames_FHWC.shape[2], frames_FHWC.shape[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "20"}
        if pts is not None:
            stream.codec_context.time_base = Fraction(1, fps * 4)
        for index, frame_HWC in enumerate(frames_FHWC):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_HWC), format="rgb24")
            if pts is not None:
                frame.pts, frame.time_base = pts[index], Fraction(1, fps * 4)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def face_frames(
    face: Image.Image, num_frames: int, blank: tuple[int, ...] = (), size: int = FRAME_SIZE
) -> np.ndarray:
    """The face pasted on a grey background, drifting a few pixels per frame; `blank` frames are black."""
    face_small = face.convert("RGB").resize((size * 3 // 4, size * 3 // 4))
    frames = []
    for index in range(num_frames):
        canvas = Image.new("RGB", (size, size), (90, 110, 130))
        canvas.paste(face_small, (size // 8 + index % 5, size // 8))
        frames.append(np.zeros((size, size, 3), np.uint8) if index in blank else np.asarray(canvas))
    return np.stack(frames)


@pytest.fixture(scope="session")
def sample_faces(sample_testset: Path) -> dict[str, Image.Image]:
    from ipvg.io.images import load_image

    return {name: load_image(sample_testset / name / "image.png") for name in ("id001", "id004", "id005")}


@pytest.fixture(scope="session")
def challenge_dirs(tmp_path_factory, sample_faces) -> tuple[Path, Path]:
    """testset/ and submission/ in the challenge layout, with one item for each problem case:
    id001: prompt1 good (2 black frames), prompt2 a different person's video, prompt3 missing video;
    id004: prompt1 variable frame rate, prompt2 zero-frame mp4, prompt3 not a video, prompt4 2,000 frames;
    id005: a grey reference without a face (webp), prompt1 a good video."""
    root = tmp_path_factory.mktemp("challenge")
    testset, submission = root / "testset", root / "submission"
    prompts = {
        "id001": ["a woman smiles at the camera", "a woman walks in the park", "a woman turns her head"],
        "id004": ["a man talks", "a man sits", "a man stands", "a man runs"],
        "id005": ["a person looks up"],
    }
    for identity, texts in prompts.items():
        (testset / identity).mkdir(parents=True)
        (submission / identity).mkdir(parents=True)
        for index, text in enumerate(texts, start=1):
            (testset / identity / f"prompt{index}.txt").write_text(text + "\n")
    sample_faces["id001"].save(testset / "id001" / "image.png")
    sample_faces["id004"].save(testset / "id004" / "image.png")
    Image.new("RGB", (96, 96), (128, 128, 128)).save(testset / "id005" / "image.webp")

    encode(face_frames(sample_faces["id001"], 20, blank=(0, 19)), submission / "id001" / "prompt1.mp4")
    encode(face_frames(sample_faces["id004"], 12), submission / "id001" / "prompt2.mp4")
    encode(
        face_frames(sample_faces["id004"], 10),
        submission / "id004" / "prompt1.mp4",
        pts=[0, 4, 8, 20, 24, 28, 44, 48, 52, 56],
    )
    with av.open(str(submission / "id004" / "prompt2.mp4"), mode="w") as container:  # header only, no frames
        stream = container.add_stream("libx264", rate=8)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        container.start_encoding()
    (submission / "id004" / "prompt3.mp4").write_bytes(b"this is not an mp4 file" * 10)
    long_frames = np.repeat(face_frames(sample_faces["id004"], 1, size=32), 2000, axis=0)
    encode(long_frames, submission / "id004" / "prompt4.mp4", fps=24)
    encode(face_frames(sample_faces["id005"], 8), submission / "id005" / "prompt1.mp4")
    return testset, submission
