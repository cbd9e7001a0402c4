"""Which device and dtype a run uses, and how much memory it peaked at."""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass, field

import torch

from ipvg.config import RuntimeConfig
from ipvg.errors import RuntimeOptionError

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(runtime: RuntimeConfig) -> torch.device:
    """`auto` picks CUDA when present, else CPU; an explicit device must exist."""
    if runtime.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(runtime.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeOptionError(
            f"`runtime.device` is {runtime.device!r} but no CUDA GPU is visible.",
            "use --device cpu (or auto).",
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise RuntimeOptionError(
            f"`runtime.device` is {runtime.device!r} but only {torch.cuda.device_count()} CUDA device(s) exist.",
            "pick an existing index.",
        )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise RuntimeOptionError(
            "`runtime.device` is 'mps' but MPS is not available here.", "use --device cpu (or auto)."
        )
    return device


def resolve_dtype(runtime: RuntimeConfig, device: torch.device) -> torch.dtype:
    """`auto`: bfloat16 on CUDA (what Wan and SDXL are released in), float32 elsewhere."""
    if runtime.dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return _DTYPES[runtime.dtype]


def _rss_peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclass
class MemoryMeter:
    """Times a block and records peak memory: GPU allocated bytes on CUDA, process peak RSS on CPU
    (which never goes down, so on CPU it is the process's peak so far)."""

    device: torch.device
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    _start: float = field(default=0.0, repr=False)

    def __enter__(self) -> MemoryMeter:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.peak_memory_mb = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            self.peak_memory_mb = _rss_peak_mb()
        self.seconds = time.perf_counter() - self._start
