"""Validated configuration and named presets.

A run's choices are one `PipelineConfig`; a preset is a named `PipelineConfig`. The CLI maps its
flags onto these fields, and `--set section.field=value` reaches any of them. Values left `None`
in a stage config take the backend's official recipe.

Every field is checked against its type hint and its range when a config is built, whether from a
preset, `--set` strings, a record's JSON (`from_dict`) or Python code: a bad value is a
`ConfigError` that names the field, shows the value and says what is allowed.

`--set` syntax beyond plain numbers, words and true/false:
- `runtime.loras=PATH[:SCALE],PATH[:SCALE]` (or a JSON list of `LoraConfig` objects);
- `runtime.mag_calibration=R1,R2,...`;
- `spatial.options.KEY=VALUE` (likewise `prompts.options`, `faces.options`) sets one backend
  option, and `spatial.options=KEY=VALUE,KEY=VALUE` (or a JSON object) replaces them all. Values
  that spell a number, true/false or none are stored as such (`guess_option_value`). Each backend
  types its pairs: spatial backends read them into their options dataclass (defaults = the recipe)
  with `parse_options`; prompt and face backends by their constructors' keyword types with
  `parse_kwargs`. Unknown names and bad values are ConfigErrors naming `section.options.KEY`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ipvg.errors import ConfigError

DTYPES = ("auto", "float32", "bfloat16", "float16")
OFFLOAD_MODES = ("none", "model", "group", "sequential")
CACHE_MODES = ("none", "first-block", "taylorseer", "mag", "mag-calibrate", "faster", "pab")
# diffusers 0.42.1's AttentionBackendName values, copied so that a typo is refused before any model
# loads without importing torch here (tests/test_config.py compares it with the installed diffusers).
ATTENTION_BACKENDS = (
    "flash", "flash_hub", "flash_varlen", "flash_varlen_hub", "flash_4_hub", "_flash_3", "_flash_varlen_3",
    "_flash_3_hub", "_flash_3_varlen_hub", "aiter_fa2_hub", "flex", "native", "_native_cudnn",
    "_native_efficient", "_native_flash", "_native_math", "_native_npu", "_native_xla", "sage", "sage_hub",
    "sage_blackwell_hub", "sage_varlen", "_sage_qk_int8_pv_fp8_cuda", "_sage_qk_int8_pv_fp8_cuda_sm90",
    "_sage_qk_int8_pv_fp16_cuda", "_sage_qk_int8_pv_fp16_triton", "xformers",
)  # fmt: skip

# torch.Generator.manual_seed takes unsigned 64-bit seeds; candidates use seed + index, so the
# signed 64-bit range keeps every derived seed valid (and fits numpy and JSON readers).
MAX_SEED = 2**63 - 1
# Wan's rotary table holds 1024 positions per axis (diffusers' `rope_max_seq_len`); its VAE keeps
# one latent frame per 4 video frames after the first, so 4 * 1023 + 1 frames is the most a Wan
# model (every video backend but CogVideoX) can place; beyond it Wan fails deep in the transformer.
MAX_NUM_FRAMES = 4 * 1023 + 1
# The same 1024 positions over Wan2.1/A14B's 8x VAE and 2x patch: 16384 pixels per side.
MAX_SIDE = 16384
# Schedulers are trained on 1000 timesteps; more sampling steps than that repeat timesteps.
MAX_STEPS = 1000
MAX_CANDIDATES = 64  # each candidate is a full text-to-image draw
MAX_FPS = 240.0

_DEVICE_PATTERN = re.compile(r"(auto|cpu|mps|cuda(:\d+)?)")
_OPTION_KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NONE_WORDS = ("none", "null")
_TRUE_WORDS = ("true", "1", "yes", "on")
_FALSE_WORDS = ("false", "0", "no", "off")

OptionsT = TypeVar("OptionsT")


def _check(condition: bool, message: str, fix: str | None = None) -> None:
    if not condition:
        raise ConfigError(message, fix)


def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    _check(value in allowed, f"`{name}` is {value!r}; allowed: {', '.join(allowed)}.")


def _check_range(
    name: str,
    value: float | None,
    low: float,
    high: float | None = None,
    *,
    low_open: bool = False,
    why: str = "",
) -> None:
    """`value` (None passes) within [low, high] (or (low, high] with `low_open`); `why` explains a limit."""
    if value is None:
        return
    above = value > low if low_open else value >= low
    below = high is None or value <= high
    kind = "an integer" if isinstance(value, int) else "a number"
    allowed = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
    _check(above and below, f"`{name}` is {value!r}; allowed: {kind} {allowed}{f' ({why})' if why else ''}.")


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed every generator accepts (see `MAX_SEED`), or a ConfigError naming `name`."""
    _check(
        isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= MAX_SEED,
        f"`{name}` is {seed!r}; allowed: an integer from 0 to 2**63-1 ({MAX_SEED}).",
        "pick a smaller seed (torch.Generator takes 64-bit seeds and ipvg adds the candidate index).",
    )
    return int(seed)


