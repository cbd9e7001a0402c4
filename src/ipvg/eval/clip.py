"""CLIP image and text embeddings through transformers (the CLIPScore feature extractor).

Radford et al., "Learning Transferable Visual Models From Natural Language Supervision", ICML 2021.
The challenge uses `openai/clip-vit-base-patch16`; any CLIP folder in the transformers layout loads
the same way (`ipvg-tiny:clip-vit-b16` for tests).

Shape legend: K images, D embedding dimension.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from ipvg.weights import resolve_model

DEFAULT_CLIP_MODEL = "openai/clip-vit-base-patch16"


class ClipEmbedder:
    """Projected, L2-normalised CLIP embeddings of images and texts."""

    def __init__(
        self,
        model: str = DEFAULT_CLIP_MODEL,
        device: str = "cpu",
        batch_size: int = 16,
        allow_download: bool = False,
    ) -> None:
        import torch
        from transformers import AutoTokenizer, CLIPModel
        from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

        folder = resolve_model(model, marker="config.json", allow_download=allow_download)
        self.model_id, self.device, self.batch_size = model, device, batch_size
        self.model = CLIPModel.from_pretrained(folder, dtype=torch.float32).eval().to(device)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        # The PIL processor: transformers' default one needs torchvision, which ipvg never installs.
        self.processor = CLIPImageProcessorPil.from_pretrained(folder)
        self.max_tokens = int(self.model.config.text_config.max_position_embeddings)

    def image_embeds(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(K, D) unit image embeddings."""
        import torch

        chunks = []
        for start in range(0, len(images), self.batch_size):
            inputs = self.processor(images=list(images[start : start + self.batch_size]), return_tensors="pt")
            with torch.no_grad():
                features = self.model.get_image_features(pixel_values=inputs["pixel_values"].to(self.device))
            chunks.append(_unit_rows(_as_tensor(features)))
        return np.concatenate(chunks, axis=0)

    def text_embed(self, text: str) -> np.ndarray:
        """(D,) unit text embedding; prompts longer than CLIP's 77 tokens are truncated (as CLIP must)."""
        import torch

        tokens = self.tokenizer(
            [text], padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )
        with torch.no_grad():
            features = self.model.get_text_features(
                input_ids=tokens["input_ids"].to(self.device),
                attention_mask=tokens["attention_mask"].to(self.device),
            )
        return _unit_rows(_as_tensor(features))[0]

    def num_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])


def _as_tensor(features: Any) -> Any:
    # transformers 5 may return a model output with `pooler_output` instead of a bare tensor.
    return getattr(features, "pooler_output", features)


def _unit_rows(features_KD: object) -> np.ndarray:
    array_KD = np.asarray(features_KD.detach().float().cpu().numpy(), dtype=np.float64)  # type: ignore[attr-defined]
    norms_K1 = np.linalg.norm(array_KD, axis=-1, keepdims=True)
    return array_KD / np.where(norms_K1 > 0, norms_K1, 1.0)
