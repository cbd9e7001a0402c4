"""`ipvg eval`: score a challenge submission (or one video) with the challenge's metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ipvg.errors import BadInputError


def eval_command(
    submission: Annotated[
        Path | None, typer.Argument(help="Submission folder holding idNNN/promptN.mp4 (omit with --video).")
    ] = None,
    testset: Annotated[
        Path | None,
        typer.Option("--testset", "-t", help="Test set folder holding idNNN/{image.png, promptN.txt}."),
    ] = None,
    video: Annotated[
        Path | None, typer.Option("--video", help="Score one video instead of a submission.")
    ] = None,
    face: Annotated[
        Path | None, typer.Option("--face", "-f", help="Reference face photo for --video.")
    ] = None,
    prompt: Annotated[str | None, typer.Option("--prompt", help="The prompt of --video.")] = None,
    metrics: Annotated[
        list[str] | None,
        typer.Option(
            "--metrics", "-m", help="Metrics, comma-separated or repeated (default: all that can run here)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for per-video JSON, CSVs and report.html.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Reuse per-video results already in --out (an interrupted run).")
    ] = False,
    num_frames: Annotated[
        int,
        typer.Option(
            "--num-frames", help="Frames sampled per video for FaceSim/FID/CLIPScore/GME (challenge: 16)."
        ),
    ] = 16,
    max_frames: Annotated[
        int, typer.Option("--max-frames", help="Longer videos are recorded as failed.")
    ] = 1000,
    inception_weights: Annotated[
        str | None,
        typer.Option(
            "--inception-weights", help="FID Inception weights (pt_inception-2015-12-05-6726825d.pth)."
        ),
    ] = None,
    fid_variant: Annotated[
        str,
        typer.Option(
            "--fid-variant",
            help="pytorch-fid (standard FID weights) or torchvision (the challenge scorer's).",
        ),
    ] = "pytorch-fid",
    fid_faces: Annotated[
        str, typer.Option("--fid-faces", help="Face backend that finds and aligns faces for FID.")
    ] = "insightface",
    insightface_pack: Annotated[
        str | None,
        typer.Option("--insightface-pack", help="insightface model pack folder (buffalo_l, antelopev2)."),
    ] = None,
    curricularface_weights: Annotated[
        str | None,
        typer.Option(
            "--curricularface-weights", help="glint360k_curricular_face_r101_backbone.bin (ConsisID-preview)."
        ),
    ] = None,
    amt_weights: Annotated[
        str | None, typer.Option("--amt-weights", help="VBench's amt-s.pth for motion smoothness.")
    ] = None,
    musiq_weights: Annotated[
        str | None,
        typer.Option("--musiq-weights", help="pyiqa's musiq_spaq_ckpt-358bb6af.pth for imaging quality."),
    ] = None,
    quality_every_nth: Annotated[
        int,
        typer.Option(
            "--quality-every-nth",
            help="Imaging quality on every n-th frame (VBench: 1, every frame; slow on CPU).",
        ),
    ] = 1,
    gme_model: Annotated[
        str | None,
        typer.Option("--gme-model", help="gme-Qwen2-VL-2B-Instruct hub id or folder for the GME score."),
    ] = None,
    clip_model: Annotated[
        str | None, typer.Option("--clip-model", help="CLIP hub id or folder for CLIPScore.")
    ] = None,
    allow_download: Annotated[
        bool,
        typer.Option("--allow-download", help="Download missing CLIP/GME weights from the Hugging Face hub."),
    ] = False,
    device: Annotated[
        str,
        typer.Option(
            "--device", help="cpu, cuda, cuda:N (for the torch models: Inception, CLIP, GME, AMT, MUSIQ)."
        ),
    ] = "cpu",
) -> None:
    """Score videos with the IPVG challenge's metrics: FaceSim (dlib, ArcFace, CurricularFace), FID, CLIPScore,
    GME, VBench motion smoothness and imaging quality, and the first-place team's overall score.

    ipvg eval SUBMISSION_DIR --testset TESTSET_DIR --out DIR, or ipvg eval --video X.mp4 --face F.png --prompt TEXT.
    """
    from ipvg.eval import evaluate_items, evaluate_submission
    from ipvg.progress import RichProgress

    # 1. Check what can be checked before any model loads
    if num_frames < 1:
        raise BadInputError(f"`--num-frames` must be >= 1, got {num_frames}.", "use --num-frames 16 (the challenge's).")
    if max_frames < 1:
        raise BadInputError(f"`--max-frames` must be >= 1, got {max_frames}.", "use e.g. --max-frames 1000.")
    if quality_every_nth < 1:
        raise BadInputError(
            f"`--quality-every-nth` must be >= 1, got {quality_every_nth}.", "use 1 (every frame, as VBench)."
        )
    if out is not None and testset is not None:
        _refuse_out_inside(out, testset)
    if resume and out is None:
        raise BadInputError("`--resume` reuses results in --out, and no --out was given.", "add --out DIR.")
    names = [name.strip() for entry in metrics or [] for name in entry.split(",") if name.strip()] or None
    options: dict[str, dict[str, Any]] = {
        "fid": {
            "inception_weights": inception_weights,
            "variant": fid_variant,
            "face_backend": fid_faces,
            "device": device,
        },
        "clipscore": {"clip_model": clip_model, "device": device, "allow_download": allow_download},
        "gme": {"gme_model": gme_model, "device": device, "allow_download": allow_download},
        "motion-smoothness": {"amt_weights": amt_weights, "device": device},
        "imaging-quality": {"musiq_weights": musiq_weights, "device": device, "every_nth": quality_every_nth},
    }
    face_options = {
        "insightface": {"model_pack": insightface_pack},
        "curricularface": {"weights": curricularface_weights, "device": device},
    }
    common = {
        "metric_options": options,
        "face_options": face_options,
        "num_frames": num_frames,
        "max_frames": max_frames,
        "out": out,
    }
    if video is not None:
        if submission is not None or testset is not None:
            raise BadInputError(
                "Pass either SUBMISSION_DIR --testset DIR, or --video, not both.", "drop one of them."
            )
        if prompt is None:
            raise BadInputError("`--video` needs `--prompt TEXT`.", "add --prompt with the video's prompt.")
        from ipvg.eval.layout import single_item

        # The same table as a submission (the per-video JSON is in --out, when given)
        run = evaluate_items([single_item(video, face, prompt)], names, **common)
        result = run.results[0]
        if result.status == "failed":  # a missing or unreadable video is not a score
            raise BadInputError(f"{video} could not be scored: {result.message or result.reason}.")
        _print_summary(run.summary(), out)
        return
    if submission is None or testset is None:
        raise BadInputError(
            "`ipvg eval` needs SUBMISSION_DIR and --testset DIR (or --video, --face and --prompt).",
            "run e.g. `ipvg eval submission/ --testset testset/ --out eval/`.",
        )
    with RichProgress() as progress:
        run = evaluate_submission(submission, testset, names, progress=progress, resume=resume, **common)
    _print_summary(run.summary(), out)


def _print_summary(summary: dict[str, Any], out: Path | None) -> None:
    """The metrics table on stdout, metrics that could not run on stderr (one line each, with the fix)."""
    from ipvg.eval.report import summary_text

    table, not_run = summary_text(summary)
    for line in not_run:
        typer.secho(line, err=True)
    for line in table:
        typer.echo(line)
    if out is not None:
        typer.echo(f"wrote {out}/report.html, scores.csv, summary.csv, summary.json and videos/")


def _refuse_out_inside(out: Path, testset: Path) -> None:
    """Scores written into the test set would change it (as `ipvg batch` refuses too)."""
    source = testset.expanduser().resolve()
    target = out.expanduser().resolve()
    if target == source or target.is_relative_to(source):
        raise BadInputError(
            f"The --out folder {target} is inside the test set {source}.",
            "choose an --out folder outside the test set, e.g. ./scores.",
        )


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
