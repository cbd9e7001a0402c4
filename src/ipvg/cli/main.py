"""Entry point of the `ipvg` command.

Each command lives in its own module in this package and exposes `register(app)`; modules are
discovered here, so adding a command means adding one file. User errors (`IpvgError`) become one
clear line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys
import warnings

import typer

from ipvg.errors import IpvgError

app = typer.Typer(
    name="ipvg",
    help="Identity-preserving text-to-video: one face photo + a prompt -> a video of that person.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    import ipvg.cli as package

    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_") or module_info.name in ("main", "common"):
            continue
        module = importlib.import_module(f"ipvg.cli.{module_info.name}")
        module.register(app)


_register_commands()


def quiet_libraries() -> None:
    """Keep diffusers'/transformers' informational warnings (LoRA keys, unused weights, dtype notes)
    out of the terminal; ipvg reports what matters itself. IPVG_VERBOSE=1 shows them."""
    if os.environ.get("IPVG_VERBOSE"):
        return
    # Read by the libraries when first imported, which the commands do lazily, after this point.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="(diffusers|transformers|torch)")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    try:
        # Without standalone mode, click returns (not raises) the code of a `typer.Exit(code)`.
        returned = app(args=argv, standalone_mode=False)
        if isinstance(returned, int) and not isinstance(returned, bool):
            return returned
    except IpvgError as error:
        typer.secho(f"error: {error.one_line()}", err=True, fg=typer.colors.RED)
        return error.exit_code
    except typer.Exit as done:
        return int(done.exit_code or 0)
    except typer.Abort:
        typer.secho("aborted", err=True)
        return 130
    except Exception as error:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(error, click.ClickException):
            error.show()
            return error.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
