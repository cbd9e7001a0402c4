"""Probe a video and decode only the frames a metric samples, with PyAV.

The challenge scorer samples 16 frames at `np.linspace(0, F - 1, 16, dtype=int)`. We count frames by
demuxing packets (no decoding), refuse videos that cannot be scored, then decode once, keeping only
the sampled frames, so a 2,000-frame 720p video never needs gigabytes of memory.

Shape legend: F frames, K sampled frames, H height, W width, C=3 RGB channels (uint8).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ipvg.eval.types import EvalProblem, Reason
from ipvg.identity import challenge_frame_indices

NUM_SAMPLED_FRAMES = 16
# The challenge's videos have 81-121 frames; far longer files are almost surely wrong submissions.
DEFAULT_MAX_FRAMES = 1000
# 4K is the largest frame anyone submits; an 8192x8192 video (17 KB on disk) would cost minutes and
# gigabytes to decode. Checked from the stream header, before any frame is decoded.
DEFAULT_MAX_PIXELS = 3840 * 2160
# Packet durations may jitter by a tick with rational time bases; a larger spread means variable rate.
VFR_TOLERANCE = 0.05


@dataclass(frozen=True)
class VideoProbe:
    """What demuxing (without decoding) tells about a video file."""

    num_frames: int
    fps: float
    width: int
    height: int
    codec: str
    variable_frame_rate: bool


@dataclass
class SampledFrames:
    """The frames a metric looks at, with where they came from."""

    frames_KHWC: np.ndarray
    indices: tuple[int, ...]
    probe: VideoProbe
    warnings: list[str] = field(default_factory=list)


def uniform_frame_indices(num_frames: int, num_samples: int = NUM_SAMPLED_FRAMES) -> np.ndarray:
    """`num_samples` indices spread uniformly over `num_frames`, as the challenge scorer picks them
    (`np.linspace(0, F - 1, K, dtype=int)`; repeats when the video is shorter than K)."""
    # One sampler for generate's record and eval (ipvg.identity), so both score the same frames.
    return np.asarray(challenge_frame_indices(num_frames, num_samples), dtype=int)


def is_variable_rate(pts: list[int], tolerance: float = VFR_TOLERANCE) -> bool:
    """Whether presentation timestamps are spaced unevenly (variable frame rate)."""
    if len(pts) < 3:
        return False
    deltas = np.diff(np.sort(np.asarray(pts, dtype=np.float64)))
    median = float(np.median(deltas))
    if median <= 0:
        return True
    return bool(np.max(np.abs(deltas - median)) > tolerance * median + 1.0)


def probe_video(path: str | Path) -> VideoProbe:
    """Count frames and check the frame rate by demuxing; raises `EvalProblem` when the file cannot
    be scored (missing, unreadable, no video stream, no frames)."""
    import av

    path = Path(path)
    if not path.is_file():
        raise EvalProblem(
            Reason.MISSING_VIDEO, f"video not found: {path}", "generate it or check the submission layout"
        )
    if path.stat().st_size == 0:
        raise EvalProblem(Reason.UNREADABLE_VIDEO, f"video file is empty (0 bytes): {path}", "regenerate it")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                # An mp4 whose encoder never received a frame has no stream at all.
                raise EvalProblem(
                    Reason.NO_FRAMES,
                    f"{path.name} has no video frames (no video stream)",
                    "regenerate the video",
                )
            stream = container.streams.video[0]
            pts = [
                packet.pts for packet in container.demux(stream) if packet.size > 0 and packet.pts is not None
            ]
            codec = stream.codec_context.name
            width, height = stream.codec_context.width, stream.codec_context.height
            fps = float(stream.average_rate or stream.guessed_rate or 0.0)
    except EvalProblem:
        raise
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as error:
        raise EvalProblem(
            Reason.UNREADABLE_VIDEO, f"cannot read {path.name}: {error}", "re-encode it as H.264 mp4"
        ) from None
    if not pts:
        raise EvalProblem(Reason.NO_FRAMES, f"{path.name} has no frames", "regenerate the video")
    return VideoProbe(len(pts), fps, width, height, codec, is_variable_rate(pts))


def sample_frames(
    path: str | Path,
    num_samples: int = NUM_SAMPLED_FRAMES,
    *,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> SampledFrames:
    """Decode the `num_samples` uniformly spaced frames of a video (RGB uint8).

    Raises `EvalProblem` for missing, unreadable, empty and over-long videos; a variable frame rate
    is scored (frames are picked by index, as the challenge does) with a warning.
    """
    import av

    probe = probe_video(path)
    if probe.num_frames > max_frames:
        raise EvalProblem(
            Reason.TOO_MANY_FRAMES,
            f"{Path(path).name} has {probe.num_frames} frames, more than the limit of {max_frames} "
            "(the challenge's videos have 81-121)",
            "check the video, or raise the limit with --max-frames",
        )
    if probe.width * probe.height > max_pixels:
        raise EvalProblem(
            Reason.TOO_LARGE,
            f"{Path(path).name} is {probe.width}x{probe.height}, more pixels per frame than the limit of "
            f"{max_pixels:,} (3840x2160; the challenge's videos are 1280x720 or smaller)",
            "downscale the video (e.g. ffmpeg -vf scale=1280:-2)",
        )
    if num_samples < 1:
        raise EvalProblem(Reason.NO_FRAMES, f"asked to sample {num_samples} frames", "sample at least 1 frame")
    warnings = []
    if probe.variable_frame_rate:
        warnings.append(f"{Reason.VARIABLE_FRAME_RATE}: frames sampled by index, so not evenly in time")
    indices = uniform_frame_indices(probe.num_frames, num_samples)
    wanted = set(indices.tolist())
    decoded: dict[int, np.ndarray] = {}
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for index, frame in enumerate(container.decode(stream)):
                if index in wanted:
                    decoded[index] = frame.to_ndarray(format="rgb24")
                if index >= indices[-1]:
                    break
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise EvalProblem(
            Reason.UNREADABLE_VIDEO, f"cannot decode {Path(path).name}: {error}", "re-encode it"
        ) from None
    if not decoded:
        raise EvalProblem(
            Reason.NO_FRAMES, f"{Path(path).name} has no decodable frames", "regenerate the video"
        )
    if len(decoded) < len(wanted):
        # Fewer decodable frames than packets (a truncated tail): keep what decodes, say so.
        warnings.append(f"only {len(decoded)} of {len(wanted)} sampled frames could be decoded")
    kept = tuple(int(i) for i in indices if int(i) in decoded)
    return SampledFrames(np.stack([decoded[i] for i in kept]), kept, probe, warnings)


def iter_frames(path: str | Path) -> Iterator[np.ndarray]:
    """Every frame of a video in order (RGB uint8 (H, W, 3)), decoded one at a time, for metrics
    that need all frames (motion smoothness) without holding them all in memory."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as error:
        raise EvalProblem(
            Reason.UNREADABLE_VIDEO, f"cannot decode {Path(path).name}: {error}", "re-encode it"
        ) from None
