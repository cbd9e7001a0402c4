"""A fake `ItemGenerator` for runner tests: real files (an H.264 mp4 from seeded noise, a record),
no models. Its prompt words trigger failures: NOFACE, OOM (unless low-memory), CRASH, DIE, FATAL."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ipvg.batch.work import ItemRequest
from ipvg.errors import NoFaceDetectedError, WeightsNotFoundError
from ipvg.io.images import load_image
from ipvg.io.video import write_video


class FakeGenerator:
    def __init__(self, delay: float = 0.0, calls: list[str] | None = None) -> None:
        self.delay = delay
        self.calls = calls if calls is not None else []

    def generate(self, request: ItemRequest, out_dir: Path) -> None:
        self.calls.append(request.item_id)
        load_image(request.face_bytes, name=request.face_name)  # a broken photo fails like the pipeline
        if "NOFACE" in request.prompt:
            raise NoFaceDetectedError(f"No face found in {request.face_name}.", "use a photo with a face.")
        if "OOM" in request.prompt and not request.low_memory:
            raise MemoryError("fake out of memory")
        if "CRASH" in request.prompt:
            raise RuntimeError("fake crash")
        if "DIE" in request.prompt:
            os._exit(1)  # the worker process dies (as on a host out-of-memory kill)
        if "FATAL" in request.prompt:
            raise WeightsNotFoundError("Fake weights are missing.", "pass --allow-download.")
        time.sleep(self.delay)
        frames_FHWC = np.random.default_rng(request.seed).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
        write_video(frames_FHWC, 8.0, out_dir / "video.mp4")
        record = {
            "seed": request.seed,
            "prompt": request.prompt,
            "prompts": request.prompts,
            "low_memory": request.low_memory,
        }
        (out_dir / "record.json").write_text(json.dumps(record))
        (out_dir / "candidates").mkdir()
        (out_dir / "candidates" / "candidate_0.png").write_bytes(request.face_bytes)


class FakeFactory:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[str] = []

    def __call__(self) -> FakeGenerator:
        return FakeGenerator(self.delay, self.calls)
