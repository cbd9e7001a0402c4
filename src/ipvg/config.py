"""Validated configuration and named presets.

A run's choices are one `PipelineConfig`; a preset is a named `PipelineConfig`. The CLI maps its
flags onto these fields (and `--set section.field=value` reaches any of them). Values left `None`
in a stage config take the backend's official recipe.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from ipvg.errors import ConfigError

DTYPES = ("auto", "float32", "bfloat16", "float16")
OFFLOAD_MODES = ("none", "model", "group", "sequential")
CACHE_MODES = ("none", "first-block", "taylorseer", "mag", "mag-calibrate", "faster", "pab")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    _check(value in allowed, f"`{name}` is {value!r}; allowed: {', '.join(allowed)}.")


def _check_positive(name: str, value: float | None, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    ok = value >= 0 if allow_zero else value > 0
    _check(ok, f"`{name}` must be {'>= 0' if allow_zero else '> 0'}, got {value!r}.")


@dataclass(frozen=True)
class LoraConfig:
    """A LoRA file or hub id loaded onto the video transformer(s) at `scale`."""

    path: str
    scale: float = 1.0
    weight_name: str | None = None
    adapter_name: str | None = None


@dataclass(frozen=True)
class RuntimeConfig:
    """Speed and memory options, applied from one place (`ipvg.runtime`)."""

    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    dtype: str = "auto"  # auto: bfloat16 on CUDA, float32 on CPU
    offload: str = "none"  # none | model | group | sequential
    vae_tiling: bool = False
    fp8_storage: bool = False  # layerwise casting: fp8 weights, compute in `dtype`
    attention_backend: str | None = None  # e.g. native, flash, _flash_3, sage
    cache: str = "none"  # output-changing: opt-in only
    cache_threshold: float = 0.05
    compile: bool = False  # regional torch.compile of the repeated transformer blocks
    loras: tuple[LoraConfig, ...] = ()
    ulysses_degree: int = 1  # context parallelism (launch with torchrun)
    ring_degree: int = 1
    allow_download: bool = False
    mag_calibration: tuple[float, ...] = ()  # MagCache ratios from a calibration run

    def __post_init__(self) -> None:
        _check_choice("runtime.dtype", self.dtype, DTYPES)
        _check_choice("runtime.offload", self.offload, OFFLOAD_MODES)
        _check_choice("runtime.cache", self.cache, CACHE_MODES)
        _check(
            self.device == "auto" or self.device.split(":")[0] in ("cpu", "cuda", "mps"),
            f"`runtime.device` is {self.device!r}; allowed: auto, cpu, cuda, cuda:N, mps.",
        )
        _check_positive("runtime.cache_threshold", self.cache_threshold)
        _check(
            self.ulysses_degree >= 1 and self.ring_degree >= 1,
            "`runtime.ulysses_degree` and `runtime.ring_degree` must be >= 1.",
        )


@dataclass(frozen=True)
class TemporalConfig:
    """Stage 2: image-to-video. `None` fields take the backend's official recipe."""

    backend: str = "wan22-ti2v-5b"
    model: str | None = None  # hub id, local folder, or ipvg-tiny:NAME
    height: int | None = None
    width: int | None = None
    num_frames: int | None = None
    fps: float | None = None
    num_inference_steps: int | None = None
    guidance_scale: float | None = None
    guidance_scale_2: float | None = None
    flow_shift: float | None = None
    boundary_ratio: float | None = None
    negative_prompt: str | None = None

    def __post_init__(self) -> None:
        for name in ("height", "width", "num_frames", "num_inference_steps"):
            value = getattr(self, name)
            _check(
                value is None or (isinstance(value, int) and value > 0),
                f"`temporal.{name}` must be a positive integer, got {value!r}.",
            )
        _check_positive("temporal.fps", self.fps)
        _check_positive("temporal.guidance_scale", self.guidance_scale, allow_zero=True)
        _check_positive("temporal.guidance_scale_2", self.guidance_scale_2, allow_zero=True)
        _check_positive("temporal.flow_shift", self.flow_shift)
        _check(
            self.boundary_ratio is None or 0.0 <= self.boundary_ratio <= 1.0,
            f"`temporal.boundary_ratio` must be in [0, 1], got {self.boundary_ratio!r}.",
        )


@dataclass(frozen=True)
class FacesConfig:
    """Which face backend detects/embeds faces (best-of-N, subject phrase, identity scores)."""

    backend: str = "dlib"
    model_root: str | None = None  # insightface model-pack folder, CurricularFace weights, ...


@dataclass(frozen=True)
class PromptsConfig:
    """Stage 0: prompt decoupling."""

    backend: str = "rules"
    model: str | None = None
    options: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class SpatialConfig:
    """Stage 1: the identity-preserving first frame."""

    backend: str = "hyperlora-sdxl"
    model: str | None = None
    num_candidates: int = 3
    early_stop_similarity: float | None = (
        None  # None: the face backend's same-person threshold (ArcFace: 0.5, as the paper)
    )
    refine_face: bool | None = None  # None: the backend's default
    height: int | None = None
    width: int | None = None
    num_inference_steps: int | None = None
    guidance_scale: float | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        _check(
            self.num_candidates >= 1, f"`spatial.num_candidates` must be >= 1, got {self.num_candidates!r}."
        )


