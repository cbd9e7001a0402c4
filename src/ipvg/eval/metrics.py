"""The registered metrics: each one glues an extractor (a model) to pure maths (`ipvg.eval.maths`).

Definitions follow the IPVG challenge's scorer (ConsisID `eval/get_facesim_fid.py`): 16 frames,
the largest face (grey-padded retry when none), identity cosine clamped at 0 and averaged over
frames with a face (0 when no frame has one), per-frame FID of aligned face crops against the
reference's, CLIPScore over the sampled frames.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ipvg.errors import WeightsNotFoundError
from ipvg.eval import maths
from ipvg.eval.context import EvalContext
from ipvg.eval.types import EvalProblem, MetricValue, Reason
from ipvg.identity import identity_similarity

FID_CROP_SIZE = 224  # the scorer aligns faces with norm_crop(kps, 224) before Inception


class FaceSimMetric:
    """FaceSim with one face backend: clamped cosine of identity embeddings, mean over frames with a face."""

    higher_is_better = True

    def __init__(self, name: str, face_backend: str) -> None:
        self.name, self.face_backend = name, face_backend

    def score(self, context: EvalContext) -> MetricValue:
        reference = context.faces.reference_face(self.face_backend, context)
        frame_faces = context.faces.frame_faces(self.face_backend, context)
        for face in [reference, *frame_faces]:
            if face is not None:
                _embedding(face)  # a face without a vector is the backend's fault, not "no face"
        # The one FaceSim (ipvg.identity): the same similarity the pipeline records.
        per_frame = [identity_similarity(reference, face) for face in frame_faces]
        value = maths.mean_over_present(per_frame)
        details: dict[str, Any] = {
            "face_backend": self.face_backend,
            "no_face_share": maths.missing_share(per_frame),
        }
        if value is None:
            # The challenge scorer gives 0 to a video with no face in any sampled frame; so do we.
            details["note"] = "no face in any sampled frame: scored 0, as the challenge scorer does"
            value = 0.0
        return MetricValue(value=value, per_frame=per_frame, details=details)


def _embedding(face: Any) -> np.ndarray:
    vector = face.raw_embedding if face.raw_embedding is not None else face.embedding
    if vector is None:
        raise EvalProblem(
            Reason.METRIC_ERROR, f"face backend `{face.backend}` returned a face without an embedding"
        )
    return vector


class FidMetric:
    """FID of aligned face crops: per sampled frame, the Frechet distance between the frame crop's and
    the reference crop's Inception features (one sample each, so it is their squared distance, as in
    the challenge scorer); the mean over frames with a face. Lower is better."""

    higher_is_better = False
    name = "fid"

    def __init__(self, inception: Any, face_backend: str = "insightface", batch_size: int = 16) -> None:
        self.inception, self.face_backend, self.batch_size = inception, face_backend, batch_size
        self._reference_features: dict[Path | None, np.ndarray] = {}

    def features(self, crops: list[Image.Image]) -> np.ndarray:
        """(N, D) Inception pool features of RGB crops."""
        import torch

        device = next(self.inception.parameters()).device
        if getattr(self.inception, "variant", "") == "torchvision":
            # The challenge scorer resizes each 8-bit crop to 299 with PIL (torchvision's Resize on a
            # PIL image) before ToTensor; the pytorch-fid variant resizes the float tensor instead.
            crops = [crop.convert("RGB").resize((299, 299), Image.Resampling.BILINEAR) for crop in crops]
        rows = []
        for start in range(0, len(crops), self.batch_size):
            batch = np.stack(
                [
                    np.asarray(crop.convert("RGB"), dtype=np.float32) / 255.0
                    for crop in crops[start : start + self.batch_size]
                ]
            )
            with torch.no_grad():
                rows.append(
                    self.inception(torch.from_numpy(batch).permute(0, 3, 1, 2).to(device))
                    .double()
                    .cpu()
                    .numpy()
                )
        return np.concatenate(rows, axis=0)

    def score(self, context: EvalContext) -> MetricValue:
        backend = context.faces.backend(self.face_backend)
        key = context.item.reference_path
        if key not in self._reference_features:
            reference_face = context.faces.reference_face(self.face_backend, context)
            crop = backend.align(context.require_reference(), reference_face, FID_CROP_SIZE)
            self._reference_features[key] = self.features([crop])
        reference_1D = self._reference_features[key]
        frame_faces = context.faces.frame_faces(self.face_backend, context)
        images = context.frame_images()
        crops = [
            backend.align(images[i], face, FID_CROP_SIZE)
            for i, face in enumerate(frame_faces)
            if face is not None
        ]
        features_ND = self.features(crops) if crops else np.zeros((0, reference_1D.shape[1]))
        rows = iter(features_ND)
        per_frame = [
            None if face is None else maths.fid_from_features(reference_1D, next(rows)[None])
            for face in frame_faces
        ]
        value = maths.mean_over_present(per_frame)
        details: dict[str, Any] = {
            "face_backend": self.face_backend,
            "no_face_share": maths.missing_share(per_frame),
        }
        if value is None:
            # The challenge scorer reports 0 (a perfect FID) here; a missing value is more honest.
            return MetricValue(
                None,
                per_frame,
                details,
                str(Reason.NO_FACE_IN_VIDEO),
                "no face in any sampled frame: FID undefined",
            )
        return MetricValue(value=value, per_frame=per_frame, details=details)


def _require_prompt(context: EvalContext) -> str:
    """The item's prompt; `EvalProblem(empty_prompt)` for the text-alignment metrics when it is empty."""
    if not context.item.prompt:
        raise EvalProblem(
            Reason.EMPTY_PROMPT, f"the prompt of {context.item.item_id} is empty", "write the prompt file"
        )
    return context.item.prompt


