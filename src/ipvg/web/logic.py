"""What the web UI does, apart from Gradio: upload checks, face boxes, prompt edits, stage progress,
the model cache. Pure functions and small classes, so they are tested without a browser.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw

from ipvg.errors import BadInputError, ImageReadError, PromptError
from ipvg.faces import Face
from ipvg.inputs import clean_prompt
from ipvg.io.images import load_image
from ipvg.types import DecoupledPrompt

EDITED_SUFFIX = "+edited"
CLIP_WINDOW = 77  # tokens CLIP's text encoder reads, start and end tokens included


@dataclass(frozen=True)
class WebLimits:
    """Caps on what a visitor can send; each breach gets a message that says the limit."""

    max_upload_bytes: int = 20 * 1024 * 1024
    max_image_side: int = 4096
    max_prompt_chars: int = 2000
    max_duration_s: float = 60.0  # a video by segments holds the one model slot for its whole length

    @property
    def max_upload_label(self) -> str:
        return human_bytes(self.max_upload_bytes)


class PipelineLike(Protocol):
    """The part of `IdentityVideoPipeline` the UI uses (tests pass a fake with the same shape)."""

    config: Any

    @property
    def faces(self) -> Any: ...

    def decouple(self, prompt: str, face_image: Image.Image | None = None) -> DecoupledPrompt: ...

    def __call__(self, face: Any, prompt: str, **kwargs: Any) -> Any: ...

    def overridden(self, overrides: dict[str, Any]) -> Any: ...  # two-person / segmented runs only


def human_bytes(count: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size:
            return f"{count / size:.1f} {unit}".replace(".0 ", " ")
    return f"{count} bytes"


def read_upload(path: str | Path, limits: WebLimits) -> Image.Image:
    """The uploaded file as RGB, or `ImageReadError` when it is too big, too large or not an image."""
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_upload_bytes:
        raise ImageReadError(
            f"The uploaded file is {human_bytes(size)}; the limit is {limits.max_upload_label}.",
            "upload a smaller photo (a JPEG of the face is plenty).",
        )
    max_pixels = limits.max_image_side * limits.max_image_side
    image = load_image(path.read_bytes(), name=f"The uploaded file ({path.name})", max_pixels=max_pixels)
    if max(image.size) > limits.max_image_side:
        raise ImageReadError(
            f"The uploaded image is {image.width}x{image.height} pixels; the limit is "
            f"{limits.max_image_side} pixels per side.",
            f"downscale it to at most {limits.max_image_side}x{limits.max_image_side}.",
        )
    return image


def check_prompt(text: str | None, limits: WebLimits, *, what: str = "prompt") -> str:
    """A cleaned prompt within the UI's length cap (tighter than the library's)."""
    return clean_prompt(text, what=what, max_chars=limits.max_prompt_chars)


def parse_duration(value: float | str | None, limits: WebLimits) -> float | None:
    """The Duration box: empty -> None (the model's one clip), else seconds up to the UI's cap (what
    is not a positive number is left to `ipvg.segments.check_request`, which says so for the CLI too)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise BadInputError(
            f"The duration {value!r} is not a number of seconds.", "type seconds, e.g. 4, or leave it empty."
        ) from None
    if seconds > limits.max_duration_s:
        raise BadInputError(
            f"The duration is {seconds:g} s; this server makes videos of at most {limits.max_duration_s:g} s.",
            f"ask for {limits.max_duration_s:g} s or less (the CLI, `ipvg generate --duration`, has no cap).",
        )
    return seconds


def check_length(request: Any, limits: WebLimits) -> None:
    """A timeline prompt sets its own length: it is held to the same cap as the Duration box."""
    if request.seconds is not None and request.seconds > limits.max_duration_s:
        raise BadInputError(
            f"The video would last {request.seconds:g} s; this server makes videos of at most "
            f"{limits.max_duration_s:g} s.",
            f"shorten the timeline or the duration to {limits.max_duration_s:g} s or less.",
        )


def describe_request(request: Any, duration_s: float | None) -> str:
    """The log line's note on what kind of run it is ("" for the pipeline's one clip)."""
    parts = []
    if request.num_people > 1:
        parts.append(f"people={request.num_people}")
    if request.segmented:
        parts.append("segments" if duration_s is None else f"duration={duration_s:g}s")
    return "".join(f" {part}" for part in parts)


def refuse_edited_prompts(prompts: DecoupledPrompt | None, what: str) -> None:
    """A video by segments or of two people plans its own prompts (one per segment, each person's
    words), so hand-edited spatial/temporal boxes would be silently dropped: refuse them instead."""
    if prompts is not None and prompts.backend.endswith(EDITED_SUFFIX):
        raise PromptError(
            f"The spatial/temporal prompts were edited by hand, and {what} plans its own prompts from the "
            "main prompt.",
            "put the change into the main prompt and clear both boxes, or clear the second face and the "
            "duration for a single clip.",
        )


def find_faces(faces_backend: Any, image: Image.Image) -> list[Face]:
    """Faces largest first, as the pipeline finds the reference (the backend applies the grey-padded
    retry itself: `ipvg.identity`)."""
    return sorted(faces_backend.detect(image), key=lambda face: face.area, reverse=True)


def draw_face_boxes(image: Image.Image, faces: list[Face]) -> Image.Image:
    """A copy of `image` with the used (largest) face boxed in green and any others in grey."""
    boxed = image.copy()
    draw = ImageDraw.Draw(boxed)
    width = max(2, round(max(image.size) / 200))
    for index, face in reversed(list(enumerate(faces))):
        x0, y0, x1, y1 = (float(v) for v in face.box_xyxy)
        colour = (40, 200, 80) if index == 0 else (170, 170, 170)
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=width if index == 0 else max(1, width // 2))
    return boxed


def describe_faces(faces: list[Face]) -> str:
    if not faces:
        return ""
    face = faces[0]
    x0, y0, x1, y1 = (round(float(v)) for v in face.box_xyxy)
    gender = f", {face.gender}" if face.gender else ""
    others = f" ({len(faces) - 1} smaller face(s) shown in grey are ignored)" if len(faces) > 1 else ""
    return f"Face found at ({x0}, {y0})-({x1}, {y1}), {x1 - x0}x{y1 - y0} px{gender}{others}."


def edited_prompts(
    decoupled: DecoupledPrompt | None,
    prompt: str,
    spatial: str | None,
    temporal: str | None,
    limits: WebLimits,
) -> DecoupledPrompt | None:
    """The prompts to generate with: None (let the pipeline decouple) when the boxes are empty, else
    the boxes' text, marked as edited when it differs from what the decoupler wrote.

    Raises `PromptError` when the prompt changed after decoupling, so stale boxes are never used.
    """
    if not (spatial or "").strip() and not (temporal or "").strip():
        return None
    if decoupled is None:
        raise PromptError(
            "The spatial/temporal prompt boxes were filled in by hand without decoupling first.",
            "press Decouple first, or clear both boxes to let the pipeline decouple the prompt itself.",
        )
    if decoupled.source != prompt:
        raise PromptError(
            "The prompt changed after it was decoupled, so the spatial and temporal prompts are stale.",
            "press Decouple again (your edits to the two boxes will be replaced), or clear both boxes.",
        )
    spatial = check_prompt(spatial, limits, what="spatial prompt")
    temporal = check_prompt(temporal, limits, what="temporal prompt")
    if (spatial, temporal) == (decoupled.spatial, decoupled.temporal):
        return decoupled
    backend = (
        decoupled.backend if decoupled.backend.endswith(EDITED_SUFFIX) else decoupled.backend + EDITED_SUFFIX
    )
    return DecoupledPrompt(
        source=decoupled.source,
        spatial=spatial,
        temporal=temporal,
        subject=decoupled.subject,
        backend=backend,
        warnings=(*decoupled.warnings, "spatial/temporal prompts edited by hand in the web UI"),
    )


@dataclass
class StageEvent:
    description: str
    done: int
    total: int | None
    at: float


class RunCancelled(Exception):
    """Raised inside the worker at the next progress event after a visitor pressed Cancel."""


OUTCOMES = ("done", "failed", "cancelled")


@dataclass
class StageLog:
    """Progress events from `CallbackProgress`, kept as an ordered list of stages with timings.

    `finish(outcome)` closes it: "done" ticks every stage; "failed" and "cancelled" mark the stage
    that was running then with a cross, so a failed run never reads as a finished one.
    """

    started: float = field(default_factory=time.perf_counter)
    stages: list[StageEvent] = field(default_factory=list)
    finished_at: float | None = None
    outcome: str | None = None

    def update(self, description: str, done: int, total: int | None) -> None:
        now = time.perf_counter()
        if self.stages and self.stages[-1].description == description:
            self.stages[-1].done, self.stages[-1].total = done, total
        else:
            self.stages.append(StageEvent(description, done, total, now))

    def finish(self, outcome: str = "done") -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"`outcome` must be one of {OUTCOMES}, got {outcome!r}.")
        if self.finished_at is None:
            self.finished_at, self.outcome = time.perf_counter(), outcome

    def markdown(self) -> str:
        """One line per stage: finished stages ticked with their time, the current one with its step,
        the one a failure or cancel stopped crossed; then the outcome in bold."""
        lines = []
        for index, stage in enumerate(self.stages):
            is_last = index + 1 == len(self.stages)
            end = self.finished_at if is_last else self.stages[index + 1].at
            steps = f" {stage.done}/{stage.total}" if stage.total else ""
            if end is None:
                lines.append(f"- ▶ **{stage.description}**{steps} ({time.perf_counter() - stage.at:.1f} s)")
            elif is_last and self.outcome in ("failed", "cancelled"):
                lines.append(f"- ✗ {stage.description}{steps} ({end - stage.at:.1f} s, {self.outcome})")
            else:
                lines.append(f"- ✓ {stage.description}{steps} ({end - stage.at:.1f} s)")
        if self.finished_at is not None:
            seconds = self.finished_at - self.started
            lines.append(
                {
                    "done": f"\n**Done in {seconds:.1f} s.**",
                    "failed": f"\n**Failed after {seconds:.1f} s.** No video was made.",
                    "cancelled": f"\n**Cancelled after {seconds:.1f} s.** Nothing of this run was kept.",
                }[self.outcome or "done"]
            )
        return "\n".join(lines) or "Starting…"


class PipelineCache:
    """One pipeline per preset, created on first use and kept (models load once per process).

    At most `capacity` pipelines stay loaded; the least recently used one is dropped first, so
    switching presets on a GPU does not hold two sets of video weights at once.
    """

    def __init__(self, factory: Callable[[str], PipelineLike], capacity: int = 1) -> None:
        if capacity < 1:
            raise ValueError(f"`capacity` must be at least 1, got {capacity}.")
        self._factory = factory
        self._capacity = capacity
        self._pipelines: OrderedDict[str, PipelineLike] = OrderedDict()
        self._lock = threading.Lock()
        self.num_created = 0

    def get(self, preset: str) -> PipelineLike:
        with self._lock:
            if preset in self._pipelines:
                self._pipelines.move_to_end(preset)
                return self._pipelines[preset]
            while len(self._pipelines) >= self._capacity:
                self._pipelines.popitem(last=False)
                _free_memory()
            pipeline = self._factory(preset)
            self.num_created += 1
            self._pipelines[preset] = pipeline
            return pipeline

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._pipelines)


