"""`ipvg faces IMAGE...`: the faces in each image (box, score, keypoints, gender, age);
`ipvg faces compare A B`: identity similarity of the largest faces, per face backend."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ipvg.errors import BadInputError, IpvgError

BackendOption = Annotated[
    list[str] | None,
    typer.Option(
        "--backend",
        "-b",
        help="Face backend: dlib (offline), insightface, curricularface. Repeatable for `compare` "
        "(default there: every backend that can load here).",
    ),
]
PackOption = Annotated[
    str | None,
    typer.Option("--insightface-pack", help="insightface model-pack folder (buffalo_l or antelopev2)."),
]
DetSizeOption = Annotated[
    int, typer.Option("--det-size", help="insightface detector input size (320 for scoring).")
]
WeightsOption = Annotated[
    str | None,
    typer.Option(
        "--curricularface-weights", help="glint360k_curricular_face_r101_backbone.bin (ConsisID-preview)."
    ),
]
ProvidersOption = Annotated[
    str, typer.Option("--providers", help="ONNX Runtime for insightface: auto, cpu, cuda.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def backend_options(
    name: str, pack: str | None, det_size: int, weights: str | None, providers: str
) -> dict[str, Any]:
    """The CLI flags that apply to backend `name`, as its keyword arguments."""
    insightface = {"model_pack": pack, "det_size": det_size, "providers": providers}
    if name == "insightface":
        return insightface
    if name == "curricularface":
        return {
            "weights": weights,
            **insightface,
        }  # the detector options; dropped if dlib finds the keypoints
    return {}


def face_record(face: Any) -> dict[str, Any]:
    return {
        "box_xyxy": [round(v, 1) for v in face.box_xyxy],
        "score": round(face.score, 4),
        "keypoints_52": [[round(float(x), 1), round(float(y), 1)] for x, y in face.keypoints_52],
        "gender": face.gender,
        "age": None if face.age is None else round(face.age, 1),
        "embedding_dim": None if face.embedding is None else int(face.embedding.shape[0]),
    }


def list_faces(images: list[str], backend_name: str, options: dict[str, Any], as_json: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from ipvg.faces import create_face_backend
    from ipvg.io.images import load_image

    backend = create_face_backend(backend_name, **options)
    results = {path: [face_record(face) for face in backend.detect(load_image(path))] for path in images}
    if as_json:
        typer.echo(json.dumps({"backend": backend_name, "images": results}, indent=2))
        return
    table = Table(
        "image", "#", "box (x0, y0, x1, y1)", "score", "gender", "age", title=f"faces ({backend_name})"
    )
    table.columns[0].overflow = "fold"
    for path, faces in results.items():
        if not faces:
            table.add_row(path, "-", "no face found", "", "", "")
        for index, face in enumerate(faces):
            box = ", ".join(f"{v:.0f}" for v in face["box_xyxy"])
            age = "" if face["age"] is None else f"{face['age']:.0f}"
            table.add_row(
                path if index == 0 else "",
                str(index),
                box,
                f"{face['score']:.2f}",
                face["gender"] or "-",
                age or "-",
            )
    Console().print(table)


def compare_faces(
    paths: list[str],
    backend_names: list[str] | None,
    flags: tuple[str | None, int, str | None, str],
    as_json: bool,
) -> None:
    from rich.console import Console
    from rich.table import Table

    from ipvg.faces import cosine_similarity, create_face_backend, largest_face
    from ipvg.io.images import load_image
    from ipvg.registry import registry

    if len(paths) != 2:
        raise BadInputError(
            f"`ipvg faces compare` takes exactly two images; got {len(paths)}.",
            "run `ipvg faces compare A.png B.png`.",
        )
    images = [load_image(path) for path in paths]  # bad files fail before any model loads
    explicit = bool(backend_names)
    rows: list[dict[str, Any]] = []
    for name in backend_names or registry.names("faces"):
        try:
            backend = create_face_backend(name, **backend_options(name, *flags))
        except IpvgError as error:
            if explicit:
                raise
            rows.append(
                {
                    "backend": name,
                    "similarity": None,
                    "note": f"unavailable: {error.message}",
                    "fix": error.fix,
                }
            )
            continue
        faces = [largest_face(backend, image, source=path) for image, path in zip(images, paths, strict=True)]
        similarity = cosine_similarity(faces[0].embedding, faces[1].embedding)
        threshold = getattr(backend, "match_threshold", None)
        verdict = (
            ""
            if threshold is None
            else ("same person likely" if similarity >= threshold else "different people likely")
        )
        rows.append({"backend": name, "similarity": round(similarity, 4), "note": verdict})
    if as_json:
        typer.echo(json.dumps({"images": paths, "results": rows}, indent=2))
        return
    table = Table("backend", "cosine similarity", "note", title=f"{paths[0]} vs {paths[1]}")
    for row in rows:
        table.add_row(
            row["backend"], "-" if row["similarity"] is None else f"{row['similarity']:.3f}", row["note"]
        )
    Console().print(table)


def faces_command(
    images: Annotated[list[str], typer.Argument(help="Image files; or `compare A B` to compare two faces.")],
    backend: BackendOption = None,
    insightface_pack: PackOption = None,
    det_size: DetSizeOption = 640,
    curricularface_weights: WeightsOption = None,
    providers: ProvidersOption = "auto",
    as_json: JsonOption = False,
) -> None:
    """Find faces (box, score, gender, age), or compare two: `ipvg faces compare A.png B.png`.

    A file literally named `compare` can be passed as `./compare`.
    """
    flags = (insightface_pack, det_size, curricularface_weights, providers)
    if images and images[0] == "compare":
        compare_faces(images[1:], backend, flags, as_json)
        return
    if backend and len(backend) > 1:
        raise BadInputError(
            "Listing faces takes one `--backend`.", "pass --backend once (several are for `compare`)."
        )
    name = backend[0] if backend else "dlib"
    list_faces(images, name, backend_options(name, *flags), as_json)


def register(app: typer.Typer) -> None:
    app.command("faces")(faces_command)
