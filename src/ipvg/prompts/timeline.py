"""Timeline prompts: one prompt -> one spatial prompt + an ordered list of timed temporal segments.

Recognised, in this order:
- a **timeline**: "0-2s: A. 2-5s: B.", "0-2s: A; 2-5s: B", "[0s-2s] A [2s-5s] B", "0 to 2 s: A";
  text before the first range is shared context (it shapes the first frame);
- **numbered steps**: "1. A 2. B 3. C" or "Step 1: A Step 2: B" (consecutive from 1);
- a **story**: actions joined by sequence words ("She waves, then sits down and opens a book");
- anything else is a **single** segment.

The first frame is drawn once, from the spatial prompt of the whole text (ranges removed); each
segment is animated from the previous segment's last frame with its own temporal prompt. Both come
from the prompt backend's public `decouple`, so the rules, LLM and server decouplers all serve.

Frame rule (Wan, CogVideoX): a clip has 4k+1 frames; the first frame of every segment after the
first is the previous segment's last frame and is not repeated, so each segment *adds* 4k frames
(the first segment also adds the initial frame). A segment of d seconds adds 4*round(d*fps/4)
frames (at least 4); a changed duration is reported as a warning.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from ipvg.errors import BadInputError, PromptError
from ipvg.types import DecoupledPrompt

# "0-2s", "0 s - 2 s", "0.5–2.5 sec", "0 to 2 seconds", "[0s-2s]", "(0-2s)"; the closing unit (or a
# bracket) is required, so numbers inside ordinary text ("2-3 friends") are not read as times.
_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"(?:s|sec|secs|second|seconds)\b"
_RANGE = re.compile(
    rf"[\[(]?\s*{_NUMBER}\s*(?:{_UNIT})?\s*(?:-|–|—|~|to)\s*{_NUMBER}\s*(?:(?:{_UNIT})\s*[\])]?|[\])])\s*:?",
    re.IGNORECASE,
)
# "1. ", "2) ", "Step 3: " at the start or after whitespace / a sentence end.
_STEP = re.compile(r"(?:(?<=\s)|^)(?:step\s+)?(\d{1,2})\s*[.):]\s+", re.IGNORECASE)
# Sequence words that join actions of a story; "and" alone is not one ("black and white").
# "Next"/"Later" only open a sentence ("sits next to" is no sequence).
_SEQUENCE = re.compile(
    r"\s*(?:[.!?]\s+(?:then|next|later|after\s+that|afterwards|afterward|finally)\b"
    r"|(?:[,;]\s*|\s+)(?:and\s+)?then\b"
    r"|[,;]\s*(?:and\s+)?(?:after\s+that|afterwards|afterward|finally)\b)\s*,?\s*",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"^(?:she|he)\s+", re.IGNORECASE)
_PRONOUN_SUBJECT = {"she": "A woman", "he": "A man"}
# Words that open a noun phrase or are a subject pronoun: a part starting with one names its own
# subject ("Two people sit"), so the subject phrase is not put in front of it.
_NOUN_PHRASE = re.compile(
    r"^(?:a|an|the|this|that|these|those|his|her|their|its|my|our|one|two|three|four|several|some|"
    r"both|all|each|every|another|other|they|we|it)\b",
    re.IGNORECASE,
)
_PLURAL = re.compile(r"^(?:they|both of them|both|the two|the couple)\s+", re.IGNORECASE)
# The spatial prompt opens with the subject phrase; one naming several people ("A man and a woman",
# "Two people") is the group that "they" refers to later.
_GROUP = re.compile(r"\band\b|^(?:two|three|four|several|a group|a couple)\b", re.IGNORECASE)
_NO_PERSON_WARNING = "the prompt names no person"  # the decoupler's note when it prefixes the subject
MIN_NEW_FRAMES = 4  # one latent frame of Wan's 4x temporal compression
TIME_EPSILON = 1e-6


class Decoupler(Protocol):
    name: str

    def decouple(self, prompt: str, *, subject: str | None = None) -> DecoupledPrompt: ...


@dataclass(frozen=True)
class PromptPart:
    """One part of a parsed prompt: its words and, for timelines, its time range in seconds."""

    text: str
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True)
class ParsedPrompt:
    kind: str  # "timeline" | "steps" | "story" | "single"
    parts: tuple[PromptPart, ...]
    context: str = ""  # words before a timeline's first range (shared by every segment's frame)

    @property
    def is_timed(self) -> bool:
        return self.kind == "timeline"


@dataclass(frozen=True)
class TimelineSegment:
    """One segment of the video: what the video model reads and how many frames it adds."""

    index: int
    text: str  # the user's words for this part
    temporal: str  # the temporal prompt the video model reads
    num_new_frames: int  # frames added to the video (4k); the segment's clip has one more
    start_frame: int  # index in the final video of the first frame it adds
    requested_s: float | None  # the duration asked for (None when the plan chose it)
    part: int = 0  # index of the prompt part; a long part is split into several segments

    @property
    def num_frames(self) -> int:
        """Frames the video model generates for this segment (4k+1)."""
        return self.num_new_frames + 1


@dataclass(frozen=True)
class TimelinePlan:
    source: str
    kind: str
    spatial: str
    subject: str
    fps: float
    segments: tuple[TimelineSegment, ...]
    prompts: DecoupledPrompt  # the whole prompt decoupled (its spatial prompt draws the first frame)
    warnings: tuple[str, ...] = field(default=())

    @property
    def num_frames(self) -> int:
        """Frames in the joined video: the first frame plus what every segment adds."""
        return 1 + sum(s.num_new_frames for s in self.segments)

    @property
    def duration_s(self) -> float:
        return (self.num_frames - 1) / self.fps

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "spatial": self.spatial,
            "subject": self.subject,
            "fps": self.fps,
            "num_frames": self.num_frames,
            "duration_s": self.duration_s,
            "segments": [
                {
                    "index": s.index,
                    "part": s.part,
                    "text": s.text,
                    "temporal": s.temporal,
                    "num_frames": s.num_frames,
                    "num_new_frames": s.num_new_frames,
                    "start_frame": s.start_frame,
                    "requested_s": s.requested_s,
                    "duration_s": s.num_new_frames / self.fps,
                }
                for s in self.segments
            ],
            "warnings": list(self.warnings),
        }


# --- parsing (pure) ------------------------------------------------------------------------------


def parse_prompt(prompt: str) -> ParsedPrompt:
    """Split a prompt into timed parts, numbered steps, story actions, or one part."""
    text = " ".join(prompt.split())
    if not text:
        raise PromptError("The prompt is empty.", "describe what the person does.")
    for parser in (_parse_timeline, _parse_steps, _parse_story):
        parsed = parser(text)
        if parsed is not None:
            return parsed
    return ParsedPrompt("single", (PromptPart(text),))


def _strip_part(text: str) -> str:
    return text.strip(" \t;,.:-–—").strip()


def _parse_timeline(text: str) -> ParsedPrompt | None:
    matches = list(_RANGE.finditer(text))
    # A range counts only at the start of the text or after a separator; "aged 20-30s" does not.
    matches = [
        m
        for m in matches
        if m.start() == 0 or m.group(0)[0] in "[(" or text[: m.start()].rstrip()[-1:] in ".;,:!?)]"
    ]
    if not matches:
        return None
    context = _strip_part(text[: matches[0].start()])
    parts = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        start_s, end_s = float(match.group(1)), float(match.group(2))
        words = _strip_part(text[match.end() : end])
        label = match.group(0).strip()
        if not words:
            raise PromptError(
                f"The timeline range `{label}` has no description.",
                "write what happens after each range, e.g. `0-2s: A woman waves. 2-4s: She smiles.`",
            )
        parts.append(PromptPart(words, start_s, end_s))
    check_times(parts)
    return ParsedPrompt("timeline", tuple(parts), context)


def check_times(parts: list[PromptPart]) -> None:
    """Timeline ranges must start at 0, increase, and meet without gaps or overlaps."""
    previous_end = 0.0
    for part in parts:
        assert part.start_s is not None and part.end_s is not None
        label = f"`{part.start_s:g}-{part.end_s:g}s`"
        if part.end_s <= part.start_s:
            raise PromptError(
                f"The timeline range {label} does not move forward (it ends at or before it starts).",
                "write each range as start-end seconds with end > start, e.g. `2-5s`.",
            )
        if part.start_s > previous_end + TIME_EPSILON:
            raise PromptError(
                f"The timeline has a gap: nothing happens from {previous_end:g}s to {part.start_s:g}s "
                f"(before {label}).",
                f"start {label} at {previous_end:g}s, or describe the missing time.",
            )
        if part.start_s < previous_end - TIME_EPSILON:
            raise PromptError(
                f"The timeline range {label} overlaps the one before it (which ends at {previous_end:g}s).",
                f"start it at {previous_end:g}s; ranges must follow each other in time.",
            )
        previous_end = part.end_s


def _parse_steps(text: str) -> ParsedPrompt | None:
    matches = list(_STEP.finditer(text))
    # Keep the longest run 1, 2, 3, ... from the first "1."; stray numbers elsewhere do not count.
    run: list[re.Match[str]] = []
    for match in matches:
        if int(match.group(1)) == len(run) + 1:
            run.append(match)
    if len(run) < 2:
        return None
    context = _strip_part(text[: run[0].start()])
    parts = []
    for i, match in enumerate(run):
        end = run[i + 1].start() if i + 1 < len(run) else len(text)
        words = _strip_part(text[match.end() : end])
        if not words:
            raise PromptError(
                f"Step {i + 1} of the prompt has no description.", "write what happens in every step."
            )
        parts.append(PromptPart(words))
    return ParsedPrompt("steps", tuple(parts), context)


def _parse_story(text: str) -> ParsedPrompt | None:
    pieces = [_strip_part(piece) for piece in _SEQUENCE.split(text)]
    pieces = [piece for piece in pieces if piece]
    if len(pieces) < 2:
        return None
    return ParsedPrompt("story", tuple(PromptPart(piece) for piece in pieces))


# --- durations (pure) ----------------------------------------------------------------------------


def new_frames_for(seconds: float, fps: float) -> int:
    """Frames a segment of `seconds` adds at `fps`: a multiple of 4 (clip = 4k+1), at least 4."""
    return max(MIN_NEW_FRAMES, 4 * round(seconds * fps / 4))


def split_frames(num_new_frames: int, max_new_frames: int) -> list[int]:
    """Split a long segment into near-equal pieces of at most `max_new_frames` (multiples of 4)."""
    assert num_new_frames % 4 == 0 and max_new_frames >= MIN_NEW_FRAMES
    max_new_frames -= max_new_frames % 4
    count = math.ceil(num_new_frames / max_new_frames)
    blocks = num_new_frames // 4
    return [4 * (blocks // count + (1 if i < blocks % count else 0)) for i in range(count)]


def part_durations(
    parsed: ParsedPrompt, *, clip_s: float, duration_s: float | None
) -> tuple[list[float], list[str]]:
    """Seconds for each part: a timeline's own ranges, else `duration_s` shared evenly, else one
    default clip (`clip_s`) per part."""
    warnings: list[str] = []
    if parsed.is_timed:
        seconds = [p.end_s - p.start_s for p in parsed.parts]  # type: ignore[operator]
        total = sum(seconds)
        if duration_s is not None and abs(duration_s - total) > 1e-3:
            raise BadInputError(
                f"`--duration {duration_s:g}` disagrees with the prompt's timeline, which lasts {total:g}s.",
                "leave out --duration (the timeline sets the length) or change the timeline.",
            )
        return seconds, warnings
    if duration_s is not None:
        if duration_s <= 0:
            raise BadInputError(f"`--duration` must be positive, got {duration_s:g}.", "pass seconds > 0.")
        return [duration_s / len(parsed.parts)] * len(parsed.parts), warnings
    return [clip_s] * len(parsed.parts), warnings


# --- the plan ------------------------------------------------------------------------------------


def plan_timeline(
    prompt: str,
    decoupler: Decoupler,
    *,
    fps: float,
    clip_frames: int,
    max_clip_frames: int | None = None,
    duration_s: float | None = None,
    subject: str | None = None,
) -> TimelinePlan:
    """The segments of a video for `prompt`.

    `clip_frames` is the model's usual clip (4k+1 frames, the length of a part when the prompt gives
    none); `max_clip_frames` the longest clip it should generate (longer parts become several
    segments with the same prompt); `duration_s` the requested length (a timeline sets its own).
    """
    if fps <= 0:
        raise BadInputError(f"`fps` must be positive, got {fps:g}.", "check temporal.fps.")
    if clip_frames < 5:
        raise BadInputError(
            f"A segment needs at least 5 frames (4k+1), got clip_frames={clip_frames}.",
            "raise temporal.num_frames.",
        )
    # 1. Parse, then decouple the whole text (ranges removed): its spatial prompt draws the first frame
    parsed = parse_prompt(prompt)
    whole_text = ". ".join(
        _sentence(t) for t in ([parsed.context] if parsed.context else []) + [p.text for p in parsed.parts]
    )
    # A story told from a pronoun ("She waves, then ...") is about a woman: name her for the decoupler.
    pronoun = _PRONOUN.match(whole_text)
    if pronoun:
        named = subject or _PRONOUN_SUBJECT[pronoun.group(0).strip().lower()]
        whole_text = f"{named} {whole_text[pronoun.end() :]}"
    whole = decoupler.decouple(whole_text, subject=subject)
    warnings = list(whole.warnings)
    subject_phrase = whole.subject
    opening = whole.spatial.split(",")[0].strip()
    group = opening if _GROUP.search(opening) else None
    # 2. Durations -> frames on the model's 4k+1 rule, long parts split into several clips
    seconds, duration_warnings = part_durations(parsed, clip_s=(clip_frames - 1) / fps, duration_s=duration_s)
    warnings += duration_warnings
    max_new = (max_clip_frames or clip_frames) - 1
    segments: list[TimelineSegment] = []
    start_frame = 1  # frame 0 is the first frame; segment 0 adds frames 1..n
    for part_index, (part, part_seconds) in enumerate(zip(parsed.parts, seconds, strict=True)):
        new_frames = new_frames_for(part_seconds, fps)
        if abs(new_frames / fps - part_seconds) > 0.5 / fps:
            warnings.append(
                f"Segment {part_index + 1} ({_short(part.text)}) lasts {new_frames / fps:.3g}s instead of "
                f"{part_seconds:.3g}s: the video model makes 4k+1-frame clips at {fps:g} fps."
            )
        # 3. The part's temporal prompt starts with the subject phrase (the method's rule)
        temporal = _temporal_prompt(
            decoupler, part.text, subject_phrase, warnings, first=part_index == 0, group=group
        )
        pieces = split_frames(new_frames, max_new) if new_frames > max_new else [new_frames]
        if len(pieces) > 1:
            warnings.append(
                f"Segment {part_index + 1} ({_short(part.text)}) is longer than the model's "
                f"{max_new + 1}-frame clip; it is made as {len(pieces)} clips with the same prompt."
            )
        for piece in pieces:
            segments.append(
                TimelineSegment(
                    index=len(segments),
                    text=part.text,
                    temporal=temporal,
                    num_new_frames=piece,
                    start_frame=start_frame,
                    requested_s=part_seconds if parsed.is_timed or duration_s is not None else None,
                    part=part_index,
                )
            )
            start_frame += piece
    return TimelinePlan(
        source=prompt,
        kind=parsed.kind,
        spatial=whole.spatial,
        subject=subject_phrase,
        fps=fps,
        segments=tuple(segments),
        prompts=whole,
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _temporal_prompt(
    decoupler: Decoupler, text: str, subject: str, warnings: list[str], *, first: bool, group: str | None
) -> str:
    # "She turns" continues the same person's story: name them, as the temporal prompt must start with
    # the subject phrase (a decoupler may not read a bare pronoun as the subject). "They laugh" after
    # "A man and a woman talk" is about both: name the group.
    plural = _PLURAL.match(text)
    if plural and group:
        text = f"{group} {text[plural.end() :]}"
    text = _PRONOUN.sub(f"{subject} ", text, count=1)
    decoupled = decoupler.decouple(text, subject=subject)
    if any(w.startswith(_NO_PERSON_WARNING) for w in decoupled.warnings) and not _NOUN_PHRASE.match(text):
        # An action without a subject ("then sits down", "2-4s: waves") is the subject's own: say so
        # in the text, so the decoupler reads "waves" as a verb ("A woman waves", not "A woman. Waves.").
        decoupled = decoupler.decouple(f"{subject} {text[:1].lower()}{text[1:]}", subject=subject)
    warnings += [w for w in decoupled.warnings if first or not w.startswith(_NO_PERSON_WARNING)]
    return decoupled.temporal


def _sentence(text: str) -> str:
    return text.rstrip(" .;,")


def _short(text: str, limit: int = 40) -> str:
    return f"`{text}`" if len(text) <= limit else f"`{text[: limit - 3]}...`"