def _free_memory() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover - torch is a core dependency
        pass


def candidate_caption(seed: int, similarity: float | None, chosen: bool) -> str:
    score = "no face" if similarity is None else f"identity {similarity:.3f}"
    return f"{'✓ chosen · ' if chosen else ''}seed {seed} · {score}"


def summary_markdown(result: Any, preset_note: str) -> str:
    """The run's headline numbers for the page."""
    mean = result.identity_mean
    chosen = next((c for c in result.candidates if c.chosen), None)
    lines = [
        f"**Video:** {result.video.num_frames} frames, {result.video.width}x{result.video.height}, "
        f"{result.video.fps:g} fps",
        "**Identity (first frame):** "
        + ("n/a" if chosen is None or chosen.similarity is None else f"{chosen.similarity:.3f}"),
        "**Identity (video, mean over sampled frames with a face):** "
        + ("n/a" if mean is None else f"{mean:.3f}"),
    ]
    text = "  \n".join(lines)
    if preset_note:
        text += f"  \n*{preset_note}*"
    return text + _warnings_markdown(list(getattr(result.record, "warnings", []) or []))


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _warnings_markdown(warnings: list[str]) -> str:
    warnings = list(dict.fromkeys(warnings))
    if not warnings:  # a list, one per line: several warnings in one paragraph are unreadable
        return ""
    noun = "Warning" if len(warnings) == 1 else f"{len(warnings)} warnings"
    return f"\n\n**⚠ {noun}:**\n" + "\n".join(f"- {escape_markdown(w)}" for w in warnings)


