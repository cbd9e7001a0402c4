"""insightface faces: SCRFD detection (Guo et al., arXiv 2105.04714), 5 keypoints, ArcFace 512-d
embeddings (Deng et al., CVPR 2019), gender and age: the models the challenge's FaceSim-Arc uses.

Model packs (`buffalo_l`, `antelopev2`) are folders of ONNX files that users download themselves.
insightface's `FaceAnalysis` starts a download when its folder is missing; we look for the folder
first and raise `WeightsNotFoundError` saying where we looked, so nothing is ever fetched by surprise.
A single recognition ONNX (`recognition_model=`) can replace the pack's recogniser, or, with
`detector="dlib"`, be used without any pack (keypoints then come from dlib).
"""

from __future__ import annotations

import glob
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ipvg.errors import ConfigError, MissingDependencyError, RuntimeOptionError, WeightsNotFoundError
from ipvg.faces.base import Face, FaceBackend
from ipvg.faces.geometry import norm_crop, to_rgb_array, unit
from ipvg.faces.policies import detect_with_padded_retry

logger = logging.getLogger(__name__)

PACK_NAMES = ("buffalo_l", "antelopev2")
DEFAULT_ROOT = "~/.insightface"
PIP_HINT = "pip install 'ipvg[faces]' (or: pip install insightface==2.1 onnxruntime==1.32.0 opencv-python==4.14.0.94)"
PACK_HINT = (
    "download a model pack on a machine with internet and unzip it there: buffalo_l from "
    "https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip to ~/.insightface/models/buffalo_l "
    "(antelopev2 works too; ConsisID-preview ships both under face_encoder/models/), "
    "or pass `model_pack=FOLDER` (CLI: --insightface-pack FOLDER)."
)
GENDERS = {0: "female", 1: "male"}  # insightface's genderage head: argmax 1 is male


