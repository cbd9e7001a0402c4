"""Options and helpers shared by the CLI commands."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ipvg.config import PipelineConfig, get_preset
from ipvg.errors import ConfigError

PresetOption = Annotated[
    str,
    typer.Option("--preset", "-p", help="Named configuration: tiny, paper-5b, paper-14b, low-vram, fast."),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override any config field, e.g. --set temporal.num_frames=33 (repeatable)."),
]
DeviceOption = Annotated[str | None, typer.Option("--device", help="auto, cpu, cuda, cuda:N.")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed (default: the preset's).")]


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"`--set {pair}` is not KEY=VALUE.", "write it like --set temporal.num_frames=33."
            )
        overrides[key.strip()] = value
    return overrides


def build_config(preset: str, pairs: list[str] | None, **flags: Any) -> PipelineConfig:
    """The preset, then --set overrides, then dedicated flags (only those given)."""
    overrides = parse_overrides(pairs)
    overrides.update({key: value for key, value in flags.items() if value is not None})
    return get_preset(preset).with_overrides(overrides)
