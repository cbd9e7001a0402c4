"""`kontext`: FLUX.1 Kontext [dev] (Black Forest Labs, arXiv 2506.15742) as a first-frame backend:
the reference face photo is the context image and the spatial prompt says what to make of it.

No identity model beyond Kontext's in-context conditioning; best-of-N by face similarity is the method's
(`ipvg.identity`), as for the SDXL backends. `redraw` is not offered (Kontext has no img2img view in
diffusers), so `spatial.refine_face` is refused.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from PIL import Image

from ipvg.config import FacesConfig, RuntimeConfig, SpatialConfig
from ipvg.errors import ConfigError, IpvgError
from ipvg.faces.base import Face, Reference
from ipvg.progress import Progress, SilentProgress
from ipvg.runtime import prepare_pipeline, resolve_device, resolve_dtype
from ipvg.spatial.base import DrawPlan, Prepared, check_prompt, resolve_options, truncation_warning
from ipvg.types import StageRecord
from ipvg.weights import is_tiny, resolve_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KontextOptions:
    """`kontext` options (`--set spatial.options.KEY=VALUE`); defaults follow FLUX.1 Kontext's pipeline."""

    prompt_template: str = "{prompt}"  # e.g. "Show this person: {prompt}"
    auto_resize: bool = True  # Kontext's preferred input resolutions
    reference_max_side: int | None = None  # shrink the context image first (tiny models)
    batch_size: int | None = None

    def __post_init__(self) -> None:
        try:
            filled = self.prompt_template.format(prompt="\0")
        except (KeyError, IndexError, ValueError):  # other {fields} or unbalanced braces
            filled = ""
        if "\0" not in filled:
            raise ConfigError(
                f"`spatial.options.prompt_template` is {self.prompt_template!r}; "
                "allowed: text with one `{prompt}` and no other braces."
            )
        for name in ("reference_max_side", "batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                allowed = "none or an integer >= 1"
                raise ConfigError(f"`spatial.options.{name}` is {value!r}; allowed: {allowed}.")


class KontextBackend:
    """FLUX.1 Kontext first frames; the pipeline loads once and is reused."""

    name: ClassVar[str] = "kontext"
    model_default: ClassVar[str] = "black-forest-labs/FLUX.1-Kontext-dev"
    tiny_option_defaults: ClassVar[dict[str, Any]] = {"auto_resize": False, "reference_max_side": 64}

    def __init__(
        self,
        config: SpatialConfig,
        faces: FacesConfig,
        runtime: RuntimeConfig,
    ) -> None:
        if config.refine_face:
            raise ConfigError(
                "The spatial backend `kontext` has no face refinement.",
                "set spatial.refine_face=false (or leave it unset).",
            )
        self.config, self.faces_config, self.runtime = config, faces, runtime
        self.model = config.model or self.model_default
        tiny = self.tiny_option_defaults if is_tiny(self.model) else None
        self.options = dataclasses.asdict(resolve_options(KontextOptions, tiny, config))
        self.height, self.width = config.height or 480, config.width or 832
        if self.height % 16 or self.width % 16:
            raise ConfigError(
                f"`spatial.height`/`spatial.width` are {self.height}x{self.width}; FLUX needs multiples of 16.",
                "round them to multiples of 16 (e.g. 832x480).",
            )
        self.num_inference_steps = config.num_inference_steps or 28
        self.guidance_scale = 2.5 if config.guidance_scale is None else config.guidance_scale
        self.pipe: Any = None
        self.applied: Any = None
        self.load_seconds = 0.0

    def load(self, progress: Progress | None = None) -> None:
        if self.pipe is not None:
            return
        from diffusers import FluxKontextPipeline

        progress = progress or SilentProgress()
        device = resolve_device(self.runtime)
        start = time.perf_counter()
        with progress.stage(f"Loading {self.name} from {self.model}"):
            path = resolve_model(self.model, allow_download=self.runtime.allow_download)
            try:
                pipe = FluxKontextPipeline.from_pretrained(path, dtype=resolve_dtype(self.runtime, device))
            except (OSError, ValueError, KeyError) as error:
                raise IpvgError(
                    f"Cannot load `{self.model}` as FLUX.1 Kontext: {error}",
                    "pass a diffusers copy of black-forest-labs/FLUX.1-Kontext-dev.",
                ) from None
            self.applied = prepare_pipeline(
                pipe, self.runtime, denoisers=("transformer",), num_inference_steps=self.num_inference_steps
            )
        self.pipe = pipe
        self.load_seconds = time.perf_counter() - start

    def unload(self) -> None:
        self.pipe = None

    def describe_models(self) -> dict[str, Any]:
        info: dict[str, Any] = {"backend": self.name, "model": self.model}
        if self.applied is not None:
            info["runtime"] = {
                "device": self.applied.device,
                "dtype": self.applied.dtype,
                "applied": self.applied.applied,
            }
        return info

    def _context_image(self, face_image: Image.Image) -> Image.Image:
        limit = self.options["reference_max_side"]
        if limit and max(face_image.size) > int(limit):
            scale = int(limit) / max(face_image.size)
            size = (max(16, round(face_image.width * scale)), max(16, round(face_image.height * scale)))
            return face_image.resize(size, Image.Resampling.LANCZOS)
        return face_image

    # --- the SpatialBackend contract --------------------------------------------------------------

    def plan(self, num_candidates: int | None = None) -> DrawPlan:
        num = num_candidates if num_candidates is not None else self.config.num_candidates
        if num < 1:
            raise ConfigError(f"`num_candidates` must be >= 1, got {num}.", "pass 1 or more.")
        device = resolve_device(self.runtime)
        return DrawPlan(
            num_candidates=num,
            batch_size=int(self.options["batch_size"] or (num if device.type != "cuda" else 1)),
            num_inference_steps=self.num_inference_steps,
            early_stop_similarity=self.config.early_stop_similarity,
            refine_face=False,
            device=str(device),
            settings={
                "height": self.height,
                "width": self.width,
                "num_inference_steps": self.num_inference_steps,
                "guidance_scale": self.guidance_scale,
                "num_candidates": num,
                "early_stop_similarity": self.config.early_stop_similarity,
                "refine_face": False,
                "options": dict(self.options),
            },
        )

    def prepare(
        self, identity: Reference, spatial_prompt: str, progress: Progress | None = None
    ) -> Prepared:
        """Check the prompt, load once; warn about what CLIP (77 tokens, pooled) or T5 (512) cuts."""
        prompt = str(self.options["prompt_template"]).format(prompt=check_prompt(spatial_prompt))
        loading_now = self.pipe is None
        self.load(progress)
        stages = []
        if loading_now:  # later calls reuse the loaded models and report no load
            device = str(resolve_device(self.runtime))
            stages.append(StageRecord("spatial.load", self.load_seconds, None, device, {"model": self.model}))
        warnings = []
        for tokenizer in (self.pipe.tokenizer, self.pipe.tokenizer_2):
            cut = truncation_warning(tokenizer, prompt) if tokenizer is not None else None
            if cut:
                warnings.append(cut)
        return Prepared(prompt, stages, warnings)

    def draw(
        self,
        prompt: str,
        seeds: list[int],
        identity: Reference,
        *,
        on_step: Callable[[int], None] | None = None,
    ) -> list[Image.Image]:
        """One image per seed, with the reference photo as Kontext's context image."""
        self.load()

        def on_step_end(_pipe: Any, step: int, _t: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
            if on_step is not None:
                on_step(step + 1)
            return callback_kwargs

        return list(
            self.pipe(
                image=self._context_image(identity.image.convert("RGB")),
                prompt=prompt,
                num_images_per_prompt=len(seeds),
                height=self.height,
                width=self.width,
                num_inference_steps=self.num_inference_steps,
                guidance_scale=self.guidance_scale,
                generator=[torch.Generator("cpu").manual_seed(s) for s in seeds],
                max_area=self.height * self.width if not self.options["auto_resize"] else 1024**2,
                _auto_resize=bool(self.options["auto_resize"]),
                callback_on_step_end=on_step_end,
            ).images
        )

    def redraw(self, image: Image.Image, face: Face, prompt: str, seed: int) -> Image.Image:
        raise ConfigError(
            "The spatial backend `kontext` has no face refinement.", "set spatial.refine_face=false."
        )


def create(
    config: SpatialConfig,
    faces: FacesConfig,
    runtime: RuntimeConfig,
) -> KontextBackend:
    return KontextBackend(config, faces, runtime)


__all__ = ["KontextBackend", "create"]
