"""Every video backend's official recipe, by backend name: data only, so that registering the backends,
listing them and refusing missing weights (`ipvg.models.preflight`) never import torch or diffusers.
The backends themselves (`wan.py`, `vace.py`, `cogvideox.py`) read their recipe from here."""

from __future__ import annotations

from ipvg.temporal.base import TemporalRecipe

# Wan's official negative prompt (from its generation defaults), used unless overridden.
WAN_NEGATIVE_PROMPT = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，丑陋的，残缺的，"
    "多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走"
)

_WAN = {
    "wan22-ti2v-5b": TemporalRecipe(
        model="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
        height=704,
        width=1280,
        num_frames=121,
        fps=24,
        num_inference_steps=50,
        guidance_scale=5.0,
        flow_shift=5.0,
        size_multiple=32,
        negative_prompt=WAN_NEGATIVE_PROMPT,
    ),
    "wan22-i2v-a14b": TemporalRecipe(
        model="Wan-AI/Wan2.2-I2V-A14B-Diffusers",
        height=720,
        width=1280,
        num_frames=81,
        fps=16,
        num_inference_steps=40,
        guidance_scale=3.5,
        guidance_scale_2=3.5,
        flow_shift=5.0,
        boundary_ratio=0.9,
        size_multiple=16,
        negative_prompt=WAN_NEGATIVE_PROMPT,
    ),
    "wan21-i2v-14b": TemporalRecipe(
        model="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
        height=480,
        width=832,
        num_frames=81,
        fps=16,
        num_inference_steps=40,
        guidance_scale=5.0,
        flow_shift=3.0,
        size_multiple=16,
        negative_prompt=WAN_NEGATIVE_PROMPT,
    ),
    "wan21-i2v-14b-720p": TemporalRecipe(
        model="Wan-AI/Wan2.1-I2V-14B-720P-Diffusers",
        height=720,
        width=1280,
        num_frames=81,
        fps=16,
        num_inference_steps=40,
        guidance_scale=5.0,
        flow_shift=5.0,
        size_multiple=16,
        negative_prompt=WAN_NEGATIVE_PROMPT,
    ),
    # Wan2.2-Lightning: its LoRAs (runtime.loras; ipvg.config.LIGHTNING_I2V_LORAS) and sources are in config.py.
    "wan22-i2v-a14b-lightning": TemporalRecipe(
        model="Wan-AI/Wan2.2-I2V-A14B-Diffusers",
        height=720,
        width=1280,
        num_frames=81,
        fps=16,
        num_inference_steps=4,
        guidance_scale=1.0,  # distilled without classifier-free guidance: one pass per step
        guidance_scale_2=1.0,
        flow_shift=5.0,
        boundary_ratio=0.9,  # steps 1-2 (t 999, 937) on the high-noise expert, 3-4 (833, 625) on the low-noise one
        size_multiple=16,
        negative_prompt="",  # unused without guidance
    ),
}

# Official recipes. Wan2.1 VACE: Wan2.1's generate.py defaults for the vace tasks (50 steps, guidance
# 5.0, flow shift 16, 81 frames at 16 fps); 14B accepts 1280x720 (its default size) and 832x480,
# 1.3B only 832x480. Wan2.2 VACE-Fun A14B: VideoX-Fun's subject-to-video example (832x480, 81
# frames at 16 fps, 50 steps, guidance 5.0, expert boundary 0.875); the example's default Euler
# sampler uses shift 5, its UniPC option shift 12, and ipvg runs UniPC (as the Wan backends do).
_VACE = {
    "wan21-vace-14b": TemporalRecipe(
        model="Wan-AI/Wan2.1-VACE-14B-diffusers",
        height=720,
        width=1280,
        num_frames=81,
        fps=16,
        num_inference_steps=50,
        guidance_scale=5.0,
        flow_shift=16.0,
        size_multiple=16,
        negative_prompt=WAN_NEGATIVE_PROMPT,
    ),
    "wan21-vace-1.3b": TemporalRecipe(
        model="Wan-AI/Wan2.1-VACE-1.3B-diffusers",
        height=480,
        width=832,
        num_frames=81,
        fps=16,
        num_inference_steps=50,
        guidance_scale=5.0,
        flow_shift=16.0,
        size_multiple=16,
        negative_prompt=WAN_NEGATIVE_PROMPT,
    ),
    # alibaba-pai publishes this model in VideoX-Fun's own layout only; this id is the diffusers
    # conversion by a Hugging Face staff member (not the authors'). Any diffusers copy can be passed
    # with temporal.model.
    "wan22-vace-fun-a14b": TemporalRecipe(
        model="linoyts/Wan2.2-VACE-Fun-14B-diffusers",
        height=480,
        width=832,
        num_frames=81,
        fps=16,
        num_inference_steps=50,
        guidance_scale=5.0,
        guidance_scale_2=5.0,
        flow_shift=12.0,
        boundary_ratio=0.875,
        size_multiple=16,
        negative_prompt=WAN_NEGATIVE_PROMPT,
    ),
}

# CogVideoX-5B-I2V: learned positional embeddings fix the size (720x480, 49 frames at 8 fps); official
# defaults 50 steps, CFG 6 with dynamic CFG.
_COGVIDEOX = {
    "cogvideox-5b-i2v": TemporalRecipe(
        model="THUDM/CogVideoX-5b-I2V",
        height=480,
        width=720,
        num_frames=49,
        fps=8,
        num_inference_steps=50,
        guidance_scale=6.0,
        size_multiple=16,
    ),
}

RECIPES: dict[str, TemporalRecipe] = {**_WAN, **_VACE, **_COGVIDEOX}
