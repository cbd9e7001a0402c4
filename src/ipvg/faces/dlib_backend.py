"""dlib faces: the offline default (no downloads; the models ship in `face-recognition-models`).

Detection: HOG + linear SVM (Dalal & Triggs, CVPR 2005) first; when it finds nothing, dlib's CNN
max-margin object detector (MMOD, King, arXiv 1502.00046), which also finds near-profile and very
close faces; then the same two on a grey-padded image. Keypoints come from the 68-point shape model
(Kazemi & Sullivan, CVPR 2014) reduced to ArcFace's five (eye centres, nose tip, mouth corners); the
identity descriptor is dlib's 128-d ResNet (99.38% on LFW) computed from the 5-point shape model, as
dlib recommends. dlib cannot tell gender or age, so those stay `None`.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ipvg.errors import ConfigError, MissingDependencyError, WeightsNotFoundError
from ipvg.faces.base import Face
from ipvg.faces.geometry import norm_crop, to_rgb_array, unit
from ipvg.faces.policies import detect_with_padded_retry

logger = logging.getLogger(__name__)

PIP_HINT = "pip install 'ipvg[faces]' (or: pip install dlib-bin==20.0.1.post1 face-recognition-models==0.3.0)"

MODEL_FILES = {
    "cnn_detector": "mmod_human_face_detector.dat",
    "shape_5": "shape_predictor_5_face_landmarks.dat",
    "shape_68": "shape_predictor_68_face_landmarks.dat",
    "recognition": "dlib_face_recognition_resnet_model_v1.dat",
}

# 68-point indices (iBUG 300-W layout) of the eye rings and the nose tip / mouth corners.
EYE_IMAGE_LEFT_68 = slice(36, 42)
EYE_IMAGE_RIGHT_68 = slice(42, 48)
NOSE_TIP_68, MOUTH_LEFT_68, MOUTH_RIGHT_68 = 30, 48, 54


@dataclass(frozen=True)
class DlibModelPaths:
    cnn_detector: Path
    shape_5: Path
    shape_68: Path
    recognition: Path


CNN_MIN_SIDE = 16  # pixels; the CNN fails below 7 and finds nothing below its ~40-pixel window


def find_dlib_models(models_dir: str | Path | None = None) -> DlibModelPaths:
    """Locate the four dlib model files, in `models_dir` or inside the installed
    `face_recognition_models` package (found without importing it: its `__init__` imports the
    removed `pkg_resources`)."""
    if models_dir is None:
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None or not spec.submodule_search_locations:
            raise WeightsNotFoundError(
                "dlib's face models are not installed (package `face_recognition_models` not found).",
                f"{PIP_HINT}; or pass `models_dir=` a folder holding {', '.join(MODEL_FILES.values())}.",
            )
        folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    else:
        folder = Path(models_dir).expanduser()
    missing = [name for name in MODEL_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise WeightsNotFoundError(
            f"dlib model file(s) {', '.join(missing)} not found in {folder}.",
            f"reinstall them ({PIP_HINT}) or pass `models_dir=` a folder that has them.",
        )
    return DlibModelPaths(**{key: folder / name for key, name in MODEL_FILES.items()})


def keypoints_52_from_68(points_682: np.ndarray) -> np.ndarray:
    """ArcFace's five keypoints (image-left eye centre, image-right eye centre, nose tip, mouth
    corners) from the 68 iBUG landmarks."""
    return np.stack(
        [
            points_682[EYE_IMAGE_LEFT_68].mean(axis=0),
            points_682[EYE_IMAGE_RIGHT_68].mean(axis=0),
            points_682[NOSE_TIP_68],
            points_682[MOUTH_LEFT_68],
            points_682[MOUTH_RIGHT_68],
        ]
    ).astype(np.float64)


@functools.lru_cache(maxsize=2)
def _load_models(paths: DlibModelPaths) -> tuple[Any, Any, Any]:
    """dlib's shape and recognition models (~130 MB), loaded once per process: the prompt decoupler,
    the spatial stage and the scorer may each create a dlib backend. dlib's models are read-only."""
    import dlib

    return (
        dlib.shape_predictor(str(paths.shape_5)),
        dlib.shape_predictor(str(paths.shape_68)),
        dlib.face_recognition_model_v1(str(paths.recognition)),
    )


@functools.lru_cache(maxsize=2)
def _load_cnn(path: Path) -> Any:
    import dlib

    return dlib.cnn_face_detection_model_v1(str(path))


