"""Face detection, alignment, identity embeddings and similarity."""

from __future__ import annotations

from typing import Any

from ipvg.faces.base import Face, FaceBackend, cosine_similarity, largest_face

__all__ = ["Face", "FaceBackend", "cosine_similarity", "create_face_backend", "largest_face", "register"]


def register(registry: Any) -> None:
    """Register the built-in face backends (filled in by the faces module's backends)."""


def create_face_backend(name: str = "dlib", **kwargs: Any) -> FaceBackend:
    from ipvg.registry import registry

    return registry.create("faces", name, **kwargs)
