"""The seam between the batch runner and the models: "generate one item".

A worker holds one `ItemGenerator` (for real runs a `PipelineGenerator`, i.e. one loaded
`IdentityVideoPipeline`) and turns `ItemRequest`s into `ItemOutcome`s with `run_item`. Requests
carry the face photo's bytes and outcomes carry the output files' bytes, so workers need no shared
filesystem (a Ray cluster works without one) and only the driver writes to the output folder.
Errors never cross the seam as exceptions: `run_item` classifies them into reasons.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ipvg.errors import (
    ConfigError,
    ImageReadError,
    IpvgError,
    MissingDependencyError,
    NoFaceDetectedError,
    OutputError,
    PromptError,
    RuntimeOptionError,
    UnknownBackendError,
    WeightsNotFoundError,
)

logger = logging.getLogger(__name__)

VIDEO_FILE = "video.mp4"
FRAMES_FILE = "frames.json"  # digest of the raw (pre-encoding) frames, for reproducibility checks
# What an out-of-memory retry changes by default: model CPU offload and VAE tiling (runtime/ applies both).
DEFAULT_LOW_MEMORY_OVERRIDES: dict[str, Any] = {"runtime.offload": "model", "runtime.vae_tiling": True}
# Errors that would fail every item the same way (missing weights, bad config): stop the run.
FATAL_ERRORS: tuple[type[BaseException], ...] = (
    ConfigError,
    WeightsNotFoundError,
    MissingDependencyError,
    UnknownBackendError,
    RuntimeOptionError,
    OutputError,
)


@dataclass(frozen=True)
class ItemRequest:
    item_id: str
    prompt: str
    face_bytes: bytes
    face_name: str  # the photo's file name (its suffix tells the format)
    seed: int
    attempt: int = 1
    low_memory: bool = False
    prompts: dict[str, Any] | None = None  # a DecoupledPrompt from the decoupling pass, as a dict


@dataclass
class ItemOutcome:
    item_id: str
    ok: bool
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> content
    reason: str | None = None  # no_face | bad_input | bad_prompt | out_of_memory | error | fatal
    message: str | None = None
    detail: str | None = None  # traceback of unexpected errors
    seconds: float = 0.0
    worker: str = ""
    low_memory: bool = False
    fatal: bool = False


class ItemGenerator(Protocol):
    """Makes one item's outputs in `out_dir`: at least `video.mp4`, usually `record.json` too."""

    def generate(self, request: ItemRequest, out_dir: Path) -> None: ...


GeneratorFactory = Callable[[], ItemGenerator]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA/MPS/host out-of-memory, however the library reported it."""
    if isinstance(error, MemoryError):
        return True
    try:
        import torch

        if isinstance(error, torch.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover - torch is a core dependency
        pass
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def classify_error(error: BaseException) -> tuple[str, bool]:
    """(reason, fatal) for an error raised while generating one item."""
    if isinstance(error, NoFaceDetectedError):
        return "no_face", False
    if isinstance(error, ImageReadError):
        return "bad_image", False
    if isinstance(error, PromptError):
        return "bad_prompt", False
    if isinstance(error, FATAL_ERRORS):
        return "fatal", True
    if is_out_of_memory(error):
        return "out_of_memory", False
    if isinstance(error, IpvgError):
        return "bad_input", False
    return "error", False


def _collect(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def run_item(generator: ItemGenerator, request: ItemRequest) -> ItemOutcome:
    """Generate one item in a private temporary folder and return its files, or why it failed."""
    started = time.perf_counter()
    outcome = ItemOutcome(request.item_id, ok=False, worker=worker_name(), low_memory=request.low_memory)
    try:
        with tempfile.TemporaryDirectory(prefix="ipvg-batch-item-") as temp:
            out_dir = Path(temp) / "out"
            out_dir.mkdir()
            generator.generate(request, out_dir)
            files = _collect(out_dir)
        if VIDEO_FILE not in files:
            raise AssertionError(f"the generator wrote no {VIDEO_FILE} (wrote: {sorted(files)})")
        outcome.ok, outcome.files = True, files
    except Exception as error:
        outcome.reason, outcome.fatal = classify_error(error)
        outcome.message = (
            error.one_line() if isinstance(error, IpvgError) else f"{type(error).__name__}: {error}"
        )
        if not isinstance(error, IpvgError):
            outcome.detail = traceback.format_exc(limit=20)
        if outcome.reason == "out_of_memory":
            _free_memory()
    outcome.seconds = time.perf_counter() - started
    return outcome


def _free_memory() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass


class PipelineGenerator:
    """One `IdentityVideoPipeline` kept loaded across items (models load on the first item).

    A low-memory request (the retry after an out-of-memory failure) swaps in a pipeline built with
    `low_memory_overrides`; the next normal request swaps back. Swaps reload models, but they only
    happen around the rare item that ran out of memory.
    """

    def __init__(self, config: Any, low_memory_overrides: dict[str, Any] | None = None) -> None:
        self.config = config
        self.low_memory_overrides = dict(low_memory_overrides or DEFAULT_LOW_MEMORY_OVERRIDES)
        self._pipeline: Any = None
        self._low_memory: bool | None = None

    def pipeline(self, low_memory: bool) -> Any:
        from ipvg.pipeline import IdentityVideoPipeline

        if self._pipeline is None or self._low_memory != low_memory:
            self._pipeline = None
            _free_memory()
            config = self.config.with_overrides(self.low_memory_overrides) if low_memory else self.config
            self._pipeline = IdentityVideoPipeline(config)
            self._low_memory = low_memory
        return self._pipeline

    def generate(self, request: ItemRequest, out_dir: Path) -> None:
        from ipvg.io.images import load_image
        from ipvg.types import DecoupledPrompt

        face = load_image(request.face_bytes, name=request.face_name)
        prompts = None
        if request.prompts is not None:
            prompts = DecoupledPrompt(
                **(request.prompts | {"warnings": tuple(request.prompts.get("warnings", ()))})
            )
        result = self.pipeline(request.low_memory)(
            face, request.prompt, seed=request.seed, out_dir=out_dir, prompts=prompts
        )
        # The mp4 is lossy and libx264 (PyAV 18) does not always give the same bitstream for the same
        # frames, so the raw frames' digest is what proves two runs made the same video.
        frames_FHWC = result.video.frames_FHWC
        facts = {
            "frames_sha256": hashlib.sha256(np.ascontiguousarray(frames_FHWC).tobytes()).hexdigest(),
            "frames_shape": list(frames_FHWC.shape),
            "seed": request.seed,
        }
        (out_dir / FRAMES_FILE).write_text(json.dumps(facts, indent=2) + "\n")

    def decouple(self, prompt: str, face_bytes: bytes, face_name: str) -> Any:
        """The prompt stage alone (for the `--decouple-only` pass)."""
        from ipvg.io.images import load_image

        return self.pipeline(False).decouple(prompt, load_image(face_bytes, name=face_name))


@dataclass(frozen=True)
class PipelineGeneratorFactory:
    """Picklable recipe for a `PipelineGenerator`, so each Ray actor builds (and keeps) its own."""

    config: Any
    low_memory_overrides: tuple[tuple[str, Any], ...] = tuple(DEFAULT_LOW_MEMORY_OVERRIDES.items())

    def __call__(self) -> PipelineGenerator:
        return PipelineGenerator(self.config, dict(self.low_memory_overrides))