# --- typed fields: checking and coercion from strings ----------------------------------------


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    """Resolved field (or parameter) types; cached, as every config built re-checks its fields."""
    return typing.get_type_hints(cls)


def _union_members(hint: Any) -> tuple[Any, ...] | None:
    """The members of `A | B | ...`, or None when `hint` is not a union."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return None


def _optional_inner(hint: Any) -> tuple[Any, bool]:
    """`X | None` -> (X, True); `X | Y | None` -> (X | Y, True); anything else -> (hint, False)."""
    members = _union_members(hint)
    if members is None or type(None) not in members:
        return hint, False
    rest = tuple(member for member in members if member is not type(None))
    return (rest[0] if len(rest) == 1 else typing.Union[rest]), True  # noqa: UP007 (built at run time)


def _describe(hint: Any) -> str:
    inner, optional = _optional_inner(hint)
    members = _union_members(inner)
    if members is not None:
        text = " or ".join(_describe(member) for member in members)
    elif typing.get_origin(inner) is typing.Literal:
        text = "one of " + ", ".join(str(arg) for arg in typing.get_args(inner))
    elif dataclasses.is_dataclass(inner):
        text = f"a {inner.__name__}"
    elif inner is bool:
        text = "true or false"
    elif inner is int:
        text = "an integer"
    elif inner is float:
        text = "a finite number"
    elif inner is str:
        text = "text"
    elif typing.get_origin(inner) is tuple:
        text = "a list"
    else:
        text = str(inner)
    return text + (" or none" if optional else "")


def _is_option_pairs(hint: Any) -> bool:
    """`tuple[tuple[str, Any], ...]`: a backend's options as (key, value) pairs."""
    args = typing.get_args(hint)
    return (
        typing.get_origin(hint) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and typing.get_origin(args[0]) is tuple
    )


def _check_value(label: str, hint: Any, value: Any) -> Any:
    """`value` checked against `hint` (ints accepted for floats); returns the value to store."""
    inner, optional = _optional_inner(hint)
    bad = f"`{label}` is {value!r}; allowed: {_describe(hint)}."
    if value is None:
        _check(optional or inner is Any, bad)
        return None
    if inner is Any:
        return value
    if inner is bool:
        _check(isinstance(value, bool), bad)
        return value
    if inner is int:
        _check(isinstance(value, int) and not isinstance(value, bool), bad)
        return value
    if inner is float:
        _check(isinstance(value, (int, float)) and not isinstance(value, bool), bad)
        finite = math.isfinite(value)
        _check(finite, f"`{label}` is {value!r}; allowed: a finite number (not NaN or infinity).")
        return float(value)
    if inner is str:
        _check(isinstance(value, str), bad)
        return value
    if dataclasses.is_dataclass(inner):
        _check(isinstance(value, inner), bad)
        return value
    if _is_option_pairs(inner):
        _check(isinstance(value, tuple), bad)
        return tuple(_check_option_pair(label, pair) for pair in value)
    if typing.get_origin(inner) is tuple:
        _check(isinstance(value, tuple), bad)
        item_hint = typing.get_args(inner)[0]
        return tuple(_check_value(f"{label}[{index}]", item_hint, item) for index, item in enumerate(value))
    members = _union_members(inner)
    if members is not None:  # e.g. `str | Path` of a backend's keyword argument: the first that fits
        for member in members:
            try:
                return _check_value(label, member, value)
            except ConfigError:
                continue
        raise ConfigError(bad)
    if typing.get_origin(inner) is typing.Literal:
        _check(value in typing.get_args(inner), bad)
        return value
    if isinstance(inner, type):  # a path or an object passed from Python (a model, a backend)
        try:
            _check(isinstance(value, inner), bad)
        except TypeError:  # a Protocol that cannot be checked at run time: the backend checks it
            pass
        return value
    if typing.get_origin(inner) in (list, dict):
        _check(isinstance(value, (list, tuple, dict)), bad)
        return value
    raise AssertionError(f"no check for the type {hint!r} of {label}")  # a new field type needs one


