"""Run records: what ran, with which models and settings, how long and how much memory, so any
result can be reproduced and compared."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path
from typing import Any

from PIL import Image

from ipvg.io.files import write_json_atomic
from ipvg.types import RunRecord


def environment_info() -> dict[str, Any]:
    import diffusers
    import torch
    import transformers

    import ipvg

    info: dict[str, Any] = {
        "ipvg": ipvg.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "platform": platform.platform(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def image_fingerprint(image: Image.Image, source: str | Path | None = None) -> dict[str, Any]:
    digest = hashlib.sha256(image.tobytes()).hexdigest()[:16]
    return {
        "source": str(source) if source is not None else None,
        "width": image.width,
        "height": image.height,
        "sha256_rgb": digest,
    }


def write_record(path: str | Path, record: RunRecord) -> Path:
    return write_json_atomic(path, record.to_dict())
