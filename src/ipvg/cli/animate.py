"""`ipvg animate`: animate an image with a text prompt (the temporal stage alone)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipvg.cli.common import DeviceOption, PresetOption, SeedOption, SetOption, build_config


def animate_command(
    image: Annotated[Path, typer.Option("--image", "-i", help="The first frame (PNG, JPEG, WebP).")],
    prompt: Annotated[str, typer.Option("--prompt", help="What happens in the video.")],
    backend: Annotated[
        str | None, typer.Option("--backend", "-b", help="Temporal backend (see `ipvg backends`).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Hub id or local folder overriding the backend's default.")
    ] = None,
    preset: PresetOption = "tiny",
    seed: SeedOption = None,
    device: DeviceOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (video.mp4 + record.json).")] = Path(
        "outputs/animate"
    ),
    num_frames: Annotated[int | None, typer.Option("--num-frames", help="Frames (rounded to 4k+1).")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Denoising steps.")] = None,
    allow_download: Annotated[
        bool, typer.Option("--allow-download", help="Download missing weights from the hub.")
    ] = False,
    overrides: SetOption = None,
) -> None:
    """Animate IMAGE following PROMPT with an image-to-video model; writes video.mp4 and record.json."""
    from ipvg.animate import Animator
    from ipvg.progress import RichProgress

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
    if backend and not model and config.temporal.model and config.temporal.model.startswith("ipvg-tiny:"):
        # Switching backend on the tiny preset: use that backend's tiny model.
        config = config.with_overrides({"temporal.model": f"ipvg-tiny:{backend}"})
    animator = Animator(config)
    with RichProgress() as progress:
        result = animator(image, prompt, out_dir=out, progress=progress)
    if config.name == "tiny":
        typer.secho("note: the tiny preset uses random weights, so the video is noise by design.", err=True)
    video = result.video
    typer.echo(
        f"wrote {result.video_path} ({video.num_frames} frames, {video.width}x{video.height}, {video.fps:g} fps) and {result.record_path}"
    )


def register(app: typer.Typer) -> None:
    app.command("animate")(animate_command)
