"""Timeline prompts: parsing each form, validation errors, frame rounding and the segment plan.

Prompts here are written for these tests (not from ConsisID's or VBench's lists)."""

from __future__ import annotations

import pytest

from ipvg.errors import BadInputError, PromptError
from ipvg.prompts import create_prompt_backend
from ipvg.prompts.timeline import new_frames_for, parse_prompt, plan_timeline, split_frames
from ipvg.types import DecoupledPrompt


@pytest.fixture(scope="module")
def rules():
    return create_prompt_backend()


class SpyDecoupler:
    """Records what it is asked to decouple; answers like a trivial backend."""

    name = "spy"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def decouple(self, prompt: str, *, subject: str | None = None) -> DecoupledPrompt:
        self.calls.append((prompt, subject))
        return DecoupledPrompt(prompt, f"SPATIAL[{prompt}]", f"TEMPORAL[{prompt}]", subject or "A person")


@pytest.mark.parametrize(
    "prompt",
    [
        "0-2s: A woman waves. 2-5s: She turns and smiles.",
        "0-2s: A woman waves; 2-5s: She turns and smiles",
        "[0s-2s] A woman waves [2s-5s] She turns and smiles",
        "0 to 2 seconds: A woman waves. 2 to 5 seconds: She turns and smiles.",
        "(0-2s) A woman waves, (2-5s) She turns and smiles",
    ],
)
def test_timeline_forms(prompt):
    # Catches: a range regex that misses a form, keeps separators in the text, or misreads times.
    parsed = parse_prompt(prompt)
    assert parsed.kind == "timeline"
    assert [(p.text, p.start_s, p.end_s) for p in parsed.parts] == [
        ("A woman waves", 0.0, 2.0),
        ("She turns and smiles", 2.0, 5.0),
    ]


def test_timeline_context_and_decimals():
    parsed = parse_prompt("A woman in a red coat, in a park. 0-1.5s: she waves. 1.5-4s: she sits")
    assert parsed.context == "A woman in a red coat, in a park"
    assert [(p.start_s, p.end_s) for p in parsed.parts] == [(0.0, 1.5), (1.5, 4.0)]


@pytest.mark.parametrize(
    "prompt",
    [
        "A woman aged 20-30s smiles at the camera",  # a range not after a separator is no timeline
        "A black and white photo of a man who laughs",  # "and" alone is no sequence
        "She sits next to a tree and reads",  # "next" inside a sentence is no sequence
    ],
)
def test_plain_prompts_stay_single(prompt):
    assert parse_prompt(prompt).kind == "single"


def test_numbered_steps():
    parsed = parse_prompt("1. She waves. 2. She sits down. 3) She opens a book")
    assert parsed.kind == "steps"
    assert [p.text for p in parsed.parts] == ["She waves", "She sits down", "She opens a book"]
    assert parse_prompt("Step 1: wave to the camera Step 2: sit").kind == "steps"
    # A lone "2." (not a run from 1) is not a list of steps.
    assert parse_prompt("She holds up 2. fingers").kind == "single"


def test_story():
    parsed = parse_prompt("She waves, then sits down and opens a book")
    assert parsed.kind == "story"
    assert [p.text for p in parsed.parts] == ["She waves", "sits down and opens a book"]
    parsed = parse_prompt("He laughs. Then he jumps, and finally he bows")
    assert [p.text for p in parsed.parts] == ["He laughs", "he jumps", "he bows"]


@pytest.mark.parametrize(
    ("prompt", "match"),
    [
        ("0-2s: A woman waves. 3-5s: She smiles.", "gap"),
        ("0-3s: A woman waves. 2-5s: She smiles.", "overlaps"),
        ("0-2s: A woman waves. 2-2s: She smiles.", "does not move forward"),
        ("0-2s: A woman waves. 5-4s: She smiles.", "does not move forward"),
        ("1-2s: A woman waves. 2-4s: She smiles.", "gap"),  # must start at 0
        ("0-2s: A woman waves. 2-4s:", "no description"),
    ],
)
def test_bad_timelines_raise_prompt_error(prompt, match):
    # Catches: a validator that lets gaps, overlaps or backwards ranges through silently.
    with pytest.raises(PromptError, match=match) as caught:
        parse_prompt(prompt)
    assert caught.value.fix  # the user is told how to fix it


def test_frame_rule():
    assert new_frames_for(2.0, 24) == 48  # exactly 4k
    assert new_frames_for(1.1, 24) == 28  # 26.4 -> nearest multiple of 4
    assert new_frames_for(0.01, 24) == 4  # at least one latent frame
    assert split_frames(288, 120) == [96, 96, 96]
    pieces = split_frames(164, 120)
    assert sum(pieces) == 164 and all(p % 4 == 0 and p <= 120 for p in pieces) and len(pieces) == 2


