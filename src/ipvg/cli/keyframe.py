"""`ipvg keyframe`: the identity-preserving first frame alone (the spatial stage)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ipvg.cli.common import (
    DEFAULT_PRESET,
    AllowDownloadOption,
    DeviceOption,
    FaceOption,
    OverwriteOption,
    PresetOption,
    SeedOption,
    SetOption,
    build_config,
    check_before_loading,
    out_option,
    run_folder,
    tiny_note,
)
from ipvg.errors import ConfigError

if TYPE_CHECKING:
    pass


def parse_option_value(text: str) -> Any:
    """`--option` values: none/true/false, integers, floats, else the string."""
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_backend_options(pairs: list[str] | None) -> tuple[tuple[str, Any], ...]:
    options = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"`--option {pair}` is not KEY=VALUE.", "write it like --option lora_scale=0.8."
            )
        options.append((key.strip(), parse_option_value(value)))
    return tuple(options)


OUTPUTS = "first_frame.png, candidates/, record.json, report.html"


def keyframe_command(
    face: FaceOption,
    prompt: Annotated[
        str, typer.Option("--prompt", help="Spatial prompt: the person, the scene, the framing.")
    ],
    backend: Annotated[
        str | None,
        typer.Option("--backend", "-b", help="Spatial backend (see `ipvg backends --kind spatial`)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Base model: hub id, folder or .safetensors.")
    ] = None,
    num_candidates: Annotated[
        int | None,
        typer.Option("--num-candidates", "-n", help="Candidates to generate (best by face similarity)."),
    ] = None,
    refine_face: Annotated[
        bool | None,
        typer.Option("--refine-face/--no-refine-face", help="Face-detail pass on each candidate."),
    ] = None,
    preset: PresetOption = DEFAULT_PRESET,
    seed: SeedOption = None,
    device: DeviceOption = None,
    out: Annotated[Path, out_option("outputs/keyframe", OUTPUTS)] = Path("outputs/keyframe"),
    allow_download: AllowDownloadOption = False,
    overwrite: OverwriteOption = False,
    options: Annotated[
        list[str] | None,
        typer.Option("--option", help="Backend option KEY=VALUE, e.g. --option hyperlora=/models/HyperLoRA."),
    ] = None,
    overrides: SetOption = None,
) -> None:
    """Generate the first frame of the person in FACE as PROMPT describes; writes first_frame.png (the
    chosen one), candidates/candidate_N.png, record.json with their face-similarity scores and
    report.html into OUT (all at once)."""
    from ipvg.inputs import clean_prompt
    from ipvg.io.images import load_image

    config = build_config(
        preset,
        overrides,
        **{
            "spatial.backend": backend,
            "spatial.model": model,
            "spatial.num_candidates": num_candidates,
            "spatial.refine_face": refine_face,
            "seed": seed,
            "runtime.device": device,
            "runtime.allow_download": True if allow_download else None,
        },
    )
    extra = parse_backend_options(options)
    if extra:
        config = config.with_overrides({"spatial.options": config.spatial.options + extra})
    # 1. Everything that can be refused before a model loads: prompt, image, --out, weights
    prompt = clean_prompt(prompt)
    face_image = load_image(face)
    check_before_loading(config, out, overwrite=overwrite, stages=("faces", "spatial"))

    from ipvg.faces import Reference, face_backend_for
    from ipvg.identity import IdentityJudge, draw_first_frame
    from ipvg.progress import RichProgress
    from ipvg.records import environment_info, image_fingerprint, report_note, write_run
    from ipvg.spatial import create_spatial_backend
    from ipvg.types import RunRecord

    judge = IdentityJudge(face_backend_for(config.faces))
    spatial = create_spatial_backend(config.spatial, config.faces, config.runtime)
    # 2. Reference face, best of N first frames (ipvg.identity), 3. write into a staging folder that
    #    replaces OUT only on success
    with run_folder(out, overwrite=overwrite) as staging:
        reference = Reference(face_image, judge.reference_face(face_image, source=str(face)))
        with RichProgress() as progress:
            result = draw_first_frame(spatial, judge, reference, prompt, seed=config.seed, progress=progress)
        record = RunRecord(
            kind="keyframe",
            config=config.to_dict(),
            inputs={"face": image_fingerprint(face_image, face), "prompt": prompt, "seed": config.seed},
            prompts={"source": prompt, "spatial": prompt, "temporal": ""},
            models={"spatial": result.models, "faces": judge.name},
            stages=result.stages,
            outputs={"settings": result.settings, "prompt": result.prompt},
            scores={
                "face_backend": judge.name,
                "chosen_similarity": result.candidates[result.chosen_index].similarity,
                "candidate_similarities": [c.similarity for c in result.candidates],
            },
            warnings=list(result.warnings),
            environment=environment_info(),
        )
        write_run(
            staging,
            record,
            face=face_image,
            first_frame=result.image,
            candidates=result.candidates,
            note=report_note(config.name),
        )
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", err=True, fg="yellow")
    tiny_note(config, "the image is")
    similarity = result.candidates[result.chosen_index].similarity
    score = "no face found" if similarity is None else f"similarity {similarity:.3f}"
    typer.echo(
        f"wrote {out}/ ({OUTPUTS}): candidate {result.chosen_index} of {len(result.candidates)} chosen, {score}"
    )


def register(app: typer.Typer) -> None:
    app.command("keyframe")(keyframe_command)