class ClipScoreMetric:
    """CLIPScore: 100 x cosine of CLIP image and text embeddings, mean over the sampled frames."""

    higher_is_better = True
    name = "clipscore"

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def score(self, context: EvalContext) -> MetricValue:
        prompt = _require_prompt(context)
        value, per_frame = maths.clip_score(
            self.embedder.image_embeds(context.frame_images()), self.embedder.text_embed(prompt)
        )
        num_tokens = self.embedder.num_tokens(prompt)
        details: dict[str, Any] = {"model": self.embedder.model_id, "prompt_tokens": num_tokens}
        if num_tokens > self.embedder.max_tokens:
            details["note"] = f"prompt truncated to CLIP's {self.embedder.max_tokens} tokens"
        return MetricValue(value=value, per_frame=per_frame, details=details)


class GmeMetric:
    """GME score: the prompt as a text-to-image retrieval query against each sampled frame
    (gme-Qwen2-VL-2B-Instruct embeddings), mean cosine over frames. Our reading of the challenge's
    "GME score"; the first-place team's overall score weights it by 0.3."""

    higher_is_better = True
    name = "gme"

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def score(self, context: EvalContext) -> MetricValue:
        text_embed_D = self.embedder.text_embeds([_require_prompt(context)])[0]
        value, per_frame = maths.gme_score(self.embedder.image_embeds(context.frame_images()), text_embed_D)
        return MetricValue(value=value, per_frame=per_frame, details={"model": self.embedder.model_id})


class MotionSmoothnessMetric:
    """VBench motion smoothness: AMT-S interpolates every odd frame from its even neighbours; the
    score is (255 - mean absolute error) / 255 over all such frames (every frame of the video is
    decoded, one at a time)."""

    higher_is_better = True
    name = "motion-smoothness"

    def __init__(self, interpolator: Any) -> None:
        self.interpolator = interpolator

    def score(self, context: EvalContext) -> MetricValue:
        from ipvg.eval.frames import iter_frames

        errors: list[float] = []
        previous_even = odd = None
        for index, frame_HWC in enumerate(iter_frames(context.item.video_path)):
            if index % 2:
                odd = frame_HWC
                continue
            if previous_even is not None and odd is not None:
                errors.append(maths.mean_abs_difference(odd, self.interpolator(previous_even, frame_HWC)))
            previous_even = frame_HWC
        if not errors:
            raise EvalProblem(
                Reason.NO_FRAMES,
                f"{context.item.video_path.name} has fewer than 3 frames",
                "motion smoothness needs 3 or more",
            )
        per_frame = [(255.0 - error) / 255.0 for error in errors]
        return MetricValue(
            maths.interpolation_smoothness(errors), per_frame, {"interpolated_frames": len(errors)}
        )


