"""Reference-conditioned video backends on diffusers' `WanVACEPipeline` (Wan2.1 VACE 14B / 1.3B and
the two-expert Wan2.2 VACE-Fun A14B).

An image-to-video model sees the person once, in the first frame, and the face drifts as the head
turns. VACE also takes reference images that every denoising step attends to, so the face is
re-seen throughout. Two inputs, either or both:
- the first frame goes in as frame 0 of the conditioning `video`, with a `mask` that keeps it
  (black) and generates every later frame (white); later conditioning frames are mid-grey, VACE's
  "nothing here" value (0 in the model's [-1, 1] range);
- the reference (the person's face) goes in as one `reference_images` entry, which diffusers places
  on a white canvas of the video's size and prepends as an extra latent frame.

With no first frame (the "first-place-like" mode) the whole video is generated from the reference.
The mask is shrunk to latent frames with nearest-exact sampling (diffusers, as the official code), so
latent 0's mask comes from pixel frame 1: the kept first frame reaches the model through VACE's
"inactive" latents (the video where the mask is black), not through a black latent mask.
Loading, size fitting, progress and records are the Wan backend's; only the image inputs differ.
Diffusers issue #11779 (reference-latent mask padding appended after the video's mask instead of
before it) is fixed in the pinned diffusers 0.42.1: `prepare_masks` prepends the padding, as the
official VACE code does (tests/temporal/test_vace.py checks it, so an upgrade cannot undo it).
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from ipvg.config import RuntimeConfig, TemporalConfig
from ipvg.errors import IpvgError
from ipvg.temporal.base import TemporalSettings
from ipvg.temporal.recipes import RECIPES
from ipvg.temporal.wan import WanImageToVideo

KEEP, GENERATE = (0, 0, 0), (255, 255, 255)  # VACE's mask colours (the reverse of Wan I2V's 1 = keep)
EMPTY_GREY = (127, 127, 127)  # a frame with nothing to keep: ~0 after diffusers' [-1, 1] scaling
MIN_REFERENCE_SIDE = 8  # diffusers resizes the reference to a multiple of the VAE's factor (8): 0 below


def first_frame_conditioning(
    frame: Image.Image, num_frames: int
) -> tuple[list[Image.Image], list[Image.Image]]:
    """VACE's first-frame extension inputs: `frame` then grey frames, and a mask keeping frame 0 only."""
    empty = Image.new("RGB", frame.size, EMPTY_GREY)
    keep, generate = Image.new("RGB", frame.size, KEEP), Image.new("RGB", frame.size, GENERATE)
    video = [frame.convert("RGB")] + [empty] * (num_frames - 1)
    mask = [keep] + [generate] * (num_frames - 1)
    return video, mask


class WanVACE(WanImageToVideo):
    """A Wan VACE model: the Wan backend with VACE's image inputs (first frame and/or reference)."""

    pipeline_class = "WanVACEPipeline"
    family = "Wan VACE"

    def _conditioning_inputs(
        self,
        image: Image.Image | None,
        reference: Image.Image | None,
        settings: TemporalSettings,
        warnings: list[str],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if image is None and reference is None:
            raise IpvgError(
                f"{self.name} needs a first frame, a reference image, or both; it got neither.",
                "pass the reference face (`reference=`) or a first frame.",
            )
        inputs: dict[str, Any] = {}
        record: dict[str, Any] = {
            "first_frame": image is not None,
            "first_frame_size": None,
            "reference": reference is not None,
            "reference_size": None,
        }
        if image is not None:
            frame = self._fit_frame(image, settings, warnings)
            inputs["video"], inputs["mask"] = first_frame_conditioning(frame, settings.num_frames)
            record["first_frame_size"] = f"{frame.width}x{frame.height}"
        if reference is not None:
            if min(reference.size) < MIN_REFERENCE_SIDE:
                raise IpvgError(
                    f"The reference image is {reference.width}x{reference.height}; {self.name} needs at least "
                    f"{MIN_REFERENCE_SIDE}x{MIN_REFERENCE_SIDE} (diffusers rounds it down to the VAE's 8-pixel grid).",
                    "pass a larger face crop or photo.",
                )
            inputs["reference_images"] = [reference.convert("RGB")]
            record["reference_size"] = f"{reference.width}x{reference.height}"
            # diffusers scales the reference to fit the video's size: a tiny crop (an aligned 112x112 face)
            # becomes a blurry one. Only clearly small references are flagged, not ordinary photos.
            if min(reference.size) < min(settings.height, settings.width) // 4:
                warnings.append(
                    f"The reference image is only {reference.width}x{reference.height}; {self.name} scales it up "
                    f"to fit {settings.width}x{settings.height}, so a larger reference (a higher-resolution "
                    "photo or a wider face crop) would keep more detail."
                )
        else:
            warnings.append(
                f"{self.name} got no reference image: it only extends the first frame, like image-to-video."
            )
        return inputs, record


def wan21_vace_14b(config: TemporalConfig, runtime: RuntimeConfig) -> WanVACE:
    return WanVACE("wan21-vace-14b", config, runtime, recipe=RECIPES["wan21-vace-14b"])


def wan21_vace_1_3b(config: TemporalConfig, runtime: RuntimeConfig) -> WanVACE:
    return WanVACE("wan21-vace-1.3b", config, runtime, recipe=RECIPES["wan21-vace-1.3b"])


def wan22_vace_fun_a14b(config: TemporalConfig, runtime: RuntimeConfig) -> WanVACE:
    return WanVACE("wan22-vace-fun-a14b", config, runtime, recipe=RECIPES["wan22-vace-fun-a14b"])
