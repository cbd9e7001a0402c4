"""`ipvg serve`: the web UI (Gradio) over the pipeline, on localhost unless told otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipvg.cli.common import PresetOption, SetOption, parse_overrides
from ipvg.errors import ConfigError, MissingDependencyError

WEB_HINT = "pip install 'ipvg[web]' (or: pip install gradio==6.31.0)"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def serve_command(
    preset: PresetOption = "paper-5b",
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 0.0.0.0 exposes the UI to your network.")
    ] = "127.0.0.1",
    port: Annotated[int | None, typer.Option("--port", help="Port (default: first free from 7860).")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for each run's outputs (default: a temp folder)."),
    ] = None,
    overrides: SetOption = None,
) -> None:
    """Start the web UI: upload a face, type a prompt, edit the decoupled prompts, generate a video.

    Models load on the first request for a preset and stay loaded; requests queue one at a time.
    The default preset is the paper's (paper-5b); `--preset tiny` runs offline on a CPU (noise by design).
    """
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(
            f"`--port` must be between 1 and 65535, got {port}.", "pick a free port, e.g. --port 7860."
        )
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise MissingDependencyError("`ipvg serve` needs Gradio, which is not installed.", WEB_HINT) from None
    from ipvg.config import get_preset
    from ipvg.pipeline import IdentityVideoPipeline
    from ipvg.web import create_app, launch

    pairs = parse_overrides(overrides)
    get_preset(preset).with_overrides(pairs)  # fail now, not on the first visitor's request

    def factory(name: str) -> IdentityVideoPipeline:
        return IdentityVideoPipeline(get_preset(name).with_overrides(pairs))

    demo, web = create_app(preset, pipeline_factory=factory, runs_dir=out)
    if host not in LOCAL_HOSTS:
        typer.secho(
            f"warning: binding to {host}: anyone who can reach this machine can use the UI and its GPU.",
            err=True,
            fg=typer.colors.YELLOW,
        )
    launch(demo, web, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
