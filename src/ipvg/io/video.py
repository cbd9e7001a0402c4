"""Video files with PyAV: H.264 yuv420p mp4 (the challenge's format), written atomically.

Shape legend: F frames, H height, W width, C=3 RGB channels, uint8.
"""

from __future__ import annotations

import contextlib
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ipvg.errors import BadInputError
from ipvg.io.files import atomic_path
from ipvg.types import Video


def write_video(frames_FHWC: np.ndarray, fps: float, path: str | Path, *, crf: int = 18) -> Path:
    """Encode RGB uint8 frames as H.264 yuv420p mp4 at `fps`; the file appears only when complete."""
    with VideoWriter(path, fps, crf=crf) as writer:
        writer.write(frames_FHWC)
    return Path(path)


class VideoWriter:
    """Encode frames as they come (a long video never has to be held in memory), H.264 yuv420p mp4.

    The file is written to a temporary path beside `path` and renamed onto it when the `with` block
    ends without an error; on an error (or when no frame came) nothing is left behind.

        with VideoWriter(out / "video.mp4", fps=24) as writer:
            for frames_FHWC in segments:
                writer.write(frames_FHWC)
    """

    def __init__(self, path: str | Path, fps: float, *, crf: int = 18) -> None:
        self.path = Path(path)
        self.fps = fps
        self.crf = crf
        self.num_frames = 0
        self.size: tuple[int, int] | None = None  # (height, width) of the first frame, kept for all
        self._stack: contextlib.ExitStack | None = None
        self._container: Any = None
        self._stream: Any = None

    def __enter__(self) -> VideoWriter:
        import av

        stack = contextlib.ExitStack()
        temp = stack.enter_context(atomic_path(self.path))
        self._container = stack.enter_context(av.open(str(temp), mode="w", format="mp4"))
        self._stack = stack
        return self

    def write(self, frames_FHWC: np.ndarray) -> None:
        """Append frames shaped (F, H, W, 3) uint8 (or one frame shaped (H, W, 3))."""
        import av

        assert self._container is not None, "use VideoWriter in a `with` block"
        if frames_FHWC.ndim == 3:
            frames_FHWC = frames_FHWC[None]
        if frames_FHWC.ndim != 4 or frames_FHWC.shape[-1] != 3 or frames_FHWC.shape[0] == 0:
            raise BadInputError(f"Expected frames shaped (F, H, W, 3) with F >= 1, got {frames_FHWC.shape}.")
        if frames_FHWC.dtype != np.uint8:
            raise BadInputError(f"Expected uint8 frames, got {frames_FHWC.dtype}.")
        height, width = frames_FHWC.shape[1:3]
        if self.size is None:
            self.size = (height, width)
            rate = Fraction(self.fps).limit_denominator(1001)
            self._stream = self._container.add_stream("libx264", rate=rate)
            # yuv420p subsamples chroma 2x2, so H.264 needs even sizes: drop the odd last row/column.
            self._stream.width, self._stream.height = width - width % 2, height - height % 2
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"crf": str(self.crf), "preset": "medium"}
        elif (height, width) != self.size:
            raise BadInputError(
                f"Frames of size {width}x{height} cannot join a video of {self.size[1]}x{self.size[0]}.",
                "give every segment the same size.",
            )
        frames_FHWC = frames_FHWC[:, : height - height % 2, : width - width % 2]
        for frame_HWC in frames_FHWC:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_HWC), format="rgb24")
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        self.num_frames += len(frames_FHWC)

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> bool:
        assert self._stack is not None
        stack, self._stack = self._stack, None
        try:
            if exc_type is None:
                if self._stream is None:
                    raise BadInputError(
                        f"No frames were written to {self.path}.", "write at least one frame."
                    )
                for packet in self._stream.encode():  # flush the encoder's delayed frames
                    self._container.mux(packet)
        except BaseException:
            if not stack.__exit__(*sys.exc_info()):
                raise
            return False
        return bool(stack.__exit__(exc_type, exc, traceback))


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