def _has_onnx(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.onnx"))


def pack_candidates(model_pack: str | Path | None, root: str | Path | None) -> list[Path]:
    """Folders that may hold the pack, in the order we try them."""
    if model_pack is not None and (Path(model_pack).expanduser().is_absolute() or "/" in str(model_pack)):
        return [Path(model_pack).expanduser()]
    names = (str(model_pack),) if model_pack is not None else PACK_NAMES
    roots = [Path(root or DEFAULT_ROOT).expanduser()]
    try:
        from ipvg.weights import hub_cache_dir

        pattern = str(
            Path(hub_cache_dir())
            / "models--BestWishYsh--ConsisID-preview"
            / "snapshots"
            / "*"
            / "face_encoder"
        )
        roots += [Path(found) for found in sorted(glob.glob(pattern))]
    except ImportError:
        pass
    return [base / "models" / name for base in roots for name in names]


def find_model_pack(model_pack: str | Path | None = None, root: str | Path | None = None) -> Path:
    """The first candidate folder that holds ONNX files (antelopev2's zip nests one level deeper).
    `ipvg-tiny:insightface-pack` builds the tiny random pack (tests, the `tiny` preset)."""
    from ipvg.weights import is_tiny, resolve_model

    if model_pack is not None and is_tiny(str(model_pack)):
        return Path(resolve_model(str(model_pack), marker=""))
    candidates = pack_candidates(model_pack, root)
    for folder in candidates:
        for inner in (folder, folder / folder.name):
            if _has_onnx(inner):
                return inner
    looked = ", ".join(str(folder) for folder in candidates)
    raise WeightsNotFoundError(f"No insightface model pack found (looked in: {looked}).", PACK_HINT)


def resolve_providers(providers: str | list[str] | None) -> list[str]:
    """ONNX Runtime execution providers for "cpu", "cuda", "auto"/None, or an explicit list."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if isinstance(providers, list):
        return providers
    choice = (providers or "auto").lower()
    if choice == "auto":
        choice = "cuda" if "CUDAExecutionProvider" in available else "cpu"
    if choice == "cpu":
        return ["CPUExecutionProvider"]
    if choice == "cuda":
        if "CUDAExecutionProvider" not in available:
            raise RuntimeOptionError(
                "ONNX Runtime here has no CUDA execution provider.",
                "uninstall onnxruntime and install onnxruntime-gpu (same version), or use providers='cpu'.",
            )
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    raise ConfigError(
        f"Unknown `providers` value {providers!r}.",
        "use 'auto', 'cpu', 'cuda' or a list of ONNX Runtime providers.",
    )


def load_recognition_onnx(path: str | Path, providers: list[str]) -> Any:
    """An insightface `ArcFaceONNX` from one ONNX file, a folder holding one, or `ipvg-tiny:arcface-onnx`
    (checked to exist first: insightface would otherwise try to download a name it does not find)."""
    from insightface.model_zoo import get_model

    from ipvg.weights import is_tiny, resolve_model

    path = Path(resolve_model(str(path), marker="") if is_tiny(str(path)) else path).expanduser()
    if path.is_dir() and len(list(path.glob("*.onnx"))) == 1:
        path = next(path.glob("*.onnx"))
    if not path.is_file() or path.suffix != ".onnx":
        raise WeightsNotFoundError(
            f"Recognition model not found: {path} is not an existing .onnx file.",
            "pass the path of an ArcFace ONNX file such as buffalo_l/w600k_r50.onnx or antelopev2/glintr100.onnx.",
        )
    try:
        model = get_model(str(path), providers=providers)
    except Exception as error:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise WeightsNotFoundError(
            f"Cannot load {path} with ONNX Runtime ({type(error).__name__}: {str(error)[:160]}).",
            "the file is corrupt or not an ONNX model; download it again.",
        ) from None
    if model is None or getattr(model, "taskname", None) != "recognition":
        raise WeightsNotFoundError(
            f"{path} is not a face recognition model (insightface routes it to {getattr(model, 'taskname', None)!r}).",
            "pass an ArcFace recogniser: input 1x3x112x112, output 512 values.",
        )
    return model


class InsightFaceBackend:
    """SCRFD (or dlib) detection, ArcFace embeddings, gender/age when the pack has them."""

    name = "insightface"
    embedding_dim = 512

    def __init__(
        self,
        *,
        model_pack: str | Path | None = None,
        root: str | Path | None = None,
        det_size: int = 640,
        det_thresh: float = 0.5,
        providers: str | list[str] | None = None,
        recognition_model: str | Path | None = None,
        detector: str | FaceBackend = "pack",
        pad_scale: float | None = 1.25,
    ) -> None:
        # 1. Check inputs before loading anything
        if isinstance(detector, str) and detector not in ("pack", "dlib"):
            raise ConfigError(
                f"Unknown `detector` {detector!r} for the insightface backend.",
                "use 'pack', 'dlib' or a face backend.",
            )
        if det_size < 32 or det_size % 32:
            raise ConfigError(
                f"`det_size` must be a positive multiple of 32; got {det_size}.",
                "use 640, or 320 for scoring.",
            )
        try:
            import cv2  # noqa: F401  (insightface needs it; fail here with the fix)
            import insightface  # noqa: F401
        except ImportError as error:
            raise MissingDependencyError(
                f"The insightface face backend needs `{error.name}`.", PIP_HINT
            ) from None
        self.providers = resolve_providers(providers)
        self.det_size = det_size
        self.pad_scale = pad_scale
        self.model_pack: Path | None = None
        self._app: Any = None
        self._keypoint_source: Any = None  # another backend whose `detect_once` gives boxes + keypoints

        # 2. An explicit recogniser ONNX (checked first: it is the cheapest thing to get wrong)
        self._recognizer: Any = None
        if recognition_model is not None:
            self._recognizer = load_recognition_onnx(recognition_model, self.providers)
            self._recognizer.prepare(self._ctx_id)

        # 3. Detector (+ gender/age) from the pack, or another backend's keypoints
        if detector == "pack" or recognition_model is None:
            self.model_pack = find_model_pack(model_pack, root)
            self._app = self._load_pack(self.model_pack, det_thresh, recognition_model is None)
        if detector == "dlib":
            from ipvg.faces.dlib_backend import DlibFaceBackend

            self._keypoint_source = DlibFaceBackend(pad_scale=None)
        elif not isinstance(detector, str):
            self._keypoint_source = detector

        # 4. Otherwise the pack's own recogniser, run by us (not by FaceAnalysis) on the chosen keypoints
        if self._recognizer is None:
            self._recognizer = self._app.models.pop("recognition", None)
            if self._recognizer is None:
                raise WeightsNotFoundError(
                    f"The model pack {self.model_pack} has no recognition model.", PACK_HINT
                )
        self.recognition_model = Path(self._recognizer.model_file)

    @property
    def _ctx_id(self) -> int:
        return 0 if self.providers[0] == "CUDAExecutionProvider" else -1

    def _load_pack(self, folder: Path, det_thresh: float, with_recognition: bool) -> Any:
        from insightface.app import FaceAnalysis

        modules = ["detection", "genderage"] + (["recognition"] if with_recognition else [])
        try:
            # A folder path (not a pack name) makes FaceAnalysis load it as is, never download.
            app = FaceAnalysis(name=str(folder), allowed_modules=modules, providers=self.providers)
        except AssertionError:
            raise WeightsNotFoundError(
                f"The model pack {folder} has no face detection model.", PACK_HINT
            ) from None
        except Exception as error:
            raise WeightsNotFoundError(
                f"Cannot load the insightface model pack {folder} ({type(error).__name__}: {str(error)[:160]}).",
                f"its ONNX files may be corrupt; {PACK_HINT}",
            ) from None
        app.prepare(ctx_id=self._ctx_id, det_thresh=det_thresh, det_size=(self.det_size, self.det_size))
        return app

    def __repr__(self) -> str:
        source = (
            self.model_pack if self._keypoint_source is None else f"{self._keypoint_source.name} keypoints"
        )
        return f"InsightFaceBackend({source}, recognition={self.recognition_model.name}, det_size={self.det_size})"

    def detect_once(self, image: Image.Image | np.ndarray) -> list[Face]:
        """Faces in `image` (no padded retry), with raw and unit ArcFace embeddings; order as detected."""
        from insightface.app.common import Face as InsightFace

        image_HWC = to_rgb_array(image)
        image_bgr_HWC = np.ascontiguousarray(image_HWC[:, :, ::-1])  # insightface works in OpenCV's BGR
        if self._keypoint_source is None:
            found = self._app.get(image_bgr_HWC)
        else:
            found = [
                InsightFace(
                    bbox=np.array(f.box_xyxy), kps=f.keypoints_52.astype(np.float32), det_score=f.score
                )
                for f in self._keypoint_source.detect_once(image_HWC)
            ]
        faces = []
        for raw in found:
            with warnings.catch_warnings():  # insightface 2.1 calls a scikit-image API deprecated in 0.26
                warnings.simplefilter("ignore", FutureWarning)
                raw_embedding = np.asarray(self._recognizer.get(image_bgr_HWC, raw), dtype=np.float32)
            faces.append(
                Face(
                    box_xyxy=tuple(float(v) for v in raw.bbox[:4]),  # type: ignore[arg-type]
                    keypoints_52=np.asarray(raw.kps, dtype=np.float64),
                    score=float(raw.det_score),
                    embedding=unit(raw_embedding),
                    raw_embedding=raw_embedding,
                    gender=GENDERS.get(int(raw.gender)) if raw.gender is not None else None,
                    age=float(raw.age) if raw.age is not None else None,
                    backend=self.name,
                )
            )
        return faces

    def detect(self, image: Image.Image | np.ndarray) -> list[Face]:
        """Faces largest first, with embeddings; retried on a grey-padded image if none is found."""
        return detect_with_padded_retry(self.detect_once, image, pad_scale=self.pad_scale)

    def align(self, image: Image.Image | np.ndarray, face: Face, size: int = 112) -> Image.Image:
        return Image.fromarray(norm_crop(image, face.keypoints_52, size))

    def embed_aligned(self, crops: list[np.ndarray]) -> np.ndarray:
        """Raw ArcFace embeddings (N, 512) of RGB crops already aligned to the recogniser's input size."""
        crops_bgr = [np.ascontiguousarray(to_rgb_array(crop)[:, :, ::-1]) for crop in crops]
        return np.asarray(self._recognizer.get_feat(crops_bgr), dtype=np.float32)


def create(*, model_root: str | Path | None = None, **kwargs: Any) -> InsightFaceBackend:
    """Registry factory; `model_root` (`FacesConfig.model_root`) is the model-pack folder or name."""
    if model_root is not None:
        kwargs.setdefault("model_pack", model_root)
    return InsightFaceBackend(**kwargs)
