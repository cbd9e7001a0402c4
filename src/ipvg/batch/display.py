"""What a batch run shows: a rich progress bar with ETA, one line per finished item, the summary."""

from __future__ import annotations

from typing import Any

from ipvg.batch.runner import BatchSummary

MAX_LISTED_FAILURES = 20


class RichBatchProgress:
    """One bar over the items of this run (done/failed counts, elapsed, ETA) on stderr."""

    def __init__(self, description: str = "Generating", *, item_lines: bool = True) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True)
        self.description = description
        self.item_lines = item_lines
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[green]{task.fields[done]} done[/] [red]{task.fields[failed]} failed[/]"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self._task: Any = None
        self._counts = {"done": 0, "failed": 0}

    def start(self, total: int) -> None:
        from ipvg.progress import quiet_library_progress

        quiet_library_progress()
        self._bars.start()
        self._task = self._bars.add_task(self.description, total=total, done=0, failed=0)

    def advance(self, item_id: str, state: str, message: str) -> None:
        self._counts[state] = self._counts.get(state, 0) + 1
        self._bars.update(self._task, advance=1, **self._counts)
        if self.item_lines:
            colour = "green" if state == "done" else "red"
            self._bars.console.print(
                f"[{colour}]{state:>6}[/] {item_id}  {message}", markup=True, highlight=False
            )

    def note(self, text: str) -> None:
        self._bars.console.print(f"[yellow]note[/] {text}", highlight=False)

    def finish(self) -> None:
        self._bars.stop()


def summary_lines(summary: BatchSummary) -> list[str]:
    """The end-of-run summary as plain lines (the CLI prints them; tests read them)."""
    lines = [
        f"items: {summary.total}  done now: {summary.done_now}  skipped (already done): {summary.skipped_done}  "
        f"failed: {summary.failed_now}  gave up (no attempts left): {summary.gave_up}  "
        f"bad input: {summary.invalid}  not run: {summary.not_run}",
        f"time: {summary.seconds:.1f} s  throughput: {summary.items_per_minute:.2f} items/min  "
        f"({summary.executor}, {summary.workers} worker{'s' if summary.workers != 1 else ''})",
    ]
    if summary.reasons:
        lines.append(
            "reasons: " + ", ".join(f"{reason} x{count}" for reason, count in summary.reasons.items())
        )
    for item_id, reason, message in summary.failures[:MAX_LISTED_FAILURES]:
        lines.append(f"  {item_id}: {reason}: {message}")
    if len(summary.failures) > MAX_LISTED_FAILURES:
        lines.append(f"  ... and {len(summary.failures) - MAX_LISTED_FAILURES} more (see the manifest)")
    for notice in summary.notices:
        lines.append(f"notice: {notice}")
    if summary.fatal:
        lines.append(f"stopped early: {summary.fatal}")
    return lines