def beyond_summary_markdown(record: Any, preset_note: str) -> str:
    """The headline of a two-person or segmented run, from its record (`ipvg.segments`): the video,
    each person's identity, each segment's prompt, frames and re-anchoring; the report has the rest."""
    outputs, scores = record.outputs, record.scores
    seconds = outputs["num_frames"] / outputs["fps"] if outputs.get("fps") else 0.0
    segments = outputs.get("segments", [])
    made = f", {len(segments)} segment{'' if len(segments) == 1 else 's'}" if segments else ""
    lines = [
        f"**Video:** {outputs['num_frames']} frames ({seconds:.1f} s), {outputs['width']}x{outputs['height']}, "
        f"{outputs['fps']:g} fps{made}",
    ]
    people = scores.get("people", [])
    if people:
        lines += [
            f"**Identity of person {person['person'] + 1} (mean over sampled frames where matched):** "
            + _score(person["mean"])
            for person in people
        ]
        lines.append("**Identity (mean over the people):** " + _score(scores.get("video_identity_mean")))
    else:
        lines.append("**Identity (first frame):** " + _score(scores.get("first_frame_similarity")))
        lines.append(
            "**Identity (video, mean over sampled frames with a face):** "
            + _score(scores.get("video_identity_mean"))
        )
    text = "  \n".join(lines)
    if segments:
        rows = [
            f"| {s['index'] + 1} | {escape_markdown(s['prompt'])} | {s['frames'][0]}-{s['frames'][1]} | "
            f"{_score(s['anchor_similarity'])} | "
            + (f"yes ({_score(s['reanchored_similarity'])})" if s["reanchored"] else "no")
            + " |"
            for s in segments
        ]
        text += (
            "\n\n| # | temporal prompt | frames | start identity | re-anchored |\n|---|---|---|---|---|\n"
            + "\n".join(rows)
        )
    report = "every segment's identity curve, " if segments else "each person's score per frame, "
    text += f"\n\n*The report (Download report) has {report}the sampled frames and the run's settings.*"
    if preset_note:
        text += f"  \n*{preset_note}*"
    return text + _warnings_markdown(list(record.warnings or []))


