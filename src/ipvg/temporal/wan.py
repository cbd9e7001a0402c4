"""Wan image-to-video backends (Wan2.2 TI2V-5B, Wan2.2 I2V-A14B, Wan2.1 I2V-14B) on diffusers'
`WanImageToVideoPipeline`, loaded from a hub id or a local folder.

Wan2.2 TI2V-5B's model_index names `WanPipeline` (text-to-video), which has no `image` argument;
loading the same folder as `WanImageToVideoPipeline` keeps `expand_timesteps` from its config and
conditions on the first frame's latents, which is how the model does image-to-video.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from PIL import Image

from ipvg.config import LIGHTNING_I2V_FOLDER, LIGHTNING_REPO, RuntimeConfig, TemporalConfig
from ipvg.errors import ConfigError, IpvgError
from ipvg.io.images import resize_center_crop
from ipvg.progress import Progress, SilentProgress
from ipvg.runtime import MemoryMeter, prepare_pipeline, resolve_device, resolve_dtype
from ipvg.runtime.options import parse_mag_calibration
from ipvg.temporal.base import AnimateOutput, TemporalRecipe, TemporalSettings
from ipvg.temporal.recipes import RECIPES
from ipvg.types import StageRecord, Video
from ipvg.weights import resolve_model

logger = logging.getLogger(__name__)

ASPECT_WARNING_FRACTION = 0.15  # warn when centre-cropping removes more than this share of the image


def round_to_multiple(value: int, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)


def check_rope_limits(pipe: Any, height: int, width: int, num_frames: int) -> None:
    """Wan's rotary table holds `rope_max_seq_len` positions per axis (1024 in the released models,
    fewer in tiny ones); more latent frames or patches than that fail deep inside the transformer."""
    transformer = getattr(pipe, "transformer", None) or getattr(pipe, "transformer_2", None)
    limit = getattr(getattr(transformer, "config", None), "rope_max_seq_len", None)
    if not limit:
        return
    patch_t, patch_h, patch_w = transformer.config.patch_size
    scale_t, scale_s = pipe.vae_scale_factor_temporal, pipe.vae_scale_factor_spatial
    latent_frames = (num_frames - 1) // scale_t + 1
    for name, value, positions, most in (
        ("num_frames", num_frames, latent_frames // patch_t, (limit * patch_t - 1) * scale_t + 1),
        ("height", height, height // scale_s // patch_h, limit * patch_h * scale_s),
        ("width", width, width // scale_s // patch_w, limit * patch_w * scale_s),
    ):
        if positions > limit:
            raise ConfigError(
                f"`temporal.{name}` is {value}; this model's rotary position table covers {limit} "
                f"positions per axis, so it takes at most {most}.",
                f"use --set temporal.{name}={most} or less.",
            )


def round_frames(num_frames: int) -> int:
    """Wan's VAE compresses time 4x after the first frame, so counts must be 4k+1: the nearest one, ties
    up. More than one frame asked for gets at least 5: a single frame is the input image alone, no video."""
    if num_frames <= 1:
        return 1
    return max(5, 4 * ((num_frames + 1) // 4) + 1)


def refuse_second_expert_settings(config: TemporalConfig) -> None:
    """`boundary_ratio` and `guidance_scale_2` steer the second expert of a two-expert model; on a
    one-expert model nothing would read them, so a value there is a mistake, not a wish to ignore."""
    for name in ("boundary_ratio", "guidance_scale_2"):
        if getattr(config, name) is not None:
            two_experts = sorted(key for key, recipe in RECIPES.items() if recipe.boundary_ratio is not None)
            raise ConfigError(
                f"`temporal.{name}` is {getattr(config, name)}, but {config.backend} has a single expert, "
                "so nothing would use it.",
                f"drop temporal.{name}, or pick a two-expert backend ({', '.join(two_experts)}).",
            )


def resolve_settings(recipe: TemporalRecipe, config: TemporalConfig, warnings: list[str]) -> TemporalSettings:
    """Recipe values overridden by the config, rounded to what the model accepts (with a warning)."""

    def pick(name: str) -> Any:
        value = getattr(config, name)
        return getattr(recipe, name) if value is None else value

    height, width, num_frames = pick("height"), pick("width"), pick("num_frames")
    for label, value, rounded in (
        ("height", height, round_to_multiple(height, recipe.size_multiple)),
        ("width", width, round_to_multiple(width, recipe.size_multiple)),
    ):
        if rounded != value:
            warnings.append(
                f"`{label}` {value} rounded to {rounded} (this model needs multiples of {recipe.size_multiple})."
            )
    if round_frames(num_frames) != num_frames:
        warnings.append(
            f"`num_frames` {num_frames} rounded to {round_frames(num_frames)} (this model makes 4k+1 "
            "frames: 5, 9, 13, ...)."
        )
    guidance_2 = pick("guidance_scale_2") if recipe.boundary_ratio is not None else None
    if recipe.boundary_ratio is None:
        refuse_second_expert_settings(config)
    return TemporalSettings(
        height=round_to_multiple(height, recipe.size_multiple),
        width=round_to_multiple(width, recipe.size_multiple),
        num_frames=round_frames(num_frames),
        fps=float(pick("fps")),
        num_inference_steps=pick("num_inference_steps"),
        guidance_scale=float(pick("guidance_scale")),
        guidance_scale_2=None if guidance_2 is None else float(guidance_2),
        flow_shift=None if pick("flow_shift") is None else float(pick("flow_shift")),
        boundary_ratio=pick("boundary_ratio") if recipe.boundary_ratio is not None else None,
        negative_prompt=recipe.negative_prompt if config.negative_prompt is None else config.negative_prompt,
    )


class WanImageToVideo:
    """One Wan image-to-video model, loaded once and reused for every call. Other diffusers
    image-to-video families subclass it, replacing `_load_pipeline` and `_call_options`."""

    max_text_tokens = 512  # UMT5 window of Wan's pipelines
    pipeline_class = "WanImageToVideoPipeline"  # the diffusers class that loads this family
    family = "Wan image-to-video"

    def __init__(
        self, name: str, config: TemporalConfig, runtime: RuntimeConfig, recipe: TemporalRecipe | None = None
    ) -> None:
        self.name = name
        self.recipe = recipe or RECIPES[name]
        self.config = config
        self.runtime = runtime
        self.model = config.model or self.recipe.model
        self.pipe: Any = None
        self.applied: Any = None
        self.said: set[str] = set()  # warnings logged already (each call's record still lists them all)
        self.load_seconds = 0.0

    def resolve_settings(self, warnings: list[str] | None = None) -> TemporalSettings:
        return resolve_settings(self.recipe, self.config, warnings if warnings is not None else [])

    def load(self, progress: Progress | None = None) -> None:
        """Load the pipeline (once) and apply the runtime options."""
        if self.pipe is not None:
            return
        progress = progress or SilentProgress()
        settings = self.resolve_settings()
        path = resolve_model(self.model, allow_download=self.runtime.allow_download)
        device = resolve_device(self.runtime)
        dtype = resolve_dtype(self.runtime, device)
        start = time.perf_counter()
        with progress.stage(f"Loading {self.name} from {self.model}"):
            pipe = self._load_pipeline(path, dtype, settings)
            self.applied = prepare_pipeline(
                pipe, self.runtime, num_inference_steps=settings.num_inference_steps
            )
        self.pipe = pipe
        self.load_seconds = time.perf_counter() - start

    def _load_pipeline(self, path: str, dtype: torch.dtype, settings: TemporalSettings) -> Any:
        """The diffusers pipeline for this model family, configured with the recipe's scheduler."""
        import diffusers
        from diffusers import UniPCMultistepScheduler

        try:
            # The Wan VAE and CLIP image encoder are run in float32, as the official code does.
            pipe = getattr(diffusers, self.pipeline_class).from_pretrained(
                path, dtype={"default": dtype, "vae": torch.float32, "image_encoder": torch.float32}
            )
        except (OSError, ValueError, KeyError) as error:
            raise IpvgError(
                f"Cannot load `{self.model}` as a {self.family} model: {error}",
                "check the folder is a complete diffusers copy of this model.",
            ) from None
        if self.recipe.boundary_ratio is not None and getattr(pipe, "transformer_2", None) is None:
            raise IpvgError(
                f"`{self.model}` has no `transformer_2`, but {self.name} is a two-expert model.",
                f"pass a two-expert folder, such as a copy of {self.recipe.model}.",
            )
        if settings.boundary_ratio is not None:
            pipe.register_to_config(boundary_ratio=settings.boundary_ratio)
        pipe.scheduler = UniPCMultistepScheduler.from_config(
            pipe.scheduler.config, flow_shift=settings.flow_shift
        )
        return pipe

    def _text_window(self) -> int:
        """How many prompt tokens the text encoder reads."""
        return min(
            self.max_text_tokens, getattr(self.pipe.tokenizer, "model_max_length", self.max_text_tokens)
        )

    def _call_options(self, settings: TemporalSettings) -> dict[str, Any]:
        """Family-specific arguments of the pipeline call."""
        return (
            {"guidance_scale_2": settings.guidance_scale_2} if settings.guidance_scale_2 is not None else {}
        )

    def describe_models(self) -> dict[str, Any]:
        info: dict[str, Any] = {"backend": self.name, "model": self.model}
        if self.pipe is not None:
            info["pipeline"] = type(self.pipe).__name__
            info["components"] = {
                k: type(v).__name__ for k, v in self.pipe.components.items() if v is not None
            }
            info["runtime"] = {
                "device": self.applied.device,
                "dtype": self.applied.dtype,
                "applied": self.applied.applied,
            }
        return info

    def _fit_frame(self, image: Image.Image, settings: TemporalSettings, warnings: list[str]) -> Image.Image:
        """`image` resized and centre-cropped to the model's size (warning when much is cut)."""
        frame, cropped = resize_center_crop(image, settings.width, settings.height)
        if cropped > ASPECT_WARNING_FRACTION:
            warnings.append(
                f"The input image ({image.width}x{image.height}) was centre-cropped to {settings.width}x{settings.height}, "
                f"removing {cropped:.0%} of it; use an image of that aspect ratio to keep everything."
            )
        return frame

    def _conditioning_inputs(
        self,
        image: Image.Image | None,
        reference: Image.Image | None,
        settings: TemporalSettings,
        warnings: list[str],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The pipeline arguments that carry images, and what the record says about them.
        Image-to-video models see the first frame only; a reference-conditioned family replaces this."""
        if image is None:
            raise IpvgError(
                f"{self.name} animates a first frame, and none was given.",
                "use a reference-conditioned video backend (e.g. temporal.backend=wan21-vace-14b) "
                "for a run without a first-frame stage.",
            )
        frame = self._fit_frame(image, settings, warnings)
        return {"image": frame}, {"first_frame": f"{frame.width}x{frame.height}", "reference": None}

    def animate(
        self,
        image: Image.Image | None,
        prompt: str,
        *,
        seed: int,
        progress: Progress | None = None,
        reference: Image.Image | None = None,
    ) -> AnimateOutput:
        """Animate `image` (any size: resized and centre-cropped) following `prompt`. `reference` (the
        person's face) is used only by reference-conditioned families."""
        progress = progress or SilentProgress()
        warnings: list[str] = []
        settings = self.resolve_settings(warnings)
        # 1. Load (no-op after the first call)
        loading_now = self.pipe is None
        self.load(progress)
        pipe = self.pipe
        check_rope_limits(pipe, settings.height, settings.width, settings.num_frames)
        device = resolve_device(self.runtime)
        # 2. Fit the first frame (and reference, if this family uses one) to the model's size
        image_inputs, inputs_record = self._conditioning_inputs(image, reference, settings, warnings)
        # 3. Check the prompt fits the text encoder's window
        window = self._text_window()
        num_tokens = len(pipe.tokenizer(prompt, add_special_tokens=True).input_ids)
        if num_tokens > window:
            warnings.append(
                f"The prompt has {num_tokens} tokens; the text encoder reads the first {window}, the rest is cut."
            )
        for message in warnings:  # said once: the identity guard and video segments call animate again
            if message not in self.said:
                self.said.add(message)
                logger.warning(message)
        # 4. Denoise and decode
        kwargs = self._call_options(settings)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        calibrating = self.runtime.cache == "mag-calibrate"
        with (
            progress.steps(f"Denoising ({self.name})", settings.num_inference_steps) as advance,
            MemoryMeter(device) as meter,
            _timed_method(pipe.vae, "decode", device) as decode_seconds,
            contextlib.redirect_stdout(io.StringIO()) if calibrating else contextlib.nullcontext() as printed,
        ):

            def on_step_end(
                _pipe: Any, step: int, _timestep: Any, callback_kwargs: dict[str, Any]
            ) -> dict[str, Any]:
                advance(step + 1)
                return callback_kwargs

            output = pipe(
                prompt=prompt,
                negative_prompt=settings.negative_prompt or None,
                height=settings.height,
                width=settings.width,
                num_frames=settings.num_frames,
                num_inference_steps=settings.num_inference_steps,
                guidance_scale=settings.guidance_scale,
                generator=generator,
                output_type="np",
                callback_on_step_end=on_step_end,
                max_sequence_length=window,
                **image_inputs,
                **kwargs,
            )
        frames_FHWC = _to_uint8(output.frames[0])
        mag_ratios: dict[str, Any] = {}
        if calibrating:
            mag_ratios["mag_ratios"] = parse_mag_calibration(printed.getvalue())
            warnings.append(
                "MagCache calibration run (nothing skipped): reuse its ratios with --set runtime.cache=mag "
                "--set runtime.mag_calibration=" + ",".join(f"{r:.5f}" for r in mag_ratios["mag_ratios"])
            )
        stages = [
            # later calls reuse the loaded model and report no load
            *(
                [StageRecord("temporal.load", self.load_seconds, None, str(device), {"model": self.model})]
                if loading_now
                else []
            ),
            StageRecord(
                "temporal.denoise_decode",
                meter.seconds,
                meter.peak_memory_mb,
                str(device),
                {"steps": settings.num_inference_steps} | mag_ratios,
            ),
            StageRecord(
                "temporal.vae_decode",
                sum(decode_seconds),
                None,
                str(device),
                {"part_of": "temporal.denoise_decode"},
            ),
        ]
        return AnimateOutput(
            video=Video(frames_FHWC=frames_FHWC, fps=settings.fps),
            settings=replace(settings),
            stages=stages,
            warnings=warnings,
            models=self.describe_models() | {"inputs": inputs_record},
        )


class WanLightning(WanImageToVideo):
    """Wan2.2 I2V-A14B with the Wan2.2-Lightning 4-step LoRAs (in `runtime.loras`; the `fast` preset
    sets them): the distillation's sampler is a first-order flow-matching Euler step on the shifted
    sigmas, which diffusers' UniPC scheduler computes exactly with `solver_order=1` and its
    corrector off (UniPC's first-order predictor in x0 form is x + (sigma_next - sigma) * v)."""

    def _load_pipeline(self, path: str, dtype: torch.dtype, settings: TemporalSettings) -> Any:
        if not self.runtime.loras:
            raise IpvgError(
                f"{self.name} samples in {settings.num_inference_steps} steps, which needs its distillation "
                "LoRAs, and runtime.loras is empty.",
                "use `--preset fast` (it sets both Lightning LoRAs), or set runtime.loras to them "
                f"({LIGHTNING_REPO}: {LIGHTNING_I2V_FOLDER}/high_noise_model.safetensors -> transformer, "
                "low_noise_model.safetensors -> transformer_2).",
            )
        from diffusers import UniPCMultistepScheduler

        pipe = super()._load_pipeline(path, dtype, settings)
        pipe.scheduler = UniPCMultistepScheduler.from_config(
            pipe.scheduler.config,
            flow_shift=settings.flow_shift,
            solver_order=1,
            disable_corrector=list(range(settings.num_inference_steps)),
        )
        return pipe


@contextlib.contextmanager
def _timed_method(module: Any, name: str, device: torch.device) -> Iterator[list[float]]:
    """Time every call of `module.<name>` inside the block (e.g. the VAE decode inside a diffusers
    pipeline call), without changing what it computes."""
    original = getattr(module, name)
    seconds: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        result = original(*args, **kwargs)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds.append(time.perf_counter() - start)
        return result

    setattr(module, name, timed)
    try:
        yield seconds
    finally:
        delattr(module, name)  # the instance attribute shadowed the class method; remove it


def _to_uint8(frames: Any) -> np.ndarray:
    array = np.asarray(frames, dtype=np.float32)
    return (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def wan22_ti2v_5b(config: TemporalConfig, runtime: RuntimeConfig) -> WanImageToVideo:
    return WanImageToVideo("wan22-ti2v-5b", config, runtime)


def wan22_i2v_a14b(config: TemporalConfig, runtime: RuntimeConfig) -> WanImageToVideo:
    return WanImageToVideo("wan22-i2v-a14b", config, runtime)


def wan21_i2v_14b(config: TemporalConfig, runtime: RuntimeConfig) -> WanImageToVideo:
    return WanImageToVideo("wan21-i2v-14b", config, runtime)


def wan21_i2v_14b_720p(config: TemporalConfig, runtime: RuntimeConfig) -> WanImageToVideo:
    return WanImageToVideo("wan21-i2v-14b-720p", config, runtime)


def wan22_i2v_a14b_lightning(config: TemporalConfig, runtime: RuntimeConfig) -> WanImageToVideo:
    return WanLightning("wan22-i2v-a14b-lightning", config, runtime)
