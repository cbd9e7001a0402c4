"""Device, dtype, memory measurement and every speed/memory option, applied from one place.

Backends call `prepare_pipeline(pipe, runtime, denoisers=...)` once after loading; no backend
re-implements an option. Each option is one function in `options.py`.
"""

from ipvg.runtime.device import MemoryMeter, resolve_device, resolve_dtype
from ipvg.runtime.options import AppliedOptions, prepare_pipeline

__all__ = ["AppliedOptions", "MemoryMeter", "prepare_pipeline", "resolve_device", "resolve_dtype"]
