"""`hyperlora-sdxl`: the paper's first frame (arXiv 2507.04705, spatial stage).

RealVisXL v4 (SDXL) with a HyperLoRA identity LoRA generated from the reference face (weight 0.85,
trigger words `fcsks fxhks fhyks`), 832x480, 20 steps, CFG 5, DPM++ 2M Karras, CLIP skip 2; each
candidate gets a face-detail pass (the face crop re-generated at denoise 0.5 for 10 steps with the
same LoRA, pasted back with a feathered mask); best of 3 by face similarity, stopping early above 0.5.

The base model loads once; a new identity only swaps the LoRA adapter (`delete_adapters` +
`load_lora_weights`), never reloads the UNet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image

from ipvg.config import FacesConfig, RuntimeConfig, SpatialConfig
from ipvg.errors import ConfigError, WeightsNotFoundError
from ipvg.faces.base import Face, FaceBackend, largest_face
from ipvg.spatial.faceprep import hyperlora_face_crop
from ipvg.spatial.hyperlora import HYPERLORA_FILES, HyperLoRA, load_hyperlora
from ipvg.spatial.sdxl_base import (
    COMMON_TINY_OPTIONS,
    SdxlIdentityBackend,
    SdxlOptions,
    SdxlRecipe,
    diffusers_clip_skip,
    resolve_companion,
)

__all__ = ["HyperLoRASDXL", "create", "diffusers_clip_skip", "find_hyperlora_folder"]

logger = logging.getLogger(__name__)


def find_hyperlora_folder(location: str, variant: str, allow_download: bool) -> Path:
    """The folder holding HyperLoRA's files: `location` itself or its `variant` subfolder."""
    root = Path(resolve_companion(location, "hyperlora", "", allow_download))
    for folder in (root, root / variant):
        if all((folder / name).is_file() for name in HYPERLORA_FILES):
            return folder
    raise WeightsNotFoundError(
        f"No HyperLoRA files ({', '.join(HYPERLORA_FILES)}) in {root} or {root / variant}.",
        "download `bytedance-research/HyperLoRA` and pass it (or its sdxl_hyper_id_lora_v1_fidelity folder) "
        "as the spatial option `hyperlora`.",
    )


@dataclass(frozen=True)
class HyperLoraOptions(SdxlOptions):
    """`hyperlora-sdxl` options; defaults are the paper's recipe (fidelity variant at 0.85)."""

    trigger_words: str = "fcsks fxhks fhyks"
    hyperlora: str = "bytedance-research/HyperLoRA"  # hub id or folder (variant subfolder or the files)
    hyperlora_variant: str = "sdxl_hyper_id_lora_v1_fidelity"
    image_encoder: str = "openai/clip-vit-large-patch14"  # CLIP ViT-L/14 (hidden_states[-2] are used)
    lora_scale: float = 0.85
    id_face_backend: str | None = None  # face backend for HyperLoRA's ID embedding; None: faces.backend


