"""GME embeddings (gme-Qwen2-VL-2B-Instruct) of texts and images through transformers' Qwen2-VL.

Zhang et al., "GME: Improving Universal Multimodal Retrieval by Multimodal LLMs", CVPR 2025. The
embedding is the L2-normalised last hidden state at the final token of a chat-formatted input
(system instruction, user turn holding the text or the image, then `<|im_start|>assistant\\n<|endoftext|>`).
As in the authors' `gme_inference.py`: images are first rounded to multiples of 28 pixels, then fed
to the Qwen2-VL image processor bounded to 256..1280 visual tokens; image-pad token embeddings are
replaced by the vision tower's outputs; the language model runs with plain (1-D) positions.

Shape legend: N inputs, L tokens, D embedding dimension.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from ipvg.weights import resolve_model

DEFAULT_GME_MODEL = "Alibaba-NLP/gme-Qwen2-VL-2B-Instruct"
DEFAULT_INSTRUCTION = "You are a helpful assistant."
TEXT_TO_IMAGE_INSTRUCTION = "Find an image that matches the given text."
IMAGE_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>"
IMAGE_PAD = "<|image_pad|>"
PIXEL_FACTOR = 28
# Bounds of the authors' pre-resize (qwen-vl-utils' `fetch_image` defaults).
FETCH_MIN_PIXELS, FETCH_MAX_PIXELS = 4 * 28 * 28, 16384 * 28 * 28


def chat_input(content: str, instruction: str = DEFAULT_INSTRUCTION) -> str:
    """The chat-formatted input whose last token's state is the embedding."""
    return (
        f"<|im_start|>system\n{instruction}<|im_end|>\n<|im_start|>user\n{content}<|im_end|>\n"
        "<|im_start|>assistant\n<|endoftext|>"
    )


class GmeEmbedder:
    """Unit GME embeddings of prompts (as retrieval queries) and of video frames (as the corpus)."""

    def __init__(
        self,
        model: str = DEFAULT_GME_MODEL,
        device: str = "cpu",
        dtype: str = "float32",
        min_image_tokens: int = 256,
        max_image_tokens: int = 1280,
        max_length: int = 1800,
        batch_size: int = 4,
        allow_download: bool = False,
    ) -> None:
        import torch
        from transformers import AutoTokenizer, Qwen2VLForConditionalGeneration
        from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

        folder = resolve_model(model, marker="config.json", allow_download=allow_download)
        self.model_id, self.device, self.max_length, self.batch_size = model, device, max_length, batch_size
        self.model = (
            Qwen2VLForConditionalGeneration.from_pretrained(folder, dtype=getattr(torch, dtype))
            .eval()
            .to(device)
        )
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.tokenizer.padding_side = "right"
        # The PIL processor: transformers' default one needs torchvision, which ipvg never installs.
        self.image_processor = Qwen2VLImageProcessorPil.from_pretrained(
            folder, min_pixels=min_image_tokens * 28 * 28, max_pixels=max_image_tokens * 28 * 28
        )
        self.merge_size = int(self.model.config.vision_config.spatial_merge_size)

    def text_embeds(self, texts: Sequence[str], instruction: str = TEXT_TO_IMAGE_INSTRUCTION) -> np.ndarray:
        """(N, D) embeddings of texts as queries."""
        return self._batched([chat_input(text, instruction) for text in texts], None)

    def image_embeds(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(N, D) embeddings of images as corpus items (the default instruction)."""
        return self._batched(
            [chat_input(IMAGE_PLACEHOLDER)] * len(images), [pre_resize(image) for image in images]
        )

    def _batched(self, texts: list[str], images: list[Image.Image] | None) -> np.ndarray:
        rows = []
        for start in range(0, len(texts), self.batch_size):
            chunk = slice(start, start + self.batch_size)
            rows.append(self._embed(texts[chunk], None if images is None else images[chunk]))
        return np.concatenate(rows, axis=0)

    def _embed(self, texts: list[str], images: list[Image.Image] | None) -> np.ndarray:
        import torch

        pixel_values = grid_thw = None
        if images:
            processed = self.image_processor(images=images, return_tensors="pt")
            pixel_values, grid_thw = processed["pixel_values"], processed["image_grid_thw"]
            # Each image takes (t * h * w) / merge^2 pad tokens, as Qwen2-VL's processor expands them.
            counts = (grid_thw.prod(-1) // self.merge_size**2).tolist()
            texts = [
                text.replace(IMAGE_PAD, IMAGE_PAD * int(count), 1)
                for text, count in zip(texts, counts, strict=True)
            ]
        tokens = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        input_ids_NL, attention_mask_NL = (
            tokens["input_ids"].to(self.device),
            tokens["attention_mask"].to(self.device),
        )
        model = self.model.model
        with torch.no_grad():
            embeds_NLD = model.get_input_embeddings()(input_ids_NL)
            if pixel_values is not None:
                features = model.get_image_features(pixel_values.to(self.device), grid_thw.to(self.device))
                image_features = torch.cat(list(getattr(features, "pooler_output", features)), dim=0)
                mask_NL = input_ids_NL == self.model.config.image_token_id
                embeds_NLD[mask_NL] = image_features.to(embeds_NLD.dtype)
            hidden_NLD = model.language_model(
                inputs_embeds=embeds_NLD, attention_mask=attention_mask_NL
            ).last_hidden_state
            # Right padding: the last real token of each row.
            last_N = attention_mask_NL.sum(dim=1) - 1
            pooled_ND = hidden_NLD[torch.arange(hidden_NLD.shape[0], device=hidden_NLD.device), last_N]
            pooled_ND = torch.nn.functional.normalize(pooled_ND.float(), p=2, dim=1)
        return pooled_ND.cpu().numpy().astype(np.float64)


def pre_resize(image: Image.Image) -> Image.Image:
    """The authors' first resize: both sides rounded to multiples of 28 (PIL's default bicubic)."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

    image = image.convert("RGB")
    height, width = smart_resize(
        image.height,
        image.width,
        factor=PIXEL_FACTOR,
        min_pixels=FETCH_MIN_PIXELS,
        max_pixels=FETCH_MAX_PIXELS,
    )
    return image.resize((width, height), Image.Resampling.BICUBIC)
