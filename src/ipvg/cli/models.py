"""`ipvg models list|download`: the weights a preset or `ipvg eval` needs, and fetching them."""

from __future__ import annotations

from typing import Annotated

import typer

models_app = typer.Typer(
    help="List or download the model weights a preset (or `ipvg eval`) needs.", no_args_is_help=True
)

TargetArgument = Annotated[
    str, typer.Argument(help="A preset name, `eval` (the metrics' weights), or one hub id (owner/name).")
]


@models_app.command("list")
def list_command(target: TargetArgument = "paper-5b") -> None:
    """List the models TARGET uses and whether each is present locally."""
    from ipvg.config import get_preset
    from ipvg.models import EVAL_TARGET, eval_models, preset_models

    rows = eval_models() if target == EVAL_TARGET else preset_models(get_preset(target))
    for row in rows:
        state = "present" if row.present else "missing"
        typer.echo(f"{row.stage:9} {row.backend:18} {row.model:45} {state}  {row.where}")


@models_app.command("download")
def download_command(
    target: TargetArgument,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only print what would be downloaded, and from where.")
    ] = False,
) -> None:
    """Download what TARGET needs and is missing: a preset's models, `eval`'s metric weights
    (insightface pack, CurricularFace, Inception, CLIP, GME, AMT-S, MUSIQ), or one hub id."""
    from ipvg.models import download_plan, fetch

    plan = download_plan(target)
    if not plan:
        typer.echo(f"nothing to download: everything {target} needs is present")
        return
    for item in plan:
        typer.echo(("would download " if dry_run else "downloading ") + item.describe())
        if not dry_run:
            typer.echo(f"  -> {fetch(item)}")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
