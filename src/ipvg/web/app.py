"""The Gradio app: a thin layer over `IdentityVideoPipeline` (every decision lives in the pipeline).

Layout: face upload (boxed preview) or a one-click example, an optional second face + prompt + preset
and duration -> "Decouple" (editable spatial and temporal prompts, arXiv 2507.04705 §3.1) -> "Advanced"
(steps, frames, resolution, guidance, candidates, negative prompt, seed) -> "Generate" / "Cancel"
(per-stage progress; a failure or a cancel is shown as such) -> first-frame candidates with identity
scores, the video, the per-frame identity plot, downloads. A second face, a duration or a timeline prompt
goes to `ipvg.segments` (two people, a video by segments) by the rule `ipvg generate` uses
(`ipvg.segments.check_request`); the summary then shows each person's or each segment's identity.

Every event that touches models shares one queue slot (`concurrency_id="models"`, limit 1) and one
lock, so two visitors never load models twice or run two generations at once; while a run waits for
the slot Gradio shows its queue position on the progress box. Pipelines are cached per preset for the
life of the process. Nothing is fetched from the internet: analytics are off, there are no share
links, no server-side rendering, and the theme uses local fonts.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry

import gradio as gr
from PIL import Image, ImageOps

from ipvg.config import PRESETS, TINY_NOTE, get_preset
from ipvg.errors import ConfigError, IpvgError, NoFaceDetectedError
from ipvg.progress import CallbackProgress
from ipvg.segments import Request, SegmentedResult, check_request, generate_beyond_one_shot
from ipvg.svg import ACCENT, Series, identity_chart_svg, line_chart_svg
from ipvg.types import DecoupledPrompt
from ipvg.web.examples import Example, find_examples
from ipvg.web.logic import (
    PipelineCache,
    PipelineLike,
    PresetStatus,
    RunCancelled,
    StageLog,
    WebLimits,
    beyond_summary_markdown,
    candidate_caption,
    check_length,
    check_prompt,
    describe_faces,
    describe_request,
    draw_face_boxes,
    edited_prompts,
    find_faces,
    parse_duration,
    preset_status,
    read_upload,
    refuse_edited_prompts,
    spatial_token_note,
    summary_markdown,
)
from ipvg.web.settings import (
    MAX_CANDIDATES,
    MAX_FRAMES,
    MAX_GUIDANCE,
    MAX_STEPS,
    RunSettings,
    describe_settings,
    parse_settings,
    preset_settings,
    resolution_choices,
)

logger = logging.getLogger(__name__)
request_log = logging.getLogger("ipvg.web.requests")  # one line per request (see `launch`)

CONCURRENCY_ID = "models"
STATUS_REFRESH_S = 0.5
MAX_ENDED_RUNS = 64
MAX_SEED = 2**32 - 1
UPLOAD_HINT = "Upload a photo with one clearly visible face, or pick an example below."
SECOND_FACE_HINT = "Optional: a second person's photo makes a video of both (the prompt names both people)."
NOT_STARTED = "\n\n**Not started.** Nothing was run."
PERSON_COLOURS = (ACCENT, "#ea580c")  # person 1 blue, person 2 orange (the plot's legend says so)
CSS = """
.ipvg-note { opacity: 0.85; font-size: 0.9em; }
#ipvg-token-note { font-size: 0.85em; opacity: 0.8; margin-top: -0.4em; }
#ipvg-progress ul { margin: 0; }
"""


def error_markdown(error: BaseException) -> str:
    """A user error as its one clear line; anything else as a short internal-error line (logged in full)."""
    if isinstance(error, IpvgError):
        return f"⚠ {error.one_line()}"
    logger.exception("unexpected error in the web UI", exc_info=error)
    return f"⚠ Internal error ({type(error).__name__}: {error}). The server log has the details."


def preset_note(preset: str) -> str:
    config = PRESETS.get(preset)
    if config is None:
        return ""
    if preset == "tiny":
        return f"Preset `tiny`: {TINY_NOTE}."
    return f"Preset `{preset}`: {config.description}."


def mark_chosen(image: Image.Image) -> Image.Image:
    """The chosen first frame gets a green frame so it stands out in the gallery."""
    border = max(2, round(max(image.size) / 32))
    return ImageOps.expand(image, border=border, fill=(40, 200, 80))


def random_seed() -> int:
    return random.randint(0, MAX_SEED)


@dataclass
class RunHandle:
    """One generation: Cancel sets `cancel`; the worker sets `finished` once nothing of it runs any more."""

    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    log: StageLog = field(default_factory=StageLog)
    started: bool = False
    result: Any = None
    error: BaseException | None = None


class WebApp:
    """Event handlers over a cache of pipelines; `build()` lays out the Gradio page."""

    def __init__(
        self,
        preset: str = "tiny",
        *,
        pipeline_factory: Callable[[str], PipelineLike] | None = None,
        presets: list[str] | None = None,
        limits: WebLimits | None = None,
        runs_dir: str | Path | None = None,
        capacity: int = 1,
        examples: list[Example] | None = None,
    ) -> None:
        self.preset = preset
        self.presets = presets or list(PRESETS)
        if preset not in self.presets:
            get_preset(preset)  # raises ConfigError naming the allowed presets
            self.presets = [preset, *self.presets]
        self.limits = limits or WebLimits()
        self.runs_dir = Path(runs_dir) if runs_dir else Path(tempfile.gettempdir()) / "ipvg-web"
        self.cache = PipelineCache(pipeline_factory or default_factory, capacity=capacity)
        self.examples = find_examples() if examples is None else examples
        self._model_lock = threading.Lock()  # held by every model use, even if a visitor disconnects
        self._runs: dict[str, RunHandle] = {}
        # The final state of runs that ended lately (text only: a result holds the whole video), so a
        # Cancel that arrives just after the end says what happened.
        self._ended: OrderedDict[str, str] = OrderedDict()
        self._runs_lock = threading.Lock()
        self._statuses: dict[str, PresetStatus] = {}

    def status(self, preset: str) -> PresetStatus:
        """Whether `preset`'s weights are here (looked up once per process; restart after downloading)."""
        if preset not in self._statuses:
            self._statuses[preset] = preset_status(get_preset(preset))
        return self._statuses[preset]

    def preset_note(self, preset: str) -> str:
        """What the preset is, or which of its weights are missing and how to get them."""
        return preset_note(preset) if preset == "tiny" else self.status(preset).note()

    def defaults(self, preset: str) -> RunSettings:
        return preset_settings(get_preset(preset))

    # -- events ---------------------------------------------------------------------------------

    def on_upload(self, file_path: str | None, preset: str) -> tuple[Any, str, str | None]:
        """Detect the face in the upload: (boxed preview, status line, path kept for generation)."""
        if not file_path:
            return None, UPLOAD_HINT, None
        started = time.perf_counter()
        try:
            image = read_upload(file_path, self.limits)
            with self._model_lock:
                faces = find_faces(self.cache.get(preset).faces, image)
        except Exception as error:
            request_log.info("upload %s -> %s", Path(file_path).name, _one_line(error))
            return None, error_markdown(error), None
        request_log.info(
            "upload %s -> %d face(s) in %.1f s", Path(file_path).name, len(faces), time.perf_counter() - started
        )
        if not faces:
            error = NoFaceDetectedError(
                "No face found in the uploaded photo, even after padding it with grey.",
                "upload a photo where one face is clearly visible, roughly frontal, and at least ~64 pixels wide.",
            )
            return image, error_markdown(error), None
        return draw_face_boxes(image, faces), f"✓ {describe_faces(faces)}", file_path

    def on_example(self, index: int | None, preset: str) -> tuple[Any, ...]:
        """Load example `index`: (face file, boxed preview, face status, face path, prompt, cleared
        spatial and temporal prompts, no decoupled prompt, decouple status)."""
        if index is None or not 0 <= index < len(self.examples):
            return (gr.skip(),) * 9
        example = self.examples[index]
        preview, status, kept = self.on_upload(str(example.face), preset)
        status = f"{status} (example {example.name})"
        return str(example.face), preview, status, kept, example.prompt, "", "", None, ""

    def on_select_example(self, preset: str, evt: gr.SelectData) -> tuple[Any, ...]:
        return self.on_example(evt.index if isinstance(evt.index, int) else None, preset)

    def on_preset(self, preset: str) -> tuple[Any, ...]:
        """The preset's note and its own defaults in the Advanced panel."""
        defaults = self.defaults(preset)
        return (
            self.preset_note(preset),
            defaults.num_inference_steps,
            defaults.num_frames,
            gr.Dropdown(choices=resolution_choices(defaults.resolution), value=defaults.resolution),
            defaults.guidance_scale,
            defaults.num_candidates,
            defaults.negative_prompt,
            get_preset(preset).seed,
        )

    def on_decouple(
        self, face_path: str | None, prompt: str, preset: str
    ) -> tuple[str, str, DecoupledPrompt | None, str]:
        """Split the prompt: (spatial, temporal, the decoupler's output, status line)."""
        try:
            prompt = check_prompt(prompt, self.limits)
            face_image = read_upload(face_path, self.limits) if face_path else None
            with self._model_lock:
                decoupled = self.cache.get(preset).decouple(prompt, face_image)
        except Exception as error:
            request_log.info("decouple -> %s", _one_line(error))
            return gr.skip(), gr.skip(), gr.skip(), error_markdown(error)
        request_log.info("decouple -> %s", decoupled.backend)
        notes = [f"Decoupled by `{decoupled.backend}`; subject: {decoupled.subject}."]
        if face_image is None:
            notes.append("No face uploaded yet, so the subject is generic.")
        notes += [f"⚠ {warning}" for warning in decoupled.warnings]
        notes.append("Edit either prompt before generating if the decoupler got something wrong.")
        return decoupled.spatial, decoupled.temporal, decoupled, " ".join(notes)

    def new_run(self) -> tuple[str, str]:
        """A fresh run id for the Cancel button (set before the run queues for the models)."""
        return uuid.uuid4().hex, "Waiting for the models…"

    def on_cancel(self, run_id: str | None) -> Iterator[str]:
        """Stop run `run_id`: a queued run never starts; a running one stops at its next step (a model
        still loading stops once loaded), and its output folder is removed before the final state shows
        (so nothing partial is left). Streams "Cancelling…" until then."""
        if not run_id:
            yield gr.skip()
            return
        with self._runs_lock:
            ended = self._ended.get(run_id)
            handle = self._runs.setdefault(run_id, RunHandle()) if ended is None else None
        if handle is None:  # too late: it had finished (its outputs, if any, are complete)
            request_log.info("generate %s -> cancel after it ended", run_id[:8])
            yield ended
            return
        handle.cancel.set()
        if not handle.started:
            request_log.info("generate %s -> cancelled before it started", run_id[:8])
            yield "✗ Cancelled before it started. Nothing was run."
            return
        while not handle.finished.wait(STATUS_REFRESH_S):
            yield "**Cancelling…** (the run stops at its next step)\n\n" + handle.log.markdown()
        yield self._final_progress(handle)

    def on_generate(
        self,
        face_path: str | None,
        prompt: str,
        preset: str,
        seed: float | None,
        spatial: str,
        temporal: str,
        decoupled: DecoupledPrompt | None,
        steps: float | None = None,
        frames: float | None = None,
        resolution: str | None = None,
        guidance: float | None = None,
        candidates: float | None = None,
        negative_prompt: str | None = None,
        run_id: str | None = None,
        second_face_path: str | None = None,
        duration: float | str | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Run the pipeline in a worker thread, streaming per-stage progress, then show the results.

        A second face makes a video of both people, a duration (or a timeline prompt) a video by
        segments: `ipvg.segments.check_request` decides, as it does for `ipvg generate`."""
        rest = (gr.skip(),) * (len(self.output_names) - 1)  # progress only; earlier results stay shown
        run_id = run_id or uuid.uuid4().hex
        with self._runs_lock:
            handle = self._runs.setdefault(run_id, RunHandle())
            handle.started = True
        if handle.cancel.is_set():  # cancelled while it waited in the queue
            self._forget(run_id)
            yield ("✗ Cancelled before it started. Nothing was run.", *rest)
            return

        # 1. Check inputs before queueing for the models: face, prompt, edited prompts, settings
        try:
            if not face_path:
                raise NoFaceDetectedError(
                    "No usable face photo yet.", "upload a photo where the face is found (boxed in green)."
                )
            prompt = check_prompt(prompt, self.limits)
            prompts = edited_prompts(decoupled, prompt, spatial, temporal, self.limits)
            settings = parse_settings(steps, frames, resolution, guidance, candidates, negative_prompt)
            settings = settings.changed_from(self.defaults(preset))
            duration_s = parse_duration(duration, self.limits)
            request = check_request(
                2 if second_face_path else 1, prompt, duration_s, config=get_preset(preset)
            )
            if not request.one_shot:
                what = "a video of two people" if request.num_people > 1 else "a video by segments"
                refuse_edited_prompts(prompts, what)
                check_length(request, self.limits)
            faces = [read_upload(path, self.limits) for path in (face_path, second_face_path) if path]
        except Exception as error:
            self._forget(run_id)
            request_log.info("generate %s -> refused: %s", run_id[:8], _one_line(error))
            yield (error_markdown(error) + NOT_STARTED, *rest)
            return

        # 2. Run the pipeline in a worker thread; it records stages in the handle's log
        run_dir = self.runs_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{run_id[:8]}"
        seed_value = None if seed is None else int(seed)
        threading.Thread(
            target=self._work,
            args=(handle, preset, faces, prompt, prompts, settings, seed_value, run_dir, run_id),
            kwargs={"request": request, "duration_s": duration_s},
            name="ipvg-generate",
            daemon=True,
        ).start()

        # 3. Stream the stage list to the page until the worker is done (refreshing elapsed times)
        try:
            yield (handle.log.markdown(), *rest)
            while not handle.finished.wait(STATUS_REFRESH_S):
                yield (handle.log.markdown(), *rest)
        finally:
            if not handle.finished.is_set():  # the page went away mid-run: stop the work too
                handle.cancel.set()

        # 4. The results, or the failure / cancel with the stages so far (earlier results stay shown)
        if handle.log.outcome == "done":
            yield self._results(handle.result, handle.log, preset)
        else:
            yield (self._final_progress(handle), *rest)

    def _work(
        self,
        handle: RunHandle,
        preset: str,
        faces: list[Image.Image],
        prompt: str,
        prompts: DecoupledPrompt | None,
        settings: RunSettings,
        seed: int | None,
        run_dir: Path,
        run_id: str,
        *,
        request: Request,
        duration_s: float | None,
    ) -> None:
        """The generation itself, in a worker thread; a cancel or failure leaves no output folder.

        A cancel stops the run at its next progress event; one pressed while the outputs are written
        (no events come then) is honoured once the writer returns, and the folder goes all the same."""

        def report(description: str, done: int, total: int | None) -> None:
            if handle.cancel.is_set():
                raise RunCancelled()
            handle.log.update(description, done, total)

        outcome = "failed"
        try:
            with self._model_lock:
                if preset not in self.cache.loaded():
                    report(f"Preparing the `{preset}` pipeline (first use only)", 0, None)
                pipeline = self.cache.get(preset)
                progress = CallbackProgress(report)
                if request.one_shot:
                    handle.result = pipeline(
                        faces[0],
                        prompt,
                        seed=seed,
                        out_dir=run_dir,
                        prompts=prompts,
                        progress=progress,
                        **settings.call_kwargs(),  # this run only; the loaded models stay
                    )
                else:  # two people or by segments: the panel's values for this run only, as above
                    with pipeline.overridden(settings.config_overrides()):
                        handle.result = generate_beyond_one_shot(
                            pipeline, faces, prompt, duration_s=duration_s, seed=seed, out_dir=run_dir,
                            progress=progress,
                        )  # fmt: skip
                if handle.cancel.is_set():  # pressed during the last stage: still nothing is kept
                    raise RunCancelled()
                outcome = "done"
        except RunCancelled:
            outcome = "cancelled"
        except BaseException as error:
            handle.error = error
            outcome = "cancelled" if handle.cancel.is_set() else "failed"
        finally:
            if outcome != "done":
                handle.result = None
                shutil.rmtree(run_dir, ignore_errors=True)
            handle.log.finish(outcome)
            seconds = handle.log.finished_at - handle.log.started if handle.log.finished_at else 0.0
            detail = f": {_one_line(handle.error)}" if outcome == "failed" and handle.error else ""
            if outcome == "done":
                warnings = len(getattr(handle.result.record, "warnings", None) or [])
                detail = f", {warnings} warning{'' if warnings == 1 else 's'}" if warnings else ""
            request_log.info(
                "generate %s preset=%s %s%s seed=%s -> %s in %.1f s%s%s",
                run_id[:8],
                preset,
                describe_settings(settings) or "defaults",
                describe_request(request, duration_s),
                seed,
                outcome,
                seconds,
                f" ({run_dir})" if outcome == "done" else "",
                detail,
            )
            self._forget(run_id)
            handle.finished.set()

    def _final_progress(self, handle: RunHandle) -> str:
        if handle.log.outcome == "failed" and handle.error is not None:
            return error_markdown(handle.error) + "\n\n" + handle.log.markdown()
        return handle.log.markdown()

    def _forget(self, run_id: str) -> None:
        with self._runs_lock:
            handle = self._runs.pop(run_id, None)
            if handle is not None and handle.log.outcome is not None:
                failed = handle.log.outcome == "failed" and handle.error is not None
                error = f"⚠ {_one_line(handle.error)}\n\n" if failed else ""
                self._ended[run_id] = error + handle.log.markdown()
                while len(self._ended) > MAX_ENDED_RUNS:
                    self._ended.popitem(last=False)

    @property
    def output_names(self) -> list[str]:
        return [
            "progress",
            "candidates",
            "video",
            "plot",
            "summary",
            "download_video",
            "download_record",
            "download_report",
            "spatial",
            "temporal",
            "decoupled",
        ]

    def _results(self, result: Any, log: StageLog, preset: str) -> tuple[Any, ...]:
        if isinstance(result, SegmentedResult):
            return self._beyond_results(result, log, preset)
        gallery = [
            (
                mark_chosen(c.image) if c.chosen else c.image,
                candidate_caption(c.seed, c.similarity, c.chosen),
            )
            for c in result.candidates
        ]
        video = result.video
        identity = result.video_identity  # the sampled frame indices and each one's similarity
        plot = identity_chart_svg(identity.frame_indices, identity.per_frame, video.num_frames)
        paths = result.paths
        note = f"Preset `tiny`: {TINY_NOTE}." if preset == "tiny" else ""
        return (
            log.markdown(),
            gallery,
            str(paths["video"]),
            plot,
            summary_markdown(result, note),
            gr.DownloadButton(value=str(paths["video"]), visible=True),
            gr.DownloadButton(value=str(paths["record"]), visible=True),
            gr.DownloadButton(value=str(paths["report"]), visible=True) if "report" in paths else gr.skip(),
            result.prompts.spatial,
            result.prompts.temporal,
            result.prompts,
        )

    def _beyond_results(self, result: SegmentedResult, log: StageLog, preset: str) -> tuple[Any, ...]:
        """A two-person or segmented run, shown from its record: the first-frame candidates (and, for
        two people, the frame with each face redrawn), the video, identity per person or per segment."""
        record = result.record
        gallery = [
            (mark_chosen(c.image) if c.chosen else c.image, candidate_caption(c.seed, c.similarity, c.chosen))
            for c in result.keyframe.candidates
        ]
        if result.people is not None:
            gallery.append((mark_chosen(result.first_frame), "first frame: each face redrawn as its person"))
        paths = result.paths
        note = f"Preset `tiny`: {TINY_NOTE}." if preset == "tiny" else ""
        return (
            log.markdown(),
            gallery,
            str(paths["video"]),
            beyond_chart(record.outputs, record.scores),
            beyond_summary_markdown(record, note),
            gr.DownloadButton(value=str(paths["video"]), visible=True),
            gr.DownloadButton(value=str(paths["record"]), visible=True),
            gr.DownloadButton(value=str(paths["report"]), visible=True),
            result.prompts.spatial,
            result.prompts.temporal,
            result.prompts,
        )

    # -- layout ---------------------------------------------------------------------------------

    def build(self) -> gr.Blocks:
        limits = self.limits
        defaults = self.defaults(self.preset)
        with gr.Blocks(
            title="ipvg: a video of a person from one photo",
            analytics_enabled=False,
            delete_cache=(3600, 86400),  # uploads and copies older than a day go, hourly
        ) as demo:
            gr.Markdown(
                "## ipvg: identity-preserving text-to-video\n"
                "One face photo + a prompt -> a video of that person. The prompt is split into a "
                "*spatial* prompt (first frame) and a *temporal* prompt (motion); you can edit both."
            )
            note = gr.Markdown(self.preset_note(self.preset), elem_id="ipvg-preset-note", elem_classes="ipvg-note")
            face_path = gr.State(None)
            second_face_path = gr.State(None)
            decoupled = gr.State(None)
            run_id = gr.State(None)
            with gr.Row():
                with gr.Column(scale=1):
                    face_file = gr.File(
                        label=f"Face photo (PNG, JPEG or WebP; at most {limits.max_upload_label} and "
                        f"{limits.max_image_side} px per side)",
                        file_count="single",
                        type="filepath",
                        elem_id="ipvg-face-file",
                    )
                    face_preview = gr.Image(
                        label="Detected face (green box is used)",
                        interactive=False,
                        type="pil",
                        elem_id="ipvg-face-preview",
                        height=260,
                    )
                    face_status = gr.Markdown(UPLOAD_HINT, elem_id="ipvg-face-status")
                    with gr.Row(equal_height=True):
                        second_face_file = gr.File(
                            label="Second face (optional): a video of two people",
                            file_count="single",
                            type="filepath",
                            elem_id="ipvg-face-file-2",
                            scale=3,
                        )
                        second_face_preview = gr.Image(
                            label="Second face found",
                            interactive=False,
                            type="pil",
                            elem_id="ipvg-face-preview-2",
                            height=140,
                            scale=2,
                        )
                    second_face_status = gr.Markdown(SECOND_FACE_HINT, elem_id="ipvg-face-status-2")
                    examples = gr.Gallery(
                        [(str(e.face), e.name) for e in self.examples],
                        label="Examples: click one to load its face and prompt",
                        columns=3,
                        rows=2,
                        height=420,
                        object_fit="cover",
                        allow_preview=False,
                        buttons=[],
                        interactive=False,
                        visible=bool(self.examples),
                        elem_id="ipvg-examples",
                    )
                with gr.Column(scale=1):
                    prompt = gr.Textbox(
                        label=f"Prompt (at most {limits.max_prompt_chars} characters)",
                        placeholder="A man smiles and waves at the camera on a sunny beach",
                        lines=3,
                        max_length=limits.max_prompt_chars,
                        elem_id="ipvg-prompt",
                    )
                    with gr.Row():
                        preset = gr.Dropdown(
                            [(self.status(name).label if name != "tiny" else name, name) for name in self.presets],
                            value=self.preset,
                            label="Preset",
                            elem_id="ipvg-preset",
                            scale=2,
                        )
                        # A text box, not gr.Number: a number box cannot be empty (it sends 0), and empty
                        # is how a visitor asks for the model's one clip.
                        duration = gr.Textbox(
                            value="",
                            label=f"Duration (seconds, at most {limits.max_duration_s:g})",
                            placeholder="empty: one clip",
                            info="Made in segments, each from the last one's final frame. A timeline prompt "
                            "('0-2s: She waves. 2-4s: She smiles.') sets its own.",
                            max_lines=1,
                            elem_id="ipvg-duration",
                            scale=1,
                        )
                    decouple_button = gr.Button("Decouple", elem_id="ipvg-decouple")
                    spatial = gr.Textbox(
                        label="Spatial prompt (first frame; editable)",
                        lines=3,
                        elem_id="ipvg-spatial",
                        max_length=limits.max_prompt_chars,
                    )
                    token_note = gr.Markdown(elem_id="ipvg-token-note")
                    temporal = gr.Textbox(
                        label="Temporal prompt (motion; editable)",
                        lines=3,
                        elem_id="ipvg-temporal",
                        max_length=limits.max_prompt_chars,
                    )
                    decouple_status = gr.Markdown(elem_id="ipvg-decouple-status")
                    with gr.Accordion("Advanced", open=False, elem_id="ipvg-advanced"):
                        with gr.Row():
                            steps = gr.Slider(
                                1, MAX_STEPS, value=defaults.num_inference_steps, step=1,
                                label="Video denoising steps", elem_id="ipvg-steps",
                            )  # fmt: skip
                            frames = gr.Slider(
                                5, MAX_FRAMES, value=defaults.num_frames, step=4,
                                label="Frames (4k+1)", elem_id="ipvg-frames",
                            )  # fmt: skip
                        with gr.Row():
                            resolution = gr.Dropdown(
                                resolution_choices(defaults.resolution),
                                value=defaults.resolution,
                                allow_custom_value=True,
                                label="Video size (WIDTHxHEIGHT)",
                                elem_id="ipvg-resolution",
                            )
                            guidance = gr.Slider(
                                0, MAX_GUIDANCE, value=defaults.guidance_scale, step=0.5,
                                label="Guidance scale (CFG)", elem_id="ipvg-guidance",
                            )  # fmt: skip
                        candidates_count = gr.Slider(
                            1, MAX_CANDIDATES, value=defaults.num_candidates, step=1,
                            label="First-frame candidates (best of N by identity)", elem_id="ipvg-candidates-count",
                        )  # fmt: skip
                        negative = gr.Textbox(
                            value=defaults.negative_prompt,
                            label="Negative prompt (video)",
                            lines=2,
                            max_length=limits.max_prompt_chars,
                            elem_id="ipvg-negative",
                        )
                        with gr.Row(equal_height=True):
                            seed = gr.Number(
                                value=get_preset(self.preset).seed,
                                precision=0,
                                minimum=0,
                                maximum=MAX_SEED,
                                label="Seed",
                                elem_id="ipvg-seed",
                                scale=3,
                            )
                            randomise = gr.Button("Random seed", elem_id="ipvg-random-seed", scale=1)
                    with gr.Row():
                        generate_button = gr.Button("Generate", variant="primary", elem_id="ipvg-generate", scale=3)
                        cancel_button = gr.Button("Cancel", variant="stop", elem_id="ipvg-cancel", scale=1)
                    progress = gr.Markdown(elem_id="ipvg-progress")
            with gr.Row():
                with gr.Column(scale=1):
                    candidates = gr.Gallery(
                        label="First-frame candidates (identity score vs your photo; chosen one marked)",
                        columns=3,
                        height="auto",
                        object_fit="contain",
                        elem_id="ipvg-candidates",
                    )
                    gr.Markdown(
                        "**Identity per sampled frame** (cosine similarity to your photo; × no face; "
                        "the solid line at 0.5 is ArcFace's same-person bar)"
                    )
                    plot = gr.HTML(elem_id="ipvg-identity-plot")
                with gr.Column(scale=1):
                    video = gr.Video(
                        label="Video", elem_id="ipvg-video", interactive=False, autoplay=True, loop=True
                    )
                    summary = gr.Markdown(elem_id="ipvg-summary")
                    with gr.Row():
                        download_video = gr.DownloadButton(
                            "Download video (mp4)", visible=False, elem_id="ipvg-download-video"
                        )
                        download_record = gr.DownloadButton(
                            "Download run record (json)", visible=False, elem_id="ipvg-download-record"
                        )
                        download_report = gr.DownloadButton(
                            "Download report (html)", visible=False, elem_id="ipvg-download-report"
                        )

            preset.change(
                self.on_preset,
                inputs=preset,
                outputs=[note, steps, frames, resolution, guidance, candidates_count, negative, seed],
                queue=False,
            )
            randomise.click(random_seed, outputs=seed, queue=False)
            spatial.change(spatial_token_note, inputs=spatial, outputs=token_note, queue=False)
            model_event = {"concurrency_limit": 1, "concurrency_id": CONCURRENCY_ID}
            face_file.upload(
                self.on_upload,
                inputs=[face_file, preset],
                outputs=[face_preview, face_status, face_path],
                **model_event,
            )
            face_file.clear(
                lambda: (None, UPLOAD_HINT, None),
                outputs=[face_preview, face_status, face_path],
                queue=False,
            )
            second_face_file.upload(
                self.on_upload,
                inputs=[second_face_file, preset],
                outputs=[second_face_preview, second_face_status, second_face_path],
                **model_event,
            )
            second_face_file.clear(
                lambda: (None, SECOND_FACE_HINT, None),
                outputs=[second_face_preview, second_face_status, second_face_path],
                queue=False,
            )
            examples.select(
                self.on_select_example,
                inputs=preset,
                outputs=[face_file, face_preview, face_status, face_path, prompt, spatial, temporal, decoupled,
                         decouple_status],
                **model_event,
            )  # fmt: skip
            decouple_button.click(
                self.on_decouple,
                inputs=[face_path, prompt, preset],
                outputs=[spatial, temporal, decoupled, decouple_status],
                **model_event,
            )
            outputs = {
                "progress": progress,
                "candidates": candidates,
                "video": video,
                "plot": plot,
                "summary": summary,
                "download_video": download_video,
                "download_record": download_record,
                "download_report": download_report,
                "spatial": spatial,
                "temporal": temporal,
                "decoupled": decoupled,
            }
            generation = generate_button.click(
                self.new_run, outputs=[run_id, progress], queue=False
            ).then(
                self.on_generate,
                inputs=[face_path, prompt, preset, seed, spatial, temporal, decoupled, steps, frames, resolution,
                        guidance, candidates_count, negative, run_id, second_face_path, duration],
                outputs=[outputs[name] for name in self.output_names],
                **model_event,
            )  # fmt: skip
            # Not behind the models' slot: a cancel must never wait for the run it cancels.
            cancel_button.click(
                self.on_cancel,
                inputs=run_id,
                outputs=progress,
                cancels=[generation],
                concurrency_limit=None,
                concurrency_id="cancel",
            )
        return demo


def beyond_chart(outputs: dict[str, Any], scores: dict[str, Any]) -> str:
    """Identity per sampled frame: one line per person (blue, orange), or the one person's line with
    the frames where segments join named in the title."""
    num_frames, indices = int(outputs["num_frames"]), list(scores["video_identity_frames"])
    people = scores.get("people", [])
    if not people:
        joins = [str(s["frames"][0]) for s in outputs.get("segments", [])[1:]]
        title = f"segments join at frames {', '.join(joins)}" if joins else ""
        return identity_chart_svg(indices, scores["video_identity_per_frame"], num_frames, title=title)
    series = [
        Series(indices, person["per_frame"], label=f"person {person['person'] + 1}", missing="not matched",
               color=PERSON_COLOURS[person["person"] % len(PERSON_COLOURS)])
        for person in people
    ]  # fmt: skip
    legend = ", ".join(f"person {p + 1} {('blue', 'orange')[p % 2]}" for p in range(len(people)))
    return line_chart_svg(
        series,
        y_label="identity",
        marks=(0.5,),
        x_range=(0, max(1, num_frames - 1)),
        title=legend,
        css_class="ipvg-identity-plot",
    )


def default_factory(preset: str) -> PipelineLike:
    from ipvg.pipeline import IdentityVideoPipeline

    return IdentityVideoPipeline.from_preset(preset)


def create_app(
    preset: str = "tiny",
    *,
    pipeline: PipelineLike | None = None,
    pipeline_factory: Callable[[str], PipelineLike] | None = None,
    limits: WebLimits | None = None,
    runs_dir: str | Path | None = None,
    capacity: int = 1,
    examples: list[Example] | None = None,
) -> tuple[gr.Blocks, WebApp]:
    """Build the page. `pipeline` (one object for the one preset) or `pipeline_factory` (preset name ->
    pipeline) replace `IdentityVideoPipeline.from_preset`, e.g. to serve a custom config. `examples`
    replace the ones found next to the repository (`ipvg.web.examples`)."""
    presets = None
    if pipeline is not None:
        pipeline_factory = lambda name: pipeline  # noqa: E731
        presets = [preset]
    web = WebApp(
        preset,
        pipeline_factory=pipeline_factory,
        presets=presets,
        limits=limits,
        runs_dir=runs_dir,
        capacity=capacity,
        examples=examples,
    )
    return web.build(), web


def launch(
    demo: gr.Blocks,
    web: WebApp,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    block: bool = True,
    quiet: bool = False,
) -> gr.Blocks:
    """Serve on `host:port` (localhost by default) with one queue; never a share link or telemetry.

    Unless `quiet`, the server log is one line per request on stderr; the libraries' own progress
    bars are off (the page shows progress)."""
    from ipvg.progress import quiet_library_progress

    web.runs_dir.mkdir(parents=True, exist_ok=True)
    quiet_library_progress()
    if not quiet and not request_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False
        # A run's warnings are on the page and counted in its request line; errors still reach the log.
        logging.getLogger("ipvg").setLevel(logging.ERROR)
    demo.queue(default_concurrency_limit=1, max_size=32)
    try:
        _start(demo, web, host, port)
    except OSError as error:
        raise ConfigError(
            f"Cannot serve on {host}:{port or 'a port from 7860'}: {error}",
            "pick another --port, or stop what is using this one.",
        ) from None
    if not quiet:
        print(f"ipvg web UI on {demo.local_url} (Ctrl+C to stop)", flush=True)
    if block:
        demo.block_thread()
    return demo


def _start(demo: gr.Blocks, web: WebApp, host: str, port: int | None) -> None:
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        inbrowser=False,
        prevent_thread_lock=True,
        show_error=True,
        quiet=True,
        run_history=False,  # keeps nothing of a visitor's runs in the browser (and offers no cloud bucket)
        footer_links=["api", "settings"],
        allowed_paths=[str(web.runs_dir), *(str(example.face) for example in web.examples)],
        max_file_size=web.limits.max_upload_bytes,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        css=CSS,
        theme=gr.themes.Default(),
    )


def _one_line(error: BaseException | None) -> str:
    if isinstance(error, IpvgError):
        return error.one_line()
    return f"{type(error).__name__}: {error}"
