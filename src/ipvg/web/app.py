"""The Gradio app: a thin layer over `IdentityVideoPipeline` (every decision lives in the pipeline).

Layout: face upload (boxed preview) + prompt + preset + seed -> "Decouple" (editable spatial and
temporal prompts, arXiv 2507.04705 §3.1) -> "Generate" (per-stage progress, first-frame candidates
with identity scores, the video, the per-frame identity plot, downloads).

Every event that touches models shares one queue slot (`concurrency_id="models"`, limit 1) and one
lock, so two visitors never load models twice or run two generations at once; pipelines are cached
per preset for the life of the process. Nothing is fetched from the internet: analytics are off,
there are no share links, no server-side rendering, and the theme uses local fonts.
"""

from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry

import gradio as gr
from PIL import Image, ImageOps

from ipvg.config import PRESETS, TINY_NOTE, get_preset
from ipvg.errors import ConfigError, IpvgError, NoFaceDetectedError
from ipvg.progress import CallbackProgress
from ipvg.types import DecoupledPrompt
from ipvg.web.logic import (
    PipelineCache,
    PipelineLike,
    StageLog,
    WebLimits,
    candidate_caption,
    check_prompt,
    describe_faces,
    draw_face_boxes,
    edited_prompts,
    find_faces,
    read_upload,
    summary_markdown,
)
from ipvg.web.plot import identity_plot_svg

logger = logging.getLogger(__name__)

