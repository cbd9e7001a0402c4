"""`ipvg keyframe`: the identity-preserving first frame alone (the spatial stage)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ipvg.cli.common import DeviceOption, PresetOption, SeedOption, SetOption, build_config
from ipvg.errors import ConfigError


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


def keyframe_command(
    face: Annotated[Path, typer.Option("--face", "-f", help="Reference face photo (PNG, JPEG, WebP).")],
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
    preset: PresetOption = "tiny",
    seed: SeedOption = None,
    device: DeviceOption = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder (keyframe.png, candidates/, keyframe.json).")
    ] = Path("outputs/keyframe"),
    allow_download: Annotated[
        bool, typer.Option("--allow-download", help="Download missing weights from the hub.")
    ] = False,
    options: Annotated[
        list[str] | None,
        typer.Option("--option", help="Backend option KEY=VALUE, e.g. --option hyperlora=/models/HyperLoRA."),
    ] = None,
    overrides: SetOption = None,
) -> None:
    """Generate the first frame of the person in FACE as PROMPT describes; writes the chosen frame,
    every candidate and a JSON record with their face-similarity scores."""
    from ipvg.faces import create_face_backend
    from ipvg.io.files import ensure_writable_dir
    from ipvg.io.images import load_image
    from ipvg.progress import RichProgress
    from ipvg.records import environment_info, image_fingerprint
    from ipvg.spatial import create_spatial_backend
    from ipvg.spatial.outputs import write_keyframe

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
    if backend and not model and (config.spatial.model or "").startswith("ipvg-tiny:"):
        # Switching backend on the tiny preset: use that backend's tiny base model.
        from ipvg.spatial import TINY_MODELS

        config = config.with_overrides({"spatial.model": TINY_MODELS.get(backend, config.spatial.model)})
    extra = parse_backend_options(options)
    if extra:
        config = config.with_overrides({"spatial.options": config.spatial.options + extra})
    # 1. Inputs first: the image, the output folder, a face in the image (before any model loads)
    face_image = load_image(face)
    folder = ensure_writable_dir(out)
    kwargs = {"model_root": config.faces.model_root} if config.faces.model_root else {}
    face_backend = create_face_backend(config.faces.backend, **kwargs)
    spatial = create_spatial_backend(config.spatial, config.faces, config.runtime, face_backend=face_backend)
    # 2. Generate, 3. write
    with RichProgress() as progress:
        result = spatial.generate(face_image, prompt, seed=config.seed, progress=progress)
    record = {
        "kind": "keyframe",
        "config": config.to_dict(),
        "inputs": {"face": image_fingerprint(face_image, face), "prompt": prompt, "seed": config.seed},
        "scores": {
            "face_backend": face_backend.name,
            "chosen_similarity": result.candidates[result.chosen_index].similarity,
            "candidate_similarities": [c.similarity for c in result.candidates],
        },
        "environment": environment_info(),
    }
    paths = write_keyframe(folder, result, record)
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", err=True, fg="yellow")
    if config.name == "tiny":
        typer.secho("note: the tiny preset uses random weights, so the image is noise by design.", err=True)
    similarity = result.candidates[result.chosen_index].similarity
    score = "no face found" if similarity is None else f"similarity {similarity:.3f}"
    typer.echo(
        f"wrote {paths['keyframe']} (candidate {result.chosen_index} of {len(result.candidates)}, {score}) "
        f"and {paths['record']}"
    )


def register(app: typer.Typer) -> None:
    app.command("keyframe")(keyframe_command)
