"""Beyond one shot, on the pipeline's own stages: timeline prompts and long videos by segments, and
two people in one video (issue 17).

    from ipvg.segments import generate_long, generate_people
    result = generate_long(pipeline, "face.png", "0-2s: A woman waves. 2-4s: She turns and smiles.",
                           out_dir="out")
    result = generate_people(pipeline, ["a.png", "b.png"], "A man and a woman talk on a bench", out_dir="out")

Both write the same files as `IdentityVideoPipeline` (first_frame.png, candidates/, video.mp4,
record.json, report.html), plus what is new in the record: `segments` (each segment's prompt, frames,
identity curve, re-anchored or not) or `people` (each person's face, score per sampled frame, mean).

A long video is streamed into the encoder segment by segment (`ipvg.longvideo`), so memory does not
grow with its length; the identity of the challenge's 16 sampled frames is scored as they pass.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ipvg.config import TINY_NOTE
from ipvg.errors import BadInputError
from ipvg.faces.assignment import PeopleIdentity, assign_left_to_right, people_identity, people_order
from ipvg.faces.base import Face, FaceBackend, cosine_similarity, largest_face
from ipvg.inputs import clean_prompt
from ipvg.io.files import ensure_writable_dir, write_json_atomic, write_png_atomic, write_text_atomic
from ipvg.io.images import load_image
from ipvg.io.video import VideoWriter, write_video
from ipvg.longvideo import LongVideoResult, SegmentSpec, generate_segments
from ipvg.progress import Progress, SilentProgress
from ipvg.prompts.timeline import TimelinePlan, parse_prompt, plan_timeline
from ipvg.records import environment_info, image_fingerprint
from ipvg.report import render_report
from ipvg.types import DecoupledPrompt, RunRecord, StageRecord

DEFAULT_REANCHOR_THRESHOLD = 0.5  # the official recipe's same-person threshold on ArcFace's scale
NUM_CHALLENGE_FRAMES = 16


# TODO(issue 15): `ipvg.identity` (IdentityJudge, challenge_frame_indices, mean_identity) is the one home
# of these once it is committed; this module then imports them and these four definitions go.
def challenge_frame_indices(num_frames: int, num_samples: int = NUM_CHALLENGE_FRAMES) -> list[int]:
    """The challenge scorer's frames: `np.linspace(0, F - 1, K, dtype=int)`."""
    return [int(i) for i in np.linspace(0, num_frames - 1, num_samples, dtype=int)]


def mean_identity(per_frame: Sequence[float | None]) -> float | None:
    present = [float(v) for v in per_frame if v is not None]
    return float(np.mean(present)) if present else None


@dataclass
class IdentityJudge:
    """Largest face, cosine clamped at 0 (the challenge's FaceSim)."""

    faces: FaceBackend

    def reference_face(self, image: Image.Image, *, source: str) -> Face:
        return largest_face(self.faces, image, source=source)

    def find(self, image: Image.Image) -> Face | None:
        found = self.faces.detect(image)
        return max(found, key=lambda face: face.area) if found else None

    def similarity(self, reference: Face, image: Image.Image) -> tuple[Face | None, float | None]:
        face = self.find(image)
        if face is None or face.embedding is None or reference.embedding is None:
            return face, None
        return face, max(0.0, cosine_similarity(reference.embedding, face.embedding))


def wants_segments(prompt: str, duration_s: float | None) -> bool:
    """Whether `prompt` asks for a segmented video: a timeline or numbered steps, or any prompt with
    a `--duration`. A plain story ("waves, then sits down") stays one clip unless a duration is given,
    so single-shot prompts (the 2025 challenge's) keep the paper's path."""
    if duration_s is not None:
        return True
    return parse_prompt(clean_prompt(prompt)).kind in ("timeline", "steps")


@dataclass
class SegmentedResult:
    prompts: DecoupledPrompt
    first_frame: Image.Image
    candidates: list[Any]  # the spatial stage's KeyframeCandidate list
    chosen_index: int
    record: dict[str, Any]
    plan: TimelinePlan | None = None
    long: LongVideoResult | None = None
    people: PeopleIdentity | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def identity_mean(self) -> float | None:
        return self.record["scores"].get("video_identity_mean")


# --- adapters from the pipeline's stages to the loop's callables --------------------------------


