"""Long videos by segments: each segment animates the previous one's last frame, with the face
re-anchored when identity has drifted, colours held to the first segment, frames streamed out.

    result = generate_segments(first_frame, segments, animate=..., score_face=..., reanchor=...,
                               sink=writer.write, threshold=0.5, seed=0)

The loop, for segment i:
1. i = 0 starts from the first frame (the video shows it as the video model saw it, at the model's
   size). Later segments start from segment i-1's last frame; its face is scored first, and when
   the similarity is below `threshold` the face is **re-anchored**: `reanchor(frame, i)` redraws the face region with the person's identity model (the spatial
   stage's face-detail pass), kept when it scores higher.
2. `animate(start, prompt, num_frames, seed)` makes a 4k+1-frame clip whose frame 0 is `start`.
3. Colour drift is held to segment 0's statistics: each later clip's per-channel mean and standard
   deviation in CIE L*a*b* (a roughly perceptually uniform space, so a shift of lightness does not
   tint hues) are matched to segment 0's (Reinhard et al. 2001, "Color transfer between images").
4. Frames go to `sink` as they are made; the clip's first frame is the frame already held back
   (the previous last frame, or its re-anchored redraw), so no frame is repeated at a join. Each
   segment's last frame is held back until the next segment has decided whether to redraw it.
Only one clip is in memory at a time, so memory does not grow with the number of segments.

Shape legend: F frames, H height, W width, C=3 RGB channels, uint8 unless stated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from ipvg.errors import BadInputError

logger = logging.getLogger(__name__)

Animate = Callable[[Image.Image, str, int, int], np.ndarray]  # (start, prompt, num_frames, seed) -> FHWC
ScoreFace = Callable[[Image.Image], float | None]  # identity similarity of the frame's face; None: no face
Reanchor = Callable[[Image.Image, int], Image.Image]  # (frame, segment index) -> frame with face redrawn
FrameSink = Callable[[np.ndarray], None]  # receives FHWC frames in order

MAX_COLOUR_GAIN = 2.0  # a clip's contrast is never stretched or squeezed by more than this
# Colour maths run on this many pixels at a time: float64 copies of a whole 1280x704 frame would add
# ~130 MB of temporaries, and memory must not depend on the frame size more than the clip does.
CHUNK_PIXELS = 4096


@dataclass(frozen=True)
class SegmentSpec:
    """What one segment animates: its temporal prompt and its clip length (4k+1 frames)."""

    prompt: str
    num_frames: int
    text: str = ""  # the user's words for it (for the record)


@dataclass
class SegmentRecord:
    index: int
    prompt: str
    text: str
    seed: int
    num_frames: int  # generated (4k+1)
    start_frame: int  # video index of the clip's frame 0 (shared with the previous segment)
    anchor_similarity: float | None = None  # start frame's face before any re-anchoring
    reanchored: bool = False
    reanchored_similarity: float | None = None  # after the redraw (None when not redrawn)
    identity_curve: list[tuple[int, float | None]] = field(default_factory=list)  # (video index, similarity)
    colour: dict[str, list[float]] | None = None  # Lab gain/offset applied (None for segment 0)
    seconds: float = 0.0

    @property
    def end_frame(self) -> int:
        """Video index of the clip's last frame."""
        return self.start_frame + self.num_frames - 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "prompt": self.prompt,
            "text": self.text,
            "seed": self.seed,
            "num_frames": self.num_frames,
            "frames": [self.start_frame, self.end_frame],
            "anchor_similarity": self.anchor_similarity,
            "reanchored": self.reanchored,
            "reanchored_similarity": self.reanchored_similarity,
            "identity_curve": [{"frame": i, "similarity": s} for i, s in self.identity_curve],
            "colour": self.colour,
            "seconds": self.seconds,
        }


@dataclass
class LongVideoResult:
    segments: list[SegmentRecord]
    num_frames: int  # frames sent to the sink
    sampled: dict[int, float | None]  # similarity of every scored video frame (sampled + anchors)
    last_frame: Image.Image
    warnings: list[str] = field(default_factory=list)

    def similarities(self, indices: Sequence[int]) -> list[float | None]:
        """Similarities of the video frames `indices` (all must have been asked for in `sample_indices`)."""
        return [self.sampled[i] for i in indices]

    def to_dict(self) -> dict[str, Any]:
        return {
            "num_frames": self.num_frames,
            "num_segments": len(self.segments),
            "num_reanchored": sum(s.reanchored for s in self.segments),
            "segments": [s.to_dict() for s in self.segments],
        }


