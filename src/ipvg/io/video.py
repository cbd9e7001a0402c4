"""Video files with PyAV: H.264 yuv420p mp4 (the challenge's format), written atomically.

Shape legend: F frames, H height, W width, C=3 RGB channels, uint8.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from ipvg.errors import BadInputError
from ipvg.io.files import atomic_path
from ipvg.types import Video


def write_video(frames_FHWC: np.ndarray, fps: float, path: str | Path, *, crf: int = 18) -> Path:
    """Encode RGB uint8 frames as H.264 yuv420p mp4 at `fps`; the file appears only when complete."""
    import av

    if frames_FHWC.ndim != 4 or frames_FHWC.shape[-1] != 3 or frames_FHWC.shape[0] == 0:
        raise BadInputError(f"Expected frames shaped (F, H, W, 3) with F >= 1, got {frames_FHWC.shape}.")
    if frames_FHWC.dtype != np.uint8:
        raise BadInputError(f"Expected uint8 frames, got {frames_FHWC.dtype}.")
    _, height, width, _ = frames_FHWC.shape
    if height % 2 or width % 2:
        # yuv420p subsamples chroma 2x2, so H.264 needs even sizes: drop the odd last row/column.
        frames_FHWC = frames_FHWC[:, : height - height % 2, : width - width % 2]
        height, width = frames_FHWC.shape[1:3]
    rate = Fraction(fps).limit_denominator(1001)
    with atomic_path(path) as temp:
        with av.open(str(temp), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"crf": str(crf), "preset": "medium"}
            for frame_HWC in frames_FHWC:
                for packet in stream.encode(
                    av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_HWC), format="rgb24")
                ):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    return Path(path)


def read_video(path: str | Path, *, max_frames: int | None = None) -> Video:
    """Decode a video file into RGB uint8 frames; raises `BadInputError` if it cannot."""
    import av

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"Video not found: {path}.", "check the path.")
    frames = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise BadInputError(f"{path} has no video stream.", "pass an mp4 with a video track.")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                if max_frames is not None and len(frames) >= max_frames:
                    break
    except BadInputError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise BadInputError(
            f"Cannot decode video {path}: {error}.", "the file may be truncated or not a video."
        ) from None
    if not frames:
        raise BadInputError(f"Video {path} has no frames.", "re-encode or regenerate it.")
    return Video(frames_FHWC=np.stack(frames), fps=fps, path=path)