def _check_option_pair(label: str, pair: Any) -> tuple[str, Any]:
    _check(
        isinstance(pair, tuple) and len(pair) == 2,
        f"`{label}` holds {pair!r}; allowed: (key, value) pairs.",
    )
    key, value = pair
    _check(
        isinstance(key, str) and _OPTION_KEY_PATTERN.fullmatch(key) is not None,
        f"`{label}` has the key {key!r}; allowed: option names (letters, digits, underscores).",
    )
    scalar = value is None or isinstance(value, (str, int, float, bool))
    _check(scalar, f"`{label}.{key}` is {value!r}; allowed: text, a number, true/false or none.")
    if isinstance(value, float):
        _check(math.isfinite(value), f"`{label}.{key}` is {value!r}; allowed: a finite number.")
    return key, value


def _validate_fields(obj: Any, section: str) -> None:
    """Type-check every field of a frozen config dataclass (normalising ints given for floats)."""
    for name, hint in _hints(type(obj)).items():
        label = f"{section}.{name}" if section else name
        checked = _check_value(label, hint, getattr(obj, name))
        if checked is not getattr(obj, name):
            object.__setattr__(obj, name, checked)  # frozen: only normalises, never changes the value


def _parse_bool(label: str, text: str) -> bool:
    lowered = text.lower()
    _check(
        lowered in _TRUE_WORDS + _FALSE_WORDS,
        f"`{label}` is {text!r}; allowed: true or false.",
    )
    return lowered in _TRUE_WORDS


def _parse_int(label: str, text: str) -> int:
    # Plain decimal digits only: no "1.5", "1e3" or "0x10", and no 4,000-digit strings.
    _check(
        re.fullmatch(r"[+-]?\d{1,30}", text) is not None,
        f"`{label}` is {text!r}; allowed: an integer.",
    )
    return int(text)


def _parse_float(label: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(f"`{label}` is {text!r}; allowed: a finite number.") from None
    _check(math.isfinite(number), f"`{label}` is {text!r}; allowed: a finite number (not NaN or infinity).")
    return number


def _parse_loras(label: str, text: str) -> tuple[LoraConfig, ...]:
    """`PATH[:SCALE],...` or a JSON list (of paths or LoraConfig objects, as a record holds them)."""
    if text.startswith("["):
        return tuple(_lora_from_json(label, item) for item in _json_value(label, text, list))
    loras = []
    for part in (piece.strip() for piece in text.split(",")):
        _check(bool(part), f"`{label}` is {text!r}; allowed: PATH[:SCALE] entries separated by commas.")
        path, sep, scale = part.rpartition(":")
        # A hub id or file path may hold ":" itself (ipvg-tiny:NAME, C:\...): only a number is a scale.
        _check(
            not (sep and not path.strip() and _looks_numeric(scale)),
            f"`{label}` entry {part!r} has an empty path.",
            "give a file, folder or hub id before the `:SCALE`.",
        )
        if sep and path and _looks_numeric(scale):
            loras.append(LoraConfig(path=path, scale=_parse_float(f"{label} scale", scale)))
        else:
            loras.append(LoraConfig(path=part))
    return tuple(loras)


def _looks_numeric(text: str) -> bool:
    number = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)"
    return re.fullmatch(number, text.lower()) is not None


