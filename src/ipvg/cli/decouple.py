"""`ipvg decouple --prompt "PROMPT"`: one prompt -> spatial + temporal prompts (printed);
`ipvg decouple --input DIR_OR_FILE --out FILE.jsonl`: many prompts, cached, with a progress bar.

The options have the other commands' shape: `--prompt` (as `ipvg generate --prompt`; a bare positional
prompt still works) and `--out/-o`. There is no `-p`: elsewhere `-p` is `--preset`, and one letter with
two meanings across commands is worse than none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ipvg.errors import BadInputError, ConfigError

PromptArgument = Annotated[
    str | None, typer.Argument(help="The video prompt, same as --prompt (kept for old scripts).", show_default=False)
]
PromptOption = Annotated[str | None, typer.Option("--prompt", help="The video prompt (omit with --input or --check).")]
BackendOption = Annotated[
    str, typer.Option("--backend", "-b", help="Prompt backend: rules (offline), llm, openai, none.")
]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="llm: hub id or folder (default Qwen/Qwen3-8B); openai: model name."),
]
OptionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        help="Backend option KEY=VALUE (repeatable), e.g. --option framing='medium shot' --option base_url=URL.",
    ),
]
FaceOption = Annotated[
    Path | None,
    typer.Option(
        "--face", help="Face photo: the subject phrase follows its gender when the face backend can tell."
    ),
]
FaceBackendOption = Annotated[
    str | None,
    typer.Option(
        "--face-backend",
        help="Face backend for --face and the challenge layout's images (dlib, insightface).",
    ),
]
SubjectOption = Annotated[
    str | None, typer.Option("--subject", help='Subject phrase to use, e.g. "A woman" (overrides --face).')
]
InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-i",
        help="Folder (challenge layout idNNN/promptN.txt, or .txt files), .txt (one per line) or .jsonl.",
    ),
]
OutputOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="JSONL file written atomically (with --input).")
]
CacheOption = Annotated[
    bool, typer.Option("--cache/--no-cache", help="Reuse results for the same prompt and backend settings.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the record as JSON.")]
CheckOption = Annotated[
    Path | None,
    typer.Option(
        "--check",
        help="Score the backend on annotated prompts (JSONL, e.g. benchmarks/data/decouple_dev_set.jsonl).",
    ),
]
SplitOption = Annotated[
    str, typer.Option("--split", help="With --check: dev (every development part), dev2 to dev6 (an added part), heldout or all annotated prompts.")
]


def parse_options(pairs: list[str] | None) -> tuple[tuple[str, Any], ...]:
    """KEY=VALUE strings -> typed option pairs (int, float, true/false, else text)."""
    options = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"`--option {pair}` is not KEY=VALUE.", "write it like --option temperature=0.1."
            )
        options.append((key.strip(), _typed(value.strip())))
    return tuple(options)


def _typed(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def decouple_command(
    prompt_argument: PromptArgument = None,
    prompt: PromptOption = None,
    backend: BackendOption = "rules",
    model: ModelOption = None,
    option: OptionOption = None,
    face: FaceOption = None,
    face_backend: FaceBackendOption = None,
    subject: SubjectOption = None,
    input_path: InputOption = None,
    output: OutputOption = None,
    cache: CacheOption = True,
    as_json: JsonOption = False,
    check: CheckOption = None,
    split: SplitOption = "all",
) -> None:
    """Split a prompt into a spatial prompt (first frame) and a temporal prompt (video)."""
    from ipvg.config import PromptsConfig
    from ipvg.prompts import create_prompt_backend

    # 1. Check the arguments before loading anything.
    if prompt_argument is not None and prompt is not None and prompt_argument != prompt:
        raise BadInputError(
            "Give the prompt once: as --prompt or as the positional PROMPT, not both.",
            'e.g. ipvg decouple --prompt "A woman waves".',
        )
    prompt = prompt if prompt is not None else prompt_argument
    if sum(x is not None for x in (prompt, input_path, check)) != 1:
        raise BadInputError(
            "Give one of --prompt, --input or --check.",
            'e.g. ipvg decouple --prompt "A woman waves", --input testset/ --out prompts.jsonl or --check annotations.jsonl.',
        )
    if split not in ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "heldout", "all"):
        raise BadInputError(f"--split {split!r} is not dev, dev2 to dev6, heldout or all.", "use e.g. --split heldout.")
    if output is not None and input_path is None:
        raise BadInputError(
            "--out writes the JSONL of an --input batch; one --prompt is printed.",
            "drop --out, or add --json and redirect: ipvg decouple --prompt ... --json > record.json.",
        )
    if input_path is not None and output is None:
        raise BadInputError("--input needs --out FILE.jsonl.", "add --out prompts.jsonl.")
    config = PromptsConfig(backend=backend, model=model, options=parse_options(option))
    prompt_backend = create_prompt_backend(config)
    faces = _face_backend(face_backend or ("dlib" if face else None))
    # 2. Annotated prompts: score the backend (the same checker for every backend).
    if check is not None:
        _run_check(prompt_backend, check, split, subject=subject, as_json=as_json)
        return
    # 3. One prompt: print it.
    if prompt is not None:
        if subject is None and face is not None:
            from ipvg.prompts.subject import subject_from_face

            subject = subject_from_face(face, faces)
        record = prompt_backend.decouple(prompt, subject=subject)
        _print_record(record, as_json)
        return
    # 4. Many prompts: cache, progress bar, atomic JSONL.
    assert input_path is not None and output is not None
    _run_batch(prompt_backend, input_path, output, faces=faces, subject=subject, use_cache=cache)


def _face_backend(name: str | None) -> Any:
    if name is None:
        return None
    from ipvg.faces import create_face_backend

    return create_face_backend(name)


def _print_record(record: Any, as_json: bool) -> None:
    from ipvg.prompts import clip_token_count
    from ipvg.prompts.clip_vocab import clip_counter_name

    tokens = clip_token_count(record.spatial)
    if as_json:
        payload = record.to_dict() | {"spatial_clip_tokens": tokens, "clip_counter": clip_counter_name()}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(f"subject:  {record.subject}")
    typer.echo(f"spatial:  {record.spatial}")
    typer.echo(f"          {tokens} of 77 CLIP tokens ({clip_counter_name()})")
    typer.echo(f"temporal: {record.temporal}")
    typer.echo(f"backend:  {record.backend}")
    for warning in record.warnings:
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)


def _run_batch(
    backend: Any, input_path: Path, output: Path, *, faces: Any, subject: str | None, use_cache: bool
) -> None:
    from ipvg.progress import RichProgress
    from ipvg.prompts.batch import PromptCache, decouple_many, read_prompt_items, write_jsonl

    items = read_prompt_items(input_path)
    cache = PromptCache(backend.config_key()) if use_cache else None
    subjects: dict[Path, str] = {}

    def subject_for(item: Any) -> str | None:
        if subject is not None or faces is None or item.image is None:
            return subject
        if item.image not in subjects:  # one face detection per identity, not per prompt
            from ipvg.errors import IpvgError
            from ipvg.prompts.subject import UNKNOWN_SUBJECT, subject_from_face

            try:
                subjects[item.image] = subject_from_face(item.image, faces)
            except IpvgError as error:
                typer.secho(
                    f"warning: {item.image}: {error.one_line()} Using `{UNKNOWN_SUBJECT}`.",
                    err=True,
                    fg=typer.colors.YELLOW,
                )
                subjects[item.image] = UNKNOWN_SUBJECT
        return subjects[item.image]

    done = 0
    with RichProgress() as progress, progress.steps(f"Decoupling ({backend.name})", len(items)) as step:

        def on_done(_result: Any) -> None:
            nonlocal done
            done += 1
            step(done)

        results = decouple_many(backend, items, subject_for=subject_for, cache=cache, on_done=on_done)
    write_jsonl(output, results)
    failed = [r for r in results if r.error]
    cached = sum(1 for r in results if r.cached)
    typer.echo(
        f"{len(results) - len(failed)} of {len(results)} prompts decoupled ({cached} from cache) -> {output}"
    )
    for result in failed:
        typer.secho(f"error: {result.item.id}: {result.error}", err=True, fg=typer.colors.RED)
    if failed:
        # An IpvgError (not typer.Exit): `ipvg.cli.main` turns it into one line and exit code 2.
        raise BadInputError(
            f"{len(failed)} of {len(results)} prompts could not be decoupled; their rows in {output} have an `error`.",
            "fix those prompt files and run again (finished prompts come from the cache).",
        )


def _run_check(backend: Any, path: Path, split: str, *, subject: str | None, as_json: bool) -> None:
    from ipvg.prompts.check import load_annotations, run_check, summarise

    items = load_annotations(path, None if split == "all" else split)
    if not items:
        raise BadInputError(f"{path} has no annotated prompts in split {split!r}.", "use --split all.")
    results = run_check(backend, items, subject=subject)
    summary = summarise(results)
    if as_json:
        failures = [r.to_dict() for r in results if not r.passed]
        typer.echo(json.dumps(summary | {"failures": failures}, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"{backend.name} on {len(items)} prompts ({split}): {summary['passed']} pass "
        f"({100 * summary['pass_rate']:.1f}%), {summary['with_fragments']} with fragments"
    )
    for name, rate in summary["per_check_pass_rate"].items():
        typer.echo(f"  {name:10s} {100 * rate:5.1f}%")
    for result in results:
        if not result.passed:
            reasons = "; ".join(f"{k}: {', '.join(v)}" for k, v in result.failures.items())
            typer.echo(f"  FAIL {result.id}: {reasons}")


def register(app: typer.Typer) -> None:
    app.command("decouple")(decouple_command)
