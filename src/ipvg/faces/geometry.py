"""Face geometry shared by every backend: image arrays, ArcFace alignment, grey padding, moving faces.

Shape legend: `_HWC` an image array (height, width, 3 channels, uint8 RGB); `_52` five (x, y)
keypoints; `_23` a 2x3 affine matrix mapping source pixels to output pixels.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from ipvg.errors import BadInputError
from ipvg.faces.base import Face
from ipvg.io.images import to_rgb

# ArcFace's canonical 5-point template for a 112x112 crop (insightface `arcface_dst`): eye centres,
# nose tip, mouth corners. Alignment maps detected keypoints onto it with a similarity transform.
ARCFACE_TEMPLATE_52 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)

# The challenge scorer pads with mid grey (BGR 128, 128, 128) when no face is found at first.
PAD_GREY = 128


def to_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """A contiguous uint8 RGB array (H, W, 3) from a PIL image of any mode or an RGB/grey array."""
    if isinstance(image, Image.Image):
        return np.ascontiguousarray(np.asarray(to_rgb(image)), dtype=np.uint8)
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise BadInputError(
            f"Face backends take uint8 image arrays; got dtype {array.dtype}.",
            "pass a PIL image, or convert the array with `np.clip(x, 0, 255).astype(np.uint8)`.",
        )
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise BadInputError(
            f"Face backends take (H, W, 3) RGB arrays; got shape {array.shape}.",
            "pass a PIL image or an RGB array.",
        )
    return np.ascontiguousarray(array[:, :, :3])


def similarity_transform_23(source_52: np.ndarray, target_52: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) from source to target points.

    Umeyama, "Least-squares estimation of transformation parameters between two point patterns",
    TPAMI 1991 (the estimator insightface uses through scikit-image).
    """
    source = np.asarray(source_52, dtype=np.float64)
    target = np.asarray(target_52, dtype=np.float64)
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    source_centred, target_centred = source - source_mean, target - target_mean
    covariance_22 = target_centred.T @ source_centred / len(source)
    u_22, singular_2, vt_22 = np.linalg.svd(covariance_22)
    # Reflection guard: a similarity transform never mirrors the face.
    sign_2 = np.ones(2)
    if np.linalg.det(covariance_22) < 0:
        sign_2[-1] = -1.0
    rotation_22 = u_22 @ np.diag(sign_2) @ vt_22
    source_variance = source_centred.var(axis=0).sum()
    scale = float((singular_2 * sign_2).sum() / source_variance) if source_variance > 0 else 1.0
    translation_2 = target_mean - scale * rotation_22 @ source_mean
    return np.hstack([scale * rotation_22, translation_2[:, None]])


def arcface_matrix_23(keypoints_52: np.ndarray, size: int = 112) -> np.ndarray:
    """The affine matrix that aligns a face onto ArcFace's template scaled to `size` (112, 224, ...)."""
    if size % 112 != 0:
        raise BadInputError(
            f"`size` must be a multiple of 112 for ArcFace alignment; got {size}.", "use 112 or 224."
        )
    return similarity_transform_23(keypoints_52, ARCFACE_TEMPLATE_52 * (size / 112.0))


def norm_crop(image: Image.Image | np.ndarray, keypoints_52: np.ndarray, size: int = 112) -> np.ndarray:
    """ArcFace-aligned square crop (size x size RGB uint8), black outside the image, as insightface's
    `face_align.norm_crop` (bilinear warp) so identity scores match the challenge scorer."""
    image_HWC = to_rgb_array(image)
    matrix_23 = arcface_matrix_23(np.asarray(keypoints_52, dtype=np.float64), size)
    try:
        import cv2
    except ImportError:  # PIL's bilinear warp differs from OpenCV's by a grey level or two
        inverse_23 = np.linalg.inv(np.vstack([matrix_23, [0.0, 0.0, 1.0]]))[:2]
        # OpenCV puts pixel centres at integers, PIL at +0.5: shift the translation accordingly.
        inverse_23[:, 2] += 0.5 - inverse_23[:, :2] @ np.array([0.5, 0.5])
        warped = Image.fromarray(image_HWC).transform(
            (size, size), Image.Transform.AFFINE, inverse_23.ravel().tolist(), Image.Resampling.BILINEAR
        )
        return np.asarray(warped)
    return cv2.warpAffine(image_HWC, matrix_23, (size, size), borderValue=0.0)


def pad_with_grey(image_HWC: np.ndarray, scale: float = 1.25) -> tuple[np.ndarray, tuple[int, int]]:
    """Pad every side by `(scale - 1)` of the image's size with grey 128; return the padded image and
    the (left, top) offset of the original inside it (the challenge scorer's `pad_np_bgr_image`)."""
    if scale < 1.0:
        raise BadInputError(f"`pad_scale` must be >= 1.0; got {scale}.", "use 1.25 (the challenge's value).")
    height, width = image_HWC.shape[:2]
    top, left = int(height * (scale - 1.0)), int(width * (scale - 1.0))
    padded_HWC = np.full((height + 2 * top, width + 2 * left, 3), PAD_GREY, dtype=np.uint8)
    padded_HWC[top : top + height, left : left + width] = image_HWC[:, :, :3]
    return padded_HWC, (left, top)


def shift_face(face: Face, dx: float, dy: float) -> Face:
    """The same face with its box and keypoints moved by (dx, dy) pixels."""
    x0, y0, x1, y1 = face.box_xyxy
    return dataclasses.replace(
        face,
        box_xyxy=(x0 + dx, y0 + dy, x1 + dx, y1 + dy),
        keypoints_52=np.asarray(face.keypoints_52, dtype=np.float64) + np.array([dx, dy]),
    )


def unit(vector: np.ndarray) -> np.ndarray:
    """`vector` scaled to length 1 (float32); a zero vector stays zero."""
    vector = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
