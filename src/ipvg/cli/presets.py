"""`ipvg presets`: each preset's backends and models, and whether their weights are present."""

from __future__ import annotations

import typer


def presets_command() -> None:
    """Show every preset: what it is for, its models, and whether their weights are here."""
    from rich.console import Console
    from rich.table import Table

    from ipvg.config import PRESETS
    from ipvg.models import preset_models

    console = Console()
    for preset in PRESETS.values():
        table = Table(
            "stage",
            "backend",
            "model",
            "present",
            "where",
            title=f"{preset.name}: {preset.description}",
            title_justify="left",
        )
        for row in preset_models(preset):
            table.add_row(row.stage, row.backend, row.model, "yes" if row.present else "no", row.where)
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command("presets")(presets_command)
