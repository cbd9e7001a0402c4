"""`hyperlora-sdxl`: the paper's first frame (arXiv 2507.04705, spatial stage).

RealVisXL v4 (SDXL) with a HyperLoRA identity LoRA generated from the reference face (weight 0.85,
trigger words `fcsks fxhks fhyks`), 832x480, 20 steps, CFG 5, DPM++ 2M Karras, CLIP skip 2; each
candidate gets a face-detail pass (the face crop re-generated at denoise 0.5 for 10 steps with the
same LoRA and pasted back with a feathered mask); best of 3 by face similarity, stopping early
above 0.5.

The base model loads once; a new identity only swaps the LoRA adapter (`delete_adapters` +
`load_lora_weights`), never reloads the UNet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ipvg.config import FacesConfig, RuntimeConfig, SpatialConfig
from ipvg.errors import ConfigError, IpvgError, WeightsNotFoundError
from ipvg.faces.base import Face, FaceBackend, cosine_similarity, largest_face
from ipvg.progress import Progress, SilentProgress
from ipvg.runtime import MemoryMeter, prepare_pipeline, resolve_device, resolve_dtype
from ipvg.spatial.base import (
    KeyframeCandidate,
    KeyframeResult,
    check_prompt,
    parse_options,
    truncation_warning,
    with_trigger_words,
)
from ipvg.spatial.faceprep import feathered_mask, hyperlora_face_crop, refine_region
from ipvg.spatial.hyperlora import HYPERLORA_FILES, HyperLoRA, load_hyperlora
from ipvg.spatial.selection import best_of_n, candidate_seeds
from ipvg.types import StageRecord
from ipvg.weights import is_tiny, resolve_model

logger = logging.getLogger(__name__)

NAME = "hyperlora-sdxl"


@dataclass(frozen=True)
class SdxlRecipe:
    """The official recipe; `SpatialConfig` fields and `spatial.options` override it."""

    model: str = "SG161222/RealVisXL_V4.0"
    height: int = 480
    width: int = 832
    num_inference_steps: int = 20
    guidance_scale: float = 5.0
    refine_face: bool = True


RECIPE = SdxlRecipe()

OPTION_DEFAULTS: dict[str, Any] = {
    "hyperlora": "bytedance-research/HyperLoRA",  # hub id or folder (variant subfolder or the files)
    "hyperlora_variant": "sdxl_hyper_id_lora_v1_fidelity",
    "image_encoder": "openai/clip-vit-large-patch14",  # CLIP ViT-L/14 (hidden_states[-2] are used)
    "lora_scale": 0.85,
    "trigger_words": "fcsks fxhks fhyks",
    "clip_skip": 2,  # A1111/ComfyUI convention: 2 = penultimate layer (SDXL's default in diffusers)
    "negative_prompt": "",
    "single_file_config": None,  # diffusers config folder/hub id for a single .safetensors checkpoint
    "batch_size": None,  # candidates per batch; None: as many as memory allows
    "refine_strength": 0.5,
    "refine_steps": 10,  # steps actually run (ComfyUI's `steps` at `denoise`)
    "refine_size": 1024,  # the face crop is redrawn at this side (SDXL's native size)
    "refine_crop_factor": 3.0,  # crop side / face side (Impact Pack FaceDetailer's default)
    "refine_feather": 0.08,  # feather width / crop side
    "id_face_backend": None,  # face backend for HyperLoRA's ID embedding; None: faces.backend
}

# With a tiny base model (`ipvg-tiny:sdxl`) its companions are tiny too, and refinement stays small.
TINY_OPTION_DEFAULTS: dict[str, Any] = {
    "hyperlora": "ipvg-tiny:hyperlora",
    "image_encoder": "ipvg-tiny:clip-vit",
    "refine_size": 64,
    "refine_steps": 2,
}


@dataclass(frozen=True)
class SdxlSettings:
    height: int
    width: int
    num_inference_steps: int
    guidance_scale: float
    num_candidates: int
    early_stop_similarity: float
    refine_face: bool
    options: dict[str, Any]


def resolve_settings(config: SpatialConfig, num_candidates: int | None = None) -> SdxlSettings:
    model = config.model or RECIPE.model
    defaults = OPTION_DEFAULTS | (TINY_OPTION_DEFAULTS if is_tiny(model) else {})
    options = parse_options(config.options, defaults, NAME)
    if not isinstance(options["clip_skip"], int) or options["clip_skip"] < 2:
        raise ConfigError(
            f"`spatial.options.clip_skip` is {options['clip_skip']!r}; SDXL reads the penultimate layer or earlier.",
            "use an integer >= 2 (2 = penultimate, the recipe).",
        )
    if not 0.0 < float(options["refine_strength"]) <= 1.0:
        raise ConfigError(
            f"`spatial.options.refine_strength` is {options['refine_strength']!r}.", "use a value in (0, 1]."
        )
    height, width = config.height or RECIPE.height, config.width or RECIPE.width
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
        num_inference_steps=config.num_inference_steps or RECIPE.num_inference_steps,
        guidance_scale=RECIPE.guidance_scale if config.guidance_scale is None else config.guidance_scale,
        num_candidates=num,
        early_stop_similarity=config.early_stop_similarity,
        refine_face=RECIPE.refine_face if config.refine_face is None else config.refine_face,
        options=options,
    )


def diffusers_clip_skip(clip_skip: int) -> int | None:
    """A1111's "CLIP skip n" (n >= 2) -> diffusers' SDXL `clip_skip` (which counts past the penultimate)."""
    return None if clip_skip == 2 else clip_skip - 2


def load_sdxl_pipeline(
    model: str, dtype: torch.dtype, single_file_config: str | None, allow_download: bool
) -> Any:
    """RealVisXL (or any SDXL) from a diffusers folder / hub id, or from a single .safetensors file."""
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
    # DPM++ 2M Karras (ComfyUI's dpmpp_2m + karras).
    pipe.scheduler = DPMSolverMultistepScheduler.from_config(
        pipe.scheduler.config, algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=True
    )
    return pipe


def find_hyperlora_folder(location: str, variant: str, allow_download: bool) -> Path:
    """The folder holding HyperLoRA's files: `location` itself or its `variant` subfolder."""
    root = Path(resolve_model(location, marker="", allow_download=allow_download))
    for folder in (root, root / variant):
        if all((folder / name).is_file() for name in HYPERLORA_FILES):
            return folder
    raise WeightsNotFoundError(
        f"No HyperLoRA files ({', '.join(HYPERLORA_FILES)}) in {root} or {root / variant}.",
        "download `bytedance-research/HyperLoRA` and pass it (or its sdxl_hyper_id_lora_v1_fidelity folder) "
        "as the spatial option `hyperlora`.",
    )


