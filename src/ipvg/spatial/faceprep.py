"""Face crops: HyperLoRA's CLIP input (background greyed) and the face-refinement region.

Pure functions on PIL images and `Face` boxes. HyperLoRA's reference preprocessing draws its mask
from insightface's 106-point contour; the faces interface gives a box and 5 keypoints, so the mask
here is an ellipse inscribed in the detected box (same blur, same grey, same crop geometry).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

from ipvg.faces.base import Face

GREY = (127, 127, 127)


def face_square(face: Face, scale: float = 0.75, lift: float = 0.125) -> tuple[float, float, float]:
    """(centre x, centre y, half side) of HyperLoRA's square face crop: half side = `scale` x the
    face's longer extent, centre lifted by `lift` x half side (towards the forehead)."""
    x0, y0, x1, y1 = face.box_xyxy
    half = max(x1 - x0, y1 - y0) * scale
    return (x0 + x1) / 2, (y0 + y1) / 2 - half * lift, half


def grey_background(image: Image.Image, face: Face, blur_fraction: float = 15 / 512) -> Image.Image:
    """The face kept, everything else mid-grey, with a soft edge (blur radius relative to the face)."""
    x0, y0, x1, y1 = face.box_xyxy
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse((x0, y0, x1, y1), fill=255)
    radius = max(1.0, blur_fraction * 1.6 * max(x1 - x0, y1 - y0))
    mask = mask.filter(ImageFilter.GaussianBlur(radius=radius))
    return Image.composite(image.convert("RGB"), Image.new("RGB", image.size, GREY), mask)


def hyperlora_face_crop(image: Image.Image, face: Face) -> Image.Image:
    """HyperLoRA's CLIP input: the background-greyed face, cropped square around it."""
    cx, cy, half = face_square(face)
    return grey_background(image, face).crop(
        (round(cx - half), round(cy - half), round(cx + half), round(cy + half))
    )


@dataclass(frozen=True)
class RefineRegion:
    """A square region around a face, inside the image: (left, top, side) in pixels."""

    left: int
    top: int
    side: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.left + self.side, self.top + self.side)


def refine_region(face: Face, image_size: tuple[int, int], crop_factor: float) -> RefineRegion:
    """The face box enlarged `crop_factor` times, squared, shifted (not shrunk) to stay inside."""
    width, height = image_size
    x0, y0, x1, y1 = face.box_xyxy
    side = round(min(max(x1 - x0, y1 - y0) * crop_factor, width, height))
    left = round((x0 + x1) / 2 - side / 2)
    top = round((y0 + y1) / 2 - side / 2)
    left = min(max(0, left), width - side)
    top = min(max(0, top), height - side)
    return RefineRegion(left, top, side)


def feathered_mask(
    size: int, face_box_in_crop: tuple[float, float, float, float], feather: float
) -> Image.Image:
    """An ellipse around the face (grown by `feather`) blurred by `feather` pixels: paste-back weights."""
    x0, y0, x1, y1 = face_box_in_crop
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse(
        (max(0, x0 - feather), max(0, y0 - feather), min(size, x1 + feather), min(size, y1 + feather)),
        fill=255,
    )
    return mask.filter(ImageFilter.GaussianBlur(radius=max(1.0, feather / 2)))