class ImagingQualityMetric:
    """VBench imaging quality: MUSIQ (trained on SPAQ) on every frame, longer side at most 512,
    averaged and divided by 100 (`every_nth` > 1 scores a subset, to save time)."""

    higher_is_better = True
    name = "imaging-quality"

    def __init__(self, model: Any, every_nth: int = 1) -> None:
        if every_nth < 1:
            raise ValueError(f"`every_nth` must be >= 1; got {every_nth}.")
        self.model, self.every_nth = model, every_nth

    def score(self, context: EvalContext) -> MetricValue:
        import torch

        from ipvg.eval.frames import iter_frames
        from ipvg.eval.musiq import vbench_frame_tensor

        device = next(self.model.parameters()).device
        per_frame = []
        for index, frame_HWC in enumerate(iter_frames(context.item.video_path)):
            if index % self.every_nth:
                continue
            with torch.no_grad():
                per_frame.append(float(self.model(vbench_frame_tensor(frame_HWC).to(device))[0]) / 100.0)
        details = {"scored_frames": len(per_frame), "every_nth": self.every_nth}
        return MetricValue(float(np.mean(per_frame)), per_frame, details)


class FirstPlaceOverallMetric:
    """The first-place team's overall score (their weighting; see `maths.FIRST_PLACE_WEIGHTS`),
    computed only when every input metric has a value for this item."""

    higher_is_better = True
    name = "overall-first-place"
    inputs = tuple(maths.FIRST_PLACE_WEIGHTS)

    def score(self, context: EvalContext) -> MetricValue:
        values = {
            name: (context.scores[name].value if name in context.scores else None) for name in self.inputs
        }
        missing = [name for name, value in values.items() if value is None]
        details: dict[str, Any] = {
            "definition": "0.3*GME + 0.2*(Cur + Arc) + 0.15*(motion smoothness + imaging quality)",
            "source": "the first-place team of the ACM MM 2025 IPVG challenge (their score, not the official one)",
        }
        if missing:
            return MetricValue(
                None,
                [],
                details,
                str(Reason.MISSING_INPUTS),
                f"needs {', '.join(missing)} (not computed in this run)",
            )
        return MetricValue(value=maths.first_place_overall(values), details=details)


# --- factories named by the registry (heavy imports happen here, on creation) ---


def create_facesim_dlib(**_: Any) -> FaceSimMetric:
    return FaceSimMetric("facesim-dlib", "dlib")


def create_facesim_arc(**_: Any) -> FaceSimMetric:
    return FaceSimMetric("facesim-arc", "insightface")


def create_facesim_cur(**_: Any) -> FaceSimMetric:
    return FaceSimMetric("facesim-cur", "curricularface")


def find_inception_weights(location: str | Path) -> Path:
    """A weight file, a folder holding one (pytorch-fid's or torchvision's name), or `ipvg-tiny:NAME`."""
    from ipvg.eval.inception import FID_WEIGHTS_FILE, TORCHVISION_WEIGHTS_FILE
    from ipvg.weights import is_tiny, resolve_model

    path = (
        Path(resolve_model(str(location), marker=""))
        if is_tiny(str(location))
        else Path(location).expanduser()
    )
    if path.is_dir():
        for name in (FID_WEIGHTS_FILE, TORCHVISION_WEIGHTS_FILE):
            if (path / name).is_file():
                return path / name
        raise WeightsNotFoundError(
            f"No {FID_WEIGHTS_FILE} in {path}.", "pass the weight file itself with --inception-weights."
        )
    return path


