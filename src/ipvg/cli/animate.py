"""`ipvg animate`: animate an image with a text prompt (the temporal stage alone)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipvg.cli.common import (
    DEFAULT_PRESET,
    AllowDownloadOption,
    DeviceOption,
    NumFramesOption,
    OverwriteOption,
    PresetOption,
    PromptOption,
    SeedOption,
    SetOption,
    StepsOption,
    build_config,
    check_before_loading,
    out_option,
    tiny_note,
)

OUTPUTS = "first_frame.png, video.mp4, record.json, report.html"


def animate_command(
    image: Annotated[
        Path,
        # --face/-f too: every command takes its picture under the same name.
        typer.Option("--image", "-i", "--face", "-f", help="The first frame (PNG, JPEG, WebP)."),
    ],
    prompt: PromptOption,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            "-r",
            help="The person's face, seen in every step by reference-conditioned backends (wan21-vace-*).",
        ),
    ] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", "-b", help="Temporal backend (see `ipvg backends`).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Hub id or local folder overriding the backend's default.")
    ] = None,
    preset: PresetOption = DEFAULT_PRESET,
    seed: SeedOption = None,
    device: DeviceOption = None,
    out: Annotated[Path, out_option("outputs/animate", OUTPUTS)] = Path("outputs/animate"),
    num_frames: NumFramesOption = None,
    steps: StepsOption = None,
    allow_download: AllowDownloadOption = False,
    overwrite: OverwriteOption = False,
    overrides: SetOption = None,
) -> None:
    """Animate IMAGE following PROMPT with an image-to-video model; writes first_frame.png (the input),
    video.mp4, record.json and report.html into OUT (all at once)."""
    from ipvg.inputs import clean_prompt
    from ipvg.io.images import load_image

    config = build_config(
        preset,
        overrides,
        **{
            "temporal.backend": backend,
            "temporal.model": model,
            "seed": seed,
            "runtime.device": device,
            "temporal.num_frames": num_frames,
            "temporal.num_inference_steps": steps,
            "runtime.allow_download": True if allow_download else None,
        },
    )
    # 1. Refuse what can be refused before a model loads. Only the video model is needed here.
    clean_prompt(prompt)
    load_image(image)  # an unreadable image is refused before the model loads
    if reference is not None:
        load_image(reference)
    check_before_loading(config, out, overwrite=overwrite, stages=("temporal",))

    from ipvg.animate import Animator
    from ipvg.progress import RichProgress

    # 2. Animate; OUT is written through a staging folder that replaces it only on success
    animator = Animator(config)
    with RichProgress() as progress:
        result = animator(image, prompt, reference=reference, out_dir=out, overwrite=overwrite, progress=progress)
    tiny_note(config, "the video is")
    video = result.video
    typer.echo(
        f"wrote {out}/ ({OUTPUTS}): {video.num_frames} frames, {video.width}x{video.height}, {video.fps:g} fps"
    )


def register(app: typer.Typer) -> None:
    app.command("animate")(animate_command)
