"""Options and helpers shared by the CLI commands, so every command takes the same shape:
`--face/-f` (or `--image/-i` where any picture will do), `--prompt`, `--out/-o`, `--preset/-p`
(default: the paper's recipe; `tiny` must be asked for), `--set`, `--overwrite`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ipvg.config import PipelineConfig, get_preset
from ipvg.errors import ConfigError

DEFAULT_PRESET = "paper-5b"

PresetOption = Annotated[
    str,
    typer.Option(
        "--preset",
        "-p",
        help="Named configuration: paper-5b (default), paper-14b, low-vram, fast, or tiny (offline random "
        "weights: noise by design).",
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override any config field, e.g. --set temporal.num_frames=33 (repeatable); "
        "backend options: spatial.options.KEY=VALUE; LoRAs: runtime.loras=PATH[:SCALE],...",
    ),
]
DeviceOption = Annotated[str | None, typer.Option("--device", help="auto, cpu, cuda, cuda:N.")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed (default: the preset's).")]
FaceOption = Annotated[Path, typer.Option("--face", "-f", help="Reference face photo (PNG, JPEG, WebP).")]
PromptOption = Annotated[str, typer.Option("--prompt", help="What the person does in the video.")]
OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite", help="Replace --out even when it holds files that ipvg did not write (they are deleted)."
    ),
]
AllowDownloadOption = Annotated[
    bool, typer.Option("--allow-download", help="Download missing weights from the hub.")
]
NumFramesOption = Annotated[int | None, typer.Option("--num-frames", help="Frames (rounded to 4k+1).")]
StepsOption = Annotated[int | None, typer.Option("--steps", help="Denoising steps of the video model.")]


def out_option(default: str, what: str) -> Any:
    """`--out/-o` with a command's default folder."""
    return typer.Option("--out", "-o", help=f"Output folder ({what}; default {default}).")


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"`--set {pair}` is not KEY=VALUE.", "write it like --set temporal.num_frames=33."
            )
        overrides[key.strip()] = value
    return overrides


def build_config(preset: str, pairs: list[str] | None, **flags: Any) -> PipelineConfig:
    """The preset, then --set overrides, then dedicated flags (only those given); on a tiny preset a
    switched backend gets its own tiny model (every command, flag or --set alike)."""
    overrides = parse_overrides(pairs)
    overrides.update({key: value for key, value in flags.items() if value is not None})
    base = get_preset(preset)
    return use_tiny_models_for_switched_backends(base, base.with_overrides(overrides))


def use_tiny_models_for_switched_backends(preset: PipelineConfig, config: PipelineConfig) -> PipelineConfig:
    """`config` with a tiny model for each stage whose backend differs from `preset`'s while its model is
    still the preset's tiny one (which belongs to the preset's backend and would not load as another
    family). A model the user chose is kept."""
    from ipvg.spatial import TINY_MODELS
    from ipvg.weights import is_tiny

    overrides: dict[str, str] = {}
    for section in ("spatial", "temporal"):
        stage, preset_stage = getattr(config, section), getattr(preset, section)
        if stage.backend == preset_stage.backend or stage.model != preset_stage.model:
            continue
        if not stage.model or not is_tiny(stage.model):
            continue
        if section == "temporal":
            overrides["temporal.model"] = f"ipvg-tiny:{stage.backend}"
        elif stage.backend in TINY_MODELS:  # "none" and backends without a tiny model keep theirs
            overrides["spatial.model"] = TINY_MODELS[stage.backend]
    return config.with_overrides(overrides) if overrides else config


def check_before_loading(
    config: PipelineConfig, out: Path | None, *, overwrite: bool, stages: tuple[str, ...] | None = None
) -> None:
    """Everything that can be refused without a model: the output folder, then every missing weight
    of the stages the command runs (all listed at once). Creates nothing."""
    from ipvg.io.rundir import check_run_dir
    from ipvg.models import STAGES, preflight

    if out is not None:
        check_run_dir(out, overwrite=overwrite)
    preflight(config, stages or STAGES)


@contextmanager
def run_folder(out: Path, *, overwrite: bool) -> Iterator[Path]:
    """A staging folder that replaces `out` only when the run succeeds (see `ipvg.io.rundir`)."""
    from ipvg.io.rundir import staged_run

    with staged_run(out, overwrite=overwrite) as staging:
        yield staging


def tiny_note(config: PipelineConfig, what: str) -> None:
    """`what` reads as a subject: "the video is", "the frame and video are"."""
    if config.name == "tiny":
        typer.secho(f"note: the tiny preset uses random weights, so {what} noise by design.", err=True)