def _lora_from_json(label: str, item: Any) -> LoraConfig:
    if isinstance(item, str):
        return LoraConfig(path=item)
    _check(isinstance(item, dict), f"`{label}` entry {item!r}; allowed: a path or a LoraConfig object.")
    allowed = [f.name for f in dataclasses.fields(LoraConfig)]
    unknown = sorted(set(item) - set(allowed))
    _check(not unknown, f"`{label}` entry has unknown keys {unknown}; allowed: {', '.join(allowed)}.")
    _check("path" in item, f"`{label}` entry {item!r} has no `path`.")
    return LoraConfig(**item)


def _json_value(label: str, text: str, kind: type) -> Any:
    """`text` parsed as JSON, which must give a `kind` (list or dict)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"`{label}` is not valid JSON ({error}): {text!r}.") from None
    what = "a JSON list" if kind is list else "a JSON object"
    _check(isinstance(value, kind), f"`{label}` must be {what}, got {text!r}.")
    return value


def _parse_pairs(label: str, text: str) -> tuple[tuple[str, Any], ...]:
    """`KEY=VALUE,KEY=VALUE` (values typed by `guess_option_value`) or a JSON object."""
    if not text:
        return ()
    if text.startswith("{"):
        mapping = _json_value(label, text, dict)
        return tuple(_check_option_pair(label, (key, value)) for key, value in mapping.items())
    pairs = []
    for part in text.split(","):
        key, sep, value = part.partition("=")
        _check(
            bool(sep),
            f"`{label}` is {text!r}; allowed: KEY=VALUE pairs separated by commas.",
            f"write --set {label}.KEY=VALUE for a value that holds a comma.",
        )
        pairs.append(_check_option_pair(label, (key.strip(), guess_option_value(value))))
    return tuple(pairs)


def guess_option_value(text: str) -> Any:
    """A backend option's text as the scalar it spells: true/false, none, or a number written in its
    canonical form ("3", "0.85"); anything else ("007", "1e3", "1.50", words) stays text, so turning
    a guess back into text (see `parse_options`) always gives the original."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in _NONE_WORDS:
        return None
    if re.fullmatch(r"-?\d{1,18}", stripped) and str(int(stripped)) == stripped:
        return int(stripped)
    if re.fullmatch(r"-?\d{1,18}\.\d{1,18}", stripped) and repr(float(stripped)) == stripped:
        return float(stripped)
    return stripped


def parse_field(label: str, hint: Any, value: Any) -> Any:
    """A `--set` value (a string) turned into `hint`'s type; non-strings are only type-checked."""
    if not isinstance(value, str):
        if isinstance(value, list):  # JSON lists: the tuples the frozen dataclasses hold
            value = tuple(tuple(item) if isinstance(item, list) else item for item in value)
        return _check_value(label, hint, value)
    inner, optional = _optional_inner(hint)
    text = value.strip()
    if optional and text.lower() in _NONE_WORDS:
        return None
    if inner is bool:
        return _parse_bool(label, text)
    if inner is int:
        return _parse_int(label, text)
    if inner is float:
        return _parse_float(label, text)
    if inner is str or inner is Any:
        return value
    if _is_option_pairs(inner):
        return _parse_pairs(label, text)
    if inner == tuple[LoraConfig, ...]:
        return _parse_loras(label, text) if text else ()
    if typing.get_origin(inner) is tuple:
        item_hint = typing.get_args(inner)[0]
        parts = [part.strip() for part in text.strip("()[]").split(",") if part.strip()]
        return tuple(parse_field(f"{label}[{index}]", item_hint, part) for index, part in enumerate(parts))
    if typing.get_origin(inner) is typing.Literal:
        allowed = typing.get_args(inner)
        _check(text in allowed, f"`{label}` is {value!r}; allowed: {', '.join(map(str, allowed))}.")
        return text
    members = _union_members(inner)
    if members is not None:
        if str in members or Path in members:  # text (or a path) is a valid value as typed
            return value
        for member in sorted(members, key=lambda m: (m is not bool, m is not int, m is not float)):
            try:
                return parse_field(label, member, value)
            except ConfigError:
                continue
    if inner is Path:
        return Path(text)
    raise ConfigError(
        f"`{label}` cannot be set from text; allowed: {_describe(hint)}.",
        "set it in a config file or from Python instead.",
    )