@dataclass(frozen=True)
class PipelineConfig:
    """Everything one run needs."""

    name: str = "custom"
    prompts: PromptsConfig = field(default_factory=PromptsConfig)
    faces: FacesConfig = field(default_factory=FacesConfig)
    spatial: SpatialConfig = field(default_factory=SpatialConfig)
    temporal: TemporalConfig = field(default_factory=TemporalConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    seed: int = 0
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))

    def with_overrides(self, overrides: dict[str, Any]) -> PipelineConfig:
        """Return a copy with dotted keys replaced, e.g. {"temporal.num_frames": 9, "seed": 3}."""
        config = self
        for key, value in overrides.items():
            config = _replace_dotted(config, key.split("."), value)
        return config

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineConfig:
        sections = {f.name: f.type for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in sections:
                raise ConfigError(f"Unknown config key `{key}`; allowed: {', '.join(sections)}.")
            if isinstance(value, dict):
                value = _section_from_dict(type(getattr(cls(), key)), value)
            kwargs[key] = value
        return cls(**kwargs)


def _section_from_dict(section_cls: type, data: dict[str, Any]) -> Any:
    """JSON lists back to the tuples the frozen dataclasses hold (loras, options, calibrations)."""
    defaults = section_cls()
    values: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, list) and isinstance(getattr(defaults, key, None), tuple):
            if key == "loras":
                value = tuple(LoraConfig(**lora) for lora in value)
            elif key == "options":
                value = tuple(tuple(pair) for pair in value)
            else:
                value = tuple(value)
        values[key] = value
    return section_cls(**values)


def _replace_dotted(obj: Any, keys: list[str], value: Any) -> Any:
    head, rest = keys[0], keys[1:]
    names = [f.name for f in dataclasses.fields(obj)]
    if head not in names:
        raise ConfigError(
            f"Unknown config key `{head}` in {type(obj).__name__}; allowed: {', '.join(names)}."
        )
    if rest:
        return dataclasses.replace(obj, **{head: _replace_dotted(getattr(obj, head), rest, value)})
    return dataclasses.replace(obj, **{head: _coerce(obj, head, value)})


def _coerce(obj: Any, name: str, value: Any) -> Any:
    """Turn CLI strings into the field's type (int, float, bool, None)."""
    if not isinstance(value, str):
        return value
    current = getattr(obj, name)
    text = value.strip()
    if text.lower() in ("none", "null"):
        return None
    if name == "mag_calibration":
        try:
            return tuple(float(part) for part in text.strip("()[]").split(",") if part.strip())
        except ValueError:
            raise ConfigError(f"`{name}` must be comma-separated numbers, got {value!r}.") from None
    if isinstance(current, bool):
        if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"`{name}` must be true or false, got {value!r}.")
        return text.lower() in ("true", "1", "yes")
    try:
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float) or (current is None and _is_number(text)):
            return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        raise ConfigError(f"`{name}` must be a number, got {value!r}.") from None
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- presets ---------------------------------------------------------------------------------

TINY_NOTE = "tiny random-weight models: runs offline on a CPU in seconds, and its output is noise by design"


def _presets() -> dict[str, PipelineConfig]:
    tiny = PipelineConfig(
        name="tiny",
        description=TINY_NOTE,
        prompts=PromptsConfig(backend="rules"),
        faces=FacesConfig(backend="dlib"),
        spatial=SpatialConfig(
            backend="hyperlora-sdxl",
            model="ipvg-tiny:sdxl",
            num_candidates=2,
            height=64,
            width=96,
            num_inference_steps=2,
        ),
        temporal=TemporalConfig(
            backend="wan22-ti2v-5b",
            model="ipvg-tiny:wan22-ti2v-5b",
            height=64,
            width=96,
            num_frames=9,
            num_inference_steps=2,
        ),
        runtime=RuntimeConfig(device="cpu", dtype="float32"),
    )
    paper_5b = PipelineConfig(
        name="paper-5b",
        description="the paper's recipe: Qwen3-8B prompts, HyperLoRA + RealVisXL first frame, Wan2.2 TI2V-5B video (1280x704, 121 frames)",
        prompts=PromptsConfig(backend="llm"),
        faces=FacesConfig(backend="insightface"),
        temporal=TemporalConfig(backend="wan22-ti2v-5b"),
    )
    paper_14b = dataclasses.replace(
        paper_5b,
        name="paper-14b",
        description="the paper's larger recipe: Wan2.2 I2V-A14B (two experts, 1280x720, 81 frames)",
        temporal=TemporalConfig(backend="wan22-i2v-a14b"),
    )
    low_vram = dataclasses.replace(
        paper_5b,
        name="low-vram",
        description="the 5B path on a 24 GB GPU: model CPU offload and VAE tiling",
        runtime=RuntimeConfig(offload="model", vae_tiling=True),
    )
    fast = dataclasses.replace(
        paper_5b,
        name="fast",
        description="the 5B path with First-Block caching (changes outputs slightly) and regional compile",
        prompts=PromptsConfig(backend="rules"),
        runtime=RuntimeConfig(cache="first-block", cache_threshold=0.05, compile=True),
    )
    return {p.name: p for p in (tiny, paper_5b, paper_14b, low_vram, fast)}


PRESETS: dict[str, PipelineConfig] = _presets()


def get_preset(name: str) -> PipelineConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"Unknown preset `{name}`; allowed: {', '.join(PRESETS)}.") from None