def animate_with(
    temporal: Any,
    *,
    reference: Image.Image | None,
    progress: Progress,
    stages: list[StageRecord],
    warnings: list[str],
) -> Callable[[Image.Image, str, int, int], np.ndarray]:
    """`animate(start, prompt, num_frames, seed)` on a temporal backend: the backend reads its clip
    length from its config, so each call runs with a copy whose `num_frames` is the segment's."""
    takes_reference = "reference" in inspect.signature(temporal.animate).parameters

    def animate(start: Image.Image, prompt: str, num_frames: int, seed: int) -> np.ndarray:
        original = temporal.config
        temporal.config = dataclasses.replace(original, num_frames=num_frames)
        try:
            extra = {"reference": reference} if takes_reference else {}
            output = temporal.animate(start, prompt, seed=seed, progress=progress, **extra)
        finally:
            temporal.config = original
        stages.extend(output.stages)
        warnings.extend(w for w in output.warnings if w not in warnings)
        return output.video.frames_FHWC

    return animate


def redraw_face_with(
    spatial: Any, judge: IdentityJudge, *, prompt: str, seed: int
) -> Callable[[Image.Image, int], Image.Image] | None:
    """`reanchor(frame, segment)`: the spatial stage's face-detail pass (its identity model redraws
    the face region) on the frame's largest face; None when the backend has no such pass."""
    refine = getattr(spatial, "refine", None)
    if refine is None:
        return None

    def reanchor(frame: Image.Image, segment: int) -> Image.Image:
        face = judge.find(frame)
        if face is None:
            return frame
        if getattr(spatial, "pipe", True) is None:  # released under offload: load again
            spatial.load()
        return refine(frame, face, prompt, seed + 1000 * segment)

    return reanchor


def _first_frame(
    pipeline: Any,
    face_image: Image.Image,
    spatial_prompt: str,
    reference: Face,
    seed: int,
    progress: Progress,
) -> Any:
    # Best of N by identity is the method's (ipvg.identity); the spatial backend only draws.
    from ipvg.faces.base import Reference
    from ipvg.identity import IdentityJudge as MethodJudge
    from ipvg.identity import draw_first_frame

    return draw_first_frame(
        pipeline.spatial, MethodJudge(pipeline.faces), Reference(face_image, reference), spatial_prompt,
        seed=seed, progress=progress,
    )


def _subject(reference: Face) -> str | None:
    from ipvg.prompts import subject_for_gender

    subject = subject_for_gender(reference.gender)
    return None if subject == "A person" else subject  # dlib cannot tell: the prompt's own words decide


# --- long videos ---------------------------------------------------------------------------------