def parse_options(
    pairs: Iterable[tuple[str, Any]] | Mapping[str, Any],
    options_cls: type[OptionsT],
    section: str,
    *,
    base: OptionsT | None = None,
) -> OptionsT:
    """A backend's typed options dataclass from `(key, value)` pairs (or a mapping) over its defaults.

    `options_cls` is a dataclass whose defaults are the backend's official recipe; `base` (an
    instance) replaces those defaults, e.g. smaller values for tiny models. String values are
    coerced to each field's type; unknown keys and bad values are a ConfigError naming
    `section.KEY` (e.g. `spatial.options.clip_skip`). The class's own `__post_init__` checks ranges.
    """
    assert dataclasses.is_dataclass(options_cls), options_cls
    hints = _hints(options_cls)
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    values: dict[str, Any] = {}
    for key, value in items:
        if key not in hints:
            raise ConfigError(
                f"Unknown option `{section}.{key}`.",
                f"allowed: {', '.join(sorted(hints)) or 'none'}.",
            )
        values[key] = _parse_option_value(f"{section}.{key}", hints[key], value)
    start = base if base is not None else options_cls()
    try:
        return dataclasses.replace(start, **values)  # type: ignore[type-var]
    except (TypeError, ValueError) as error:
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(f"`{section}` cannot be built from {dict(values)!r}: {error}") from None


def _parse_option_value(label: str, hint: Any, value: Any) -> Any:
    inner, _ = _optional_inner(hint)
    if inner is str and isinstance(value, (bool, int, float)):
        # A guessed scalar (see `guess_option_value`) for a text option: its original text.
        value = ("true" if value else "false") if isinstance(value, bool) else str(value)
    elif inner is bool and type(value) is int and value in (0, 1):  # "0"/"1" were guessed as numbers
        value = bool(value)
    return parse_field(label, hint, value)


def keyword_hints(target: Any) -> tuple[dict[str, Any], bool]:
    """The typed keyword parameters of `target` (a class's `__init__` or a function) and whether it
    also takes `**kwargs`. A factory `create(**kwargs) -> Backend` adds its return class's parameters."""
    function = target.__init__ if isinstance(target, type) else target
    hints = dict(_hints(function))
    returned = hints.pop("return", None)
    parameters = inspect.signature(function).parameters
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    if open_ended and not isinstance(target, type) and isinstance(returned, type):
        returned_hints, open_ended = keyword_hints(returned)
        hints = {**returned_hints, **hints}
    named = {name for name, p in parameters.items() if p.kind is not inspect.Parameter.VAR_KEYWORD}
    return {key: hint for key, hint in hints.items() if key in named or key not in parameters}, open_ended


def parse_kwargs(
    values: Mapping[str, Any], target: Any, section: str, *, strict: bool = False
) -> dict[str, Any]:
    """Option values coerced to the type hints of `target`'s keyword parameters (a class's
    `__init__` or a factory function, see `keyword_hints`), for backends that take their options as
    keyword arguments. Unannotated keys pass through unchanged; with `strict`, a key `target` does not
    take is a ConfigError listing the ones it does."""
    hints, open_ended = keyword_hints(target)
    if strict and not open_ended:
        unknown = sorted(set(values) - set(hints))
        if unknown:
            raise ConfigError(
                f"Unknown option `{section}.{unknown[0]}`.", f"allowed: {', '.join(sorted(hints)) or 'none'}."
            )
    return {
        key: _parse_option_value(f"{section}.{key}", hints[key], value) if key in hints else value
        for key, value in values.items()
    }


def options_fields(options_cls: type) -> dict[str, Any]:
    """Field name -> default of an options dataclass: its recipe, for listings such as `ipvg backends`."""
    defaults = options_cls()
    return {f.name: getattr(defaults, f.name) for f in dataclasses.fields(options_cls)}


