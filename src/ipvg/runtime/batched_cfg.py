"""Batched classifier-free guidance for diffusers' Wan pipelines: the conditional and the
unconditional pass of a step in one transformer call (batch 2) instead of two calls (batch 1).

diffusers 0.42.1's `WanPipeline`, `WanImageToVideoPipeline` and `WanVACEPipeline` call the
transformer twice per step, first with `prompt_embeds` (cache context "cond") and then with
`negative_prompt_embeds` ("uncond"), on the same latents, timestep and conditioning. Rather than
copy their `__call__`, two small wrappers do the batching:

- `pipe.encode_prompt` is wrapped to remember the negative embeddings of the current call;
- a diffusers `ModelHook` on each denoiser turns the "cond" call into one call on
  `[cond, uncond]`, returns the first half and keeps the second; the "uncond" call that follows
  gets the kept half, once the hook has checked it is that same step's unconditional call (same
  latents, timestep and conditioning tensors, embeddings equal to the remembered negative ones).
  Any call that does not match runs unbatched, so outputs never depend on the batching guess.

Wan's text embeddings are zero-padded to a fixed length without an attention mask, so the batched
call computes the same function as two single calls (equal up to float rounding of the kernels).
Peak activation memory of the denoiser roughly doubles; weights are read once per step instead of
twice, which is where the speed comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from diffusers.hooks import HookRegistry, ModelHook

HOOK_NAME = "ipvg_batched_cfg"
# Transformer arguments that carry the batch dimension and are the same for both passes of a step
# (Wan2.1 image tokens, VACE control latents). `encoder_hidden_states` differs between them.
SHARED_BATCH_ARGUMENTS = ("hidden_states", "timestep", "encoder_hidden_states_image", "control_hidden_states")


@dataclass
class _NegativeEmbeddings:
    """The negative prompt embeddings of the pipeline call in progress (None: no guidance)."""

    tensor: torch.Tensor | None = None


@dataclass
class _Pending:
    """The unconditional half of the last batched call, with what it was computed from."""

    output: Any
    inputs: dict[str, Any]
    negative: torch.Tensor


def _same(a: Any, b: Any) -> bool:
    """Equal arguments: the same object, equal tensors, or equal plain values."""
    if a is b:
        return True
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and a.device == b.device
            and bool(torch.equal(a, b))
        )
    return bool(a == b)


class BatchedCFGHook(ModelHook):
    """Runs a Wan transformer's cond pass and the uncond pass that follows it as one batch-2 call."""

    def __init__(self, negative: _NegativeEmbeddings) -> None:
        super().__init__()
        self.negative = negative
        self.pending: _Pending | None = None
        self.num_batched_calls = 0  # for tests and benchmarks: proof that batching happened
        self.num_reused_calls = 0

    def new_forward(self, module: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
        forward: Callable[..., Any] = self.fn_ref.original_forward
        if args:  # diffusers' Wan pipelines pass keywords only; anything else runs as it came
            return forward(*args, **kwargs)
        pending, self.pending = self.pending, None
        text = kwargs.get("encoder_hidden_states")
        if pending is not None and self._is_uncond_of(pending, kwargs, text):
            self.num_reused_calls += 1
            return pending.output
        negative = self.negative.tensor
        # Different text lengths (a caller's own unpadded embeddings) cannot be concatenated.
        if negative is None or not isinstance(text, torch.Tensor) or negative.shape != text.shape:
            return forward(**kwargs)
        negative = negative.to(device=text.device, dtype=text.dtype)
        batched = dict(kwargs)
        batched["encoder_hidden_states"] = torch.cat([text, negative])
        for name in SHARED_BATCH_ARGUMENTS:
            value = kwargs.get(name)
            if isinstance(value, torch.Tensor):
                batched[name] = torch.cat([value, value])
        output = forward(**batched)
        self.num_batched_calls += 1
        cond, uncond = _split(output, text.shape[0])
        self.pending = _Pending(output=uncond, inputs=kwargs, negative=negative)
        return cond

    @staticmethod
    def _is_uncond_of(pending: _Pending, kwargs: dict[str, Any], text: Any) -> bool:
        if not isinstance(text, torch.Tensor) or not _same(text, pending.negative):
            return False
        names = (set(kwargs) | set(pending.inputs)) - {"encoder_hidden_states"}
        return all(_same(kwargs.get(name), pending.inputs.get(name)) for name in names)


def _split(output: Any, batch_size: int) -> tuple[Any, Any]:
    """Halves of a transformer output: a tuple whose first item is the sample, or an output
    dataclass with `.sample` (diffusers' `Transformer2DModelOutput`)."""
    if isinstance(output, tuple):
        sample = output[0]
        return (sample[:batch_size], *output[1:]), (sample[batch_size:], *output[1:])
    sample = output.sample
    return type(output)(sample=sample[:batch_size]), type(output)(sample=sample[batch_size:])


def apply_batched_cfg(pipe: Any, denoisers: list[tuple[str, torch.nn.Module]]) -> list[BatchedCFGHook]:
    """Batch the cond/uncond transformer calls of a diffusers Wan pipeline (see the module doc)."""
    negative = _NegativeEmbeddings()
    original_encode_prompt = pipe.encode_prompt

    def encode_prompt(*args: Any, **kwargs: Any) -> Any:
        prompt_embeds, negative_prompt_embeds = original_encode_prompt(*args, **kwargs)
        guided = kwargs.get("do_classifier_free_guidance", True)
        negative.tensor = negative_prompt_embeds if guided else None
        return prompt_embeds, negative_prompt_embeds

    pipe.encode_prompt = encode_prompt  # instance attribute: the class method stays untouched
    hooks = []
    for _name, module in denoisers:
        hook = BatchedCFGHook(negative)
        HookRegistry.check_if_exists_or_initialize(module).register_hook(hook, HOOK_NAME)
        hooks.append(hook)
    return hooks
