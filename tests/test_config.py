"""Config: presets, `--set` parsing, validation of every field, record round trips, `parse_options`."""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass

import pytest
import torch

from ipvg.config import (
    ATTENTION_BACKENDS,
    MAX_NUM_FRAMES,
    MAX_SEED,
    PRESETS,
    LoraConfig,
    PipelineConfig,
    RuntimeConfig,
    SpatialConfig,
    TemporalConfig,
    check_seed,
    get_preset,
    options_fields,
    parse_options,
)
from ipvg.errors import ConfigError

# Strings a user (or a fuzzer) may type after `--set section.field=`; each must parse or be refused
# with a ConfigError, never another exception.
BAD_STRINGS = (
    "",
    " ",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "1e400",
    "-3",
    "0",
    "1.5",
    "abc",
    "2**70",
    str(2**70),
    "9" * 5000,
    "[",
    "{",
    "[1, 2",
    "{}",
    "[]",
    "none",
    ",",
    "=",
    ":",
    "a=b=c",
    "x:nan",
    "true",
    "\x00",
    "é",
)


def test_presets_exist_and_roundtrip_through_dict():
    assert {"tiny", "paper-5b", "paper-14b", "low-vram", "fast"} <= set(PRESETS)
    for preset in PRESETS.values():
        assert PipelineConfig.from_dict(preset.to_dict()) == preset


def test_paper_presets_use_the_official_backends():
    assert get_preset("paper-5b").temporal.backend == "wan22-ti2v-5b"
    assert get_preset("paper-14b").temporal.backend == "wan22-i2v-a14b"
    assert get_preset("low-vram").runtime.offload == "model"
    assert get_preset("tiny").temporal.model.startswith("ipvg-tiny:")


def test_dotted_overrides_coerce_strings():
    config = get_preset("tiny").with_overrides(
        {
            "temporal.num_frames": "17",
            "runtime.vae_tiling": "true",
            "temporal.guidance_scale": "4.5",
            "temporal.fps": "24",
            "seed": "3",
            "runtime.attention_backend": "none",
        }
    )
    assert config.temporal.num_frames == 17 and config.runtime.vae_tiling is True
    assert config.temporal.guidance_scale == 4.5 and config.seed == 3
    # an int typed for a float field is stored as a float (a wrong coercion would keep the str)
    assert config.temporal.fps == 24.0 and isinstance(config.temporal.fps, float)
    assert config.runtime.attention_backend is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # each row: the validation that a missing or loosened check would let through
        ({"temporal.num_frames": "-3"}, "temporal.num_frames"),
        ({"temporal.nope": "1"}, "Unknown config key `temporal.nope`"),
        ({"runtime.offload": "disk"}, "runtime.offload"),
        ({"runtime.vae_tiling": "maybe"}, "true or false"),
        ({"temporal.boundary_ratio": "1.5"}, "boundary_ratio"),
        ({"temporal.height": "tall"}, "temporal.height.*'tall'.*integer"),
        ({"spatial.num_inference_steps": "-3"}, "spatial.num_inference_steps.*-3"),
        ({"spatial.height": "0"}, "spatial.height.*0"),
        ({"temporal.fps": "inf"}, "temporal.fps.*inf.*finite"),
        ({"temporal.guidance_scale": "inf"}, "temporal.guidance_scale.*finite"),
        ({"temporal.guidance_scale": "nan"}, "temporal.guidance_scale.*NaN"),
        ({"spatial.guidance_scale": "NaN"}, "spatial.guidance_scale"),
        ({"runtime.cache_threshold": "nan"}, "runtime.cache_threshold"),
        ({"spatial.early_stop_similarity": "nan"}, "early_stop_similarity"),
        ({"temporal.num_frames": "10000"}, f"temporal.num_frames.*10000.*<= {MAX_NUM_FRAMES}"),
        ({"temporal.num_inference_steps": "1.5"}, "temporal.num_inference_steps.*integer"),
        ({"seed": str(2**70)}, "seed.*2\\*\\*63-1"),
        ({"seed": "-1"}, "seed"),
        ({"runtime.device": "cuda:x"}, "runtime.device"),
        ({"runtime.mag_calibration": "1,nan"}, "mag_calibration\\[1\\]"),
        ({"runtime.loras": "a.safetensors:inf"}, "runtime.loras scale"),
        ({"spatial.options": "clip_skip"}, "spatial.options.*KEY=VALUE"),
        ({"spatial.options.bad key": "1"}, "option names"),
        ({"spatial": "x"}, "`spatial` is a section"),
        ({"seed.x": "1"}, "`seed` has no fields"),
        ({"": "1"}, "empty"),
    ],
)
def test_bad_values_name_the_field(overrides, message):
    with pytest.raises(ConfigError, match=message):
        get_preset("tiny").with_overrides(overrides)