class DlibFaceBackend:
    """dlib HOG -> CNN -> padded retry detection, 68-point keypoints, 128-d ResNet descriptor."""

    name = "dlib"
    embedding_dim = 128
    # Cosine between unit descriptors above which two faces are likely the same person: dlib's
    # documented Euclidean threshold 0.6 on raw descriptors (norm ~1.4) is a cosine of about 0.91.
    match_threshold = 0.91

    def __init__(
        self,
        *,
        models_dir: str | Path | None = None,
        hog_upsample: int = 1,
        hog_min_score: float = 0.5,
        cnn_fallback: bool = True,
        cnn_upsample: int = 0,
        pad_scale: float | None = 1.25,
        detect_max_side: int = 1024,
        num_jitters: int = 0,
    ) -> None:
        if hog_upsample < 0 or cnn_upsample < 0:
            raise ConfigError("`hog_upsample` and `cnn_upsample` must be >= 0.", "use 0, 1 or 2.")
        if detect_max_side < 64:
            raise ConfigError(f"`detect_max_side` must be >= 64; got {detect_max_side}.", "use 1024.")
        try:
            import dlib
        except ImportError:
            raise MissingDependencyError(
                "The dlib face backend needs the `dlib` package.", PIP_HINT
            ) from None
        paths = find_dlib_models(models_dir)
        self._dlib = dlib
        self.model_paths = paths
        self.hog_upsample = hog_upsample
        # HOG's weakest detections are often not faces: on skimage's astronaut it scores the mission
        # patch 0.12 against 1.16 for the face. Below this score we ask the CNN instead.
        self.hog_min_score = hog_min_score
        self.cnn_fallback = cnn_fallback
        self.cnn_upsample = cnn_upsample
        self.pad_scale = pad_scale
        self.detect_max_side = detect_max_side
        self.num_jitters = num_jitters
        self._hog = dlib.get_frontal_face_detector()
        self._cnn: Any = None  # loaded on first need: most photos never need it
        self._shape_5, self._shape_68, self._recognition = _load_models(paths)

    def __repr__(self) -> str:
        return f"DlibFaceBackend(hog_upsample={self.hog_upsample}, cnn_fallback={self.cnn_fallback}, pad_scale={self.pad_scale})"

    # 1. Boxes --------------------------------------------------------------------------------
    def boxes(
        self, image_HWC: np.ndarray, *, cnn_fallback: bool | None = None
    ) -> list[tuple[tuple[int, int, int, int], float, str]]:
        """(box_xyxy, score, detector name) in `image_HWC`'s pixels: HOG, else the CNN."""
        cnn_fallback = self.cnn_fallback if cnn_fallback is None else cnn_fallback
        scale = min(1.0, self.detect_max_side / max(image_HWC.shape[:2]))
        small_HWC = image_HWC
        if scale < 1.0:  # detection cost grows with pixels; landmarks and descriptors use full size
            size = (round(image_HWC.shape[1] * scale), round(image_HWC.shape[0] * scale))
            small_HWC = np.asarray(Image.fromarray(image_HWC).resize(size, Image.Resampling.BILINEAR))

        def to_full(rect: Any) -> tuple[int, int, int, int]:
            return tuple(round(v / scale) for v in (rect.left(), rect.top(), rect.right(), rect.bottom()))  # type: ignore[return-value]

        rects, scores, _ = self._hog.run(small_HWC, self.hog_upsample, 0.0)
        boxes = [
            (to_full(r), float(s), "hog")
            for r, s in zip(rects, scores, strict=True)
            if s >= self.hog_min_score
        ]
        # dlib's CNN stops with "Filter windows must be small enough" below 7 pixels a side (a 64x16384
        # strip downscaled for detection is 4 pixels tall); no face it can find fits in such a strip anyway.
        if boxes or not cnn_fallback or min(small_HWC.shape[:2]) < CNN_MIN_SIDE:
            return boxes
        if self._cnn is None:
            self._cnn = _load_cnn(self.model_paths.cnn_detector)
        detections = self._cnn(small_HWC, self.cnn_upsample)
        return [(to_full(d.rect), float(d.confidence), "cnn") for d in detections]

    # 2. Keypoints and descriptor -------------------------------------------------------------
    def _face(
        self, image_HWC: np.ndarray, box: tuple[int, int, int, int], score: float, with_embedding: bool
    ) -> Face:
        rect = self._dlib.rectangle(*box)
        shape_68 = self._shape_68(image_HWC, rect)
        points_682 = np.array([[p.x, p.y] for p in shape_68.parts()], dtype=np.float64)
        descriptor = None
        if with_embedding:
            shape_5 = self._shape_5(image_HWC, rect)
            descriptor = np.array(
                self._recognition.compute_face_descriptor(image_HWC, shape_5, self.num_jitters),
                dtype=np.float32,
            )
        height, width = image_HWC.shape[:2]
        x0, y0, x1, y1 = box
        return Face(
            box_xyxy=(float(max(0, x0)), float(max(0, y0)), float(min(width, x1)), float(min(height, y1))),
            keypoints_52=keypoints_52_from_68(points_682),
            score=score,
            embedding=unit(descriptor) if descriptor is not None else None,
            raw_embedding=descriptor,
            backend=self.name,
        )

    def detect_once(self, image: Image.Image | np.ndarray, *, with_embedding: bool = True) -> list[Face]:
        """Faces in `image` (no padded retry), with embeddings unless `with_embedding=False` (for
        callers that only need keypoints); order as detected."""
        image_HWC = to_rgb_array(image)
        return [self._face(image_HWC, box, score, with_embedding) for box, score, _ in self.boxes(image_HWC)]

    def detect(self, image: Image.Image | np.ndarray) -> list[Face]:
        """Faces largest first, with embeddings; retried on a grey-padded image if none is found."""
        return detect_with_padded_retry(self.detect_once, image, pad_scale=self.pad_scale)

    def align(self, image: Image.Image | np.ndarray, face: Face, size: int = 112) -> Image.Image:
        return Image.fromarray(norm_crop(image, face.keypoints_52, size))


def create(*, model_root: str | Path | None = None, **kwargs: Any) -> DlibFaceBackend:
    """Registry factory; `model_root` (`FacesConfig.model_root`) is the folder of dlib's .dat files."""
    if model_root is not None:
        kwargs.setdefault("models_dir", model_root)
    return DlibFaceBackend(**kwargs)