# --- sections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoraConfig:
    """A LoRA file or hub id loaded onto the video transformer(s) at `scale`."""

    path: str
    scale: float = 1.0
    weight_name: str | None = None
    adapter_name: str | None = None
    # Which denoiser gets it: None = every one; Wan2.2 A14B's distillation LoRAs come as one file per
    # expert (`transformer` = high-noise expert, `transformer_2` = low-noise expert).
    target: str | None = None

    def __post_init__(self) -> None:
        _validate_fields(self, "runtime.loras")
        _check(
            bool(self.path.strip()), "`runtime.loras` has an empty path.", "give a file, folder or hub id."
        )
        _check(
            self.target in (None, "transformer", "transformer_2"),
            f"`runtime.loras` target is {self.target!r}; allowed: none (every denoiser), transformer, transformer_2.",
        )


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
    batched_cfg: bool = False  # Wan: conditional + unconditional passes in one transformer call
    loras: tuple[LoraConfig, ...] = ()
    ulysses_degree: int = 1  # context parallelism (launch with torchrun)
    ring_degree: int = 1
    allow_download: bool = False
    mag_calibration: tuple[float, ...] = ()  # MagCache ratios from a calibration run

    def __post_init__(self) -> None:
        _validate_fields(self, "runtime")
        _check_choice("runtime.dtype", self.dtype, DTYPES)
        _check_choice("runtime.offload", self.offload, OFFLOAD_MODES)
        _check_choice("runtime.cache", self.cache, CACHE_MODES)
        if self.attention_backend is not None:
            _check_choice("runtime.attention_backend", self.attention_backend, ATTENTION_BACKENDS)
        _check(
            _DEVICE_PATTERN.fullmatch(self.device) is not None,
            f"`runtime.device` is {self.device!r}; allowed: auto, cpu, cuda, cuda:N, mps.",
        )
        _check_range("runtime.cache_threshold", self.cache_threshold, 0.0, low_open=True)
        _check_range("runtime.ulysses_degree", self.ulysses_degree, 1, 1024)
        _check_range("runtime.ring_degree", self.ring_degree, 1, 1024)
        for index, ratio in enumerate(self.mag_calibration):
            _check_range(f"runtime.mag_calibration[{index}]", ratio, 0.0, low_open=True)


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
    # The identity guard (pipeline): re-sample the video with the next seed while its identity on the
    # challenge's 16 frames (mean, or the worst frame) is below `identity_threshold`; 1 attempt = off.
    max_attempts: int = 1
    identity_threshold: float | None = None  # None: the face backend's same-person threshold

    def __post_init__(self) -> None:
        _validate_fields(self, "temporal")
        _check_range("temporal.max_attempts", self.max_attempts, 1, 16)
        _check_range("temporal.identity_threshold", self.identity_threshold, 0.0, 1.0)
        _check_range("temporal.height", self.height, 1, MAX_SIDE)
        _check_range("temporal.width", self.width, 1, MAX_SIDE)
        _check_range(
            "temporal.num_frames",
            self.num_frames,
            1,
            MAX_NUM_FRAMES,
            why="Wan's rotary position table covers 1024 latent frames",
        )
        _check_range("temporal.num_inference_steps", self.num_inference_steps, 1, MAX_STEPS)
        _check_range("temporal.fps", self.fps, 0.0, MAX_FPS, low_open=True)
        _check_range("temporal.guidance_scale", self.guidance_scale, 0.0, 100.0)
        _check_range("temporal.guidance_scale_2", self.guidance_scale_2, 0.0, 100.0)
        _check_range("temporal.flow_shift", self.flow_shift, 0.0, 100.0, low_open=True)
        _check_range("temporal.boundary_ratio", self.boundary_ratio, 0.0, 1.0)


@dataclass(frozen=True)
class FacesConfig:
    """Which face backend detects/embeds faces (best-of-N, subject phrase, identity scores)."""

    backend: str = "dlib"
    model_root: str | None = None  # insightface model-pack folder, CurricularFace weights, ...
    # The backend's keyword options (e.g. det_size=320, pad_scale=none), typed by its constructor.
    options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        _validate_fields(self, "faces")


@dataclass(frozen=True)
class PromptsConfig:
    """Stage 0: prompt decoupling. `options` are the backend's (key, value) pairs (see `parse_options`)."""

    backend: str = "rules"
    model: str | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        _validate_fields(self, "prompts")


