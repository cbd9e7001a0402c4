"""`ipvg models list|download`: the weights a preset needs, and fetching them (with internet)."""

from __future__ import annotations

from typing import Annotated

import typer

models_app = typer.Typer(help="List or download the model weights a preset needs.", no_args_is_help=True)


@models_app.command("list")
def list_command(preset: Annotated[str, typer.Argument(help="Preset name.")] = "paper-5b") -> None:
    """List the models PRESET uses and whether each is present locally."""
    from ipvg.config import get_preset
    from ipvg.models import preset_models

    for row in preset_models(get_preset(preset)):
        typer.echo(
            f"{row.stage:9} {row.backend:18} {row.model:45} {'present' if row.present else 'missing'}  {row.where}"
        )


@models_app.command("download")
def download_command(
    target: Annotated[str, typer.Argument(help="A preset name (all its missing models) or one hub id.")],
) -> None:
    """Download a preset's missing weights (or one hub id) into the Hugging Face cache."""
    from ipvg.config import PRESETS, get_preset
    from ipvg.models import download, preset_models

    if target in PRESETS:
        todo = [
            row.model for row in preset_models(get_preset(target)) if not row.present and "/" in row.model
        ]
    else:
        todo = [target]
    if not todo:
        typer.echo(f"nothing to download: every model of {target} is present")
    for model in todo:
        typer.echo(f"downloading {model} ...")
        typer.echo(f"  -> {download(model)}")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