def _settable_fields():
    """(dotted key, hint) of every field `--set` can reach, walking the sections' dataclasses."""
    for section in dataclasses.fields(PipelineConfig):
        section_type = typing.get_type_hints(PipelineConfig)[section.name]
        if dataclasses.is_dataclass(section_type):
            for name, hint in typing.get_type_hints(section_type).items():
                yield f"{section.name}.{name}", hint
        else:
            yield section.name, section_type


# plus one dotted backend option per options table (`--set spatial.options.KEY=VALUE`)
SETTABLE = [
    *_settable_fields(),
    ("spatial.options.clip_skip", str),
    ("prompts.options.temperature", str),
    ("faces.options.pad_scale", str),
]


def test_the_walk_covers_every_section():
    """A walk that silently missed a section (e.g. a broken type lookup) would make the fuzz vacuous."""
    keys = {key for key, _ in SETTABLE}
    assert {"seed", "temporal.fps", "runtime.loras", "spatial.options", "prompts.options", "faces.options"} <= keys
    assert len(keys) >= 45


@pytest.mark.parametrize(("key", "hint"), SETTABLE, ids=[key for key, _ in SETTABLE])
def test_every_settable_field_parses_or_refuses_cleanly(key, hint):
    """Every `--set` field and a table of bad strings: a valid config or a ConfigError naming the field.

    Catches any coercion that lets int()/float()/json raise its own error (ValueError, OverflowError,
    TypeError), and any stored NaN/inf/out-of-range value that a later stage would act on."""
    base = get_preset("tiny")
    for text in BAD_STRINGS:
        try:
            config = base.with_overrides({key: text})
        except ConfigError as error:
            assert key.split(".")[-1] in str(error) or key in str(error), (key, text, str(error))
            continue
        # Accepted: the result must itself be a valid config (round trip rebuilds and re-checks it).
        assert PipelineConfig.from_dict(config.to_dict()) == config, (key, text)
        for value in _leaf_values(config):
            assert not (isinstance(value, float) and not math.isfinite(value)), (key, text, value)


BAD_JSON_VALUES = (None, True, -1, 0, 1.5, float("nan"), float("inf"), 2**70, "x", "", [], {}, [1], [["a"]])


RECORD_FIELDS = [(key, hint) for key, hint in SETTABLE if key.count(".") < 2]


@pytest.mark.parametrize(("key", "hint"), RECORD_FIELDS, ids=[key for key, _ in RECORD_FIELDS])
def test_every_field_from_a_record_loads_or_refuses_cleanly(key, hint):
    """A hand-edited record.json: any JSON value in any field gives a valid config or a ConfigError.
    Catches a `cls(**data)` TypeError, a list never turned into a tuple, or an unhashable value
    stored in a frozen config."""
    record = get_preset("tiny").to_dict()
    for value in BAD_JSON_VALUES:
        data = json.loads(json.dumps(record))
        section, _, name = key.rpartition(".")
        (data[section] if section else data)[name] = value
        try:
            config = PipelineConfig.from_dict(data)
        except ConfigError:
            continue
        hash(config)  # frozen configs must stay hashable (no lists or dicts inside)
        assert PipelineConfig.from_dict(config.to_dict()) == config, (key, value)


