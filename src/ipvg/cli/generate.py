"""`ipvg generate`: the whole method — face + prompt -> decoupled prompts -> first frame -> video."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ipvg.cli.common import DeviceOption, PresetOption, SeedOption, SetOption, build_config


def generate_command(
    face: Annotated[Path, typer.Option("--face", "-f", help="Reference face photo (PNG, JPEG, WebP).")],
    prompt: Annotated[str, typer.Option("--prompt", help="What the person does in the video.")],
    preset: PresetOption = "tiny",
    seed: SeedOption = None,
    device: DeviceOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("outputs/generate"),
    prompt_backend: Annotated[
        str | None, typer.Option("--prompt-backend", help="rules, llm, openai or none.")
    ] = None,
    spatial_backend: Annotated[
        str | None, typer.Option("--spatial-backend", help="First-frame backend.")
    ] = None,
    temporal_backend: Annotated[str | None, typer.Option("--temporal-backend", help="Video backend.")] = None,
    num_candidates: Annotated[
        int | None, typer.Option("--num-candidates", help="First frames to try (best of N).")
    ] = None,
    allow_download: Annotated[
        bool, typer.Option("--allow-download", help="Download missing weights from the hub.")
    ] = False,
    overrides: SetOption = None,
) -> None:
    """Make a video of the person in FACE doing what PROMPT says.

    Writes first_frame.png, candidates/, video.mp4, record.json and report.html into OUT.
    """
    from ipvg.config import get_preset
    from ipvg.pipeline import IdentityVideoPipeline
    from ipvg.progress import RichProgress

    config = build_config(
        preset,
        overrides,
        **{
            "seed": seed,
            "runtime.device": device,
            "prompts.backend": prompt_backend,
            "spatial.backend": spatial_backend,
            "temporal.backend": temporal_backend,
            "spatial.num_candidates": num_candidates,
            "runtime.allow_download": True if allow_download else None,
        },
    )
    # A backend switched by its flag or by `--set` gets its own tiny model on a tiny preset.
    preset_config = get_preset(preset)
    config = use_tiny_models_for_switched_backends(
        config,
        spatial_backend or _switched_by_set(preset_config.spatial, config.spatial),
        temporal_backend or _switched_by_set(preset_config.temporal, config.temporal),
    )
    pipeline = IdentityVideoPipeline(config)
    with RichProgress() as progress:
        result = pipeline(face, prompt, out_dir=out, progress=progress)
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
    if config.name == "tiny":
        typer.secho(
            "note: the tiny preset uses random weights, so the frame and video are noise by design.", err=True
        )
    typer.echo(f"wrote {out}/ (first_frame.png, candidates/, video.mp4, record.json, report.html)")


def _switched_by_set(preset_stage: Any, stage: Any) -> str | None:
    """The backend `--set` chose when it differs from the preset's and the model was left as is."""
    if stage.backend != preset_stage.backend and stage.model == preset_stage.model:
        return str(stage.backend)
    return None


def use_tiny_models_for_switched_backends(
    config: Any, spatial_backend: str | None, temporal_backend: str | None
) -> Any:
    """On a tiny preset, a switched backend gets its own tiny model (not the default backend's)."""
    from ipvg.spatial import TINY_MODELS
    from ipvg.weights import is_tiny

    overrides: dict[str, Any] = {}
    if (
        spatial_backend
        and config.spatial.model
        and is_tiny(config.spatial.model)
        and spatial_backend in TINY_MODELS
    ):
        overrides["spatial.model"] = TINY_MODELS[spatial_backend]
    if temporal_backend and config.temporal.model and is_tiny(config.temporal.model):
        overrides["temporal.model"] = f"ipvg-tiny:{temporal_backend}"
    return config.with_overrides(overrides)


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)