def test_plan_of_a_timeline(rules):
    plan = plan_timeline(
        "0-2s: A woman waves. 2-4s: She turns and smiles.", rules, fps=24, clip_frames=9, max_clip_frames=121
    )
    assert plan.kind == "timeline" and len(plan.segments) == 2
    assert [s.num_frames for s in plan.segments] == [49, 49]  # each clip 4k+1
    assert plan.num_frames == 97  # the second clip's first frame is the first clip's last: not repeated
    assert [s.start_frame for s in plan.segments] == [1, 49]
    assert plan.duration_s == pytest.approx(4.0)
    # One spatial prompt from the whole text, no motion; each temporal prompt starts with the subject.
    assert plan.spatial.startswith("A woman") and "waves" not in plan.spatial
    assert [s.temporal for s in plan.segments] == ["A woman waves.", "A woman turns and smiles."]
    assert plan.warnings == ()


def test_rounding_warns(rules):
    plan = plan_timeline(
        "0-1.1s: A man nods. 1.1-2s: He laughs.", rules, fps=24, clip_frames=9, max_clip_frames=121
    )
    assert [s.num_new_frames for s in plan.segments] == [28, 20]
    assert any("lasts 1.17s instead of 1.1s" in w for w in plan.warnings)


def test_long_parts_split_and_duration(rules):
    # Catches: ignoring the model's clip limit, or --duration not setting the length.
    plan = plan_timeline("A man laughs", rules, fps=24, clip_frames=121, duration_s=12)
    assert plan.kind == "single"
    assert [s.num_new_frames for s in plan.segments] == [96, 96, 96]
    assert {s.temporal for s in plan.segments} == {"A man laughs."}
    assert plan.num_frames == 12 * 24 + 1
    assert any("3 clips" in w for w in plan.warnings)


def test_story_without_duration_uses_the_clip_length(rules):
    plan = plan_timeline("She waves, then sits down and opens a book", rules, fps=16, clip_frames=81)
    assert [s.num_frames for s in plan.segments] == [81, 81]
    # The continuation gets the subject phrase, and its "no person named" note is not a warning.
    assert plan.segments[1].temporal == "A woman sits down and opens a book."
    assert not any("names no person" in w for w in plan.warnings)


def test_spatial_comes_from_the_whole_text_via_the_backend():
    spy = SpyDecoupler()
    plan = plan_timeline(
        "In a kitchen. 0-1s: A chef chops onions. 1-2s: He tastes the soup.",
        spy,
        fps=8,
        clip_frames=9,
        subject="A man",
    )
    first_prompt, first_subject = spy.calls[0]
    assert first_prompt == "In a kitchen. A chef chops onions. He tastes the soup"  # ranges removed
    assert first_subject == "A man" and plan.spatial == f"SPATIAL[{first_prompt}]"
    assert [s.temporal for s in plan.segments] == [
        "TEMPORAL[A chef chops onions]",
        "TEMPORAL[A man tastes the soup]",  # a part opening with a pronoun is named for the decoupler
    ]


def test_duration_against_timeline_and_bad_values(rules):
    with pytest.raises(BadInputError, match="disagrees"):
        plan_timeline("0-2s: A woman waves. 2-4s: She smiles.", rules, fps=24, clip_frames=9, duration_s=10)
    with pytest.raises(BadInputError, match="positive"):
        plan_timeline("A woman waves", rules, fps=24, clip_frames=9, duration_s=0)
    with pytest.raises(PromptError):
        plan_timeline("   ", rules, fps=24, clip_frames=9)


def test_pronoun_story_is_named_for_the_decoupler():
    # Catches: passing "She turns" as is, which a decoupler may read as a subject-less fragment
    # ("A woman she turns."), or naming the wrong person.
    spy = SpyDecoupler()
    plan_timeline("She waves, then she turns. Finally he bows", spy, fps=8, clip_frames=9)
    assert spy.calls[0] == ("A woman waves. she turns. he bows", None)
    spy = SpyDecoupler()
    plan_timeline("0-1s: He waves. 1-2s: He bows.", spy, fps=8, clip_frames=9, subject="A man")
    assert [c[0] for c in spy.calls] == ["A man waves. He bows", "A man waves", "A man bows"]


def test_they_after_a_group_names_the_group(rules):
    # Catches: "They laugh" planned as "A man they laugh." (the subject phrase put before a pronoun).
    plan = plan_timeline(
        "0-1s: A man and a woman talk on a bench. 1-2s: They laugh.", rules, fps=8, clip_frames=9
    )
    assert [s.temporal for s in plan.segments][1] == "A man and a woman laugh."