def test_from_dict_refuses_bad_json_values_cleanly():
    """A hand-edited record: wrong types and unknown keys are ConfigErrors (a plain cls(**data) gives
    TypeError, and a string height would be stored unchecked)."""
    tiny = get_preset("tiny").to_dict()
    bad_cases = [
        {**tiny, "temporal": {**tiny["temporal"], "height": "tall"}},
        {**tiny, "temporal": {**tiny["temporal"], "nope": 1}},
        {**tiny, "temporal": [1, 2]},
        {**tiny, "seed": 2**70},
        {**tiny, "seed": True},
        {**tiny, "runtime": {**tiny["runtime"], "loras": [{"scale": 1.0}]}},
        {**tiny, "runtime": {**tiny["runtime"], "loras": "x"}},
        {**tiny, "spatial": {**tiny["spatial"], "options": [["a"]]}},
        {**tiny, "spatial": {**tiny["spatial"], "num_candidates": 1.5}},
    ]
    for data in bad_cases:
        with pytest.raises(ConfigError):
            PipelineConfig.from_dict(data)
    with pytest.raises(ConfigError):
        PipelineConfig.from_dict([1])  # type: ignore[arg-type]


def _leaf_values(config):
    for section in dataclasses.fields(config):
        value = getattr(config, section.name)
        if dataclasses.is_dataclass(value):
            yield from (getattr(value, f.name) for f in dataclasses.fields(value))
        else:
            yield value


def test_loras_and_options_parse_and_roundtrip_through_the_record():
    """`runtime.loras=PATH[:SCALE],...` and `spatial.options.KEY=VALUE` reach the config, and the
    record (to_dict -> JSON -> from_dict) gives the same config back. Catches: a colon inside a path
    taken as a scale, options replaced instead of merged, lists left as lists after from_dict."""
    config = get_preset("tiny").with_overrides(
        {
            "runtime.loras": "lightx2v/Wan-Lightning:0.75, ipvg-tiny:lora, ./my.safetensors:1",
            "spatial.options.clip_skip": "3",
            "spatial.options.trigger_words": "fcsks fxhks",
            "prompts.options": "temperature=0.1,base_url=http://x:8000/v1",
        }
    )
    assert config.runtime.loras == (
        LoraConfig(path="lightx2v/Wan-Lightning", scale=0.75),
        LoraConfig(path="ipvg-tiny:lora"),
        LoraConfig(path="./my.safetensors", scale=1.0),
    )
    assert config.spatial.options == (("clip_skip", 3), ("trigger_words", "fcsks fxhks"))
    assert dict(config.prompts.options) == {"temperature": 0.1, "base_url": "http://x:8000/v1"}
    again = config.with_overrides({"spatial.options.clip_skip": "4"})
    assert dict(again.spatial.options) == {"clip_skip": 4, "trigger_words": "fcsks fxhks"}
    record = json.loads(json.dumps(config.to_dict()))
    assert PipelineConfig.from_dict(record) == config
    # JSON forms (as a record holds them) work through --set too
    as_json = get_preset("tiny").with_overrides(
        {"runtime.loras": json.dumps(record["runtime"]["loras"]), "spatial.options": '{"clip_skip": 3}'}
    )
    assert as_json.runtime.loras == config.runtime.loras and as_json.spatial.options == (("clip_skip", 3),)
    assert get_preset("tiny").with_overrides({"runtime.loras": ""}).runtime.loras == ()


def test_option_values_are_guessed_losslessly():
    """Option text that spells a number/bool/none is stored typed (backends still on dicts need that),
    and anything whose text a number would not give back stays text. Catches a guess with float() or
    int() alone ("007" -> 7, "1e3" -> 1000.0: a trigger word or negative prompt silently changed)."""
    config = get_preset("tiny").with_overrides(
        {"spatial.options": "a=3,b=0.85,c=true,d=none,e=007,f=1e3,g=1.50,h=-2,i=fcsks fxhks"}
    )
    assert dict(config.spatial.options) == {
        "a": 3,
        "b": 0.85,
        "c": True,
        "d": None,
        "e": "007",
        "f": "1e3",
        "g": "1.50",
        "h": -2,
        "i": "fcsks fxhks",
    }
    # back to text for a text field, exactly as typed
    options = parse_options((("trigger_words", 3), ("clip_skip", "007")), _ToyOptions, "spatial.options")
    assert options.trigger_words == "3" and options.clip_skip == 7
    assert parse_options((("trigger_words", True),), _ToyOptions, "s").trigger_words == "true"


def test_seed_limit_is_what_torch_generators_accept():
    """MAX_SEED (+ a candidate index) must be accepted by torch.Generator; 2**70 must be refused
    before it reaches torch (which raises its own RuntimeError deep in a run)."""
    torch.Generator().manual_seed(MAX_SEED + 64)
    assert check_seed(MAX_SEED) == MAX_SEED
    for bad in (2**70, MAX_SEED + 1, -1, 1.0, True, "3"):
        with pytest.raises(ConfigError, match="seed"):
            check_seed(bad)