def generate_long(
    pipeline: Any,
    face: str | Path | Image.Image,
    prompt: str,
    *,
    duration_s: float | None = None,
    seed: int | None = None,
    out_dir: str | Path | None = None,
    progress: Progress | None = None,
    reanchor: bool = True,
    reanchor_threshold: float | None = None,
    hold_colours: bool = True,
) -> SegmentedResult:
    """A video of segments from a timeline prompt (or a prompt and `duration_s`), streamed to
    `out_dir`/video.mp4. Without `out_dir` the frames are kept in `result.record` only as counts."""
    progress = progress or SilentProgress()
    seed = pipeline.config.seed if seed is None else seed
    stages: list[StageRecord] = []
    warnings: list[str] = []

    # 1. Check inputs: prompt, face image, a face in it, output folder
    prompt = clean_prompt(prompt)
    source = face if isinstance(face, str | Path) else None
    face_image = load_image(face)
    folder = ensure_writable_dir(out_dir) if out_dir is not None else None
    judge = IdentityJudge(pipeline.faces)
    started = time.perf_counter()
    with progress.stage("Finding the reference face"):
        reference = judge.reference_face(face_image, source=str(source or "the face image"))
    stages.append(StageRecord("faces.reference", time.perf_counter() - started))

    # 2. Plan the segments: one spatial prompt, a temporal prompt and a 4k+1 clip per segment
    temporal = pipeline.temporal
    settings = temporal.resolve_settings([])
    started = time.perf_counter()
    with progress.stage("Planning the segments"):
        plan = plan_timeline(
            prompt,
            pipeline.prompts,
            fps=settings.fps,
            clip_frames=settings.num_frames,
            max_clip_frames=max(settings.num_frames, temporal.recipe.num_frames),
            duration_s=duration_s,
            subject=_subject(reference),
        )
    warnings += list(plan.warnings)
    stages.append(StageRecord("prompts.timeline", time.perf_counter() - started, extra={"kind": plan.kind}))

    # 3. Spatial stage: the first frame, best of N (the spatial models stay loaded for re-anchoring)
    keyframe = _first_frame(pipeline, face_image, plan.spatial, reference, seed, progress)
    stages += list(keyframe.stages)
    warnings += list(keyframe.warnings)

    # 4. Temporal stage by segments, streamed to the encoder
    threshold = _threshold(reanchor_threshold, pipeline.faces)
    indices = challenge_frame_indices(plan.num_frames)
    specs = [SegmentSpec(s.temporal, s.num_frames, s.text) for s in plan.segments]
    animate = animate_with(
        temporal, reference=face_image, progress=progress, stages=stages, warnings=warnings
    )
    redraw = (
        redraw_face_with(pipeline.spatial, judge, prompt=keyframe.prompt, seed=seed) if reanchor else None
    )
    if reanchor and redraw is None:
        warnings.append(
            f"The spatial backend `{pipeline.spatial.name}` cannot redraw a face: no re-anchoring."
        )

    def score(image: Image.Image) -> float | None:
        return judge.similarity(reference, image)[1]

    started = time.perf_counter()
    with VideoWriter(folder / "video.mp4", settings.fps) if folder else _NullWriter() as writer:
        long = generate_segments(
            keyframe.image,
            specs,
            animate=animate,
            score_face=score,
            reanchor=redraw,
            sink=writer.write,
            threshold=threshold,
            seed=seed,
            sample_indices=indices,
            hold_colours=hold_colours,
        )
    warnings += long.warnings
    stages.append(
        StageRecord(
            "segments.total",
            time.perf_counter() - started,
            extra={"segments": len(long.segments), "reanchored": sum(s.reanchored for s in long.segments)},
        )
    )

    # 5. The record: the plan, every segment, the challenge's sampled frames
    per_frame = long.similarities(indices)
    record = _record(
        pipeline,
        kind="generate-segments",
        inputs={
            "face": image_fingerprint(face_image, source),
            "prompt": prompt,
            "seed": seed,
            "duration_s": duration_s,
        },
        keyframe=keyframe,
        stages=stages,
        warnings=warnings,
        outputs={
            "num_frames": long.num_frames,
            "fps": settings.fps,
            "width": settings.width,
            "height": settings.height,
            "duration_s": plan.duration_s,
        },
        scores={
            "face_backend": pipeline.faces.name,
            "first_frame_similarity": keyframe.candidates[keyframe.chosen_index].similarity,
            "video_identity_frames": indices,
            "video_identity_per_frame": per_frame,
            "video_identity_mean": mean_identity(per_frame),
            "frames_without_face": sum(v is None for v in per_frame),
            "reanchor_threshold": threshold,
        },
    )
    record["prompts"] = plan.prompts.to_dict() | {"temporal": [s.temporal for s in plan.segments]}
    record["timeline"] = plan.to_dict()
    record["segments"] = long.to_dict()["segments"]
    result = SegmentedResult(
        plan.prompts, keyframe.image, keyframe.candidates, keyframe.chosen_index, record, plan=plan, long=long
    )
    if folder is not None:
        with progress.stage("Writing outputs"):
            result.paths = _write_outputs(
                pipeline, folder, face_image, result, per_frame, _segments_html(long)
            )
    return result


class _NullWriter:
    """Sink for runs without an output folder: frames are dropped as they come."""

    def __enter__(self) -> _NullWriter:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def write(self, frames_FHWC: np.ndarray) -> None:
        return None


def _threshold(configured: float | None, faces: Any) -> float:
    """The configured threshold, else the face backend's own same-person threshold (scales differ)."""
    if configured is not None:
        return configured
    return float(getattr(faces, "match_threshold", DEFAULT_REANCHOR_THRESHOLD))


# --- two people ----------------------------------------------------------------------------------


