"""What every SDXL identity backend shares: loading SDXL (folder, hub id or single file) with DPM++ 2M
Karras, drawing candidates in batches (one seed each), and an img2img view of the same components for
the face-detail pass (`redraw`). Choosing and scoring candidates is `ipvg.identity`'s.

A backend subclasses `SdxlIdentityBackend` and supplies the identity part: `_load_identity_models`
(before the base model, so missing files fail fast), `_attach_to_pipeline` (e.g. IP-Adapter
processors), `_set_identity` (a new face) and `_identity_call_kwargs` (extra pipeline arguments).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image

from ipvg.config import FacesConfig, RuntimeConfig, SpatialConfig
from ipvg.errors import ConfigError, IpvgError, WeightsNotFoundError
from ipvg.faces.base import Face, Reference
from ipvg.progress import Progress, SilentProgress
from ipvg.runtime import prepare_pipeline, resolve_device, resolve_dtype
from ipvg.spatial.base import (
    DrawPlan,
    Prepared,
    check_prompt,
    resolve_options,
    truncation_warning,
    with_trigger_words,
)
from ipvg.spatial.faceprep import feathered_mask, refine_region
from ipvg.types import StageRecord
from ipvg.weights import is_tiny, resolve_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SdxlRecipe:
    """A backend's official recipe; `SpatialConfig` fields and `spatial.options` override it."""

    model: str = "SG161222/RealVisXL_V4.0"
    height: int = 480
    width: int = 832
    num_inference_steps: int = 20
    guidance_scale: float = 5.0
    refine_face: bool = True


@dataclass(frozen=True)
class SdxlOptions:
    """Options every SDXL backend understands (`--set spatial.options.KEY=VALUE`); each backend
    subclasses it with its own. Defaults are the official recipe."""

    trigger_words: str = ""
    clip_skip: int = 2  # A1111/ComfyUI convention: 2 = penultimate layer (SDXL's default in diffusers)
    negative_prompt: str = ""
    single_file_config: str | None = None  # diffusers config folder/hub id for a single .safetensors
    batch_size: int | None = None  # candidates per batch; None: as many as memory allows
    refine_strength: float = 0.5
    refine_steps: int = 10  # steps actually run (ComfyUI's `steps` at `denoise`)
    refine_size: int = 1024  # the face crop is redrawn at this side (SDXL's native size)
    refine_crop_factor: float = 3.0  # crop side / face side (Impact Pack FaceDetailer's default)
    refine_feather: float = 0.08  # feather width / crop side

    def __post_init__(self) -> None:
        for name, ok, allowed in (
            ("clip_skip", self.clip_skip >= 2, "an integer >= 2 (2 = penultimate, the recipe)"),
            ("batch_size", self.batch_size is None or self.batch_size >= 1, "none or an integer >= 1"),
            ("refine_strength", 0.0 < self.refine_strength <= 1.0, "a number in (0, 1]"),
            ("refine_steps", self.refine_steps >= 1, "an integer >= 1"),
            ("refine_size", self.refine_size >= 8 and self.refine_size % 8 == 0, "a multiple of 8"),
            ("refine_crop_factor", self.refine_crop_factor >= 1.0, "a number >= 1 (crop side / face side)"),
            ("refine_feather", 0.0 <= self.refine_feather <= 0.5, "a number in [0, 0.5]"),
        ):
            if not ok:
                raise ConfigError(f"`spatial.options.{name}` is {getattr(self, name)!r}; allowed: {allowed}.")


# Tiny models: a small face-detail pass (the recipe's 1024-pixel redraw would dwarf the image).
COMMON_TINY_OPTIONS: dict[str, Any] = {"refine_size": 64, "refine_steps": 2}


@dataclass(frozen=True)
class SdxlSettings:
    height: int
    width: int
    num_inference_steps: int
    guidance_scale: float
    num_candidates: int
    early_stop_similarity: float | None
    refine_face: bool
    options: dict[str, Any]


