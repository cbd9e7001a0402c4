"""Batched classifier-free guidance (`runtime.batched_cfg`) on the tiny Wan models, float32 on CPU.

Wrong code each test catches:
- halves swapped (cond/uncond order in the batch), the wrong negative prompt, or a stale uncond
  result reused for another step: the latents differ from the unbatched path (guidance 5 amplifies it);
- a hook that always falls back to two calls: outputs equal but the call counts show no batching;
- batching when guidance is off (one pass per step): the counts show batched calls;
- the second expert of A14B left unhooked: its steps show no batched calls.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import pytest
import torch
from PIL import Image

from ipvg.config import RuntimeConfig, TemporalConfig
from ipvg.errors import RuntimeOptionError
from ipvg.temporal import create_temporal_backend

PROMPT = "A woman turns her head and smiles"
NEGATIVE = "static, blurry"
STEPS = 3


def _backend(name: str, **runtime: object):
    return _loaded(name, tuple(sorted(runtime.items())))


@functools.cache  # one load per (model, options) for the whole module: loading dominates these tests
def _loaded(name: str, runtime: tuple[tuple[str, object], ...]):
    runtime = dict(runtime)
    config = TemporalConfig(
        backend=name, model=f"ipvg-tiny:{name}", height=64, width=96, num_frames=9, num_inference_steps=STEPS
    )
    backend = create_temporal_backend(config, RuntimeConfig(device="cpu", dtype="float32", **runtime))
    backend.load()
    return backend


def _latents(backend, guidance_scale: float = 5.0) -> torch.Tensor:
    image = Image.new("RGB", (96, 64), (150, 110, 90))
    options = backend._call_options(backend.resolve_settings())
    if "guidance_scale_2" in options:
        options["guidance_scale_2"] = guidance_scale
    return backend.pipe(
        image=image,
        prompt=PROMPT,
        negative_prompt=NEGATIVE,
        height=64,
        width=96,
        num_frames=9,
        num_inference_steps=STEPS,
        guidance_scale=guidance_scale,
        generator=torch.Generator().manual_seed(0),
        output_type="latent",
        **options,
    ).frames


@contextlib.contextmanager
def _transformer_calls(pipe) -> Iterator[dict[str, list[int]]]:
    """Batch size of every call of each denoiser's first block (the real work, under the hook)."""
    seen: dict[str, list[int]] = {}
    handles = []
    for name in ("transformer", "transformer_2"):
        module = getattr(pipe, name, None)
        if module is not None:
            seen[name] = []
            handles.append(
                module.blocks[0].register_forward_pre_hook(
                    lambda _m, args, store=seen[name]: store.append(args[0].shape[0])
                )
            )
    try:
        yield seen
    finally:
        for handle in handles:
            handle.remove()


def _counts(backend) -> tuple[int, int]:
    hooks = backend.applied.cfg_hooks
    return sum(h.num_batched_calls for h in hooks), sum(h.num_reused_calls for h in hooks)


@pytest.mark.parametrize("name", ["wan22-ti2v-5b", "wan22-i2v-a14b"])
def test_batched_cfg_equals_two_calls(name):
    plain = _backend(name)
    batched = _backend(name, batched_cfg=True)
    assert "batched-cfg" in batched.applied.applied
    before = _counts(batched)
    with _transformer_calls(plain.pipe) as plain_calls, _transformer_calls(batched.pipe) as batched_calls:
        expected = _latents(plain)
        got = _latents(batched)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert expected.abs().max() > 0
    # Unbatched: two batch-1 calls per step. Batched: one batch-2 call per step.
    assert sum(len(calls) for calls in plain_calls.values()) == 2 * STEPS
    assert all(size == 1 for calls in plain_calls.values() for size in calls)
    assert sum(len(calls) for calls in batched_calls.values()) == STEPS
    assert all(size == 2 for calls in batched_calls.values() for size in calls)
    if name == "wan22-i2v-a14b":  # both experts ran, both batched
        assert batched_calls["transformer"] and batched_calls["transformer_2"]
    after = _counts(batched)
    assert (after[0] - before[0], after[1] - before[1]) == (STEPS, STEPS)


def test_batched_cfg_differs_from_other_prompts():
    """The equality above is not vacuous: a different negative prompt changes the latents."""
    batched = _backend("wan22-ti2v-5b", batched_cfg=True)
    first = _latents(batched)
    image = Image.new("RGB", (96, 64), (150, 110, 90))
    other = batched.pipe(
        image=image,
        prompt=PROMPT,
        negative_prompt="a completely different negative prompt",
        height=64,
        width=96,
        num_frames=9,
        num_inference_steps=STEPS,
        guidance_scale=5.0,
        generator=torch.Generator().manual_seed(0),
        output_type="latent",
    ).frames
    assert (first - other).abs().max() > 1e-4


def test_no_guidance_no_batching():
    batched = _backend("wan22-ti2v-5b", batched_cfg=True)
    plain = _backend("wan22-ti2v-5b")
    with _transformer_calls(batched.pipe) as calls:
        got = _latents(batched, 1.0)
    torch.testing.assert_close(got, _latents(plain, 1.0), rtol=1e-5, atol=1e-5)
    assert calls["transformer"] == [1] * STEPS


def test_batched_cfg_through_animate_and_with_first_block_cache():
    image = Image.new("RGB", (96, 64), (150, 110, 90))
    plain = _backend("wan22-ti2v-5b").animate(image, PROMPT, seed=3).video.frames_FHWC
    batched = _backend("wan22-ti2v-5b", batched_cfg=True).animate(image, PROMPT, seed=3).video.frames_FHWC
    # uint8 frames: float rounding may flip a value by one level, nothing more
    assert int(abs(plain.astype(int) - batched.astype(int)).max()) <= 1
    cached = _backend("wan22-ti2v-5b", batched_cfg=True, cache="first-block", cache_threshold=0.05)
    assert cached.animate(image, PROMPT, seed=3).video.frames_FHWC.shape == plain.shape


@pytest.mark.parametrize("cache", ["mag-calibrate", "faster"])
def test_incompatible_caches_refused(cache):
    with pytest.raises(RuntimeOptionError, match="batched_cfg"):
        _backend("wan22-ti2v-5b", batched_cfg=True, cache=cache)


def test_non_wan_pipeline_refused():
    with pytest.raises(RuntimeOptionError, match="Wan pipelines"):
        _backend("cogvideox-5b-i2v", batched_cfg=True)


@pytest.mark.slow  # ~30 s on the shared 2-core machine; the default suite covers TI2V-5B and A14B
def test_batched_cfg_on_vace():
    """WanVACEPipeline passes control latents to both passes: they must be batched with the latents."""
    image = Image.new("RGB", (96, 64), (150, 110, 90))
    plain = _backend("wan21-vace-1.3b").animate(image, PROMPT, seed=1).video.frames_FHWC
    batched = _backend("wan21-vace-1.3b", batched_cfg=True)
    frames = batched.animate(image, PROMPT, seed=1).video.frames_FHWC
    assert int(abs(plain.astype(int) - frames.astype(int)).max()) <= 1
    assert _counts(batched) == (STEPS, STEPS)