def generate_people(
    pipeline: Any,
    faces: Sequence[str | Path | Image.Image],
    prompt: str,
    *,
    seed: int | None = None,
    out_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> SegmentedResult:
    """A video of several people: a first frame drawn from the spatial prompt, each face in it redrawn
    with its own person's identity model (left to right, in the order the prompt names them), the
    video from that frame, and identity scored per person with faces matched by optimal assignment."""
    progress = progress or SilentProgress()
    seed = pipeline.config.seed if seed is None else seed
    stages: list[StageRecord] = []
    warnings: list[str] = []
    if len(faces) < 2:
        raise BadInputError(
            "Two or more faces are needed for a video of several people.", "pass --face twice."
        )

    # 1. Check inputs: prompt, every face image and a face in each, output folder
    prompt = clean_prompt(prompt)
    sources = [f if isinstance(f, str | Path) else None for f in faces]
    images = [load_image(f) for f in faces]
    folder = ensure_writable_dir(out_dir) if out_dir is not None else None
    judge = IdentityJudge(pipeline.faces)
    started = time.perf_counter()
    references = [
        judge.reference_face(image, source=str(source or f"face {i + 1}"))
        for i, (image, source) in enumerate(zip(images, sources, strict=True))
    ]
    stages.append(StageRecord("faces.reference", time.perf_counter() - started, extra={"people": len(faces)}))

    # 2. Decouple: the prompt names the people, so its own words give the subject
    started = time.perf_counter()
    prompts = pipeline.prompts.decouple(prompt)
    warnings += list(prompts.warnings)
    stages.append(StageRecord("prompts.decouple", time.perf_counter() - started))

    # 3. First frame: drawn with person 1's identity, then every person's face redrawn with their own
    keyframe = _first_frame(pipeline, images[0], prompts.spatial, references[0], seed, progress)
    stages += list(keyframe.stages)
    warnings += list(keyframe.warnings)
    order, order_rule = people_order(prompt, [r.gender for r in references])
    started = time.perf_counter()
    frame, assignment = keyframe.image, []
    found = pipeline.faces.detect(frame)
    assigned, assign_warnings = assign_left_to_right(found, order)
    warnings += assign_warnings
    for person, face in enumerate(assigned):
        if face is None:
            assignment.append({"person": person, "box": None, "similarity": None})
            continue
        frame = redraw_person(
            pipeline.spatial, frame, face, images[person], references[person], keyframe.prompt, seed
        )
        assignment.append({"person": person, "box": list(face.box_xyxy)})
    after = pipeline.faces.detect(frame)
    for entry, face_similarities in zip(assignment, _best_matches(references, after), strict=True):
        entry["similarity"] = face_similarities
    stages.append(StageRecord("spatial.redraw_people", time.perf_counter() - started))

    # 4. Temporal stage: animate the two-person frame
    animated = pipeline.temporal.animate(frame, prompts.temporal, seed=seed, progress=progress)
    stages += animated.stages
    warnings += animated.warnings

    # 5. Identity per person on the challenge's sampled frames, faces matched by optimal assignment
    started = time.perf_counter()
    indices = challenge_frame_indices(animated.video.num_frames)
    people = people_identity(
        references, ((i, animated.video.frame(i)) for i in indices), pipeline.faces.detect
    )
    stages.append(StageRecord("faces.people_identity", time.perf_counter() - started))
    record = _record(
        pipeline,
        kind="generate-people",
        inputs={
            "faces": [image_fingerprint(i, s) for i, s in zip(images, sources, strict=True)],
            "prompt": prompt,
            "seed": seed,
        },
        keyframe=keyframe,
        stages=stages,
        warnings=warnings,
        outputs={
            "num_frames": animated.video.num_frames,
            "fps": animated.video.fps,
            "width": animated.video.width,
            "height": animated.video.height,
        },
        scores={
            "face_backend": pipeline.faces.name,
            "video_identity_frames": indices,
            "people": people.to_dict()["per_person"],
            "video_identity_mean": mean_identity([m for m in people.means if m is not None]),
        },
    )
    record["prompts"] = prompts.to_dict()
    record["people"] = {"order": order, "order_rule": order_rule, "first_frame": assignment}
    result = SegmentedResult(
        prompts, frame, keyframe.candidates, keyframe.chosen_index, record, people=people
    )
    if folder is not None:
        with progress.stage("Writing outputs"):
            video_path = write_video(animated.video.frames_FHWC, animated.video.fps, folder / "video.mp4")
            result.paths = _write_outputs(
                pipeline,
                folder,
                images[0],
                result,
                people.per_person[0],
                _people_html(people),
                video=video_path,
            )
    return result


def redraw_person(
    spatial: Any,
    frame: Image.Image,
    face: Face,
    face_image: Image.Image,
    reference: Face,
    prompt: str,
    seed: int,
) -> Image.Image:
    """Redraw `face` in `frame` with the identity of `face_image` (the spatial stage's face-detail pass)."""
    refine = getattr(spatial, "refine", None)
    set_identity = getattr(spatial, "_set_identity", None)
    if refine is None or set_identity is None:
        raise BadInputError(
            f"The spatial backend `{spatial.name}` cannot redraw one face with another person's identity.",
            "use spatial.backend=hyperlora-sdxl or faceid-sdxl for several people.",
        )
    set_identity(face_image, reference)
    spatial._identity_key = None  # the next first frame sets its own identity again
    return refine(frame, face, prompt, seed)


def _best_matches(references: Sequence[Face], faces: Sequence[Face]) -> list[float | None]:
    from ipvg.faces.assignment import best_assignment, similarity_matrix

    matrix = similarity_matrix(references, faces)
    return [None if f is None else float(matrix[p, f]) for p, f in enumerate(best_assignment(matrix))]


# --- record and files ----------------------------------------------------------------------------


def _record(
    pipeline: Any,
    *,
    kind: str,
    inputs: dict[str, Any],
    keyframe: Any,
    stages: list[StageRecord],
    warnings: list[str],
    outputs: dict[str, Any],
    scores: dict[str, Any],
) -> dict[str, Any]:
    outputs["candidates"] = [
        {"seed": c.seed, "similarity": c.similarity, "chosen": i == keyframe.chosen_index}
        for i, c in enumerate(keyframe.candidates)
    ]
    describe = getattr(pipeline.temporal, "describe_models", None)
    record = RunRecord(
        kind=kind,
        config=pipeline.config.to_dict(),
        inputs=inputs,
        models={
            "spatial": keyframe.models,
            "temporal": describe() if describe else None,
            "faces": pipeline.faces.name,
            "prompts": pipeline.prompts.name,
        },
        stages=stages,
        outputs=outputs,
        scores=scores,
        warnings=list(dict.fromkeys(warnings)),
        environment=environment_info(),
    )
    return record.to_dict()


def _write_outputs(
    pipeline: Any,
    folder: Path,
    face_image: Image.Image,
    result: SegmentedResult,
    similarities: list[float | None],
    extra_html: str,
    *,
    video: Path | None = None,
) -> dict[str, Path]:
    paths = {"first_frame": write_png_atomic(folder / "first_frame.png", result.first_frame)}
    for index, candidate in enumerate(result.candidates):
        paths[f"candidate_{index}"] = write_png_atomic(
            folder / "candidates" / f"candidate_{index}.png", candidate.image
        )
    paths["video"] = video or folder / "video.mp4"
    record = result.record
    record["outputs"] |= {
        "first_frame": "first_frame.png",
        "video": "video.mp4",
        "report": "report.html",
        "candidates": [
            dict(c, file=f"candidates/candidate_{i}.png")
            for i, c in enumerate(record["outputs"]["candidates"])
        ],
    }
    html = render_report(
        face=face_image,
        record=record,
        candidates=[
            (c.image, {"seed": c.seed, "similarity": c.similarity, "chosen": i == result.chosen_index})
            for i, c in enumerate(result.candidates)
        ],
        video_path=paths["video"],
        similarities=similarities,
        note=TINY_NOTE[0].upper() + TINY_NOTE[1:] + "." if pipeline.config.name == "tiny" else "",
    )
    html = html.replace("</body>", extra_html + "</body>") if "</body>" in html else html + extra_html
    paths["report"] = write_text_atomic(folder / "report.html", html)
    paths["record"] = write_json_atomic(folder / "record.json", record)
    return paths


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _segments_html(long: LongVideoResult) -> str:
    from html import escape

    rows = "".join(
        f"<tr><td>{s.index + 1}</td><td>{escape(s.prompt)}</td><td>{s.start_frame}-{s.end_frame}</td>"
        f"<td>{_fmt(s.anchor_similarity)}</td><td>{'yes' if s.reanchored else 'no'}"
        f"{' (' + _fmt(s.reanchored_similarity) + ')' if s.reanchored else ''}</td>"
        f"<td>{' '.join(_fmt(v) for _, v in s.identity_curve)}</td></tr>"
        for s in long.segments
    )
    return (
        "<section><h2>Segments</h2><table><tr><th>#</th><th>temporal prompt</th><th>frames</th>"
        "<th>start identity</th><th>re-anchored</th><th>identity curve</th></tr>"
        + rows
        + "</table></section>"
    )


def _people_html(people: PeopleIdentity) -> str:
    rows = "".join(
        f"<tr><td>person {p + 1}</td><td>{_fmt(mean)}</td><td>{' '.join(_fmt(v) for v in scores)}</td></tr>"
        for p, (scores, mean) in enumerate(zip(people.per_person, people.means, strict=True))
    )
    return (
        "<section><h2>People</h2><table>"
        "<tr><th>person</th><th>mean identity</th><th>per sampled frame</th></tr>"
        + rows
        + "</table></section>"
    )


__all__ = ["SegmentedResult", "generate_long", "generate_people", "wants_segments"]