# --- colour (pure) -------------------------------------------------------------------------------

_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
_EPSILON, _KAPPA = 216 / 24389, 24389 / 27


def rgb_to_lab(rgb_HWC: np.ndarray) -> np.ndarray:
    """sRGB uint8 -> CIE L*a*b* (D65) float64."""
    linear = rgb_HWC.astype(np.float64) / 255.0
    linear = np.where(linear <= 0.04045, linear / 12.92, ((linear + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE_D65
    f = np.where(xyz > _EPSILON, np.cbrt(xyz), (_KAPPA * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def lab_to_rgb(lab_HWC: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) -> sRGB uint8 (out-of-gamut values clipped)."""
    fy = (lab_HWC[..., 0] + 16) / 116
    f = np.stack([fy + lab_HWC[..., 1] / 500, fy, fy - lab_HWC[..., 2] / 200], -1)
    xyz = np.where(f**3 > _EPSILON, f**3, (116 * f - 16) / _KAPPA) * _WHITE_D65
    linear = np.clip(xyz @ _XYZ_TO_RGB.T, 0.0, 1.0)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(srgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _pixel_chunks(frame_HWC: np.ndarray) -> Iterator[np.ndarray]:
    flat = frame_HWC.reshape(-1, 3)
    for start in range(0, len(flat), CHUNK_PIXELS):
        yield flat[start : start + CHUNK_PIXELS]


@dataclass(frozen=True)
class ColourStats:
    """Per-channel mean and standard deviation in L*a*b* over a set of frames."""

    mean: np.ndarray  # (3,)
    std: np.ndarray  # (3,)

    @classmethod
    def of(cls, frames_FHWC: np.ndarray) -> ColourStats:
        total, total_sq, count = np.zeros(3), np.zeros(3), 0
        for frame in frames_FHWC:
            for chunk in _pixel_chunks(frame):
                lab = rgb_to_lab(chunk)
                total += lab.sum(0)
                total_sq += (lab**2).sum(0)
                count += len(lab)
        mean = total / count
        return cls(mean, np.sqrt(np.maximum(total_sq / count - mean**2, 0.0)))


def match_colours(
    frames_FHWC: np.ndarray, reference: ColourStats, *, in_place: bool = False
) -> tuple[np.ndarray, dict[str, list[float]]]:
    """Frames whose L*a*b* per-channel mean/std equal `reference`'s (gain clamped to [1/2, 2]);
    `in_place` overwrites `frames_FHWC` instead of holding a second copy of the clip."""
    own = ColourStats.of(frames_FHWC)
    gain = np.clip(reference.std / np.maximum(own.std, 1e-6), 1 / MAX_COLOUR_GAIN, MAX_COLOUR_GAIN)
    offset = reference.mean - own.mean * gain
    matched = frames_FHWC if in_place else np.empty_like(frames_FHWC)
    for index, frame in enumerate(frames_FHWC):
        out = matched[index].reshape(-1, 3)
        for start, chunk in enumerate(_pixel_chunks(frame)):
            out[start * CHUNK_PIXELS : start * CHUNK_PIXELS + len(chunk)] = lab_to_rgb(
                rgb_to_lab(chunk) * gain + offset
            )
    return matched, {"gain": gain.round(4).tolist(), "offset": offset.round(3).tolist()}


# --- the loop ------------------------------------------------------------------------------------


def generate_segments(
    first_frame: Image.Image,
    segments: Sequence[SegmentSpec],
    *,
    animate: Animate,
    score_face: ScoreFace,
    reanchor: Reanchor | None,
    sink: FrameSink,
    threshold: float,
    seed: int = 0,
    sample_indices: Sequence[int] = (),
    hold_colours: bool = True,
    on_segment: Callable[[SegmentRecord], None] | None = None,
) -> LongVideoResult:
    """Animate `segments` one after another from `first_frame`, streaming frames to `sink` (see the
    module docstring). `sample_indices` are video frames to score (e.g. the challenge's 16); every
    segment's start and end frames are scored too. `reanchor=None` never redraws (the ablation)."""
    # 1. Check inputs: the frame counts must follow the 4k+1 rule, so joins land where planned
    if not segments:
        raise BadInputError(
            "No segments to animate.", "give a prompt (and a duration) that makes at least one."
        )
    for spec in segments:
        if spec.num_frames < 5 or (spec.num_frames - 1) % 4:
            raise BadInputError(
                f"A segment of {spec.num_frames} frames breaks the 4k+1 frame rule.",
                "plan segments with ipvg.prompts.timeline.plan_timeline.",
            )
    wanted = set(sample_indices)
    sampled: dict[int, float | None] = {}
    warnings: list[str] = []
    records: list[SegmentRecord] = []
    reference_colours: ColourStats | None = None
    start = first_frame.convert("RGB")
    held: np.ndarray | None = None  # the clip's frame 0, not yet sent (the previous clip's last frame)
    held_score: float | None = None
    start_frame = 0
    written = 0

    for index, spec in enumerate(segments):
        started = time.perf_counter()
        record = SegmentRecord(index, spec.prompt, spec.text, seed + index, spec.num_frames, start_frame)
        # 2. Later segments: the start frame's face was scored; below the threshold, redraw it
        if held is not None:
            record.anchor_similarity = held_score
            if held_score is None:
                warnings.append(
                    f"Segment {index + 1}: no face in its start frame, so it was not re-anchored."
                )
            elif held_score < threshold and reanchor is not None:
                redrawn = reanchor(start, index).convert("RGB")
                if redrawn.size != start.size:
                    raise AssertionError(f"reanchor returned {redrawn.size} for a {start.size} frame")
                redrawn_score = score_face(redrawn)
                record.reanchored_similarity = redrawn_score
                if redrawn_score is not None and redrawn_score > held_score:
                    record.reanchored = True
                    start, held, held_score = redrawn, np.asarray(redrawn), redrawn_score
                else:
                    warnings.append(
                        f"Segment {index + 1}: re-anchoring did not raise identity "
                        f"({held_score:.3f} -> {_format(redrawn_score)}); kept the frame as it was."
                    )
        # 3. Animate the clip from the start frame
        frames_FHWC = animate(start, spec.prompt, spec.num_frames, record.seed)
        if held is None:
            # The video starts with the first frame as the video model saw it (resized to its size).
            held = frames_FHWC[0].copy()
            held_score = record.anchor_similarity = score_face(Image.fromarray(held))
        if frames_FHWC.shape[0] != spec.num_frames or frames_FHWC.shape[1:] != held.shape:
            raise AssertionError(
                f"animate returned {frames_FHWC.shape} for {spec.num_frames} frames "
                f"from a {held.shape} start frame"
            )
        record.identity_curve.append((start_frame, held_score))
        # 4. Hold colours to segment 0's statistics (frame 0 is the held frame: not re-coloured)
        new_FHWC = frames_FHWC[1:]
        del frames_FHWC
        if index == 0:
            reference_colours = ColourStats.of(new_FHWC) if hold_colours else None
        elif reference_colours is not None:
            new_FHWC, record.colour = match_colours(
                new_FHWC, reference_colours, in_place=new_FHWC.flags.writeable
            )
        # 5. Send the held frame and all but the clip's last frame; hold the last one back
        sink(held[None])
        if start_frame in wanted:
            sampled[start_frame] = held_score
        for offset in range(len(new_FHWC) - 1):
            video_index = start_frame + 1 + offset
            if video_index in wanted:
                sampled[video_index] = score_face(Image.fromarray(new_FHWC[offset]))
                record.identity_curve.append((video_index, sampled[video_index]))
        sink(new_FHWC[:-1])
        written += len(new_FHWC)  # the held frame + all new frames but the last
        held = new_FHWC[-1].copy()
        del new_FHWC
        start = Image.fromarray(held)
        start_frame = record.end_frame
        held_score = score_face(start)
        record.identity_curve.append((start_frame, held_score))
        record.seconds = time.perf_counter() - started
        records.append(record)
        if on_segment is not None:
            on_segment(record)
        logger.info(
            "segment %d/%d: %d frames, identity %s -> %s%s",
            index + 1,
            len(segments),
            spec.num_frames,
            _format(record.anchor_similarity),
            _format(held_score),
            ", re-anchored" if record.reanchored else "",
        )

    # 6. The last clip's last frame ends the video
    assert held is not None
    sink(held[None])
    written += 1
    if start_frame in wanted:
        sampled[start_frame] = held_score
    assert written == start_frame + 1, (written, start_frame)
    return LongVideoResult(records, written, sampled, start, warnings)


def _format(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