@dataclass(frozen=True)
class SpatialConfig:
    """Stage 1: the identity-preserving first frame. `options` are the backend's (key, value) pairs."""

    backend: str = "hyperlora-sdxl"
    model: str | None = None
    num_candidates: int = 3
    # None: the face backend's same-person threshold (ArcFace: 0.5, as the paper)
    early_stop_similarity: float | None = None
    refine_face: bool | None = None  # None: the backend's default
    height: int | None = None
    width: int | None = None
    num_inference_steps: int | None = None
    guidance_scale: float | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        _validate_fields(self, "spatial")
        _check_range("spatial.num_candidates", self.num_candidates, 1, MAX_CANDIDATES)
        _check_range("spatial.early_stop_similarity", self.early_stop_similarity, -1.0, 1.0)
        _check_range("spatial.height", self.height, 1, MAX_SIDE)
        _check_range("spatial.width", self.width, 1, MAX_SIDE)
        _check_range("spatial.num_inference_steps", self.num_inference_steps, 1, MAX_STEPS)
        _check_range("spatial.guidance_scale", self.guidance_scale, 0.0, 100.0)


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

    def __post_init__(self) -> None:
        _validate_fields(self, "")
        check_seed(self.seed)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))

    def with_overrides(self, overrides: Mapping[str, Any]) -> PipelineConfig:
        """Return a copy with dotted keys replaced, e.g. {"temporal.num_frames": 9, "seed": 3}."""
        config = self
        for key, value in overrides.items():
            _check(
                isinstance(key, str) and bool(key.strip()),
                f"Config key {key!r} is empty.",
                "write SECTION.FIELD=VALUE, e.g. temporal.num_frames=33.",
            )
            config = _replace_dotted(config, key.strip().split("."), value, "")
        return config

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineConfig:
        """The inverse of `to_dict` (a record's `config`); unknown keys and bad values are ConfigErrors."""
        _check(isinstance(data, Mapping), f"A config must be a JSON object, got {type(data).__name__}.")
        return _dataclass_from_dict(cls, data, "")


def _dataclass_from_dict(cls: type, data: Mapping[str, Any], section: str) -> Any:
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        label = f"{section}.{key}" if section else str(key)
        if key not in hints:
            raise ConfigError(f"Unknown config key `{label}`; allowed: {', '.join(hints)}.")
        inner, _ = _optional_inner(hints[key])
        if dataclasses.is_dataclass(inner) and isinstance(value, Mapping):
            value = _dataclass_from_dict(inner, value, label)
        elif inner == tuple[LoraConfig, ...] and isinstance(value, list):
            value = tuple(_lora_from_json(label, item) for item in value)
        elif isinstance(value, str):
            # Record JSON holds typed values; a string where a number belongs is still a mistake,
            # but text fields and option values stay text.
            value = _check_value(label, hints[key], value)
        else:
            value = parse_field(label, hints[key], value)
        kwargs[key] = value
    return cls(**kwargs)


def _replace_dotted(obj: Any, keys: list[str], value: Any, prefix: str) -> Any:
    head, rest = keys[0], keys[1:]
    hints = _hints(type(obj))
    label = f"{prefix}.{head}" if prefix else head
    if head not in hints:
        where = f"`{prefix}`" if prefix else "the config"
        raise ConfigError(f"Unknown config key `{label}` in {where}; allowed: {', '.join(hints)}.")
    current = getattr(obj, head)
    if rest and _is_option_pairs(hints[head]):
        # `spatial.options.KEY=VALUE`: set one option pair, keeping the others in order.
        _check(len(rest) == 1, f"`{label}.{'.'.join(rest)}` is too deep; allowed: {label}.KEY=VALUE.")
        option = guess_option_value(value) if isinstance(value, str) else value
        key, option = _check_option_pair(label, (rest[0], option))
        pairs = [(k, v) for k, v in current if k != key]
        return dataclasses.replace(obj, **{head: (*pairs, (key, option))})
    if rest:
        _check(
            dataclasses.is_dataclass(current),
            f"`{label}` has no fields; set it as `{label}=VALUE`.",
        )
        return dataclasses.replace(obj, **{head: _replace_dotted(current, rest, value, label)})
    if dataclasses.is_dataclass(current) and isinstance(value, str):
        example = dataclasses.fields(current)[0].name
        raise ConfigError(f"`{label}` is a section; set one of its fields, e.g. `{label}.{example}=...`.")
    return dataclasses.replace(obj, **{head: parse_field(label, hints[head], value)})