def test_attention_backend_names_are_the_installed_diffusers_names():
    """The config refuses an unknown `runtime.attention_backend` from a copied list (no torch import
    in ipvg.config). Wrong code caught: a list that drifts from the pinned diffusers (a real backend
    refused, or a typo let through to fail only after the first model has loaded)."""
    from diffusers.models.attention_dispatch import AttentionBackendName

    assert set(ATTENTION_BACKENDS) == {name.value for name in AttentionBackendName}
    assert RuntimeConfig(attention_backend="native").attention_backend == "native"
    with pytest.raises(ConfigError, match="runtime.attention_backend"):
        RuntimeConfig(attention_backend="nope")


def test_frame_cap_matches_wans_rope_table():
    """The cap is the largest 4k+1 count whose latent frames fit Wan's 1024 rotary positions; a cap
    off by one latent frame (or a forgotten cap) would break this. Read from the pinned diffusers'
    source (importing the model class costs seconds)."""
    import importlib.util
    import re
    from pathlib import Path

    package = Path(importlib.util.find_spec("diffusers").origin).parent  # finds, does not import
    source = (package / "models" / "transformers" / "transformer_wan.py").read_text(encoding="utf-8")
    rope_max = int(re.search(r"rope_max_seq_len: int = (\d+)", source).group(1))
    latent_frames = (MAX_NUM_FRAMES - 1) // 4 + 1
    assert latent_frames == rope_max and (MAX_NUM_FRAMES - 1) % 4 == 0
    TemporalConfig(num_frames=MAX_NUM_FRAMES)
    with pytest.raises(ConfigError):
        TemporalConfig(num_frames=MAX_NUM_FRAMES + 1)


def test_unknown_preset():
    with pytest.raises(ConfigError, match="paper-5b"):
        get_preset("paper")


def test_direct_construction_validates():
    """Python callers get the same checks as `--set` (a check only in the string parser would miss these)."""
    for build in (
        lambda: TemporalConfig(fps=0),
        lambda: TemporalConfig(guidance_scale=float("inf")),
        lambda: SpatialConfig(height=0),
        lambda: SpatialConfig(num_inference_steps=-3),
        lambda: RuntimeConfig(device="tpu"),
        lambda: RuntimeConfig(loras=(LoraConfig(path=""),)),
        lambda: PipelineConfig(seed=2**70),
        lambda: SpatialConfig(options=(("k", [1]),)),
        lambda: TemporalConfig(height="tall"),  # without the type check: a TypeError from the range check
        lambda: SpatialConfig(num_candidates=1.5),
        lambda: RuntimeConfig(loras=("a.safetensors",)),
    ):
        with pytest.raises(ConfigError):
            build()


@dataclass(frozen=True)
class _ToyOptions:
    """A backend's options dataclass, as a backend declares one (defaults = its recipe)."""

    lora_scale: float = 0.85
    clip_skip: int = 2
    trigger_words: str = "fcsks fxhks fhyks"
    refine: bool = True
    single_file_config: str | None = None

    def __post_init__(self) -> None:
        if self.clip_skip < 2:
            raise ConfigError(f"`spatial.options.clip_skip` is {self.clip_skip}; allowed: >= 2.")


def test_parse_options_coerces_to_field_types_and_refuses_unknown_keys():
    """Catches: values left as strings ("3" != 3), a silently ignored unknown key, and an options
    class's own range check bypassed."""
    options = parse_options(
        (("clip_skip", "3"), ("lora_scale", "1.5"), ("refine", "false"), ("single_file_config", "none")),
        _ToyOptions,
        "spatial.options",
    )
    assert options == _ToyOptions(lora_scale=1.5, clip_skip=3, refine=False, single_file_config=None)
    assert parse_options({"trigger_words": "abc"}, _ToyOptions, "spatial.options").trigger_words == "abc"
    base = _ToyOptions(clip_skip=4)
    assert parse_options((), _ToyOptions, "spatial.options", base=base) == base
    with pytest.raises(ConfigError, match="spatial.options.nope") as caught:
        parse_options((("nope", "1"),), _ToyOptions, "spatial.options")
    assert "clip_skip" in str(caught.value)  # lists what is allowed
    for bad in (("clip_skip", "1"), ("clip_skip", "x"), ("lora_scale", "nan"), ("refine", "maybe")):
        with pytest.raises(ConfigError, match=f"spatial.options.{bad[0]}|clip_skip"):
            parse_options((bad,), _ToyOptions, "spatial.options")
    assert options_fields(_ToyOptions)["lora_scale"] == 0.85


