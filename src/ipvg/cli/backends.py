"""`ipvg backends`: every backend, whether it is usable here, and what is missing if not."""

from __future__ import annotations

from typing import Annotated

import typer


def backends_command(
    kind: Annotated[
        str | None, typer.Option("--kind", help="temporal, spatial, faces, prompts or metrics.")
    ] = None,
) -> None:
    """List backends with their availability (packages installed, weights present locally)."""
    from rich.console import Console
    from rich.table import Table

    from ipvg.errors import ConfigError
    from ipvg.registry import KINDS, registry

    if kind is not None and kind not in KINDS:
        raise ConfigError(f"`--kind` is {kind!r}; allowed: {', '.join(KINDS)}.")
    table = Table("kind", "name", "usable", "what it is", "missing")
    for item in registry.available(kind):
        table.add_row(
            item.kind, item.name, "yes" if item.usable else "no", item.summary, "; ".join(item.missing) or "-"
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("backends")(backends_command)
