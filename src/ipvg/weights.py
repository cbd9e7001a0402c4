"""Find model weights locally: a folder, a Hugging Face hub id already in the cache, or a model
from a registered weights source (`SCHEME:NAME`).

Weights sources are how plugins add model ids the hub does not know: `ipvg.testing` registers
`ipvg-tiny:` (tiny random-weight models that ipvg builds itself) through its plugin hook, as a
third-party plugin would register its own. This module never imports a source's code.

Nothing here downloads unless the caller explicitly allows it: a 20 GB download should never
surprise a user.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ipvg.errors import WeightsNotFoundError

TINY_SCHEME = "ipvg-tiny:"
_SCHEME_PATTERN = re.compile(r"[a-z][a-z0-9+.-]+")


@dataclass(frozen=True)
class WeightsSource:
    """Resolves `SCHEME:NAME` model ids: `resolve(NAME)` returns a local folder or file."""

    scheme: str  # with its colon, e.g. "ipvg-tiny:"
    resolve: Callable[[str], str | Path]
    summary: str = ""
    # True when the source makes the weights itself (never "missing", nothing to download).
    builds_locally: bool = False


_SOURCES: dict[str, WeightsSource] = {}


def register_weights_source(source: WeightsSource) -> WeightsSource:
    """Add a weights source (called from a plugin's `register(registry)` hook)."""
    assert source.scheme.endswith(":") and len(source.scheme) > 2, source.scheme  # "C:" is a drive
    _SOURCES[source.scheme] = source
    return source


def weights_source(model: str) -> WeightsSource | None:
    """The registered source whose scheme `model` starts with (plugins are loaded first)."""
    scheme, sep, _ = model.partition(":")
    if not sep or _SCHEME_PATTERN.fullmatch(scheme) is None:  # a path or a drive letter ("C:")
        return None
    if f"{scheme}:" not in _SOURCES:
        from ipvg.registry import registry

        registry.load_plugins()  # sources register from the same hooks as backends
    return _SOURCES.get(f"{scheme}:")


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

    `model` is a local path, a hub id such as `Wan-AI/Wan2.2-TI2V-5B-Diffusers`, or `SCHEME:NAME`
    of a registered weights source (`ipvg-tiny:NAME`). `marker` is a file every complete copy has
    (e.g. `model_index.json`).
    """
    source = weights_source(model)
    if source is not None:
        return str(source.resolve(model[len(source.scheme) :]))
    if is_tiny(model):  # the tiny source is a plugin: say so rather than "not a path"
        raise WeightsNotFoundError(
            f"`{model}` names a tiny test model, but the `{TINY_SCHEME}` weights source is not registered.",
            "install ipvg with its `ipvg.testing` package (a full source checkout or wheel).",
        )
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
    """One line for each model in `models` that is not available locally (models that a weights
    source builds locally, such as tiny models, always are)."""
    missing = []
    for model in models:
        source = weights_source(model)
        if source is not None and source.builds_locally:
            continue
        try:
            resolve_model(model, marker="")
        except WeightsNotFoundError:
            missing.append(f"weights `{model}` not downloaded")
    return missing
