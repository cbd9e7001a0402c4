"""`ipvg batch`: a whole test set -> a challenge submission, resumable, on one machine or a Ray cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipvg.cli.common import (
    DEFAULT_PRESET,
    DeviceOption,
    PresetOption,
    SeedOption,
    SetOption,
    build_config,
    parse_overrides,
)
from ipvg.errors import IpvgError


class BatchIncompleteError(IpvgError):
    """Some items have no video after the run; the CLI exits non-zero (1, or 3 if it stopped early)."""

    def __init__(self, message: str, fix: str, *, exit_code: int = 1) -> None:
        super().__init__(message, fix)
        self.exit_code = exit_code


HELP = """Generate a video for every face+prompt of TESTSET into OUT.

TESTSET: a challenge test-set folder (idNNN/ with image.png or
image.webp and prompt1.txt .. prompt5.txt), or a .csv/.jsonl file of
face,prompt pairs (optional columns: id, name).

OUT gets OUT/idNNN/promptN.mp4 (only mp4 files in the idNNN folders:
zip those for the challenge) and OUT/_ipvg/ (manifest, records,
reports; --state-dir puts these elsewhere and leaves OUT mp4-only). Re-running the same command resumes: done items are skipped,
failed ones retried up to --max-attempts, nothing is made twice.

\b
One GPU:       ipvg batch testset -o sub --preset paper-5b
8 GPUs (Ray):  ipvg batch testset -o sub --preset paper-5b -w 8
Ray cluster:   ipvg batch testset -o sub -w 32 --ray-address auto
SLURM array:   ipvg batch testset -o sub --shard $SLURM_ARRAY_TASK_ID/8
Prompts once:  ipvg batch testset -o sub --decouple-only
               --set prompts.backend=openai  (then run as above)

\b
Few long videos, several GPUs per video (context parallelism):
  torchrun --nproc-per-node 8 -m ipvg.cli.main batch testset -o sub
    --preset paper-14b --set runtime.ulysses_degree=8
Every rank works on each item; rank 0 writes outputs and manifest.
"""


def batch_command(
    testset: Annotated[Path, typer.Argument(help="Test-set folder, or a .csv/.jsonl of face,prompt pairs.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Submission folder (created if needed).")],
    preset: PresetOption = DEFAULT_PRESET,
    seed: SeedOption = None,
    device: DeviceOption = None,
    overrides: SetOption = None,
    workers: Annotated[
        int,
        typer.Option("--workers", "-w", help="Parallel workers (Ray actors; one per GPU on GPU machines)."),
    ] = 1,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Join a Ray cluster: auto, or ray://HOST:10001.")
    ] = None,
    shard: Annotated[
        str | None, typer.Option("--shard", help="Run only shard I of N (I counts from 0), e.g. 3/8.")
    ] = None,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", help="Give up on an item after this many failed attempts.")
    ] = 3,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Generate at most this many items in this run.")
    ] = None,
    decouple_only: Annotated[
        bool,
        typer.Option("--decouple-only", help="Only decouple the prompts into OUT/_ipvg/prompts.jsonl."),
    ] = False,
    oom_retry: Annotated[
        bool,
        typer.Option(
            "--oom-retry/--no-oom-retry", help="Retry an out-of-memory item with low-memory settings."
        ),
    ] = True,
    low_memory: Annotated[
        list[str] | None,
        typer.Option(
            "--low-memory-set",
            help="Override for the out-of-memory retry (default: runtime.offload=model, runtime.vae_tiling=true).",
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="Manifest, records and reports (default: OUT/_ipvg)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per item, only the bar.")] = False,
) -> None:
    from ipvg.batch.api import decouple_batch, run_batch
    from ipvg.batch.display import RichBatchProgress, summary_lines
    from ipvg.batch.distributed import distributed_world
    from ipvg.models import preflight

    config = build_config(preset, overrides, **{"seed": seed, "runtime.device": device})
    # Every missing weight listed at once, before the test set is read or any model loads.
    preflight(config, ("prompts", "faces") if decouple_only else ("prompts", "faces", "spatial", "temporal"))
    if decouple_only:
        result = decouple_batch(
            testset, out, config=config, shard=shard, progress=RichBatchProgress("Decoupling")
        )
        typer.echo(
            f"decoupled {result.decoupled} prompts ({result.reused} kept from before, "
            f"{len(result.failures)} failed) in {result.seconds:.1f} s -> {result.path}"
        )
        for item_id, reason, message in result.failures:
            typer.echo(f"  {item_id}: {reason}: {message}")
        if result.failures:
            raise BatchIncompleteError(
                f"{len(result.failures)} prompts could not be decoupled.",
                "fix the inputs listed above and run the same command again.",
            )
        return
    with distributed_world() as world:
        summary = run_batch(
            testset,
            out,
            config=config,
            workers=workers,
            ray_address=ray_address,
            shard=shard,
            max_attempts=max_attempts,
            limit=limit,
            oom_retry=oom_retry,
            low_memory_overrides=parse_overrides(low_memory) if low_memory else None,
            progress=RichBatchProgress(item_lines=not quiet) if world.is_main else None,
            world=world,
            state_dir=state_dir,
        )
    if not world.is_main:
        return
    for line in summary_lines(summary):
        typer.echo(line)
    if config.name == "tiny":
        typer.secho("note: the tiny preset uses random weights, so its videos are noise by design.", err=True)
    if summary.fatal:
        raise BatchIncompleteError(
            f"The batch stopped early: {summary.fatal}",
            "fix that, then run the same command to resume.",
            exit_code=3,
        )
    if not summary.ok:
        missing = summary.total - summary.done_now - summary.skipped_done
        raise BatchIncompleteError(
            f"{missing} of {summary.total} items have no video yet (see the summary above).",
            "fix the inputs listed, then run the same command again: done items are skipped"
            + (
                ", or raise --max-attempts to retry items that used up their attempts."
                if summary.gave_up
                else "."
            ),
        )


batch_command.__doc__ = HELP


def register(app: typer.Typer) -> None:
    app.command("batch", help=HELP)(batch_command)
