"""The web UI's "Advanced" panel: per-run settings over a preset and their defaults.

The panel's knobs are the video stage's (steps, frames, resolution, guidance, negative prompt) and the
first frame's number of candidates; everything else stays the preset's. They are passed to the
pipeline call (`IdentityVideoPipeline.__call__(num_frames=..., ...)`), which applies them to that call
only, with the loaded models, and records them in the run's config as `--set temporal.num_frames=...`
would.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from ipvg.config import PipelineConfig
from ipvg.errors import ConfigError

MAX_STEPS = 100
MAX_FRAMES = 241
MAX_GUIDANCE = 20.0
MAX_CANDIDATES = 8
MIN_SIDE, MAX_SIDE = 16, 2048
# Offered beside the preset's own size (any "WxH" can be typed). Multiples of 32 suit every backend.
VIDEO_RESOLUTIONS = ("1280x704", "704x1280", "1280x720", "720x1280", "960x544", "544x960", "832x480", "480x832")
SMALL_RESOLUTIONS = ("96x64", "64x96", "64x64", "128x96")
_RESOLUTION = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


@dataclass(frozen=True)
class RunSettings:
    """One run's choices on top of the preset; `None` keeps the preset's value."""

    num_inference_steps: int | None = None
    num_frames: int | None = None
    width: int | None = None
    height: int | None = None
    guidance_scale: float | None = None
    num_candidates: int | None = None
    negative_prompt: str | None = None

    @property
    def resolution(self) -> str | None:
        return None if self.width is None or self.height is None else f"{self.width}x{self.height}"

    def changed_from(self, defaults: RunSettings) -> RunSettings:
        """Only the values that differ from `defaults` (the panel sends every box, changed or not), so
        a run's record and reproducing command show what the visitor actually changed."""
        values = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            values[field.name] = None if value == getattr(defaults, field.name) else value
        return RunSettings(**values)

    def call_kwargs(self) -> dict[str, Any]:
        """The values that are set, as keyword arguments of `IdentityVideoPipeline.__call__` (which
        applies them to that call only and writes them into the run record's config)."""
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return {name: value for name, value in values.items() if value is not None}

    def config_overrides(self) -> dict[str, Any]:
        """The same values as config overrides (`IdentityVideoPipeline.overridden`), for the runs that are
        not one pipeline call (two people, videos by segments: `ipvg.segments`). The keys are the ones
        `__call__` sets, so both kinds of run record the panel's values alike."""
        from ipvg.pipeline import video_overrides

        values = self.call_kwargs()
        num_candidates = values.pop("num_candidates", None)
        overrides = video_overrides(**values)
        if num_candidates is not None:
            overrides["spatial.num_candidates"] = num_candidates
        return overrides


def parse_resolution(text: str | None) -> tuple[int, int] | None:
    """"832x480" -> (832, 480); empty -> None; anything else is a `ConfigError` saying the form."""
    if text is None or not str(text).strip():
        return None
    match = _RESOLUTION.match(str(text))
    if match is None:
        raise ConfigError(
            f"The resolution {text!r} is not WIDTHxHEIGHT.", "pick one from the list or type e.g. 832x480."
        )
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ConfigError(
            f"The resolution {width}x{height} is outside {MIN_SIDE}..{MAX_SIDE} pixels per side.",
            "pick a size from the list.",
        )
    return width, height


def _whole(name: str, value: float | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    if value != int(value) or not low <= value <= high:
        raise ConfigError(f"`{name}` must be a whole number from {low} to {high}, got {value!r}.")
    return int(value)


def parse_settings(
    steps: float | None,
    frames: float | None,
    resolution: str | None,
    guidance: float | None,
    candidates: float | None,
    negative_prompt: str | None,
) -> RunSettings:
    """The panel's raw values (Gradio hands numbers as floats) checked and typed."""
    size = parse_resolution(resolution)
    if guidance is not None and not 0.0 <= float(guidance) <= MAX_GUIDANCE:
        raise ConfigError(f"`guidance` must be from 0 to {MAX_GUIDANCE:g}, got {guidance!r}.")
    return RunSettings(
        num_inference_steps=_whole("steps", steps, 1, MAX_STEPS),
        num_frames=_whole("frames", frames, 1, MAX_FRAMES),
        width=None if size is None else size[0],
        height=None if size is None else size[1],
        guidance_scale=None if guidance is None else float(guidance),
        num_candidates=_whole("candidates", candidates, 1, MAX_CANDIDATES),
        negative_prompt=None if negative_prompt is None else negative_prompt.strip(),
    )


def preset_settings(config: PipelineConfig) -> RunSettings:
    """What a run of `config` uses when nothing is changed: the config's values, else the video
    backend's official recipe (read from the backend, which loads nothing when created)."""
    temporal = config.temporal
    recipe: Any = None
    try:
        from ipvg.temporal import create_temporal_backend

        recipe = create_temporal_backend(temporal, config.runtime).resolve_settings()
    except Exception:  # an optional backend that is not installed: show the config's own values
        recipe = None

    def pick(name: str) -> Any:
        value = getattr(temporal, name)
        return getattr(recipe, name, None) if value is None else value

    return RunSettings(
        num_inference_steps=pick("num_inference_steps"),
        num_frames=pick("num_frames"),
        width=pick("width"),
        height=pick("height"),
        guidance_scale=pick("guidance_scale"),
        num_candidates=config.spatial.num_candidates,
        negative_prompt=pick("negative_prompt") or "",
    )


def resolution_choices(default: str | None) -> list[str]:
    """The preset's own size first, then its portrait/landscape twin, then common sizes of that scale."""
    if default is None:
        return list(VIDEO_RESOLUTIONS)
    width, height = parse_resolution(default) or (0, 0)
    common = SMALL_RESOLUTIONS if max(width, height) <= 256 else VIDEO_RESOLUTIONS
    return list(dict.fromkeys([default, f"{height}x{width}", *common]))


def describe_settings(settings: RunSettings) -> str:
    """A short log form, e.g. 'steps=4 frames=9 size=96x64'."""
    names = {"num_inference_steps": "steps", "num_frames": "frames", "guidance_scale": "guidance"}
    parts = []
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value is None or field.name in ("width", "height", "negative_prompt"):
            continue
        parts.append(f"{names.get(field.name, field.name.removeprefix('num_'))}={value}")
    if settings.resolution:
        parts.append(f"size={settings.resolution}")
    return " ".join(parts)
