"""`rules` on the 25 real challenge prompts in ../shared/data/vip200k-sample (written by others).

For each distinct prompt the actions, motion verbs and sounds below were labelled by hand (not
with the decoupler's word lists): every action must survive in the temporal prompt, no motion verb
or sound may reach the spatial prompt, and both prompts must fit their encoders' windows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipvg.prompts import clip_token_count
from ipvg.prompts.base import Windows
from ipvg.prompts.rules import RulesBackend
from ipvg.prompts.text import estimate_t5_tokens

# prompt start -> (actions that must appear in the temporal prompt, motion words banned from spatial)
LABELS: dict[str, tuple[list[str], list[str]]] = {
    "The astronaut": (
        ["floated weightlessly", "repairing a satellite", "spun slowly"],
        ["floated", "repairing", "spun"],
    ),
    "The teacher": (
        ["rushed across the classroom", "writing equations", "scribbled notes"],
        ["rushed", "writing", "scribbled"],
    ),
    "The chef": (
        ["leapt from the stove to the sink", "washing his hands", "chopping vegetables"],
        ["leapt", "washing", "chopping"],
    ),
    "The gymnast": (["twirled in the air", "landing gracefully"], ["twirled", "landing"]),
    "The race car driver": (["swerved through the winding track", "pushing his car"], ["swerved", "pushing"]),
    "The cyclist": (
        ["sped down the mountain trail", "dodging rocks", "bounced"],
        ["sped", "dodging", "bounced"],
    ),
    "The firefighter": (
        ["sprinted across the burning building", "carrying an injured child"],
        ["sprinted", "carrying"],
    ),
    "The photographer": (
        ["dashed from one corner", "capturing the bride's first dance"],
        ["dashed", "capturing"],
    ),
    "The video features an individual standing in front of large screens": (
        [
            "uses hand gestures",
            "discuss various aspects",
            "point at different parts",
            "points to specific regions",
            "moving their hands",
        ],
        ["uses", "discuss", "point", "points", "moving"],
    ),
    "The video features a presenter": (
        ["engaging with an audience", "gestures changing", "interacts with the viewers"],
        ["engaging", "interacts", "changing"],
    ),
    "The video features an individual on an indoor tennis court": (
        ["demonstrating various stages", "preparing to hit the ball", "swung back and then forward"],
        ["demonstrating", "preparing", "swung", "hit"],
    ),
    "The video features an individual standing against a plain background": (
        ["holding a microphone", "raised hands", "slight shifts in posture"],
        ["evolves", "speaking"],
    ),
    "The video features an individual standing in front of a vibrant background": (
        [
            "raises their arm",
            "holds up a large brush-like object",
            "points at these logos",
            "making expressive gestures",
        ],
        ["raises", "points", "engages", "transitioning"],
    ),
}
SOUND_WORDS = (
    "sound",
    "sounds",
    "smell",
    "scent",
    "roar",
    "hum",
    "clapping",
    "music",
    "laughter",
    "crackling",
    "cheers",
    "breath",
)


def _label_for(text: str) -> tuple[list[str], list[str]]:
    matches = [key for key in LABELS if text.startswith(key)]
    assert matches, f"unlabelled sample prompt: {text[:60]!r}"
    return LABELS[max(matches, key=len)]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z'-]+", text.lower()))


def sample_prompts(root: Path) -> list[Path]:
    return sorted(root.glob("*/prompt*.txt"))


@pytest.fixture(scope="module")
def backend() -> RulesBackend:
    return RulesBackend()


def test_sample_has_25_prompts(sample_testset: Path) -> None:
    assert len(sample_prompts(sample_testset)) == 25


def test_sample_prompts_decouple(sample_testset: Path, backend: RulesBackend) -> None:
    for path in sample_prompts(sample_testset):
        text = path.read_text(encoding="utf-8")
        actions, motion = _label_for(text)
        record = backend.decouple(text)
        where = f"{path.parent.name}/{path.name}"
        spatial_words = _words(record.spatial)
        # 1. Every labelled action is still in the temporal prompt.
        for action in actions:
            assert action.lower() in record.temporal.lower(), (where, action, record.temporal)
        # 2. No motion verb and no sound in the spatial prompt; no sound in the temporal one.
        assert not spatial_words & set(motion), (where, spatial_words & set(motion), record.spatial)
        assert not spatial_words & set(SOUND_WORDS), (where, record.spatial)
        assert not _words(record.temporal) & set(SOUND_WORDS) - {"breath"}, (where, record.temporal)
        # 3. The subject phrase starts both prompts; the spatial prompt ends with a framing term.
        assert record.temporal.startswith(record.subject) and record.spatial.startswith(record.subject), where
        assert record.spatial.endswith("close-up"), (where, record.spatial)
        # 4. Windows: 77 CLIP tokens (real BPE), 512 UMT5 tokens (conservative count).
        assert clip_token_count(record.spatial) <= 77, (where, record.spatial)
        assert estimate_t5_tokens(record.temporal) <= 512, where


def test_sample_gymnast_in_full(backend: RulesBackend) -> None:
    """The issue's own example: "The gymnast ..." -> "A woman, a gymnast, ..." with a face subject."""
    text = (
        "The gymnast, dressed in a colorful leotard, twirled in the air before landing gracefully on the mat at "
        "the Olympic arena, the stadium around her filled with cheering fans, the bright lights casting sharp "
        "shadows over the gleaming floor as the sound of clapping echoed in the arena."
    )
    record = backend.decouple(text, subject="A woman")
    assert record.temporal.startswith(
        "A woman, a gymnast, dressed in a colorful leotard, twirled in the air before landing"
    )
    assert "clapping" not in record.temporal and "clapping" not in record.spatial
    assert record.spatial.startswith("A woman, a gymnast, dressed in a colorful leotard")
    assert "Olympic arena" in record.spatial and "twirled" not in record.spatial
    assert any("non-visual" in warning for warning in record.warnings)


def test_windows_with_a_real_tokenizer(tmp_path: Path, sample_testset: Path) -> None:
    """With a CLIP tokenizer on disk, counts come from it (here the tiny CLIP BPE, which splits rare
    words into letters, so the window binds hard) and the spatial prompt fits it exactly."""
    from transformers import CLIPTokenizer

    from ipvg.testing.tokenizers import build_clip_tokenizer

    build_clip_tokenizer().save_pretrained(tmp_path / "clip")
    windows = Windows(clip_tokenizer=str(tmp_path / "clip"), spatial_tokens=77)
    assert windows.describe()["clip_counter"].startswith("tokenizer")
    tokenizer = CLIPTokenizer.from_pretrained(tmp_path / "clip")
    backend = RulesBackend(windows=windows)
    record = backend.decouple((sample_testset / "id001" / "prompt1.txt").read_text())
    assert len(tokenizer(record.spatial)["input_ids"]) <= 77
    assert record.spatial.startswith("A man, an astronaut") and record.spatial.endswith("close-up")
    assert any("spatial prompt cut" in w for w in record.warnings)
