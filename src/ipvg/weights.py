"""Find model weights locally: a folder, a Hugging Face hub id already in the cache, or a tiny
random-weight model that ipvg builds itself (`ipvg-tiny:NAME`, see `ipvg.testing`).

Nothing here downloads unless the caller explicitly allows it: a 20 GB download should never
surprise a user.
"""

from __future__ import annotations

import os
from pathlib import Path

from ipvg.errors import WeightsNotFoundError

TINY_SCHEME = "ipvg-tiny:"


def cache_dir() -> Path:
    """ipvg's own cache (tiny models, prompt caches); `IPVG_CACHE` overrides it."""
    return Path(os.environ.get("IPVG_CACHE", Path.home() / ".cache" / "ipvg"))


def is_tiny(model: str) -> bool:
    return model.startswith(TINY_SCHEME)


def hub_cache_dir() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def _is_hub_id(model: str) -> bool:
    return model.count("/") == 1 and not model.startswith(("/", ".", "~")) and "\\" not in model


def resolve_model(model: str, *, marker: str = "model_index.json", allow_download: bool = False) -> str:
    """Return a local folder (or single file) holding `model`, or raise `WeightsNotFoundError`.

    `model` is a local path, a hub id such as `Wan-AI/Wan2.2-TI2V-5B-Diffusers`, or
    `ipvg-tiny:NAME`. `marker` is a file every complete copy has (e.g. `model_index.json`).
    """
    if is_tiny(model):
        from ipvg.testing import ensure_tiny_model

        return str(ensure_tiny_model(model[len(TINY_SCHEME) :]))
    path = Path(model).expanduser()
    if path.exists():
        if path.is_dir() and marker and not (path / marker).exists():
            raise WeightsNotFoundError(
                f"The folder {path} has no `{marker}`, so it is not a complete copy of the model.",
                "point to the folder that contains it (the diffusers/transformers layout), or download the model again.",
            )
        return str(path)
    if not _is_hub_id(model):
        raise WeightsNotFoundError(
            f"Model weights not found: `{model}` is neither an existing path nor a hub id (owner/name).",
            "pass an existing folder or a hub id such as `Wan-AI/Wan2.2-TI2V-5B-Diffusers`.",
        )
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(model, local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        pass
    if allow_download and not os.environ.get("HF_HUB_OFFLINE"):
        return snapshot_download(model)
    raise WeightsNotFoundError(
        f"Model weights for `{model}` are not available locally (looked in the Hugging Face cache {hub_cache_dir()}).",
        f"download them with `ipvg models download {model}` (or `hf download {model}`) on a machine with internet, "
        "pass a local folder with --model PATH, or allow downloading with --allow-download.",
    )


def describe_missing_weights(models: tuple[str, ...]) -> list[str]:
    """One line for each model in `models` that is not available locally (tiny models always are)."""
    missing = []
    for model in models:
        if is_tiny(model):
            continue
        try:
            resolve_model(model, marker="")
        except WeightsNotFoundError:
            missing.append(f"weights `{model}` not downloaded")
    return missing
