"""`llm`: a local chat model through transformers (default Qwen/Qwen3-8B, as in the paper).

Official settings (IPVG code, arXiv 2507.04705): thinking disabled through the chat template
(`enable_thinking=False`), temperature 0.1, top-p 0.9. Weights are found with
`ipvg.weights.resolve_model` (local folder, hub cache, or `ipvg-tiny:qwen3`); nothing downloads
unless `allow_download` is set.
"""

from __future__ import annotations

import logging
from typing import Any

from ipvg.errors import ConfigError, WeightsNotFoundError
from ipvg.prompts.base import Windows
from ipvg.prompts.chat import ChatDecoupler, ChatUnavailable
from ipvg.prompts.contract import Messages

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "Qwen/Qwen3-8B"


class LocalChatBackend(ChatDecoupler):
    """Chat model loaded with `AutoModelForCausalLM` / `AutoTokenizer.from_pretrained`."""

    name = "llm"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        device: str = "auto",
        dtype: str = "auto",
        temperature: float = 0.1,
        top_p: float = 0.9,
        max_new_tokens: int = 512,
        seed: int = 0,
        allow_download: bool = False,
        max_attempts: int = 3,
        framing: str = "close-up",
        windows: Windows | None = None,
    ) -> None:
        super().__init__(max_attempts=max_attempts, framing=framing, windows=windows)
        if not 0.0 <= temperature <= 2.0:
            raise ConfigError(f"`temperature` must be in [0, 2], got {temperature!r}.")
        if max_new_tokens < 16:
            raise ConfigError(f"`max_new_tokens` must be >= 16, got {max_new_tokens!r}.")
        self.model_id = model
        self.device = device
        self.dtype = dtype
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.seed = seed
        self.allow_download = allow_download
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_error: str | None = None

    @classmethod
    def from_loaded(cls, model: Any, tokenizer: Any, **kwargs: Any) -> LocalChatBackend:
        """Wrap an already loaded model and tokenizer (any object with `generate` works)."""
        backend = cls(model=kwargs.pop("model_id", "in-memory"), **kwargs)
        backend._model, backend._tokenizer = model, tokenizer
        return backend

    def _settings(self) -> dict[str, object]:
        return {
            "model": self.model_id,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
            "seed": self.seed,
        }

    def load(self) -> None:
        """Load tokenizer and model once; raises `WeightsNotFoundError` when the weights are missing."""
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from ipvg.weights import resolve_model

        path = resolve_model(self.model_id, marker="config.json", allow_download=self.allow_download)
        device = self.device if self.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}.get(
            self.dtype, torch.bfloat16 if device.startswith("cuda") else torch.float32
        )
        self._tokenizer = AutoTokenizer.from_pretrained(path)
        # Load straight onto the device: an 8B model should not pass through host memory first.
        self._model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, device_map=device).eval()

    def _chat(self, messages: Messages, attempt: int) -> str:
        if self._load_error is not None:
            raise ChatUnavailable(self._load_error)
        try:
            self.load()
        except WeightsNotFoundError as error:
            # Remember: a batch of 1,000 prompts should not retry a missing 16 GB model 1,000 times.
            self._load_error = f"model `{self.model_id}` unavailable: {error.one_line()}"
            raise ChatUnavailable(self._load_error) from None
        return self._generate(messages, attempt)

    def _generate(self, messages: Messages, attempt: int) -> str:
        import torch

        tokenizer, model = self._tokenizer, self._model
        text = tokenizer.apply_chat_template(
            messages.as_chat(), tokenize=False, add_generation_prompt=True, enable_thinking=False
        )
        inputs = tokenizer([text], return_tensors="pt")
        device = getattr(model, "device", None)
        if device is not None:
            inputs = inputs.to(device)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        # Sampling at temperature 0.1 as in the paper, seeded per attempt so runs repeat exactly.
        with torch.random.fork_rng(devices=[]), torch.inference_mode():
            torch.manual_seed(self.seed + attempt)
            output_ids = model.generate(
                **inputs,
                max_new_tokens=self.max_new_tokens,
                do_sample=self.temperature > 0,
                temperature=self.temperature if self.temperature > 0 else None,
                top_p=self.top_p,
                pad_token_id=pad_id,
                eos_token_id=tokenizer.eos_token_id,
            )
        new_tokens = output_ids[0][inputs["input_ids"].shape[1] :]
        return tokenizer.decode(new_tokens, skip_special_tokens=True)
