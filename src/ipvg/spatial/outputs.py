"""Writing a first-frame result: the chosen frame, every candidate, and a JSON record, each atomically
(record last, so its presence means the folder is complete)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ipvg.io.files import ensure_writable_dir, write_json_atomic, write_png_atomic
from ipvg.spatial.base import KeyframeResult


def write_keyframe(folder: str | Path, result: KeyframeResult, record: dict[str, Any]) -> dict[str, Path]:
    """`keyframe.png`, `candidates/NN_seedS.png`, then `keyframe.json` (record + candidate files)."""
    folder = ensure_writable_dir(folder)
    paths = {"keyframe": write_png_atomic(folder / "keyframe.png", result.image)}
    candidate_files = []
    for index, candidate in enumerate(result.candidates):
        name = f"candidates/{index:02d}_seed{candidate.seed}.png"
        write_png_atomic(folder / name, candidate.image)
        candidate_files.append(name)
    record = record | {
        "keyframe": result.to_dict(),
        "files": {"keyframe": "keyframe.png", "candidates": candidate_files},
    }
    paths["record"] = write_json_atomic(folder / "keyframe.json", record)
    return paths
