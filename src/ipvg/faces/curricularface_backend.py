"""CurricularFace faces: another backend's detections and keypoints, our IR-101 embeddings.

Preprocessing is the challenge scorer's (ConsisID `eval/get_facesim_fid.py`): ArcFace alignment to
224x224 (`norm_crop`), bilinear resize to 112, RGB scaled by (x/255 - 0.5)/0.5, then IR-101 and L2
normalisation. Detection uses insightface when a model pack is present (as the scorer does), dlib
otherwise (the keypoints then differ a little from the scorer's, and so do the scores).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ipvg.errors import ConfigError, WeightsNotFoundError
from ipvg.faces.base import Face, FaceBackend
from ipvg.faces.curricularface import CHECKPOINT_HINT, INPUT_SIZE, IResNet, load_curricularface
from ipvg.faces.geometry import norm_crop, to_rgb_array, unit

logger = logging.getLogger(__name__)

HUB_REPO = "BestWishYsh/ConsisID-preview"
HUB_FILE = "face_encoder/glint360k_curricular_face_r101_backbone.bin"
ALIGN_SIZE = 224  # the scorer aligns at 224 (shared with its FID crops), then resizes to 112


def find_curricularface_weights(weights: str | Path | None) -> Path:
    """`weights` if given, else ConsisID-preview's file in the Hugging Face cache (never downloaded)."""
    if weights is not None:
        return Path(weights).expanduser()
    try:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(HUB_REPO, HUB_FILE, local_files_only=True))
    except Exception:  # not cached (LocalEntryNotFoundError), or offline mode
        from ipvg.weights import hub_cache_dir

        raise WeightsNotFoundError(
            f"CurricularFace weights not given and `{HUB_REPO}/{HUB_FILE}` is not in the Hugging Face cache ({hub_cache_dir()}).",
            CHECKPOINT_HINT,
        ) from None


def resize_112(crop_HWC: np.ndarray) -> np.ndarray:
    """224 -> 112 as the scorer does (OpenCV bilinear); PIL's bilinear where OpenCV is missing."""
    try:
        import cv2
    except ImportError:
        return np.asarray(
            Image.fromarray(crop_HWC).resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
        )
    return cv2.resize(crop_HWC, (INPUT_SIZE, INPUT_SIZE))


# Options that only the insightface detector takes; dropped when keypoints come from dlib.
INSIGHTFACE_OPTIONS = frozenset(
    {"model_pack", "root", "det_size", "det_thresh", "providers", "recognition_model"}
)


def make_detector(detector: str | FaceBackend, **kwargs: Any) -> FaceBackend:
    """The keypoint source: a backend instance, "insightface", "dlib", or "auto": insightface when a
    model pack is given or found, else dlib with a warning that scores will differ from the challenge's."""
    if not isinstance(detector, str):
        return detector
    if detector not in ("auto", "insightface", "dlib"):
        raise ConfigError(
            f"Unknown `detector` {detector!r} for CurricularFace.", "use 'auto', 'insightface' or 'dlib'."
        )
    if detector == "auto":
        from ipvg.faces.insightface_backend import find_model_pack

        detector = "insightface"
        if kwargs.get("model_pack") is None:  # an explicit pack must load, or fail with its own error
            try:
                find_model_pack(None, kwargs.get("root"))
            except WeightsNotFoundError:
                logger.warning(
                    "No insightface model pack found: CurricularFace uses dlib keypoints "
                    "(scores differ slightly from the challenge's)."
                )
                detector = "dlib"
    if detector == "dlib":
        kwargs = {key: value for key, value in kwargs.items() if key not in INSIGHTFACE_OPTIONS}
    from ipvg.faces import create_face_backend

    return create_face_backend(detector, **kwargs)


class CurricularFaceBackend:
    """Detections from `detector`, embeddings from CurricularFace IR-101 (512-d, unit length)."""

    name = "curricularface"
    embedding_dim = 512

    def __init__(
        self,
        *,
        weights: str | Path | None = None,
        model: IResNet | None = None,
        detector: str | FaceBackend = "auto",
        device: str = "cpu",
        batch_size: int = 16,
        **detector_kwargs: Any,
    ) -> None:
        import torch

        self._torch = torch
        self.device = torch.device(device)
        self.batch_size = batch_size
        # `model=` takes an already built IResNet (benchmarks with random weights, tests).
        if model is None:
            model = load_curricularface(find_curricularface_weights(weights), device=self.device)
        self.model = model.eval().to(self.device)
        self.detector = make_detector(detector, **detector_kwargs)

    def __repr__(self) -> str:
        return f"CurricularFaceBackend(IR-{self.model.num_layers}, detector={self.detector.name}, device={self.device})"

    def embed_aligned(self, crops: list[np.ndarray] | list[Image.Image]) -> np.ndarray:
        """Raw IR features (N, 512) of RGB face crops aligned with `norm_crop` at 224 (or 112)."""
        torch = self._torch
        crops_NHWC = np.stack(
            [c if c.shape[0] == INPUT_SIZE else resize_112(c) for c in (to_rgb_array(crop) for crop in crops)]
        )
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(crops_NHWC), self.batch_size):
                batch = torch.from_numpy(crops_NHWC[start : start + self.batch_size]).to(self.device)
                pixels_BCHW = batch.permute(0, 3, 1, 2).float().div(255.0).sub(0.5).div(0.5)
                outputs.append(self.model(pixels_BCHW).float().cpu().numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0, 512), np.float32)

    def _with_embeddings(self, image: Image.Image | np.ndarray, faces: list[Face]) -> list[Face]:
        if not faces:
            return []
        image_HWC = to_rgb_array(image)
        crops = [norm_crop(image_HWC, face.keypoints_52, ALIGN_SIZE) for face in faces]
        raw_N512 = self.embed_aligned(crops)
        return [
            Face(
                box_xyxy=face.box_xyxy,
                keypoints_52=face.keypoints_52,
                score=face.score,
                embedding=unit(raw),
                raw_embedding=raw,
                gender=face.gender,
                age=face.age,
                backend=self.name,
            )
            for face, raw in zip(faces, raw_N512, strict=True)
        ]

    def detect_once(self, image: Image.Image | np.ndarray) -> list[Face]:
        return self._with_embeddings(image, self.detector.detect_once(image))  # type: ignore[attr-defined]

    def detect(self, image: Image.Image | np.ndarray) -> list[Face]:
        """The detector's faces (largest first, its padded retry included), re-embedded by IR-101
        from crops of the original image, as the challenge scorer does."""
        return self._with_embeddings(image, self.detector.detect(image))

    def align(self, image: Image.Image | np.ndarray, face: Face, size: int = 112) -> Image.Image:
        return Image.fromarray(norm_crop(image, face.keypoints_52, size))


def weights_in(model_root: str | Path) -> Path:
    """The checkpoint given as a file, or found in a folder: the folder itself, its `face_encoder/`
    (a ConsisID-preview download), or that folder's parent."""
    root = Path(model_root).expanduser()
    name = Path(HUB_FILE).name
    for candidate in (root, root / name, root / "face_encoder" / name, root.parent / name):
        if candidate.is_file():
            return candidate
    return root / "face_encoder" / name if (root / "face_encoder").is_dir() else root / name


def create(*, model_root: str | Path | None = None, **kwargs: Any) -> CurricularFaceBackend:
    """Registry factory; `model_root` (`FacesConfig.model_root`) is the checkpoint file or a folder
    holding it (e.g. a ConsisID-preview download)."""
    if model_root is not None:
        kwargs.setdefault("weights", weights_in(model_root))
    return CurricularFaceBackend(**kwargs)
