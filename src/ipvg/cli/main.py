"""Entry point of the `ipvg` command.

Each command lives in its own module in this package and exposes `register(app)`; modules are
discovered here, so adding a command means adding one file. User errors (`IpvgError`) become one
clear line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import errno
import functools
import importlib
import logging
import pkgutil
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from ipvg.errors import IpvgError
from ipvg.verbosity import quiet_libraries

app = typer.Typer(
    name="ipvg",
    help="Identity-preserving text-to-video: one face photo + a prompt -> a video of that person.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from ipvg import __version__

        typer.echo(f"ipvg {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Identity-preserving text-to-video: one face photo + a prompt -> a video of that person."""


class Interrupted(IpvgError):
    """Ctrl-C during a command (typer would turn it into a silent exit 130)."""

    exit_code = 130


def _interruptible(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Say that the run was interrupted, in one line; the output folder is as it was (see rundir)."""

    @functools.wraps(callback)  # keeps the signature typer reads the options from
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except KeyboardInterrupt:
            raise Interrupted("Interrupted (Ctrl-C); nothing of this run was kept.") from None

    return run


def _wrap_commands(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        if command.callback is not None and not hasattr(command.callback, "__wrapped__"):
            command.callback = _interruptible(command.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _wrap_commands(group.typer_instance)


def _register_commands() -> None:
    import ipvg.cli as package

    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_") or module_info.name in ("main", "common"):
            continue
        module = importlib.import_module(f"ipvg.cli.{module_info.name}")
        module.register(app)
    _wrap_commands(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code. Every user mistake is one line on stderr, never a traceback:
    usage errors exit 2 (as click does), `IpvgError`s their own code, Ctrl-C 130."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    try:
        # Without standalone mode, click returns (not raises) the code of a `typer.Exit(code)`.
        returned = app(args=argv, standalone_mode=False, prog_name="ipvg")
        if isinstance(returned, int) and not isinstance(returned, bool):
            return returned
    except IpvgError as error:
        return _fail(error.one_line(), error.exit_code)
    except typer.Exit as done:
        return int(done.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt):
        typer.secho("interrupted", err=True)
        return 130
    except typer.TyperException as error:  # typer's bundled click: usage errors, bad values
        return _usage_error(error)
    except MemoryError:
        return _fail(
            "Out of memory.", 1, "use a smaller preset or size (--set temporal.height=...), or a larger machine."
        )
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return _fail(f"The disk is full ({error.filename or 'while writing'}).", 4, "free space and rerun.")
        raise
    return 0


def _fail(message: str, code: int, fix: str | None = None) -> int:
    text = f"{message} Fix: {fix}" if fix else message
    typer.secho(f"error: {' '.join(text.split())}", err=True, fg=typer.colors.RED)
    return code


def _usage_error(error: Exception) -> int:
    """One line for a click usage error, plus where to find help (the help itself for a bare `ipvg`)."""
    ctx = getattr(error, "ctx", None)
    if type(error).__name__ == "NoArgsIsHelpError" and ctx is not None:
        typer.echo(ctx.get_help())  # bare `ipvg` or `ipvg models`: show what there is to run
        return 2
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    if ctx is not None:
        end = "" if message.endswith((".", "?", "!")) else "."
        message = f"{message}{end} See `{ctx.command_path} --help`."
    return _fail(message, int(getattr(error, "exit_code", 2) or 2))


if __name__ == "__main__":
    sys.exit(main())