def test_per_call_seed_is_checked_before_anything_loads(example_face):
    """`Animator(...)(seed=2**70)` bypasses the config: without the call's own check torch raises
    a RuntimeError deep in the denoising loop, after the model has loaded."""
    from ipvg.animate import Animator

    animator = Animator.from_preset("tiny")
    with pytest.raises(ConfigError, match="seed"):
        animator(example_face, "A woman smiles", seed=2**70)
    assert getattr(animator.backend, "pipe", None) is None  # nothing loaded


def test_wan_backend_refuses_sizes_beyond_its_rope_table():
    """The loaded model's own `rope_max_seq_len` bounds frames and sides (the tiny Wan has 32 positions,
    so 125 frames fit and 129 do not). Catches an off-by-one in the latent-frame arithmetic and the
    check being skipped, which lets diffusers fail with a bare shape error mid-run."""
    from types import SimpleNamespace

    from ipvg.temporal.wan import check_rope_limits

    def pipe(limit: int) -> SimpleNamespace:
        config = SimpleNamespace(rope_max_seq_len=limit, patch_size=(1, 2, 2))
        transformer = SimpleNamespace(config=config)
        return SimpleNamespace(transformer=transformer, vae_scale_factor_temporal=4, vae_scale_factor_spatial=16)

    check_rope_limits(pipe(32), 1024, 1024, 125)
    too_big = ((64, 96, 129, "num_frames"), (1056, 96, 9, "height"), (64, 1056, 9, "width"))
    for height, width, frames, field_name in too_big:
        with pytest.raises(ConfigError, match=f"temporal.{field_name}"):
            check_rope_limits(pipe(32), height, width, frames)
    check_rope_limits(pipe(1024), 704, 1280, MAX_NUM_FRAMES)  # the real 5B: the config cap fits exactly
    with pytest.raises(ConfigError, match="at most 4093"):
        check_rope_limits(pipe(1024), 704, 1280, MAX_NUM_FRAMES + 4)


def test_tiny_wan_refuses_too_many_frames_before_denoising(example_face):
    """Through the real backend: the check runs on the loaded pipeline, before the denoising loop."""
    from ipvg.animate import Animator

    animator = Animator.from_preset("tiny", {"temporal.num_frames": "129"})
    with pytest.raises(ConfigError, match="temporal.num_frames.*at most 125"):
        animator(example_face, "A woman smiles")


def test_face_backend_options_are_typed_by_its_constructor():
    """`--set faces.options.KEY=VALUE` reaches the face backend's keyword arguments, typed by its
    constructor (through the registry factory's return class). Catches the options being dropped on
    the way (the backend keeps its default), left as text, or an unknown name reaching the constructor
    as a TypeError."""
    pytest.importorskip("dlib")
    from ipvg.faces import face_backend_for

    config = get_preset("tiny").with_overrides(
        {"faces.options.pad_scale": "none", "faces.options.hog_upsample": "2", "faces.options.cnn_fallback": "0"}
    )
    backend = face_backend_for(config.faces)
    assert (backend.pad_scale, backend.hog_upsample, backend.cnn_fallback) == (None, 2, False)
    for key, value, message in (
        ("nope", "1", "Unknown option `faces.options.nope`.*hog_upsample"),
        ("hog_upsample", "x", "faces.options.hog_upsample.*integer"),
        ("hog_min_score", "nan", "faces.options.hog_min_score.*finite"),
    ):
        with pytest.raises(ConfigError, match=message):
            face_backend_for(get_preset("tiny").with_overrides({f"faces.options.{key}": value}).faces)


