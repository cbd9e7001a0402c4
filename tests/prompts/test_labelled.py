"""The `rules` decoupler on hand-labelled prompts (camera moves, two people, negations, very long,
one word, non-English, prompt injection, ...): `labelled_prompts.jsonl` (51 prompts, written with
the decoupler and used to tune it) and `labelled_prompts_heldout.jsonl` (16 prompts written after
tuning; first run: 76% phrases, 81% prompt checks, then the bugs they exposed were fixed).

Two scores, both per category: phrase classification (each labelled phrase vs the category of the
piece that covers most of it) and prompt checks (spatial/temporal must/must-not contain, the
temporal start, expected warnings). Run `python tests/prompts/test_labelled.py` to print the tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from ipvg.prompts.phrases import analyse
from ipvg.prompts.rules import RulesBackend
from ipvg.prompts.text import clean_source

DATA = Path(__file__).parent / "data"
FILES = ("labelled_prompts.jsonl", "labelled_prompts_heldout.jsonl")


def load_labelled(names: tuple[str, ...] = FILES) -> list[dict]:
    lines = [line for name in names for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return [json.loads(line) for line in lines if line.strip()]


def _covering_category(pieces: list, phrase: str) -> str:
    """Category of the piece whose text overlaps `phrase` most (by shared words)."""
    target = phrase.lower().split()
    best, best_overlap = "none", 0
    for piece in pieces:
        words = piece.text.lower().split()
        overlap = sum(1 for w in target if w in words)
        if overlap > best_overlap:
            best, best_overlap = piece.category, overlap
    return best


def prompt_checks(item: dict, record) -> list[str]:
    """Failed checks of one labelled prompt (empty when all pass)."""
    failures = []
    spatial, temporal = record.spatial.lower(), record.temporal.lower()
    failures += [f"spatial lacks {s!r}" for s in item.get("spatial_has", []) if s.lower() not in spatial]
    failures += [f"spatial has {s!r}" for s in item.get("spatial_not", []) if s.lower() in spatial]
    failures += [f"temporal lacks {s!r}" for s in item.get("temporal_has", []) if s.lower() not in temporal]
    failures += [f"temporal has {s!r}" for s in item.get("temporal_not", []) if s.lower() in temporal]
    if "temporal_starts" in item and not record.temporal.startswith(item["temporal_starts"]):
        failures.append(f"temporal does not start with {item['temporal_starts']!r}")
    if "expect_warning" in item and not any(
        item["expect_warning"].lower() in w.lower() for w in record.warnings
    ):
        failures.append(f"no warning about {item['expect_warning']!r}")
    return failures


def evaluate(items: list[dict]) -> dict:
    backend = RulesBackend()
    phrase_scores: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    group_scores: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures: dict[str, list[str]] = {}
    for item in items:
        record = backend.decouple(item["prompt"], subject=item.get("subject"))
        pieces, _, _ = analyse(clean_source(item["prompt"]).text)
        for phrase, label in item.get("phrases", {}).items():
            predicted = _covering_category(pieces, phrase)
            phrase_scores[label][0] += predicted == label
            phrase_scores[label][1] += 1
        failed = prompt_checks(item, record)
        group_scores[item["group"]][0] += not failed
        group_scores[item["group"]][1] += 1
        if failed:
            failures[item["id"]] = failed
    return {"phrases": dict(phrase_scores), "groups": dict(group_scores), "failures": failures}


def _accuracy(scores: dict[str, list[int]]) -> float:
    right = sum(r for r, _ in scores.values())
    total = sum(t for _, t in scores.values())
    return right / total


def test_labelled_set_is_large_and_varied() -> None:
    items = load_labelled()
    assert len(items) >= 60 and len({item["id"] for item in items}) == len(items)
    assert {"camera", "two_people", "negation", "long", "one_word", "non_english", "injection"} <= {
        i["group"] for i in items
    }


def test_phrase_classification_accuracy() -> None:
    result = evaluate(load_labelled())
    assert _accuracy(result["phrases"]) >= 0.85, result["phrases"]
    for label, (right, total) in result["phrases"].items():
        assert right / total >= 0.6, (label, right, total)


def test_prompt_checks_pass_rate() -> None:
    result = evaluate(load_labelled())
    assert _accuracy(result["groups"]) >= 0.8, result["failures"]
    # Safety-critical groups must be perfect: injected text and unreadable languages.
    for group in ("injection", "non_english"):
        right, total = result["groups"][group]
        assert right == total, {k: v for k, v in result["failures"].items()}


if __name__ == "__main__":
    outcome = evaluate(load_labelled())
    print("phrase classification (right/total):")
    for name, (right, total) in sorted(outcome["phrases"].items()):
        print(f"  {name:15s} {right:3d}/{total:<3d} {right / total:6.1%}")
    print(f"  {'all':15s} {_accuracy(outcome['phrases']):6.1%}")
    print("prompt checks passed (per group):")
    for name, (right, total) in sorted(outcome["groups"].items()):
        print(f"  {name:15s} {right:3d}/{total:<3d} {right / total:6.1%}")
    print(f"  {'all':15s} {_accuracy(outcome['groups']):6.1%}")
    for key, failed in outcome["failures"].items():
        print(f"  FAIL {key}: {'; '.join(failed)}")