def resolve_settings(
    config: SpatialConfig,
    recipe: SdxlRecipe,
    options: SdxlOptions,
    num_candidates: int | None = None,
) -> SdxlSettings:
    """Recipe + config + typed options, validated (before anything loads)."""
    height, width = config.height or recipe.height, config.width or recipe.width
    if height % 8 or width % 8:
        raise ConfigError(
            f"`spatial.height`/`spatial.width` are {height}x{width}; SDXL needs multiples of 8.",
            "round them to multiples of 8 (e.g. 832x480).",
        )
    num = num_candidates if num_candidates is not None else config.num_candidates
    if num < 1:
        raise ConfigError(f"`num_candidates` must be >= 1, got {num}.", "pass 1 or more.")
    return SdxlSettings(
        height=height,
        width=width,
        num_inference_steps=config.num_inference_steps or recipe.num_inference_steps,
        guidance_scale=recipe.guidance_scale if config.guidance_scale is None else config.guidance_scale,
        num_candidates=num,
        early_stop_similarity=config.early_stop_similarity,
        refine_face=recipe.refine_face if config.refine_face is None else config.refine_face,
        options=dataclasses.asdict(options),  # the record lists every option, recipe values included
    )


def diffusers_clip_skip(clip_skip: int) -> int | None:
    """A1111's "CLIP skip n" (n >= 2) -> diffusers' SDXL `clip_skip` (which counts past the penultimate)."""
    return None if clip_skip == 2 else clip_skip - 2


def load_sdxl_pipeline(
    model: str, dtype: torch.dtype, single_file_config: str | None, allow_download: bool
) -> Any:
    """RealVisXL (or any SDXL) from a diffusers folder / hub id, or from a single .safetensors file,
    with DPM++ 2M Karras (ComfyUI's dpmpp_2m + karras)."""
    from diffusers import DPMSolverMultistepScheduler, StableDiffusionXLPipeline

    try:
        if model.endswith((".safetensors", ".ckpt")):
            if not Path(model).expanduser().is_file():
                raise WeightsNotFoundError(
                    f"The SDXL checkpoint file {model} does not exist.", "pass an existing .safetensors file."
                )
            kwargs: dict[str, Any] = {"torch_dtype": dtype}
            if single_file_config:
                kwargs["config"] = resolve_model(single_file_config, allow_download=allow_download)
            pipe = StableDiffusionXLPipeline.from_single_file(str(Path(model).expanduser()), **kwargs)
        else:
            path = resolve_model(model, allow_download=allow_download)
            pipe = StableDiffusionXLPipeline.from_pretrained(path, dtype=dtype)
    except (OSError, ValueError, KeyError) as error:
        if isinstance(error, IpvgError):
            raise
        raise IpvgError(
            f"Cannot load `{model}` as an SDXL pipeline: {error}",
            "pass a diffusers SDXL folder/hub id, or a single .safetensors checkpoint with "
            "spatial option `single_file_config` naming an SDXL config folder for offline use.",
        ) from None
    pipe.scheduler = DPMSolverMultistepScheduler.from_config(
        pipe.scheduler.config, algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=True
    )
    return pipe


def resolve_companion(location: str, option: str, marker: str, allow_download: bool) -> str:
    """`resolve_model` for weights named by a spatial option, with the fix naming that option."""
    try:
        return resolve_model(location, marker=marker, allow_download=allow_download)
    except WeightsNotFoundError as error:
        raise WeightsNotFoundError(
            error.message,
            f"download `{location}` (`ipvg models download {location}` or `hf download {location}`) on a machine "
            f"with internet, pass a local copy with `--option {option}=PATH` (spatial.options), "
            "or allow downloading with --allow-download.",
        ) from None


def image_fingerprint(image: Image.Image) -> str:
    return hashlib.sha1(np.asarray(image.convert("RGB")).tobytes()).hexdigest()


