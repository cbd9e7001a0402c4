"""Beyond one shot, on the pipeline's own stages: timeline prompts and long videos by segments, and
two people in one video (issue 17).

    from ipvg.segments import generate_long, generate_people
    result = generate_long(pipeline, "face.png", "0-2s: A woman waves. 2-4s: She turns and smiles.",
                           out_dir="out")
    result = generate_people(pipeline, ["a.png", "b.png"], "A man and a woman talk on a bench", out_dir="out")

Both write the run folder of `IdentityVideoPipeline` (first_frame.png, candidates/, video.mp4,
report.html, record.json) with what is new in the record: `outputs.segments` (each segment's prompt,
frames, identity curve, re-anchored or not) and `outputs.timeline`, or `scores.people` (each person's
score per sampled frame and mean) and `outputs.people` (which face went to whom).

The first frame is the method's own (`ipvg.identity.draw_first_frame`: best of N by identity, face
redrawn). A long video is streamed into the encoder segment by segment (`ipvg.longvideo`), so memory
does not grow with its length; the challenge's 16 sampled frames are scored (and kept for the report)
as they pass.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ipvg.errors import BadInputError, ConfigError
from ipvg.faces.assignment import (
    PeopleIdentity,
    assign_left_to_right,
    best_assignment,
    people_identity,
    people_order,
    similarity_matrix,
)
from ipvg.faces.base import Face, Reference
from ipvg.identity import (
    IdentityJudge,
    VideoIdentity,
    challenge_frame_indices,
    draw_first_frame,
    early_stop_threshold,
    identity_similarity,
    reference_crop,
)
from ipvg.inputs import clean_prompt
from ipvg.io.files import ensure_writable_dir, write_json_atomic, write_text_atomic
from ipvg.io.video import VideoWriter, write_video
from ipvg.longvideo import LongVideoResult, SegmentSpec, generate_segments
from ipvg.progress import Progress, SilentProgress
from ipvg.prompts.timeline import TimelinePlan, parse_prompt, plan_timeline
from ipvg.records import (
    RECORD,
    REPORT,
    VIDEO,
    candidate_entries,
    environment_info,
    image_fingerprint,
    report_note,
    write_run,
)
from ipvg.report import render_report
from ipvg.spatial.base import KeyframeResult
from ipvg.types import DecoupledPrompt, RunRecord, StageRecord

Animate = Callable[[Image.Image, str, int, int], np.ndarray]


def wants_segments(prompt: str, duration_s: float | None) -> bool:
    """Whether `prompt` asks for a segmented video: a timeline or numbered steps, or any prompt with
    a `--duration`. A plain story ("waves, then sits down") stays one clip unless a duration is given,
    so single-shot prompts (the 2025 challenge's) keep the paper's path."""
    if duration_s is not None:
        return True
    return parse_prompt(clean_prompt(prompt)).kind in ("timeline", "steps")


MAX_PEOPLE = 2


@dataclass(frozen=True)
class Request:
    """What a request (faces, prompt, duration) makes, decided before any model loads."""

    num_people: int
    segmented: bool  # a timeline, numbered steps or a duration: made by segments
    seconds: float | None  # the length asked for: the duration or the timeline's; None: the model's

    @property
    def one_shot(self) -> bool:
        """The pipeline's own single clip of one person (`IdentityVideoPipeline.__call__`)."""
        return self.num_people == 1 and not self.segmented


def check_request(num_faces: int, prompt: str, duration_s: float | None, *, config: Any = None) -> Request:
    """The one dispatch rule of `ipvg generate` and the web UI: several faces make a video of several
    people (`generate_people`), a timeline or a duration a video by segments (`generate_long`), else
    the pipeline's one clip. Refuses, before any model loads, what would fail later: no face or more
    than two, a duration that is not a positive number of seconds or disagrees with the prompt's
    timeline, and (with `config`) a beyond-one-shot run on a configuration without a first frame."""
    if not 1 <= num_faces <= MAX_PEOPLE:
        raise BadInputError(
            f"{num_faces} faces given; one or two people are supported.", "pass one face, or two for two people."
        )
    if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
        raise BadInputError(
            f"The duration must be a positive number of seconds, got {duration_s:g}.",
            "pass seconds, e.g. 10, or leave it out for the model's one clip.",
        )
    parsed = parse_prompt(clean_prompt(prompt))  # a timeline's gap or overlap is refused here
    segmented = duration_s is not None or parsed.kind in ("timeline", "steps")
    seconds = duration_s
    if parsed.is_timed:
        timeline_s = sum(p.end_s - p.start_s for p in parsed.parts)  # type: ignore[operator]
        if duration_s is not None and abs(duration_s - timeline_s) > 1e-3:
            raise BadInputError(
                f"The duration ({duration_s:g} s) disagrees with the prompt's timeline, which lasts "
                f"{timeline_s:g} s.",
                "leave the duration out (the timeline sets the length) or change the timeline.",
            )
        seconds = timeline_s
    request = Request(num_faces, segmented, seconds)
    if config is not None and not request.one_shot:
        from ipvg.pipeline import NO_SPATIAL_STAGE

        if config.spatial.backend == NO_SPATIAL_STAGE:
            _check_first_frame_stage(None)
    return request


def generate_beyond_one_shot(
    pipeline: Any,
    faces: Sequence[str | Path | Image.Image],
    prompt: str,
    *,
    duration_s: float | None = None,
    seed: int | None = None,
    out_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> SegmentedResult:
    """A request that `check_request` found is not one shot: `generate_people` for several faces,
    else `generate_long` (the CLI and the web UI both call this, so they cannot disagree)."""
    if len(faces) > 1:
        return generate_people(
            pipeline, faces, prompt, duration_s=duration_s, seed=seed, out_dir=out_dir, progress=progress
        )
    return generate_long(
        pipeline, faces[0], prompt, duration_s=duration_s, seed=seed, out_dir=out_dir, progress=progress
    )


@dataclass
class SegmentedResult:
    prompts: DecoupledPrompt
    first_frame: Image.Image
    keyframe: KeyframeResult
    record: RunRecord
    plan: TimelinePlan | None = None
    long: LongVideoResult | None = None
    people: PeopleIdentity | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def identity_mean(self) -> float | None:
        return self.record.scores.get("video_identity_mean")


# --- adapters from the pipeline's stages to the loop's callables --------------------------------


def animate_with(
    pipeline: Any,
    *,
    reference: Image.Image | None,
    progress: Progress,
    stages: list[StageRecord],
    warnings: list[str],
) -> Animate:
    """`animate(start, prompt, num_frames, seed)` on the pipeline's video stage, each call with the
    segment's clip length (`pipeline.overridden` swaps the stage's config for the call)."""
    temporal = pipeline.temporal

    def animate(start: Image.Image, prompt: str, num_frames: int, seed: int) -> np.ndarray:
        with pipeline.overridden({"temporal.num_frames": num_frames}):
            output = temporal.animate(start, prompt, seed=seed, progress=progress, reference=reference)
        stages.extend(output.stages)
        warnings.extend(w for w in output.warnings if w not in warnings)
        return output.video.frames_FHWC

    return animate


def redraw_face_with(
    spatial: Any, judge: IdentityJudge, identity: Reference, spatial_prompt: str, *, seed: int
) -> Callable[[Image.Image, int], Image.Image]:
    """`reanchor(frame, segment)`: the spatial stage's face-detail pass on the frame's largest face,
    conditioned on `identity` (`prepare` reloads the models if they were released and is a no-op
    when they are loaded and conditioned already)."""

    def reanchor(frame: Image.Image, segment: int) -> Image.Image:
        face = judge.find(frame)
        if face is None:
            return frame
        prepared = spatial.prepare(identity, spatial_prompt)
        try:
            return spatial.redraw(frame, face, prepared.prompt, seed + 1000 * segment)
        except ConfigError:  # no face-detail pass (kontext): the frame is kept, and the loop says so
            return frame

    return reanchor


class SampledFrames:
    """A frame sink that passes frames on and keeps only the frames at `indices` (for the report's
    strip), so the report needs no second decode of a long video. Reads like a frame array."""

    def __init__(self, sink: Callable[[np.ndarray], None], indices: Sequence[int]) -> None:
        self.sink, self.wanted, self.kept, self.count = sink, set(indices), {}, 0

    def __call__(self, frames_FHWC: np.ndarray) -> None:
        for offset, frame in enumerate(frames_FHWC):
            if self.count + offset in self.wanted:
                self.kept[self.count + offset] = frame.copy()
        self.count += len(frames_FHWC)
        self.sink(frames_FHWC)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> np.ndarray:
        return self.kept[index]


def _subject(reference: Face) -> str | None:
    from ipvg.prompts import subject_for_gender

    subject = subject_for_gender(reference.gender)
    return None if subject == "A person" else subject  # dlib cannot tell: the prompt's own words decide


def _release_spatial(pipeline: Any) -> None:
    release = getattr(pipeline, "_release_spatial", None)  # the pipeline's own rule (offload only)
    if release is not None:
        release()


def _check_first_frame_stage(pipeline: Any) -> None:
    """Refuses a pipeline without a first-frame stage (`None`: refuse, the caller checked the config)."""
    if pipeline is None or not getattr(pipeline, "has_spatial_stage", True):
        raise ConfigError(
            "Videos by segments and two-person videos start from a drawn first frame, and this "
            "configuration has no first-frame stage.",
            "set spatial.backend to a first-frame backend (e.g. hyperlora-sdxl).",
        )


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
    `out_dir`/video.mp4 (without `out_dir` the frames are dropped as they come: the record remains)."""
    from ipvg.pipeline import load_input_image

    progress = progress or SilentProgress()
    seed = pipeline.config.seed if seed is None else seed
    stages: list[StageRecord] = []
    warnings: list[str] = []

    # 1. Check inputs: prompt, face image, output folder, a first-frame stage; then the reference face
    prompt = clean_prompt(prompt)
    face_image, source = load_input_image(face)
    folder = ensure_writable_dir(out_dir) if out_dir is not None else None
    _check_first_frame_stage(pipeline)
    judge = pipeline.judge
    started = time.perf_counter()
    with progress.stage("Finding the reference face"):
        reference = Reference(face_image, judge.reference_face(face_image, source=source or "the face image"))
    stages.append(StageRecord("faces.reference", time.perf_counter() - started))

    # 2. Plan the segments: one spatial prompt, a temporal prompt and a 4k+1 clip per segment
    started = time.perf_counter()
    with progress.stage("Planning the segments"):
        plan = _plan(pipeline, prompt, duration_s, _subject(reference.face))
    warnings += list(plan.warnings)
    stages.append(StageRecord("prompts.timeline", time.perf_counter() - started, extra={"kind": plan.kind}))

    # 3. The first frame: best of N by identity, face redrawn. Under offload the first-frame models are
    #    released as the pipeline does; a re-anchoring loads them again (`prepare`), once.
    keyframe = draw_first_frame(
        pipeline.spatial, judge, reference, plan.spatial, seed=seed, progress=progress
    )
    stages += keyframe.stages
    warnings += keyframe.warnings
    _release_spatial(pipeline)

    # 4. The video by segments, streamed to the encoder; faces re-anchored below the threshold
    threshold = early_stop_threshold(reanchor_threshold, pipeline.faces)
    redraw = (
        redraw_face_with(pipeline.spatial, judge, reference, plan.spatial, seed=seed) if reanchor else None
    )

    def score(image: Image.Image) -> float | None:
        return judge.similarity(reference.face, image)[1]

    long, sampled = _stream(
        pipeline,
        keyframe.image,
        plan,
        score=score,
        reanchor=redraw,
        threshold=threshold,
        seed=seed,
        folder=folder,
        video_reference=reference_crop(reference),
        hold_colours=hold_colours,
        progress=progress,
        stages=stages,
        warnings=warnings,
    )

    # 5. The record: the plan, every segment, the challenge's sampled frames
    indices = challenge_frame_indices(plan.num_frames)
    identity = VideoIdentity(indices, long.similarities(indices))
    record = RunRecord(
        kind="generate-segments",
        config=pipeline.config.to_dict(),
        inputs={
            "face": image_fingerprint(face_image, source),
            "prompt": prompt,
            "seed": seed,
            "duration_s": duration_s,
        },
        prompts=plan.prompts.to_dict(),
        models={
            "spatial": keyframe.models,
            "temporal": pipeline.temporal.describe_models(),
            "faces": pipeline.faces.name,
            "prompts": plan.prompts.backend,
        },
        stages=stages,
        outputs={
            "num_frames": long.num_frames,
            "fps": plan.fps,
            "width": long.last_frame.width,
            "height": long.last_frame.height,
            "duration_s": plan.duration_s,
            "candidates": candidate_entries(keyframe.candidates, with_files=False),
            "timeline": plan.to_dict(),
            "segments": long.to_dict()["segments"],
        },
        scores={
            "face_backend": pipeline.faces.name,
            "first_frame_similarity": keyframe.candidates[keyframe.chosen_index].similarity,
            "video_identity_frames": identity.frame_indices,
            "video_identity_per_frame": identity.per_frame,
            "video_identity_mean": identity.mean,
            "frames_without_face": identity.frames_without_face,
            "reanchor_threshold": threshold,
        },
        warnings=list(dict.fromkeys(warnings)),
        environment=environment_info(),
    )
    result = SegmentedResult(plan.prompts, keyframe.image, keyframe, record, plan=plan, long=long)
    if folder is not None:
        with progress.stage("Writing outputs"):
            result.paths = _write(
                pipeline, folder, face_image, result, identity, sampled, _segments_html(long), encoded=True
            )
    return result


def _plan(pipeline: Any, prompt: str, duration_s: float | None, subject: str | None) -> TimelinePlan:
    """The segments for `prompt` on the pipeline's video model (its fps, clip and frame rule)."""
    temporal = pipeline.temporal
    settings = temporal.resolve_settings([])
    return plan_timeline(
        prompt,
        pipeline.prompts,
        fps=settings.fps,
        clip_frames=settings.num_frames,
        # The model's own clip length bounds a segment; a shorter configured clip is allowed more.
        max_clip_frames=max(settings.num_frames, temporal.recipe.num_frames),
        duration_s=duration_s,
        subject=subject,
    )


def _stream(
    pipeline: Any,
    first_frame: Image.Image,
    plan: TimelinePlan,
    *,
    score: Callable[[Image.Image], float | None],
    reanchor: Callable[[Image.Image, int], Image.Image] | None,
    threshold: float,
    seed: int,
    folder: Path | None,
    video_reference: Image.Image | None,
    hold_colours: bool,
    progress: Progress,
    stages: list[StageRecord],
    warnings: list[str],
) -> tuple[LongVideoResult, SampledFrames]:
    """Animate the plan's segments into `folder`/video.mp4, keeping the challenge's sampled frames."""
    indices = challenge_frame_indices(plan.num_frames)
    started = time.perf_counter()
    with VideoWriter(folder / VIDEO, plan.fps) if folder else _DropFrames() as writer:
        sampled = SampledFrames(writer.write, indices)
        long = generate_segments(
            first_frame,
            [SegmentSpec(s.temporal, s.num_frames, s.text) for s in plan.segments],
            animate=animate_with(
                pipeline, reference=video_reference, progress=progress, stages=stages, warnings=warnings
            ),
            score_face=score,
            reanchor=reanchor,
            sink=sampled,
            threshold=threshold,
            seed=seed,
            sample_indices=indices,
            hold_colours=hold_colours,
        )
    warnings += long.warnings
    stages.append(
        StageRecord(
            "segments.animate_score_encode",
            time.perf_counter() - started,
            extra={"segments": len(long.segments), "reanchored": sum(s.reanchored for s in long.segments)},
        )
    )
    return long, sampled


class _DropFrames:
    """Sink for runs without an output folder: frames are dropped as they come."""

    def __enter__(self) -> _DropFrames:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def write(self, frames_FHWC: np.ndarray) -> None:
        return None


# --- two people ----------------------------------------------------------------------------------


def generate_people(
    pipeline: Any,
    faces: Sequence[str | Path | Image.Image],
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
    """A video of several people: a first frame drawn from the spatial prompt, each face in it redrawn
    with its own person's identity model (left to right, in the order the prompt names them), the
    video from that frame, and identity scored per person with faces matched by optimal assignment.
    A timeline or `duration_s` makes the video by segments, as `generate_long` does; a start frame
    where someone's identity fell below the threshold has every matched face redrawn as its person."""
    from ipvg.pipeline import load_input_image

    progress = progress or SilentProgress()
    seed = pipeline.config.seed if seed is None else seed
    stages: list[StageRecord] = []
    warnings: list[str] = []
    if len(faces) < 2:
        raise BadInputError(
            "Two or more faces are needed for a video of several people.", "pass --face twice."
        )

    # 1. Check inputs: prompt, every face image, output folder; then a face in each photo
    prompt = clean_prompt(prompt)
    segmented = wants_segments(prompt, duration_s)
    loaded = [load_input_image(f, what=f"face {i + 1}") for i, f in enumerate(faces)]
    folder = ensure_writable_dir(out_dir) if out_dir is not None else None
    _check_first_frame_stage(pipeline)
    judge = pipeline.judge
    started = time.perf_counter()
    people = [
        Reference(image, judge.reference_face(image, source=source or f"face {i + 1}"))
        for i, (image, source) in enumerate(loaded)
    ]
    references = [p.face for p in people]
    stages.append(
        StageRecord("faces.reference", time.perf_counter() - started, extra={"people": len(people)})
    )

    # 2. Decouple (or plan the segments): the prompt names the people, so its own words give the subject
    started = time.perf_counter()
    plan = _plan(pipeline, prompt, duration_s, None) if segmented else None
    prompts = plan.prompts if plan is not None else pipeline.prompts.decouple(prompt)
    warnings += list(plan.warnings if plan is not None else prompts.warnings)
    stages.append(StageRecord("prompts.decouple", time.perf_counter() - started))

    # 3. First frame: drawn with person 1's identity, then every person's face redrawn with their own
    keyframe = draw_first_frame(
        pipeline.spatial, judge, people[0], prompts.spatial, seed=seed, progress=progress
    )
    stages += keyframe.stages
    warnings += keyframe.warnings
    order, order_rule = people_order(prompt, [face.gender for face in references])
    started = time.perf_counter()
    assigned, assign_warnings = assign_left_to_right(pipeline.faces.detect(keyframe.image), order)
    warnings += assign_warnings
    frame = keyframe.image
    for person, face in zip(people, assigned, strict=True):
        if face is not None:
            redrawn = _redraw_as(pipeline.spatial, person, frame, face, prompts.spatial, seed)
            if redrawn is frame:
                warnings.append(
                    f"The spatial backend `{pipeline.spatial.name}` cannot redraw a face, so every face in "
                    "the first frame is drawn with person 1's identity; use hyperlora-sdxl or faceid-sdxl."
                )
                break
            frame = redrawn
    matrix = similarity_matrix(references, pipeline.faces.detect(frame), identity_similarity)
    matched = best_assignment(matrix)
    placement = [
        {
            "person": index,
            "box": None if face is None else [float(v) for v in face.box_xyxy],
            "similarity": None if matched[index] is None else float(matrix[index, matched[index]]),
        }
        for index, face in enumerate(assigned)
    ]
    stages.append(StageRecord("spatial.redraw_people", time.perf_counter() - started))
    _release_spatial(pipeline)

    # 4. Animate the frame of both people. A reference-conditioned model takes one reference here, which
    #    would pull both faces towards one person, so it gets none.
    long: LongVideoResult | None = None
    if plan is not None:

        def weakest(image: Image.Image) -> float | None:
            """The lowest identity among the people whose face is found (None: no one's is)."""
            found = [f for f in pipeline.faces.detect(image) if f.embedding is not None]
            scores = similarity_matrix(references, found, identity_similarity)
            values = [float(scores[p, f]) for p, f in enumerate(best_assignment(scores)) if f is not None]
            return min(values) if values else None

        def redraw_people(image: Image.Image, segment: int) -> Image.Image:
            found = [f for f in pipeline.faces.detect(image) if f.embedding is not None]
            for person, face_index in enumerate(
                best_assignment(similarity_matrix(references, found, identity_similarity))
            ):
                if face_index is not None:
                    image = _redraw_as(
                        pipeline.spatial,
                        people[person],
                        image,
                        found[face_index],
                        prompts.spatial,
                        seed + 1000 * segment,
                    )
            return image

        long, frames = _stream(
            pipeline,
            frame,
            plan,
            score=weakest,
            reanchor=redraw_people if reanchor else None,
            threshold=early_stop_threshold(reanchor_threshold, pipeline.faces),
            seed=seed,
            folder=folder,
            video_reference=None,
            hold_colours=hold_colours,
            progress=progress,
            stages=stages,
            warnings=warnings,
        )
        num_frames, fps, size = long.num_frames, plan.fps, long.last_frame.size
        models = pipeline.temporal.describe_models()
    else:
        animated = pipeline.temporal.animate(
            frame, prompts.temporal, seed=seed, progress=progress, reference=None
        )
        stages += animated.stages
        warnings += animated.warnings
        frames = animated.video.frames_FHWC
        num_frames, fps, size = animated.video.num_frames, animated.video.fps, animated.video.frame(0).size
        models = animated.models

    # 5. Identity per person on the challenge's sampled frames, faces matched by optimal assignment
    started = time.perf_counter()
    indices = challenge_frame_indices(num_frames)
    identity = people_identity(
        references,
        ((i, Image.fromarray(frames[i])) for i in indices),
        pipeline.faces.detect,
        identity_similarity,
    )
    stages.append(StageRecord("faces.people_identity", time.perf_counter() - started))
    means = [m for m in identity.means if m is not None]
    outputs: dict[str, Any] = {
        "num_frames": num_frames,
        "fps": fps,
        "width": size[0],
        "height": size[1],
        "candidates": candidate_entries(keyframe.candidates, with_files=False),
        "people": {"order": order, "order_rule": order_rule, "first_frame": placement},
    }
    if plan is not None and long is not None:
        outputs |= {"timeline": plan.to_dict(), "segments": long.to_dict()["segments"]}
    record = RunRecord(
        kind="generate-people",
        config=pipeline.config.to_dict(),
        inputs={
            "faces": [image_fingerprint(image, source) for image, source in loaded],
            "prompt": prompt,
            "seed": seed,
            "duration_s": duration_s,
        },
        prompts=prompts.to_dict(),
        models={
            "spatial": keyframe.models,
            "temporal": models,
            "faces": pipeline.faces.name,
            "prompts": prompts.backend,
        },
        stages=stages,
        outputs=outputs,
        scores={
            "face_backend": pipeline.faces.name,
            "video_identity_frames": indices,
            "people": identity.to_dict()["per_person"],
            # The mean over people of each person's mean (each person counts once).
            "video_identity_mean": float(np.mean(means)) if means else None,
        },
        warnings=list(dict.fromkeys(warnings)),
        environment=environment_info(),
    )
    result = SegmentedResult(prompts, frame, keyframe, record, plan=plan, long=long, people=identity)
    if folder is not None:
        with progress.stage("Writing outputs"):
            if long is None:
                write_video(frames, fps, folder / VIDEO)
            sections = _people_html(identity) + (_segments_html(long) if long is not None else "")
            person_one = VideoIdentity(indices, identity.per_person[0])
            result.paths = _write(
                pipeline, folder, loaded[0][0], result, person_one, frames, sections, encoded=True
            )
    return result


def _redraw_as(
    spatial: Any, person: Reference, image: Image.Image, face: Face, spatial_prompt: str, seed: int
) -> Image.Image:
    """`face` in `image` redrawn with `person`'s identity (`prepare` swaps the conditioning); the image
    unchanged when the backend has no face-detail pass (kontext)."""
    prepared = spatial.prepare(person, spatial_prompt)
    try:
        return spatial.redraw(image, face, prepared.prompt, seed)
    except ConfigError:
        return image


# --- files ---------------------------------------------------------------------------------------


def _write(
    pipeline: Any,
    folder: Path,
    face_image: Image.Image,
    result: SegmentedResult,
    identity: VideoIdentity,
    frames: Any,
    extra_html: str,
    *,
    encoded: bool,
) -> dict[str, Path]:
    """The run writer's files (first frame, candidates, record), the video already encoded, and the
    report with this run's own section; record.json is written again last, naming every file."""
    record = result.record
    paths = write_run(
        folder, record, face=None, first_frame=result.first_frame, candidates=result.keyframe.candidates
    )
    if encoded:
        paths["video"] = folder / VIDEO
        record.outputs["video"] = VIDEO
    record.outputs["report"] = REPORT
    as_dict = record.to_dict()
    entries = as_dict["outputs"].get("candidates", [])
    html = render_report(
        face=face_image,
        record=as_dict,
        candidates=[(c.image, e) for c, e in zip(result.keyframe.candidates, entries, strict=True)],
        video_path=paths.get("video"),
        similarities=list(identity.per_frame),
        note=report_note(pipeline.config.name),
        video_frames_FHWC=frames,  # the sampled frames kept while streaming (indexable like the video)
    )
    html = html.replace("</body>", extra_html + "</body>") if "</body>" in html else html + extra_html
    paths["report"] = write_text_atomic(folder / REPORT, html)
    paths["record"] = write_json_atomic(folder / RECORD, as_dict)
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


__all__ = [
    "Request",
    "SampledFrames",
    "SegmentedResult",
    "check_request",
    "generate_beyond_one_shot",
    "generate_long",
    "generate_people",
    "wants_segments",
]
