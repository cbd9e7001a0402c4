"""Progress reporting shared by the CLI (rich bars), the web UI and library callers (silent).

Stages report through a `Progress` object: `with progress.stage("Loading Wan2.2"):` for work of
unknown length, and `progress.steps("Denoising", total)` for a step callback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol


class Progress(Protocol):
    def stage(self, description: str) -> contextlib.AbstractContextManager[None]: ...

    def steps(
        self, description: str, total: int
    ) -> contextlib.AbstractContextManager[Callable[[int], None]]: ...


def quiet_library_progress() -> None:
    """Turn off diffusers'/transformers' own tqdm bars so only ipvg's bars show."""
    import diffusers.utils.logging as diffusers_logging
    import transformers.utils.logging as transformers_logging

    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()


class SilentProgress:
    """The library default: reports nothing."""

    @contextlib.contextmanager
    def stage(self, description: str) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def steps(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        yield lambda step: None


class CallbackProgress:
    """Forwards (description, done, total) to a function, e.g. a web UI's progress bar."""

    def __init__(self, callback: Callable[[str, int, int | None], None]) -> None:
        self.callback = callback

    @contextlib.contextmanager
    def stage(self, description: str) -> Iterator[None]:
        self.callback(description, 0, None)
        yield

    @contextlib.contextmanager
    def steps(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        self.callback(description, 0, total)
        yield lambda step: self.callback(description, step, total)


class RichProgress:
    """Rich progress bars on stderr: a spinner per stage, a bar with ETA for step loops."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichBars

        console = Console(stderr=True)
        # Bars only on a terminal: in logs and pipes they would interleave with error lines.
        self._bars = RichBars(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )

    def __enter__(self) -> RichProgress:
        quiet_library_progress()
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    @contextlib.contextmanager
    def stage(self, description: str) -> Iterator[None]:
        task = self._bars.add_task(description, total=None)
        try:
            yield
        finally:
            self._bars.update(task, total=1, completed=1)

    @contextlib.contextmanager
    def steps(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        task = self._bars.add_task(description, total=total)
        yield lambda step: self._bars.update(task, completed=step)