CONCURRENCY_ID = "models"
STATUS_REFRESH_S = 0.5
CSS = """
.ipvg-note { opacity: 0.8; font-size: 0.9em; }
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
    ) -> None:
        self.preset = preset
        self.presets = presets or list(PRESETS)
        if preset not in self.presets:
            get_preset(preset)  # raises ConfigError naming the allowed presets
            self.presets = [preset, *self.presets]
        self.limits = limits or WebLimits()
        self.runs_dir = Path(runs_dir) if runs_dir else Path(tempfile.gettempdir()) / "ipvg-web"
        self.cache = PipelineCache(pipeline_factory or default_factory, capacity=capacity)
        self._model_lock = threading.Lock()  # held by every model use, even if a visitor disconnects

    # -- events ---------------------------------------------------------------------------------

    def on_upload(self, file_path: str | None, preset: str) -> tuple[Any, str, str | None]:
        """Detect the face in the upload: (boxed preview, status line, path kept for generation)."""
        if not file_path:
            return None, "Upload a photo with one clearly visible face.", None
        try:
            image = read_upload(file_path, self.limits)
            with self._model_lock:
                faces = find_faces(self.cache.get(preset).faces, image)
        except Exception as error:
            return None, error_markdown(error), None
        if not faces:
            error = NoFaceDetectedError(
                "No face found in the uploaded photo, even after padding it with grey.",
                "upload a photo where one face is clearly visible, roughly frontal, and at least ~64 pixels wide.",
            )
            return image, error_markdown(error), None
        return draw_face_boxes(image, faces), f"✓ {describe_faces(faces)}", file_path

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
            return gr.skip(), gr.skip(), gr.skip(), error_markdown(error)
        notes = [f"Decoupled by `{decoupled.backend}`; subject: {decoupled.subject}."]
        if face_image is None:
            notes.append("No face uploaded yet, so the subject is generic.")
        notes += [f"⚠ {warning}" for warning in decoupled.warnings]
        notes.append("Edit either prompt before generating if the decoupler got something wrong.")
        return decoupled.spatial, decoupled.temporal, decoupled, " ".join(notes)

    def on_generate(
        self,
        face_path: str | None,
        prompt: str,
        preset: str,
        seed: float | None,
        spatial: str,
        temporal: str,
        decoupled: DecoupledPrompt | None,
    ) -> Iterator[tuple[Any, ...]]:
        """Run the pipeline in a worker thread, streaming per-stage progress, then show the results."""
        rest = (gr.skip(),) * (len(self.output_names) - 1)  # progress only; earlier results stay shown

        # 1. Check inputs before queueing for the models: face, prompt, edited prompts
        try:
            if not face_path:
                raise NoFaceDetectedError(
                    "No usable face photo yet.", "upload a photo where the face is found (boxed in green)."
                )
            prompt = check_prompt(prompt, self.limits)
            prompts = edited_prompts(decoupled, prompt, spatial, temporal, self.limits)
            face_image = read_upload(face_path, self.limits)
        except Exception as error:
            yield (error_markdown(error), *rest)
            return

        # 2. Run the pipeline in a worker thread that reports stages through a queue
        run_dir = self.runs_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        log = StageLog()
        events: queue.Queue[tuple[str, int, int | None] | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                with self._model_lock:
                    if preset not in self.cache.loaded():
                        events.put((f"Preparing the `{preset}` pipeline (first use only)", 0, None))
                    pipeline = self.cache.get(preset)
                    outcome["result"] = pipeline(
                        face_image,
                        prompt,
                        seed=None if seed is None else int(seed),
                        out_dir=run_dir,
                        prompts=prompts,
                        progress=CallbackProgress(lambda *event: events.put(event)),
                    )
            except BaseException as error:
                outcome["error"] = error
            finally:
                events.put(None)

        threading.Thread(target=work, name="ipvg-generate", daemon=True).start()

        # 3. Stream the stage list to the page until the worker is done (refreshing elapsed times)
        yield (log.markdown(), *rest)
        last_yield = time.perf_counter()
        while True:
            try:
                event = events.get(timeout=STATUS_REFRESH_S)
            except queue.Empty:
                event = ()
            if event is None:
                break
            if event:
                log.update(*event)
            if time.perf_counter() - last_yield >= STATUS_REFRESH_S / 2:
                yield (log.markdown(), *rest)
                last_yield = time.perf_counter()

        # 4. Show the error in one line, or the results
        log.finish()
        if "error" in outcome:
            yield (error_markdown(outcome["error"]) + "\n\n" + log.markdown(), *rest)
            return
        yield self._results(outcome["result"], log, preset)

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
        from ipvg.pipeline import uniform_indices

        gallery = [
            (
                mark_chosen(c.image) if c.chosen else c.image,
                candidate_caption(c.seed, c.similarity, c.chosen),
            )
            for c in result.candidates
        ]
        video = result.video
        plot = identity_plot_svg(
            uniform_indices(video.num_frames, len(result.frame_similarities)),
            list(result.frame_similarities),
            video.num_frames,
        )
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

    # -- layout ---------------------------------------------------------------------------------

    def build(self) -> gr.Blocks:
        limits = self.limits
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
            note = gr.Markdown(preset_note(self.preset), elem_id="ipvg-preset-note", elem_classes="ipvg-note")
            face_path = gr.State(None)
            decoupled = gr.State(None)
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
                    face_status = gr.Markdown(
                        "Upload a photo with one clearly visible face.", elem_id="ipvg-face-status"
                    )
                    progress = gr.Markdown(elem_id="ipvg-progress")
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
                            self.presets, value=self.preset, label="Preset", elem_id="ipvg-preset"
                        )
                        seed = gr.Number(
                            value=get_preset(self.preset).seed,
                            precision=0,
                            minimum=0,
                            maximum=2**32 - 1,
                            label="Seed",
                            elem_id="ipvg-seed",
                        )
                    decouple_button = gr.Button("Decouple", elem_id="ipvg-decouple")
                    spatial = gr.Textbox(
                        label="Spatial prompt (first frame; editable)",
                        lines=3,
                        elem_id="ipvg-spatial",
                        max_length=limits.max_prompt_chars,
                    )
                    temporal = gr.Textbox(
                        label="Temporal prompt (motion; editable)",
                        lines=3,
                        elem_id="ipvg-temporal",
                        max_length=limits.max_prompt_chars,
                    )
                    decouple_status = gr.Markdown(elem_id="ipvg-decouple-status")
                    generate_button = gr.Button("Generate", variant="primary", elem_id="ipvg-generate")
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
                        "**Identity per sampled frame** (cosine similarity to your photo; x: no face)"
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

            preset.change(preset_note, inputs=preset, outputs=note, queue=False)
            model_event = {"concurrency_limit": 1, "concurrency_id": CONCURRENCY_ID}
            face_file.upload(
                self.on_upload,
                inputs=[face_file, preset],
                outputs=[face_preview, face_status, face_path],
                **model_event,
            )
            face_file.clear(
                lambda: (None, "Upload a photo with one clearly visible face.", None),
                outputs=[face_preview, face_status, face_path],
                queue=False,
            )
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
            generate_button.click(
                self.on_generate,
                inputs=[face_path, prompt, preset, seed, spatial, temporal, decoupled],
                outputs=[outputs[name] for name in self.output_names],
                **model_event,
            )
        return demo


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
) -> tuple[gr.Blocks, WebApp]:
    """Build the page. `pipeline` (one object for the one preset) or `pipeline_factory` (preset name ->
    pipeline) replace `IdentityVideoPipeline.from_preset`, e.g. to serve a custom config."""
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
    """Serve on `host:port` (localhost by default) with one queue; never a share link or telemetry."""
    web.runs_dir.mkdir(parents=True, exist_ok=True)
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
        allowed_paths=[str(web.runs_dir)],
        max_file_size=web.limits.max_upload_bytes,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        css=CSS,
        theme=gr.themes.Default(),
    )
