"""Face detection, alignment, identity embeddings and similarity.

Backends (kind `faces`): `dlib` (offline default), `insightface` (ArcFace, the challenge's FaceSim-Arc),
`curricularface` (IR-101, the challenge's FaceSim-Cur). Create one with `create_face_backend(name)`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ipvg.config import FacesConfig

from ipvg.faces.base import Face, FaceBackend, Reference, cosine_similarity, largest_face
from ipvg.faces.geometry import norm_crop, pad_with_grey
from ipvg.faces.policies import detect_with_padded_retry

__all__ = [
    "Face",
    "FaceBackend",
    "Reference",
    "cosine_similarity",
    "create_face_backend",
    "detect_with_padded_retry",
    "face_backend_for",
    "largest_face",
    "norm_crop",
    "pad_with_grey",
    "register",
]

DLIB_HINT = (
    "pip install 'ipvg[faces]' (or: pip install dlib-bin==20.0.1.post1 face-recognition-models==0.3.0)"
)
INSIGHTFACE_HINT = "pip install 'ipvg[faces]' (or: pip install insightface==2.1 onnxruntime==1.32.0 opencv-python==4.14.0.94)"


def register(registry: Any) -> None:
    """Register the built-in face backends."""
    from ipvg.registry import BackendSpec

    registry.register(
        BackendSpec(
            kind="faces",
            name="dlib",
            target="ipvg.faces.dlib_backend:create",
            summary="dlib HOG -> CNN detector, 5 keypoints, 128-d ResNet descriptor (offline; no gender)",
            requires=("dlib", "face_recognition_models"),
            pip_hint=DLIB_HINT,
        )
    )
    registry.register(
        BackendSpec(
            kind="faces",
            name="insightface",
            target="ipvg.faces.insightface_backend:create",
            summary="insightface SCRFD + ArcFace 512-d, gender/age (needs a local buffalo_l/antelopev2 pack)",
            requires=("insightface", "onnxruntime", "cv2"),
            pip_hint=INSIGHTFACE_HINT,
            # Shown as missing by `ipvg backends` until the default pack is unpacked there.
            weights=("~/.insightface/models/buffalo_l",),
        )
    )
    registry.register(
        BackendSpec(
            kind="faces",
            name="curricularface",
            target="ipvg.faces.curricularface_backend:create",
            summary="CurricularFace IR-101 512-d on insightface/dlib keypoints (ConsisID-preview weights)",
            requires=("torch",),
            pip_hint="pip install 'ipvg[faces]'",
            weights=("BestWishYsh/ConsisID-preview",),
        )
    )


def face_backend_for(config: FacesConfig) -> FaceBackend:
    """The face backend a run's `faces` config names: the one place a run's face backend is created
    (the pipeline, `ipvg keyframe`); eval creates its own with the challenge's detector settings."""
    from ipvg.config import parse_kwargs
    from ipvg.registry import missing_packages, registry

    kwargs: dict[str, Any] = {"model_root": config.model_root} if config.model_root else {}
    spec = registry.get("faces", config.backend)
    if config.options and not missing_packages(spec.requires):
        # Typed by the backend's own constructor; unknown names are a ConfigError.
        module_name, attr = spec.target.split(":")
        factory = getattr(importlib.import_module(module_name), attr)
        kwargs.update(parse_kwargs(dict(config.options), factory, "faces.options", strict=True))
    return create_face_backend(config.backend, **kwargs)


def create_face_backend(name: str = "dlib", **kwargs: Any) -> FaceBackend:
    from ipvg.registry import registry

    return registry.create("faces", name, **kwargs)
