"""`faceid-sdxl`: IP-Adapter FaceID Plus v2 on SDXL (Ye et al., arXiv 2308.06721; h94/IP-Adapter-FaceID).

The face's identity embedding (ArcFace, 512-d) goes through an MLP to 4 tokens, refined by a Perceiver
resampler over CLIP ViT-H/14 hidden states of the aligned face; "v2" adds the ID tokens back as a
shortcut (weight `shortcut_scale`). The tokens enter every cross-attention through decoupled
to_k_ip/to_v_ip projections (diffusers' IP-Adapter loading); the companion LoRA is loaded as an
ordinary LoRA. Same SDXL base, sampler, best-of-N and face refinement as `hyperlora-sdxl`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image

from ipvg.config import FacesConfig, RuntimeConfig, SpatialConfig
from ipvg.errors import ConfigError, WeightsNotFoundError
from ipvg.faces.base import Face
from ipvg.faces.geometry import norm_crop
from ipvg.spatial.sdxl_base import (
    COMMON_TINY_OPTIONS,
    SdxlIdentityBackend,
    SdxlOptions,
    SdxlRecipe,
    resolve_companion,
)

ALIGNED_FACE_SIZE = 224  # insightface norm_crop size the released model was trained with


@dataclass(frozen=True)
class FaceIdOptions(SdxlOptions):
    """`faceid-sdxl` options; defaults are IP-Adapter FaceID Plus v2's published settings."""

    ip_adapter: str = "h94/IP-Adapter-FaceID"
    weight_name: str = "ip-adapter-faceid-plusv2_sdxl.bin"
    lora_weight_name: str | None = "ip-adapter-faceid-plusv2_sdxl_lora.safetensors"  # None: no LoRA
    lora_scale: float = 0.7
    ip_adapter_scale: float = 1.0
    shortcut_scale: float = 1.0  # "s_scale" in the IP-Adapter examples
    image_encoder: str = "laion/CLIP-ViT-H-14-laion2B-s32B-b79K"


