"""Device, dtype, memory measurement and every speed/memory option, applied from one place.

Backends call `prepare_pipeline(pipe, runtime, denoisers=...)` once after loading; no backend
re-implements an option. Each option is one function in `options.py`.

The names below load on first use (PEP 562): `device.py` and `options.py` import torch, and importing
a torch-free part (`ipvg.runtime.flops`) must not pull torch in through this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipvg.runtime.device import MemoryMeter, resolve_device, resolve_dtype
    from ipvg.runtime.options import AppliedOptions, prepare_pipeline

_HOMES = {
    "MemoryMeter": "ipvg.runtime.device",
    "resolve_device": "ipvg.runtime.device",
    "resolve_dtype": "ipvg.runtime.device",
    "AppliedOptions": "ipvg.runtime.options",
    "prepare_pipeline": "ipvg.runtime.options",
}

__all__ = ["AppliedOptions", "MemoryMeter", "prepare_pipeline", "resolve_device", "resolve_dtype"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value
