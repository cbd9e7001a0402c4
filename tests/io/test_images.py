"""Image loading: every mode and format a user may hand us, and clear errors for the rest."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ipvg.errors import ImageReadError
from ipvg.io.images import load_image, resize_center_crop


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width`x`height` (no pixel data): tests size limits cheaply."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "I;16", "CMYK"])
def test_modes_become_rgb(tmp_path, mode):
    array = (np.arange(64 * 48) % 251).reshape(48, 64)
    if mode == "I;16":
        image = Image.fromarray((array * 250).astype(np.uint16))
    else:
        image = Image.fromarray(array.astype(np.uint8)).convert(mode)
    path = tmp_path / f"x.{'tiff' if mode == 'CMYK' else 'png'}"
    image.save(path)
    loaded = load_image(path)
    assert loaded.mode == "RGB" and loaded.size == (64, 48)
    if mode == "I;16":
        assert np.asarray(loaded).max() > 200  # rescaled from 16 bits, not clipped to white or black


def test_webp_and_jpeg(tmp_path, example_face):
    image = Image.open(example_face)
    for suffix in ("webp", "jpg"):
        image.save(tmp_path / f"face.{suffix}")
        assert load_image(tmp_path / f"face.{suffix}").size == image.size


def test_bad_files(tmp_path):
    with pytest.raises(ImageReadError, match="not found"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        load_image(tmp_path / "empty.png")
    (tmp_path / "notes.png").write_text("this is not an image")
    with pytest.raises(ImageReadError, match="Cannot read"):
        load_image(tmp_path / "notes.png")
    with pytest.raises(ImageReadError, match="folder"):
        load_image(tmp_path)
    (tmp_path / "huge.png").write_bytes(_png_header_only(10_000, 10_000))
    with pytest.raises(ImageReadError, match="megapixels"):
        load_image(tmp_path / "huge.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "tiny.png")
    with pytest.raises(ImageReadError, match="8x8"):
        load_image(tmp_path / "tiny.png")


def test_truncated_file(tmp_path, example_face):
    data = example_face.read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageReadError):
        load_image(tmp_path / "cut.png")


def test_resize_center_crop_reports_cropped_area():
    image = Image.new("RGB", (200, 100))
    same, cropped = resize_center_crop(image, 100, 50)
    assert same.size == (100, 50) and cropped == pytest.approx(0.0)
    square, cropped = resize_center_crop(image, 50, 50)
    assert square.size == (50, 50) and cropped == pytest.approx(0.5)