# --- presets ---------------------------------------------------------------------------------

TINY_NOTE = "tiny random-weight models: runs offline on a CPU in seconds, and its output is noise by design"

# Wan2.2-Lightning (lightx2v/ModelTC, Apache-2.0): 4-step distillation LoRAs for I2V-A14B, one per
# expert (rank 64, alpha stored in the files); the `fast` preset's runtime.loras. Kept here, not with
# the video backend, because a preset is config data and config may not import a later stage.
# Sources checked for this recipe: the model card and README of github.com/ModelTC/Wan2.2-Lightning
# (4 steps, no CFG, `--lora_dir` with the I2V folder); its issue #8 quoting the i2v-A14B config
# (sample_steps 4, boundary 0.900, guide scale (1.0, 1.0)); issue #3 (training timesteps 1000, 937.5,
# 833.3, 625 = flow shift 5 over 1, .75, .5, .25); the LightX2V step-distill scheduler (plain Euler
# steps on those sigmas, last step to sigma 0) and its Wan2.2 example (4 steps, guidance 1,
# sample_shift 5). Issue #13: videos move more slowly than the base model's 40-step ones (known,
# unresolved upstream). The sampling recipe is `ipvg.temporal.recipes`' wan22-i2v-a14b-lightning.
LIGHTNING_REPO = "lightx2v/Wan2.2-Lightning"
LIGHTNING_I2V_FOLDER = "Wan2.2-I2V-A14B-4steps-lora-rank64-Seko-V1"
LIGHTNING_I2V_LORAS = (
    LoraConfig(
        path=LIGHTNING_REPO,
        weight_name=f"{LIGHTNING_I2V_FOLDER}/high_noise_model.safetensors",
        adapter_name="lightning_high_noise",
        target="transformer",
    ),
    LoraConfig(
        path=LIGHTNING_REPO,
        weight_name=f"{LIGHTNING_I2V_FOLDER}/low_noise_model.safetensors",
        adapter_name="lightning_low_noise",
        target="transformer_2",
    ),
)


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
        paper_14b,
        name="fast",
        description="Wan2.2 I2V-A14B with the Wan2.2-Lightning 4-step LoRAs (lightx2v): 4 steps without "
        "guidance (8 transformer passes instead of 80), flow shift 5, 1280x720x81; rule-based prompts. "
        "Motion is slower than the 40-step model's (Wan2.2-Lightning issue #13)",
        prompts=PromptsConfig(backend="rules"),
        temporal=TemporalConfig(backend="wan22-i2v-a14b-lightning"),
        runtime=RuntimeConfig(loras=LIGHTNING_I2V_LORAS),
    )
    # Reference-conditioned video (Wan2.1 VACE-14B sees the reference face in every step). Compare the
    # three approaches on one test set: paper-14b (first frame only), hybrid-14b, first-place-like.
    hybrid_14b = dataclasses.replace(
        paper_5b,
        name="hybrid-14b",
        description="decoupled prompts and the HyperLoRA first frame, animated by Wan2.1 VACE-14B that also "
        "sees the reference face (1280x720, 81 frames, 50 steps)",
        temporal=TemporalConfig(backend="wan21-vace-14b"),
    )
    first_place_like = dataclasses.replace(
        paper_5b,
        name="first-place-like",
        description="the challenge winner's approach: no first-frame stage, Wan2.1 VACE-14B video from the "
        "reference face and the temporal prompt alone (1280x720, 81 frames)",
        spatial=SpatialConfig(backend="none"),
        temporal=TemporalConfig(backend="wan21-vace-14b"),
    )
    return {
        p.name: p for p in (tiny, paper_5b, paper_14b, low_vram, fast, hybrid_14b, first_place_like)
    }


PRESETS: dict[str, PipelineConfig] = _presets()


def get_preset(name: str) -> PipelineConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"Unknown preset `{name}`; allowed: {', '.join(PRESETS)}.") from None
