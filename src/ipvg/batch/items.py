"""What one batch is made of: items (face + prompt -> one video), problems found while reading them,
per-item seeds and the output paths they map to.

An item's id is `IDENTITY/NAME` (challenge: `id001/prompt3`); its video goes to
`SUBMISSION/IDENTITY/NAME.mp4`. Both parts are checked against `SAFE_NAME` before any path is
built from them, so no input can make ipvg write outside the output folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ipvg.errors import OutputError
from ipvg.io.layout import SAFE_NAME, Dataset, LayoutItem, Problem, natural_key, unsafe_name_reason

# A batch item is an item of the input layout (`ipvg.io.layout`, the one reader).
BatchItem = LayoutItem

__all__ = [
    "SAFE_NAME",
    "BatchItem",
    "Dataset",
    "Problem",
    "contained_path",
    "input_fingerprint",
    "item_seed",
    "natural_key",
    "unsafe_name_reason",
]

SEED_RANGE = 2**31  # torch and numpy both accept seeds below 2**31 on every platform


def item_seed(base_seed: int, item_id: str) -> int:
    """A seed per item from the run's base seed and the item id alone: the same item gets the same
    seed whichever worker, shard or attempt runs it, so 1 and N workers give the same videos."""
    digest = hashlib.sha256(f"ipvg-batch:{base_seed}:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEED_RANGE


def input_fingerprint(face_bytes: bytes, prompt: str) -> str:
    """sha256 of an item's inputs: a changed photo or prompt makes a done item due again."""
    digest = hashlib.sha256()
    digest.update(hashlib.sha256(face_bytes).digest())
    digest.update(prompt.encode("utf-8"))
    return digest.hexdigest()


def contained_path(root: Path, *parts: str) -> Path:
    """`root/parts...`, refusing names that are unsafe or resolve outside `root` (e.g. through a
    symlinked folder)."""
    for part in parts:
        reason = unsafe_name_reason(part.removesuffix(".mp4"))
        if reason:
            raise OutputError(f"Refusing to write {part!r} under {root}: {reason}.", "rename the input.")
    path = root.joinpath(*parts)
    resolved_root = root.resolve()
    if not path.resolve().is_relative_to(resolved_root):
        raise OutputError(
            f"{path} resolves to {path.resolve()}, outside the output folder {resolved_root}.",
            "remove the symlink from the output folder, or choose another --out.",
        )
    return path