class HyperLoRASDXL(SdxlIdentityBackend):
    """RealVisXL + HyperLoRA first frames."""

    name: ClassVar[str] = "hyperlora-sdxl"
    recipe: ClassVar[SdxlRecipe] = SdxlRecipe()
    options_class: ClassVar[type[SdxlOptions]] = HyperLoraOptions
    # With a tiny base model (`ipvg-tiny:sdxl`) its companions are tiny too.
    tiny_option_defaults: ClassVar[dict[str, Any]] = COMMON_TINY_OPTIONS | {
        "hyperlora": "ipvg-tiny:hyperlora",
        "image_encoder": "ipvg-tiny:clip-vit",
    }

    def __init__(
        self,
        config: SpatialConfig,
        faces: FacesConfig,
        runtime: RuntimeConfig,
    ) -> None:
        super().__init__(config, faces, runtime)
        self.hyperlora: HyperLoRA | None = None
        self.hyperlora_folder: Path | None = None
        self.image_encoder: Any = None
        self.image_processor: Any = None
        self._id_face_backend: FaceBackend | None = None
        self._adapter: str | None = None
        self._num_adapters = 0

    def _load_identity_models(self, device: torch.device) -> None:
        from transformers import CLIPImageProcessor, CLIPVisionModel

        options = self.settings.options
        folder = find_hyperlora_folder(
            str(options["hyperlora"]), str(options["hyperlora_variant"]), self.runtime.allow_download
        )
        # The hypernetwork runs where the UNet runs (CPU when offloading), in half precision on a GPU
        # as the reference nodes do by default; the generated LoRA matrices are float32 either way.
        hyper_device = device if self.runtime.offload == "none" else torch.device("cpu")
        hyper_dtype = torch.float16 if hyper_device.type == "cuda" else torch.float32
        hyperlora = load_hyperlora(folder, dtype=hyper_dtype, device=hyper_device)
        encoder_path = resolve_companion(
            str(options["image_encoder"]), "image_encoder", "config.json", self.runtime.allow_download
        )
        image_encoder = CLIPVisionModel.from_pretrained(encoder_path, dtype=hyper_dtype).eval()
        if image_encoder.config.hidden_size != hyperlora.shape.embedding_dim:
            raise ConfigError(
                f"The image encoder `{options['image_encoder']}` is {image_encoder.config.hidden_size} wide; "
                f"this HyperLoRA expects {hyperlora.shape.embedding_dim} (CLIP ViT-L/14 is 1024).",
                "pass CLIP ViT-L/14 (openai/clip-vit-large-patch14) as the spatial option `image_encoder`.",
            )
        self.hyperlora = hyperlora
        self.hyperlora_folder = folder
        self.image_encoder = image_encoder.to(hyper_device)
        self.image_processor = CLIPImageProcessor.from_pretrained(encoder_path)

    def unload(self) -> None:
        super().unload()
        self.hyperlora = self.image_encoder = None
        self._adapter = None

    def describe_identity(self) -> dict[str, Any]:
        return {
            "hyperlora": str(self.settings.options["hyperlora"]),
            "hyperlora_folder": str(self.hyperlora_folder) if self.hyperlora_folder else None,
            "image_encoder": str(self.settings.options["image_encoder"]),
            "lora_scale": self.settings.options["lora_scale"],
        }

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
            pixels = self.image_processor(images=crop, return_tensors="pt").pixel_values
            pixels = pixels.to(device, self.image_encoder.dtype)
            clip_tokens = self.image_encoder(pixels, output_hidden_states=True).hidden_states[-2].float()
        embedding = self.id_embedding(face_image, reference)
        id_embeds = None
        if embedding is not None:
            id_embeds = torch.from_numpy(np.asarray(embedding, dtype=np.float32)).reshape(1, -1).to(device)
        lora = self.hyperlora(id_embeds, clip_tokens)
        return {key: value.cpu() for key, value in lora.items()}

    def set_lora(self, lora: dict[str, torch.Tensor]) -> None:
        """Swap the identity adapter on the loaded UNet (the base weights stay as they are)."""
        if self._adapter is not None:
            self.pipe.delete_adapters(self._adapter)
            self._adapter = None
        self._num_adapters += 1
        name = f"ipvg_identity_{self._num_adapters}"
        self.pipe.load_lora_weights(dict(lora), adapter_name=name)
        self.pipe.set_adapters([name], adapter_weights=[float(self.settings.options["lora_scale"])])
        self._adapter = name

    def _check_reference(self, face_image: Image.Image, reference: Face) -> None:
        self.id_embedding(face_image, reference)  # the embedding width must match the ID projector

    def _set_identity(self, face_image: Image.Image, reference: Face) -> None:
        self.set_lora(self.identity_lora(face_image, reference))


def create(
    config: SpatialConfig,
    faces: FacesConfig,
    runtime: RuntimeConfig,
) -> HyperLoRASDXL:
    return HyperLoRASDXL(config, faces, runtime)
