"""Atomic writes: outputs appear complete under their final name, or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ipvg.errors import OutputError


def ensure_writable_dir(folder: str | Path) -> Path:
    """Create `folder` if needed and check it can be written, raising `OutputError` otherwise."""
    path = Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        raise OutputError(f"The output path {path} exists and is not a folder.", "choose another --out.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(
            f"Cannot create the output folder {path}: {error.strerror or error}.",
            "choose a folder you can write to with --out.",
        ) from None
    if not path.is_dir():
        raise OutputError(f"The output path {path} exists and is not a folder.", "choose another --out.")
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(
            f"The output folder {path} is not writable.", "choose a folder you can write to with --out."
        )
    return path


@contextlib.contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `final` (same suffix); rename it onto `final` on success,
    delete it on failure."""
    final = Path(final)
    ensure_writable_dir(final.parent)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent
    )
    os.close(handle)
    temp = Path(temp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temp, 0o666 & ~umask)  # mkstemp creates 0600; outputs get the usual permissions
    try:
        yield temp
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as temp:
        temp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_png_atomic(path: str | Path, image: Any) -> Path:
    """A PIL image as PNG, atomically."""
    with atomic_path(path) as temp:
        image.save(temp, format="PNG")
    return Path(path)


def write_json_atomic(path: str | Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