def escape_markdown(text: str) -> str:
    """Keep `*`, `_` and friends in a message from turning into formatting."""
    return re.sub(r"([\\*_\[\]<>#|])", r"\\\1", text)


def spatial_token_note(text: str | None) -> str:
    """The spatial prompt's CLIP token count against CLIP's 77-token window, or "" when unknown."""
    if not (text or "").strip():
        return ""
    try:
        from ipvg.prompts import clip_token_count
    except ImportError:  # older ipvg.prompts without the counter
        return ""
    try:
        count = int(clip_token_count(text))
    except Exception:  # the tokenizer could not be built here: say nothing rather than guess
        return ""
    if count > CLIP_WINDOW:
        return (
            f"⚠ {count}/{CLIP_WINDOW} CLIP tokens: the text encoder reads the first {CLIP_WINDOW}, "
            "the rest is cut."
        )
    return f"{count}/{CLIP_WINDOW} CLIP tokens"


@dataclass(frozen=True)
class PresetStatus:
    name: str
    ready: bool
    missing: tuple[str, ...]
    description: str

    @property
    def label(self) -> str:
        """The dropdown's text: the name, and "weights missing" where they are."""
        return self.name if self.ready else f"{self.name} (weights missing)"

    def note(self) -> str:
        if self.ready:
            return f"Preset `{self.name}`: {self.description}."
        hub = [model for model in self.missing if "/" in model and not model.startswith(("/", "~", "."))]
        other = [model for model in self.missing if model not in hub]
        fixes = []
        if hub:
            fixes.append(f"run `ipvg models download {self.name}` on a machine with internet")
        if other:
            fixes.append("see `ipvg presets` for where " + ", ".join(f"`{m}`" for m in other) + " must be")
        return (
            f"⚠ Preset `{self.name}` ({self.description}) cannot run here: its weights are missing "
            f"({', '.join(f'`{m}`' for m in self.missing)}). To get them, {' and '.join(fixes)}, "
            "then restart `ipvg serve`."
        )


def preset_status(config: Any) -> PresetStatus:
    """Whether every model `config` needs is on this machine (nothing is downloaded to find out)."""
    from ipvg.models import preset_models

    try:
        rows = preset_models(config)
    except Exception:  # a broken install must not stop the page from loading
        rows = []
    missing = tuple(dict.fromkeys(row.model for row in rows if not row.present))
    return PresetStatus(config.name, not missing, missing, config.description)