def default_inception_weights() -> Path:
    """pytorch-fid's weights where torch hub caches them, or ipvg's cache."""
    from ipvg.eval.inception import FID_WEIGHTS_FILE
    from ipvg.weights import cache_dir

    for folder in (Path.home() / ".cache" / "torch" / "hub" / "checkpoints", cache_dir() / "weights"):
        if (folder / FID_WEIGHTS_FILE).is_file():
            return folder / FID_WEIGHTS_FILE
    return cache_dir() / "weights" / FID_WEIGHTS_FILE


def create_fid(
    inception_weights: str | Path | None = None,
    variant: str = "pytorch-fid",
    face_backend: str = "insightface",
    device: str = "cpu",
    **_: Any,
) -> FidMetric:
    from ipvg.eval.inception import load_inception

    path = find_inception_weights(inception_weights) if inception_weights else default_inception_weights()
    return FidMetric(load_inception(path, variant=variant, device=device), face_backend=face_backend)  # type: ignore[arg-type]


def create_clipscore(
    clip_model: str | None = None, device: str = "cpu", allow_download: bool = False, **_: Any
) -> ClipScoreMetric:
    from ipvg.eval.clip import DEFAULT_CLIP_MODEL, ClipEmbedder

    with _weights_flag("--clip-model"):
        return ClipScoreMetric(
            ClipEmbedder(clip_model or DEFAULT_CLIP_MODEL, device=device, allow_download=allow_download)
        )


@contextlib.contextmanager
def _weights_flag(flag: str) -> Iterator[None]:
    """Name the `ipvg eval` flag in a missing-weights error (the generic one names --model)."""
    try:
        yield
    except WeightsNotFoundError as error:
        fix = (error.fix or "").replace("--model PATH", f"{flag} PATH")
        raise WeightsNotFoundError(error.message, fix) from None


def create_first_place_overall(**_: Any) -> FirstPlaceOverallMetric:
    return FirstPlaceOverallMetric()


def create_gme(
    gme_model: str | None = None,
    device: str = "cpu",
    min_image_tokens: int = 256,
    max_image_tokens: int = 1280,
    allow_download: bool = False,
    **_: Any,
) -> GmeMetric:
    from ipvg.eval.gme import DEFAULT_GME_MODEL, GmeEmbedder

    with _weights_flag("--gme-model"):
        embedder = GmeEmbedder(
            gme_model or DEFAULT_GME_MODEL,
            device=device,
            min_image_tokens=min_image_tokens,
            max_image_tokens=max_image_tokens,
            allow_download=allow_download,
        )
    return GmeMetric(embedder)


def weights_file(given: str | Path | None, file_name: str) -> Path:
    """A single-file checkpoint: ipvg's weights cache by default, a tiny model's folder, or a user
    path (a folder holding `file_name`, or the file itself)."""
    from ipvg.weights import cache_dir, is_tiny, resolve_model

    if given is None:
        return cache_dir() / "weights" / file_name
    if is_tiny(str(given)):
        return Path(resolve_model(str(given), marker="")) / file_name
    path = Path(given).expanduser()
    return path / file_name if path.is_dir() else path


def create_motion_smoothness(
    amt_weights: str | Path | None = None, device: str = "cpu", **_: Any
) -> MotionSmoothnessMetric:
    from ipvg.eval.amt import AMT_S_WEIGHTS_FILE, MidFrameInterpolator, load_amt_s

    path = weights_file(amt_weights, AMT_S_WEIGHTS_FILE)
    return MotionSmoothnessMetric(MidFrameInterpolator(load_amt_s(path), device=device))


def create_imaging_quality(
    musiq_weights: str | Path | None = None, device: str = "cpu", every_nth: int = 1, **_: Any
) -> ImagingQualityMetric:
    from ipvg.eval.musiq import MUSIQ_SPAQ_WEIGHTS_FILE, load_musiq

    path = weights_file(musiq_weights, MUSIQ_SPAQ_WEIGHTS_FILE)
    return ImagingQualityMetric(load_musiq(path, device=device), every_nth=every_nth)