class SdxlIdentityBackend:
    """SDXL first frames conditioned on a face; models load once per object and are reused."""

    name: ClassVar[str] = ""
    recipe: ClassVar[SdxlRecipe] = SdxlRecipe()
    options_class: ClassVar[type[SdxlOptions]] = SdxlOptions
    tiny_option_defaults: ClassVar[dict[str, Any]] = COMMON_TINY_OPTIONS

    def __init__(
        self,
        config: SpatialConfig,
        faces: FacesConfig,
        runtime: RuntimeConfig,
    ) -> None:
        self.config = config
        self.faces_config = faces
        self.runtime = runtime
        self.model = config.model or self.recipe.model
        self.settings = self.resolve_settings()  # validates options before anything loads
        self.pipe: Any = None
        self.img2img: Any = None
        self.applied: Any = None
        self.load_seconds = 0.0
        self._identity_key: str | None = None
        self._identity_models_loaded = False
        self.identity_load_seconds = 0.0

    def resolve_settings(self, num_candidates: int | None = None) -> SdxlSettings:
        tiny = self.tiny_option_defaults if is_tiny(self.model) else None
        options = resolve_options(self.options_class, tiny, self.config)
        return resolve_settings(self.config, self.recipe, options, num_candidates)

    # --- hooks -----------------------------------------------------------------------------------

    def _load_identity_models(self, device: torch.device) -> None:
        """Load the identity model(s); called before the base model so missing files fail fast."""

    def _check_reference(self, face_image: Image.Image, reference: Face) -> None:
        """Fail on an unusable reference (e.g. the wrong embedding width) before the base model loads."""

    def _attach_to_pipeline(self, pipe: Any) -> None:
        """Attach identity layers to the freshly loaded base pipeline (before placement)."""

    def _set_identity(self, face_image: Image.Image, reference: Face) -> None:
        raise NotImplementedError

    def _identity_call_kwargs(self, num_images: int) -> dict[str, Any]:
        return {}

    def describe_identity(self) -> dict[str, Any]:
        return {}

    # --- models ----------------------------------------------------------------------------------

    def load(self, progress: Progress | None = None) -> None:
        """Load the identity models, SDXL and the img2img view of it (once)."""
        if self.pipe is not None:
            return
        from diffusers import StableDiffusionXLImg2ImgPipeline

        progress = progress or SilentProgress()
        device = resolve_device(self.runtime)
        dtype = resolve_dtype(self.runtime, device)
        start = time.perf_counter()
        with progress.stage(f"Loading {self.name} from {self.model}"):
            # 1. Identity models first: a missing file should fail before the 7 GB base loads
            self.load_identity_models()
            # 2. SDXL, identity layers, then placement and speed options from one place (ipvg.runtime)
            pipe = load_sdxl_pipeline(
                self.model, dtype, self.settings.options["single_file_config"], self.runtime.allow_download
            )
            self._attach_to_pipeline(pipe)
            self.applied = prepare_pipeline(
                pipe, self.runtime, denoisers=("unet",), num_inference_steps=self.settings.num_inference_steps
            )
            # 3. The face-detail pass shares every component (and so the identity conditioning)
            self.img2img = StableDiffusionXLImg2ImgPipeline.from_pipe(pipe)
            self.img2img.set_progress_bar_config(disable=True)
        self.pipe = pipe
        self.load_seconds = time.perf_counter() - start

    def load_identity_models(self) -> None:
        if not self._identity_models_loaded:
            start = time.perf_counter()
            self._load_identity_models(resolve_device(self.runtime))
            self._identity_models_loaded = True
            self.identity_load_seconds = time.perf_counter() - start

    def unload(self) -> None:
        """Release every model (the next call loads them again)."""
        self.pipe = self.img2img = None
        self._identity_key = None
        self._identity_models_loaded = False

    def describe_models(self) -> dict[str, Any]:
        info: dict[str, Any] = {"backend": self.name, "model": self.model} | self.describe_identity()
        if self.pipe is not None:
            info["scheduler"] = type(self.pipe.scheduler).__name__
            info["runtime"] = {
                "device": self.applied.device,
                "dtype": self.applied.dtype,
                "applied": self.applied.applied,
            }
        return info

    # --- generation ------------------------------------------------------------------------------

    def _batch_size(self, num_candidates: int) -> int:
        requested = self.settings.options["batch_size"]
        if requested is not None:
            return max(1, int(requested))
        device = resolve_device(self.runtime)
        if device.type != "cuda":
            return num_candidates
        if self.runtime.offload != "none":
            return 1
        free_bytes, _ = torch.cuda.mem_get_info(device)
        # ~1.5 GiB of activations per 832x480 SDXL image in bf16 with CFG; keep a wide margin.
        per_image = 3 * 2**30 * (self.settings.height * self.settings.width) / (832 * 480)
        return max(1, min(num_candidates, int(free_bytes // per_image)))

    def _call_kwargs(self, prompt: str, num_images: int) -> dict[str, Any]:
        negative = str(self.settings.options["negative_prompt"]) or None
        return {
            "prompt": prompt,
            "negative_prompt": negative,
            "num_images_per_prompt": num_images,
            "guidance_scale": self.settings.guidance_scale,
            "clip_skip": diffusers_clip_skip(int(self.settings.options["clip_skip"])),
        } | self._identity_call_kwargs(num_images)

    def _generate_batch(
        self, prompt: str, seeds: list[int], on_step: Callable[[int], None]
    ) -> list[Image.Image]:
        """One batch of candidates; candidate i's noise comes from its own seed."""

        def on_step_end(_pipe: Any, step: int, _t: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
            on_step(step + 1)
            return callback_kwargs

        output = self.pipe(
            **self._call_kwargs(prompt, len(seeds)),
            height=self.settings.height,
            width=self.settings.width,
            num_inference_steps=self.settings.num_inference_steps,
            generator=[torch.Generator("cpu").manual_seed(seed) for seed in seeds],
            callback_on_step_end=on_step_end,
        )
        return list(output.images)

    def refine(self, image: Image.Image, face: Face, prompt: str, seed: int) -> Image.Image:
        """The face-detail pass: redraw an enlarged face crop at `refine_strength`, paste it back feathered."""
        options = self.settings.options
        region = refine_region(face, image.size, float(options["refine_crop_factor"]))
        size = max(8, int(options["refine_size"]) // 8 * 8)
        crop = image.crop(region.box).resize((size, size), Image.Resampling.LANCZOS)
        strength = float(options["refine_strength"])
        # diffusers runs strength x num_inference_steps steps; ComfyUI's `steps` counts those run.
        scheduled = max(1, math.ceil(int(options["refine_steps"]) / strength))
        redrawn = self.img2img(
            **self._call_kwargs(prompt, 1),
            image=crop,
            strength=strength,
            num_inference_steps=scheduled,
            generator=torch.Generator("cpu").manual_seed(seed),
        ).images[0]
        redrawn = redrawn.resize((region.side, region.side), Image.Resampling.LANCZOS)
        x0, y0, x1, y1 = face.box_xyxy
        box_in_crop = (x0 - region.left, y0 - region.top, x1 - region.left, y1 - region.top)
        mask = feathered_mask(region.side, box_in_crop, float(options["refine_feather"]) * region.side)
        result = image.copy()
        result.paste(redrawn, (region.left, region.top), mask)
        return result

    # --- the SpatialBackend contract --------------------------------------------------------------

    def plan(self, num_candidates: int | None = None) -> DrawPlan:
        settings = self.settings = self.resolve_settings(num_candidates)
        return DrawPlan(
            num_candidates=settings.num_candidates,
            batch_size=self._batch_size(settings.num_candidates),
            num_inference_steps=settings.num_inference_steps,
            early_stop_similarity=settings.early_stop_similarity,
            refine_face=settings.refine_face,
            device=str(resolve_device(self.runtime)),
            settings=dataclasses.asdict(settings),
        )

    def prepare(
        self, identity: Reference, spatial_prompt: str, progress: Progress | None = None
    ) -> Prepared:
        """Check the prompt, load (once; the identity models first, to check the reference with), set
        the identity conditioning; the prompt the model reads has the trigger words first."""
        progress = progress or SilentProgress()
        spatial_prompt = check_prompt(spatial_prompt)
        self.load_identity_models()
        self._check_reference(identity.image, identity.face)
        loading_now = self.pipe is None
        self.load(progress)
        device = str(resolve_device(self.runtime))
        stages = []
        if loading_now:  # later calls reuse the loaded models and report no load
            stages.append(StageRecord("spatial.load", self.load_seconds, None, device, {"model": self.model}))
        started = time.perf_counter()
        self._condition(identity, progress)
        stages.append(StageRecord("spatial.identity", time.perf_counter() - started, None, device))
        prompt = with_trigger_words(spatial_prompt, str(self.settings.options["trigger_words"]))
        cut = truncation_warning(self.pipe.tokenizer, prompt)
        if cut:
            logger.warning(cut)
        return Prepared(prompt, stages, [cut] if cut else [])

    def _condition(self, identity: Reference, progress: Progress | None = None) -> None:
        """Load if needed and condition on `identity`; a new face swaps the conditioning, the base stays."""
        self.load(progress)
        key = image_fingerprint(identity.image)
        if key != self._identity_key:
            with (progress or SilentProgress()).stage(f"Preparing the identity ({self.name})"):
                self._set_identity(identity.image.convert("RGB"), identity.face)
            self._identity_key = key

    def draw(
        self,
        prompt: str,
        seeds: list[int],
        identity: Reference,
        *,
        on_step: Callable[[int], None] | None = None,
    ) -> list[Image.Image]:
        """One image per seed of the person in `identity` as `prompt` (read as given) describes."""
        self.load_identity_models()
        self._condition(identity)
        return self._generate_batch(prompt, seeds, on_step or (lambda _step: None))

    def redraw(self, image: Image.Image, face: Face, prompt: str, seed: int) -> Image.Image:
        """The face-detail pass (see `refine`)."""
        return self.refine(image, face, prompt, seed)
