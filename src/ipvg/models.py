"""Which weights a preset needs, whether they are present locally, and downloading them."""

from __future__ import annotations

from dataclasses import dataclass

from ipvg.config import PipelineConfig
from ipvg.errors import IpvgError, UnknownBackendError
from ipvg.registry import registry
from ipvg.weights import is_tiny, resolve_model

STAGES = (("prompts", "prompts"), ("faces", "faces"), ("spatial", "spatial"), ("temporal", "temporal"))


@dataclass(frozen=True)
class ModelRequirement:
    stage: str
    backend: str
    model: str
    present: bool
    where: str


def preset_models(config: PipelineConfig) -> list[ModelRequirement]:
    """Each (stage, backend, model id) the preset uses, and whether it is available locally."""
    rows = []
    for section, kind in STAGES:
        stage_config = getattr(config, section)
        try:
            spec = registry.get(kind, stage_config.backend)
        except UnknownBackendError:
            rows.append(ModelRequirement(section, stage_config.backend, "-", False, "backend not installed"))
            continue
        override = getattr(stage_config, "model", None)
        models = (override,) if override else spec.weights
        for model in models:
            if is_tiny(model):
                rows.append(ModelRequirement(section, spec.name, model, True, "built locally on first use"))
                continue
            try:
                where = resolve_model(model, marker="")
                rows.append(ModelRequirement(section, spec.name, model, True, where))
            except IpvgError:
                rows.append(ModelRequirement(section, spec.name, model, False, "not downloaded"))
    return rows


def download(model: str) -> str:
    """Download a hub model into the standard Hugging Face cache (needs internet)."""
    import os

    from huggingface_hub import snapshot_download

    if os.environ.get("HF_HUB_OFFLINE"):
        raise IpvgError(
            f"Cannot download `{model}`: HF_HUB_OFFLINE is set.",
            "unset HF_HUB_OFFLINE on a machine with internet access.",
        )
    try:
        return snapshot_download(model)
    except Exception as error:  # network errors come in many types; all mean the same to the user
        raise IpvgError(
            f"Downloading `{model}` failed: {error}",
            "check the id, your internet connection and `hf auth login` for gated models.",
        ) from None
