"""`ipvg generate`: the whole method — face + prompt -> decoupled prompts -> first frame -> video."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    run_folder,
    tiny_note,
)

OUTPUTS = "first_frame.png, candidates/, video.mp4, record.json, report.html"
FacesOption = Annotated[
    list[Path],
    typer.Option(
        "--face",
        "-f",
        help="Reference face photo (PNG, JPEG, WebP). Twice for two people: faces go left to right, or in "
        "the order the prompt names them.",
    ),
]
DurationOption = Annotated[
    float | None,
    typer.Option(
        "--duration",
        help="Video length in seconds, made as segments each animated from the previous one's last frame "
        "(a timeline prompt like '0-2s: ... 2-5s: ...' sets its own).",
    ),
]


def generate_command(
    face: FacesOption,
    prompt: PromptOption,
    preset: PresetOption = DEFAULT_PRESET,
    seed: SeedOption = None,
    device: DeviceOption = None,
    out: Annotated[Path, out_option("outputs/generate", OUTPUTS)] = Path("outputs/generate"),
    model: Annotated[
        str | None, typer.Option("--model", help="Video model: hub id or local folder (temporal.model).")
    ] = None,
    num_frames: NumFramesOption = None,
    steps: StepsOption = None,
    num_candidates: Annotated[
        int | None, typer.Option("--num-candidates", "-n", help="First frames to try (best of N).")
    ] = None,
    prompt_backend: Annotated[
        str | None, typer.Option("--prompt-backend", help="rules, llm, openai or none.")
    ] = None,
    spatial_backend: Annotated[
        str | None, typer.Option("--spatial-backend", help="First-frame backend.")
    ] = None,
    temporal_backend: Annotated[str | None, typer.Option("--temporal-backend", help="Video backend.")] = None,
    allow_download: AllowDownloadOption = False,
    overwrite: OverwriteOption = False,
    overrides: SetOption = None,
    duration: DurationOption = None,
) -> None:
    """Make a video of the person in FACE doing what PROMPT says.

    Writes first_frame.png, candidates/, video.mp4, record.json and report.html into OUT (all at
    once: a failed run leaves OUT as it was).
    """
    from ipvg.inputs import clean_prompt
    from ipvg.io.images import load_image

    config = build_config(
        preset,
        overrides,
        **{
            "seed": seed,
            "runtime.device": device,
            "prompts.backend": prompt_backend,
            "spatial.backend": spatial_backend,
            "temporal.backend": temporal_backend,
            "temporal.model": model,
            "temporal.num_frames": num_frames,
            "temporal.num_inference_steps": steps,
            "spatial.num_candidates": num_candidates,
            "runtime.allow_download": True if allow_download else None,
        },
    )
    # 1. Everything that can be refused before a model loads: prompt, face image, --out, weights
    clean_prompt(prompt)
    for path in face:
        load_image(path)
    from ipvg.segments import check_request

    request = check_request(len(face), prompt, duration, config=config)
    check_before_loading(config, out, overwrite=overwrite)

    from ipvg.pipeline import IdentityVideoPipeline
    from ipvg.progress import RichProgress

    # 2. Generate; OUT is written through a staging folder that replaces it only on success
    pipeline = IdentityVideoPipeline(config)
    if not request.one_shot:
        _generate_beyond_one_shot(pipeline, face, prompt, duration, out, overwrite)
        tiny_note(config, "the frame and video are")
        return
    with RichProgress() as progress:  # the pipeline stages OUT itself, as for Python callers
        result = pipeline(face[0], prompt, out_dir=out, overwrite=overwrite, progress=progress)
    typer.echo(f"spatial prompt:  {result.prompts.spatial}")
    typer.echo(f"temporal prompt: {result.prompts.temporal}")
    for candidate in result.candidates:
        mark = "  <- chosen" if candidate.chosen else ""
        similarity = "n/a" if candidate.similarity is None else f"{candidate.similarity:.3f}"
        typer.echo(f"candidate seed {candidate.seed}: identity similarity {similarity}{mark}")
    mean = result.identity_mean
    typer.echo(
        f"video identity (mean over sampled frames with a face): {'n/a' if mean is None else f'{mean:.3f}'}"
    )
    tiny_note(config, "the frame and video are")
    typer.echo(f"wrote {out}/ ({OUTPUTS})")


def _generate_beyond_one_shot(
    pipeline: Any, faces: list[Path], prompt: str, duration: float | None, out: Path, overwrite: bool
) -> None:
    """Two people (`ipvg.segments.generate_people`) or a video by segments (`generate_long`)."""
    from ipvg.progress import RichProgress
    from ipvg.segments import generate_beyond_one_shot

    with run_folder(out, overwrite=overwrite) as staging, RichProgress() as progress:
        result = generate_beyond_one_shot(
            pipeline, faces, prompt, duration_s=duration, out_dir=staging, progress=progress
        )
    record = result.record
    typer.echo(f"spatial prompt:  {result.prompts.spatial}")
    for segment in record.outputs.get("segments", []):
        mark = "  (re-anchored)" if segment["reanchored"] else ""
        first, last = segment["frames"]
        typer.echo(f"segment {segment['index'] + 1}: frames {first}-{last}: {segment['prompt']}{mark}")
    for person in record.scores.get("people", []):
        mean = person["mean"]
        shown = "n/a" if mean is None else f"{mean:.3f}"
        typer.echo(f"person {person['person'] + 1} identity (mean): {shown}")
    mean = record.scores.get("video_identity_mean")
    typer.echo(f"video identity (mean): {'n/a' if mean is None else f'{mean:.3f}'}")
    typer.echo(f"wrote {out}/ ({OUTPUTS})")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)
