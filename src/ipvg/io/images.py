"""Load user images robustly: any mode (RGB, RGBA, greyscale, 16-bit, palette), webp, EXIF rotation.

Every failure is an `ImageReadError` naming the file and saying what to do.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ipvg.errors import ImageReadError

MAX_PIXELS = 50_000_000  # 50 MP: far above any face photo, far below a decompression bomb
MIN_SIDE = 16
MAX_FILE_BYTES = 200 * 1024 * 1024  # checked before reading: a 40 GB (sparse) file is never read whole
# A scheme of 2+ letters then ":/" (a Path turns "https://" into "https:/"); "C:/" stays a path.
URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/|^data:", re.IGNORECASE)


def load_image(
    source: str | Path | bytes | Image.Image, *, max_pixels: int = MAX_PIXELS, name: str | None = None
) -> Image.Image:
    """Return an 8-bit RGB PIL image, or raise `ImageReadError` with the fix."""
    label = name or (str(source) if isinstance(source, str | Path) else "the uploaded image")
    if isinstance(source, Image.Image):
        image = source
    else:
        if isinstance(source, str | Path):
            if URL_PATTERN.match(str(source).strip()):
                raise ImageReadError(
                    f"{source} is a URL; ipvg reads local image files only.",
                    "download the image first and pass the local file.",
                )
            path = Path(source).expanduser()
            if not path.exists():
                raise ImageReadError(f"Image not found: {path}.", "check the path.")
            if path.is_dir():
                raise ImageReadError(
                    f"{path} is a folder, not an image.", "pass an image file (PNG, JPEG or WebP)."
                )
            if not path.is_file():
                raise ImageReadError(f"{path} is not a regular file.", "pass an image file (PNG, JPEG or WebP).")
            size = path.stat().st_size
            if size == 0:
                raise ImageReadError(f"Image file {path} is empty (0 bytes).", "pass a real image file.")
            if size > MAX_FILE_BYTES:
                raise ImageReadError(
                    f"Image file {path} is {size / 2**20:,.0f} MB, above the {MAX_FILE_BYTES // 2**20} MB limit.",
                    "pass a normal photo (a face photo is a few MB at most).",
                )
            try:
                data = path.read_bytes()
            except OSError as error:
                raise ImageReadError(
                    f"Cannot read {path}: {error.strerror or error}.", "check the file's permissions."
                ) from None
        else:
            data = source
            if len(data) > MAX_FILE_BYTES:
                raise ImageReadError(
                    f"{label} is {len(data) / 2**20:,.0f} MB, above the {MAX_FILE_BYTES // 2**20} MB limit.",
                    "upload a normal photo (a face photo is a few MB at most).",
                )
            if not data:
                raise ImageReadError(f"{label} is empty (0 bytes).", "upload a real image file.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore", Image.DecompressionBombWarning
                )  # we apply our own limit below
                image = Image.open(io.BytesIO(data))
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageReadError(
                        f"{label} is {width}x{height} ({width * height / 1e6:.0f} megapixels), above the {max_pixels / 1e6:.0f} MP limit.",
                        "downscale it first (a face photo needs well under 10 MP).",
                    )
                image.load()
        except ImageReadError:
            raise
        except Image.DecompressionBombError:
            raise ImageReadError(
                f"{label} is far too large (more megapixels than Pillow will open).",
                "downscale it first (a face photo needs well under 10 MP).",
            ) from None
        except UnidentifiedImageError as error:
            raise ImageReadError(
                f"Cannot read {label} as an image ({type(error).__name__}).",
                "pass a PNG, JPEG or WebP image file.",
            ) from None
        except (OSError, SyntaxError, ValueError) as error:
            raise ImageReadError(
                f"Cannot decode {label}: {error}.", "the file may be truncated or corrupt; re-export it."
            ) from None
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise ImageReadError(
            f"{label} is only {width}x{height} pixels.", f"pass an image at least {MIN_SIDE}x{MIN_SIDE}."
        )
    return to_rgb(ImageOps.exif_transpose(image) or image)


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB: 16-bit and float images rescaled, alpha composited on mid grey."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        image = Image.fromarray(np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def resize_center_crop(image: Image.Image, width: int, height: int) -> tuple[Image.Image, float]:
    """Scale to cover `width`x`height`, then crop the centre. Returns the image and the fraction
    of the source area cropped away (0 when the aspect ratios match)."""
    scale = max(width / image.width, height / image.height)
    resized = image.resize(
        (max(width, round(image.width * scale)), max(height, round(image.height * scale))),
        Image.Resampling.LANCZOS,
    )
    left = (resized.width - width) // 2
    top = (resized.height - height) // 2
    cropped_fraction = 1.0 - (width * height) / (resized.width * resized.height)
    return resized.crop((left, top, left + width, top + height)), cropped_fraction