def image_fingerprint(image: Image.Image) -> str:
    return hashlib.sha1(np.asarray(image.convert("RGB")).tobytes()).hexdigest()


class HyperLoRASDXL:
    """RealVisXL + HyperLoRA first frames; models load once per object and are reused."""

    name = NAME

    def __init__(
        self,
        config: SpatialConfig,
        faces: FacesConfig,
        runtime: RuntimeConfig,
        face_backend: FaceBackend | None = None,
    ) -> None:
        self.config = config
        self.faces_config = faces
        self.runtime = runtime
        self.model = config.model or RECIPE.model
        self.settings = resolve_settings(config)  # validates options before anything loads
        self._face_backend = face_backend
        self._id_face_backend: FaceBackend | None = None
        self.pipe: Any = None
        self.img2img: Any = None
        self.hyperlora: HyperLoRA | None = None
        self.image_encoder: Any = None
        self.image_processor: Any = None
        self.applied: Any = None
        self.load_seconds = 0.0
        self._adapter: str | None = None
        self._identity_key: str | None = None
        self._num_adapters = 0

    # --- models ----------------------------------------------------------------------------------

    @property
    def face_backend(self) -> FaceBackend:
        if self._face_backend is None:
            from ipvg.faces import create_face_backend

            kwargs = {"model_root": self.faces_config.model_root} if self.faces_config.model_root else {}
            self._face_backend = create_face_backend(self.faces_config.backend, **kwargs)
        return self._face_backend

    def load(self, progress: Progress | None = None) -> None:
        """Load SDXL, the img2img view of it, HyperLoRA and the CLIP image encoder (once)."""
        if self.pipe is not None:
            return
        from diffusers import StableDiffusionXLImg2ImgPipeline
        from transformers import CLIPImageProcessor, CLIPVisionModel

        progress = progress or SilentProgress()
        options = self.settings.options
        device = resolve_device(self.runtime)
        dtype = resolve_dtype(self.runtime, device)
        start = time.perf_counter()
        with progress.stage(f"Loading {self.name} from {self.model}"):
            # 1. HyperLoRA and CLIP first: missing files should fail before the 7 GB base loads
            folder = find_hyperlora_folder(
                str(options["hyperlora"]), str(options["hyperlora_variant"]), self.runtime.allow_download
            )
            hyperlora = load_hyperlora(folder)
            encoder_path = resolve_model(
                str(options["image_encoder"]),
                marker="config.json",
                allow_download=self.runtime.allow_download,
            )
            image_encoder = CLIPVisionModel.from_pretrained(encoder_path).eval()
            image_processor = CLIPImageProcessor.from_pretrained(encoder_path)
            if image_encoder.config.hidden_size != hyperlora.shape.embedding_dim:
                raise ConfigError(
                    f"The image encoder `{options['image_encoder']}` is {image_encoder.config.hidden_size} wide; "
                    f"this HyperLoRA expects {hyperlora.shape.embedding_dim} (CLIP ViT-L/14 is 1024).",
                    "pass CLIP ViT-L/14 (openai/clip-vit-large-patch14) as the spatial option `image_encoder`.",
                )
            # 2. SDXL with DPM++ 2M Karras, placed and optimised from one place (ipvg.runtime)
            pipe = load_sdxl_pipeline(
                self.model, dtype, options["single_file_config"], self.runtime.allow_download
            )
            self.applied = prepare_pipeline(
                pipe, self.runtime, denoisers=("unet",), num_inference_steps=self.settings.num_inference_steps
            )
            # 3. The face-detail pass shares every component (and so the identity LoRA)
            self.img2img = StableDiffusionXLImg2ImgPipeline.from_pipe(pipe)
            self.img2img.set_progress_bar_config(disable=True)
        # The hypernetwork is small; it runs in float32 where the UNet runs (CPU when offloading).
        hyper_device = device if self.runtime.offload == "none" else torch.device("cpu")
        self.hyperlora = hyperlora.to(hyper_device)
        self.image_encoder = image_encoder.to(hyper_device)
        self.image_processor = image_processor
        self.pipe = pipe
        self.hyperlora_folder = folder
        self.load_seconds = time.perf_counter() - start

    def unload(self) -> None:
        """Release every model (the next call loads them again)."""
        self.pipe = self.img2img = self.hyperlora = self.image_encoder = None
        self._adapter = self._identity_key = None

    def describe_models(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "backend": self.name,
            "model": self.model,
            "hyperlora": str(self.settings.options["hyperlora"]),
            "image_encoder": str(self.settings.options["image_encoder"]),
        }
        if self.pipe is not None:
            info["hyperlora_folder"] = str(self.hyperlora_folder)
            info["scheduler"] = type(self.pipe.scheduler).__name__
            info["runtime"] = {
                "device": self.applied.device,
                "dtype": self.applied.dtype,
                "applied": self.applied.applied,
            }
        return info

    # --- identity --------------------------------------------------------------------------------

    def id_embedding(self, face_image: Image.Image, reference: Face) -> np.ndarray | None:
        """The embedding HyperLoRA's ID projector takes (ArcFace in the real model)."""
        assert self.hyperlora is not None
        wanted = self.hyperlora.shape.id_embed_dim
        if wanted is None:
            return None
        if reference.embedding is not None and len(reference.embedding) == wanted:
            return reference.embedding
        name = self.settings.options["id_face_backend"]
        if name is None:
            have = None if reference.embedding is None else len(reference.embedding)
            raise ConfigError(
                f"HyperLoRA's ID projector takes {wanted}-d face embeddings (ArcFace), but the face backend "
                f"`{reference.backend or self.faces_config.backend}` gives {have}-d ones.",
                "use faces.backend=insightface, or set the spatial option `id_face_backend=insightface`.",
            )
        if self._id_face_backend is None:
            from ipvg.faces import create_face_backend

            self._id_face_backend = create_face_backend(str(name))
        face = largest_face(self._id_face_backend, face_image, source="the face image")
        if face.embedding is None or len(face.embedding) != wanted:
            raise ConfigError(
                f"The face backend `{name}` gives no {wanted}-d embedding.",
                "use id_face_backend=insightface.",
            )
        return face.embedding

    @torch.no_grad()
    def identity_lora(self, face_image: Image.Image, reference: Face) -> dict[str, torch.Tensor]:
        """HyperLoRA's LoRA for the person in `face_image` (kohya keys, float32, CPU)."""
        assert self.hyperlora is not None
        device = self.hyperlora.resampler.latents.device
        clip_tokens = None
        if self.hyperlora.uses_clip:
            crop = hyperlora_face_crop(face_image.convert("RGB"), reference)
            pixels = self.image_processor(images=crop, return_tensors="pt").pixel_values.to(device)
            clip_tokens = self.image_encoder(pixels, output_hidden_states=True).hidden_states[-2].float()
        embedding = self.id_embedding(face_image, reference)
        id_embeds = None
        if embedding is not None:
            id_embeds = torch.from_numpy(np.asarray(embedding, dtype=np.float32)).reshape(1, -1).to(device)
        lora = self.hyperlora(id_embeds, clip_tokens)
        return {key: value.cpu() for key, value in lora.items()}

    def set_identity(self, lora: dict[str, torch.Tensor], key: str) -> None:
        """Swap the identity adapter on the loaded UNet (the base weights stay as they are)."""
        if self._adapter is not None:
            self.pipe.delete_adapters(self._adapter)
            self._adapter = None
        self._num_adapters += 1
        name = f"ipvg_identity_{self._num_adapters}"
        self.pipe.load_lora_weights(dict(lora), adapter_name=name)
        self.pipe.set_adapters([name], adapter_weights=[float(self.settings.options["lora_scale"])])
        self._adapter, self._identity_key = name, key

    # --- generation ------------------------------------------------------------------------------

    def _batch_size(self, num_candidates: int) -> int:
        requested = self.settings.options["batch_size"]
        if requested is not None:
            return max(1, int(requested))
        device = resolve_device(self.runtime)
        if device.type != "cuda" or self.runtime.offload != "none":
            return num_candidates if device.type != "cuda" else 1
        free_bytes, _ = torch.cuda.mem_get_info(device)
        # ~1.5 GiB of activations per 832x480 SDXL image in bf16 with CFG; keep a wide margin.
        per_image = 3 * 2**30 * (self.settings.height * self.settings.width) / (832 * 480)
        return max(1, min(num_candidates, int(free_bytes // per_image)))

    def _text_kwargs(self, prompt: str, count: int) -> dict[str, Any]:
        negative = str(self.settings.options["negative_prompt"]) or None
        return {
            "prompt": [prompt] * count,
            "negative_prompt": [negative] * count if negative else None,
            "guidance_scale": self.settings.guidance_scale,
            "clip_skip": diffusers_clip_skip(int(self.settings.options["clip_skip"])),
        }

    def _generate_batch(self, prompt: str, seeds: list[int], advance: Any) -> list[Image.Image]:
        steps = self.settings.num_inference_steps

        def on_step_end(_pipe: Any, step: int, _t: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
            advance(step + 1)
            return callback_kwargs

        output = self.pipe(
            **self._text_kwargs(prompt, len(seeds)),
            height=self.settings.height,
            width=self.settings.width,
            num_inference_steps=steps,
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
            **self._text_kwargs(prompt, 1),
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

    def _evaluate(self, image: Image.Image, seed: int, prompt: str, reference: Face) -> KeyframeCandidate:
        """Refine (when on) and score one candidate against the reference face."""
        faces = self.face_backend.detect(image)
        refined = False
        if faces and self.settings.refine_face:
            image = self.refine(image, faces[0], prompt, seed)
            refined = True
            faces = self.face_backend.detect(image)
        similarity = None
        if faces and faces[0].embedding is not None and reference.embedding is not None:
            similarity = cosine_similarity(reference.embedding, faces[0].embedding)
        return KeyframeCandidate(
            image=image, seed=seed, similarity=similarity, refined=refined, face_found=bool(faces)
        )

    def generate(
        self,
        face_image: Image.Image,
        spatial_prompt: str,
        *,
        seed: int = 0,
        num_candidates: int | None = None,
        progress: Progress | None = None,
        reference: Face | None = None,
    ) -> KeyframeResult:
        """First frame of the person in `face_image` as `spatial_prompt` describes; best of N."""
        progress = progress or SilentProgress()
        warnings: list[str] = []
        stages: list[StageRecord] = []
        settings = resolve_settings(self.config, num_candidates)
        self.settings = settings
        # 1. Check inputs: a prompt, and a face in the reference (before any model loads)
        spatial_prompt = check_prompt(spatial_prompt)
        face_image = face_image.convert("RGB")
        if reference is None:
            started = time.perf_counter()
            reference = largest_face(self.face_backend, face_image, source="the face image")
            stages.append(StageRecord("spatial.reference_face", time.perf_counter() - started))
        # 2. Load (no-op after the first call)
        self.load(progress)
        device = resolve_device(self.runtime)
        stages.append(
            StageRecord("spatial.load", self.load_seconds, None, str(device), {"model": self.model})
        )
        # 3. Identity LoRA from the face; a new face swaps the adapter only
        key = image_fingerprint(face_image)
        started = time.perf_counter()
        if key != self._identity_key:
            with progress.stage("Generating the identity LoRA (HyperLoRA)"):
                self.set_identity(self.identity_lora(face_image, reference), key)
        stages.append(StageRecord("spatial.identity_lora", time.perf_counter() - started, None, str(device)))
        # 4. The prompt the model reads: trigger words first; warn about what CLIP cuts
        prompt = with_trigger_words(spatial_prompt, str(settings.options["trigger_words"]))
        cut = truncation_warning(self.pipe.tokenizer, prompt)
        if cut:
            warnings.append(cut)
            logger.warning(cut)
        # 5. Candidates in batches, each refined and scored; early stop above the threshold
        seeds = candidate_seeds(seed, settings.num_candidates)
        total_steps = settings.num_candidates * settings.num_inference_steps
        done = 0
        with (
            progress.steps(f"First frames ({self.name})", total_steps) as advance,
            MemoryMeter(device) as meter,
        ):

            def generate_batch(batch: list[int]) -> list[Image.Image]:
                nonlocal done
                offset = done
                images = self._generate_batch(prompt, batch, lambda step: advance(offset + step))
                done += settings.num_inference_steps
                return images

            candidates, chosen = best_of_n(
                seeds,
                generate_batch,
                lambda image, s: self._evaluate(image, s, prompt, reference),
                batch_size=self._batch_size(settings.num_candidates),
                early_stop_similarity=settings.early_stop_similarity,
            )
        stages.append(
            StageRecord(
                "spatial.generate_refine_score",
                meter.seconds,
                meter.peak_memory_mb,
                str(device),
                {"candidates": len(candidates), "steps": settings.num_inference_steps},
            )
        )
        if not any(c.face_found for c in candidates):
            warnings.append(
                f"No face was found in any of the {len(candidates)} first-frame candidates; kept candidate 0. "
                "Describe the face in the spatial prompt (e.g. end it with 'close-up') or raise num_candidates."
            )
        settings_record = dataclasses.asdict(settings)
        return KeyframeResult(
            image=candidates[chosen].image,
            candidates=candidates,
            chosen_index=chosen,
            prompt=prompt,
            settings=settings_record,
            stages=stages,
            warnings=warnings,
            models=self.describe_models(),
        )


def create(
    config: SpatialConfig,
    faces: FacesConfig,
    runtime: RuntimeConfig,
    face_backend: FaceBackend | None = None,
) -> HyperLoRASDXL:
    return HyperLoRASDXL(config, faces, runtime, face_backend=face_backend)