class FaceIdSDXL(SdxlIdentityBackend):
    """RealVisXL + IP-Adapter FaceID Plus v2 first frames."""

    name: ClassVar[str] = "faceid-sdxl"
    recipe: ClassVar[SdxlRecipe] = SdxlRecipe()
    options_class: ClassVar[type[SdxlOptions]] = FaceIdOptions
    tiny_option_defaults: ClassVar[dict[str, Any]] = COMMON_TINY_OPTIONS | {
        "ip_adapter": "ipvg-tiny:ip-adapter-faceid",
        "image_encoder": "ipvg-tiny:clip-vit",
    }

    def __init__(
        self,
        config: SpatialConfig,
        faces: FacesConfig,
        runtime: RuntimeConfig,
    ) -> None:
        super().__init__(config, faces, runtime)
        self.ip_adapter_folder: Path | None = None
        self._image_encoder: Any = None
        self._feature_extractor: Any = None
        self._id_embeds: torch.Tensor | None = None  # [1, 1, 1, E]
        self._clip_embeds: tuple[torch.Tensor, torch.Tensor] | None = (
            None  # (negative, positive) [1, 1, L, C]
        )

    def _load_identity_models(self, device: torch.device) -> None:
        from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

        options = self.settings.options
        folder = Path(
            resolve_companion(str(options["ip_adapter"]), "ip_adapter", "", self.runtime.allow_download)
        )
        wanted = [str(options["weight_name"])] + (
            [str(options["lora_weight_name"])] if options["lora_weight_name"] else []
        )
        missing = [name for name in wanted if not (folder / name).is_file()]
        if missing:
            raise WeightsNotFoundError(
                f"IP-Adapter FaceID files missing in {folder}: {', '.join(missing)}.",
                "download h94/IP-Adapter-FaceID (or pass its folder as the spatial option `ip_adapter`); "
                "set `lora_weight_name=none` to run without its LoRA.",
            )
        encoder_path = resolve_companion(
            str(options["image_encoder"]), "image_encoder", "config.json", self.runtime.allow_download
        )
        self._image_encoder = CLIPVisionModelWithProjection.from_pretrained(encoder_path).eval()
        self._feature_extractor = CLIPImageProcessor.from_pretrained(encoder_path)
        self.ip_adapter_folder = folder

    def _attach_to_pipeline(self, pipe: Any) -> None:
        options = self.settings.options
        pipe.register_modules(
            image_encoder=self._image_encoder.to(pipe.unet.dtype), feature_extractor=self._feature_extractor
        )
        pipe.load_ip_adapter(
            str(self.ip_adapter_folder),
            subfolder="",
            weight_name=str(options["weight_name"]),
            image_encoder_folder=None,
        )
        pipe.set_ip_adapter_scale(float(options["ip_adapter_scale"]))
        if options["lora_weight_name"]:
            pipe.load_lora_weights(
                str(self.ip_adapter_folder),
                weight_name=str(options["lora_weight_name"]),
                adapter_name="faceid",
            )
            pipe.set_adapters(["faceid"], adapter_weights=[float(options["lora_scale"])])

    def unload(self) -> None:
        super().unload()
        self._image_encoder = self._feature_extractor = None
        self._id_embeds = self._clip_embeds = None

    def describe_identity(self) -> dict[str, Any]:
        options = self.settings.options
        return {
            "ip_adapter": str(options["ip_adapter"]),
            "weight_name": options["weight_name"],
            "lora_weight_name": options["lora_weight_name"],
            "image_encoder": str(options["image_encoder"]),
        }

    @property
    def _projection(self) -> Any:
        return self.pipe.unet.encoder_hid_proj.image_projection_layers[0]

    def _set_identity(self, face_image: Image.Image, reference: Face) -> None:
        """ID embedding + CLIP hidden states of the aligned face; the adapter weights stay loaded."""
        wanted = self._projection.proj.net[0].proj.in_features
        if reference.embedding is None or len(reference.embedding) != wanted:
            have = None if reference.embedding is None else len(reference.embedding)
            raise ConfigError(
                f"IP-Adapter FaceID takes {wanted}-d face embeddings (ArcFace), but the face backend gives {have}-d ones.",
                "use faces.backend=insightface.",
            )
        device = self.pipe.unet.device
        # The same ArcFace alignment every face backend's `align` applies (insightface's norm_crop).
        aligned = Image.fromarray(norm_crop(face_image, reference.keypoints_52, ALIGNED_FACE_SIZE))
        with torch.no_grad():
            positive, negative = self.pipe.encode_image(aligned, device, 1, output_hidden_states=True)
        self._clip_embeds = (negative[None], positive[None])
        embedding = torch.from_numpy(np.asarray(reference.embedding, dtype=np.float32))
        self._id_embeds = embedding.reshape(1, 1, 1, -1).to(device, self.pipe.unet.dtype)

    def _identity_call_kwargs(self, num_images: int) -> dict[str, Any]:
        assert self._id_embeds is not None and self._clip_embeds is not None
        negative, positive = self._clip_embeds
        projection = self._projection
        projection.shortcut = True  # Plus v2
        projection.shortcut_scale = float(self.settings.options["shortcut_scale"])
        if self.settings.guidance_scale > 1.0:
            # The pipeline orders ID embeddings [negatives x N, positives x N]; CLIP states must match.
            projection.clip_embeds = torch.cat([negative] * num_images + [positive] * num_images)
            id_embeds = torch.cat([torch.zeros_like(self._id_embeds), self._id_embeds])
        else:
            projection.clip_embeds = torch.cat([positive] * num_images)
            id_embeds = self._id_embeds
        return {"ip_adapter_image_embeds": [id_embeds]}


def create(
    config: SpatialConfig,
    faces: FacesConfig,
    runtime: RuntimeConfig,
) -> FaceIdSDXL:
    return FaceIdSDXL(config, faces, runtime)