def test_spatial_backends_read_options_into_their_typed_recipe():
    """Each spatial backend's options are a dataclass whose defaults are its recipe, read through
    `parse_options`: catches a recipe value lost (HyperLoRA 0.85 and its trigger words), tiny overrides
    not applied, a text value reaching the sampler ("3" for clip_skip), and ranges not checked."""
    from ipvg.spatial import create_spatial_backend
    from ipvg.spatial.hyperlora_sdxl import HyperLoraOptions

    tiny = get_preset("tiny")
    paper = HyperLoraOptions()
    assert (paper.lora_scale, paper.trigger_words, paper.clip_skip, paper.refine_size) == (
        0.85,
        "fcsks fxhks fhyks",
        2,
        1024,
    )
    config = tiny.with_overrides({"spatial.options.clip_skip": "3", "spatial.options.lora_scale": "0.5"})
    options = create_spatial_backend(config.spatial, config.faces, config.runtime).settings.options
    assert options["clip_skip"] == 3 and options["lora_scale"] == 0.5
    assert options["refine_size"] == 64 and options["hyperlora"] == "ipvg-tiny:hyperlora"  # tiny overrides
    for key, value in (("clip_skip", "1"), ("refine_size", "12"), ("lora_scale", "nan"), ("nope", "1")):
        bad = tiny.with_overrides({f"spatial.options.{key}": value})
        with pytest.raises(ConfigError, match=f"spatial.options.{key}"):
            create_spatial_backend(bad.spatial, bad.faces, bad.runtime)
    kontext = tiny.with_overrides(
        {"spatial.backend": "kontext", "spatial.model": "ipvg-tiny:flux-kontext", "spatial.options.prompt_template": "{x}"}
    )
    with pytest.raises(ConfigError, match="prompt_template"):
        create_spatial_backend(kontext.spatial, kontext.faces, kontext.runtime)


def _backend_option_tables():
    """(section, options dataclass or keyword target) of every backend whose options `--set` reaches."""
    from ipvg.faces.dlib_backend import DlibFaceBackend
    from ipvg.faces.insightface_backend import InsightFaceBackend
    from ipvg.prompts.llm import LocalChatBackend
    from ipvg.prompts.openai_server import OpenAIChatBackend
    from ipvg.prompts.rules import RulesBackend
    from ipvg.spatial.faceid_sdxl import FaceIdOptions
    from ipvg.spatial.hyperlora_sdxl import HyperLoraOptions
    from ipvg.spatial.kontext import KontextOptions

    return [
        ("spatial.options", HyperLoraOptions),
        ("spatial.options", FaceIdOptions),
        ("spatial.options", KontextOptions),
        ("prompts.options", RulesBackend),
        ("prompts.options", LocalChatBackend),
        ("prompts.options", OpenAIChatBackend),
        ("faces.options", DlibFaceBackend),
        ("faces.options", InsightFaceBackend),
    ]


def test_every_backend_option_parses_or_refuses_cleanly():
    """Every option of every backend, each bad string as `--set` stores it: a typed value or a
    ConfigError naming the option. Catches an option type the coercion cannot handle (an
    AssertionError or TypeError instead of a clear error) and NaN/inf reaching a backend."""
    from ipvg.config import guess_option_value, keyword_hints, parse_kwargs

    checked = 0
    for section, target in _backend_option_tables():
        typed_dataclass = dataclasses.is_dataclass(target)
        if typed_dataclass:
            names = [f.name for f in dataclasses.fields(target)]
        else:
            names = list(keyword_hints(target)[0])
        for name in names:
            for text in BAD_STRINGS:
                value = guess_option_value(text)
                try:
                    if typed_dataclass:
                        parsed = getattr(parse_options({name: value}, target, section), name)
                    else:
                        parsed = parse_kwargs({name: value}, target, section)[name]
                except ConfigError as error:
                    assert f"{section}.{name}" in str(error), (section, name, text, str(error))
                    continue
                assert not (isinstance(parsed, float) and not math.isfinite(parsed)), (section, name, text)
                checked += 1
    assert checked > 100  # the tables really were walked
    # and good values of union types are accepted (a parser refusing `str | Path` would pass the walk)
    from ipvg.faces.dlib_backend import DlibFaceBackend

    good = parse_kwargs({"models_dir": "/m", "pad_scale": 0.5, "cnn_fallback": 1}, DlibFaceBackend, "faces.options")
    assert good == {"models_dir": "/m", "pad_scale": 0.5, "cnn_fallback": True}
