"""The `rules` decoupler on the first round's hand-labelled prompts (camera moves, two people,
negations, very long, one word, non-English, prompt injection, ...), kept as regression tests:
`labelled_prompts.jsonl` (51 prompts, written with the first decoupler and used to tune it) and
`labelled_prompts_heldout.jsonl` (16 prompts written after that tuning).

Scored by prompt checks per group (spatial/temporal must/must-not contain, the temporal start, expected
warnings). The first round also scored a phrase classifier (`prompts.phrases`), which the rebuilt
decoupler no longer uses; it was removed with its test. In session 3 five expected starts changed
from "A person, a chef" to "A chef" (the issue lists "A person, a golfer" as a wrong output).
Run `python tests/prompts/test_labelled.py` to print the table.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from ipvg.prompts.rules import RulesBackend

DATA = Path(__file__).parent / "data"
FILES = ("labelled_prompts.jsonl", "labelled_prompts_heldout.jsonl")


def load_labelled(names: tuple[str, ...] = FILES) -> list[dict]:
    lines = [line for name in names for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return [json.loads(line) for line in lines if line.strip()]


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
    group_scores: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures: dict[str, list[str]] = {}
    for item in items:
        record = backend.decouple(item["prompt"], subject=item.get("subject"))
        failed = prompt_checks(item, record)
        group_scores[item["group"]][0] += not failed
        group_scores[item["group"]][1] += 1
        if failed:
            failures[item["id"]] = failed
    return {"groups": dict(group_scores), "failures": failures}


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


def test_prompt_checks_pass_rate() -> None:
    result = evaluate(load_labelled())
    # 66 of 67 pass today (the one failure: "A woman and her dog run" keeps "run"); a drop below 95%
    # means a rule broke prompts it used to handle.
    assert _accuracy(result["groups"]) >= 0.95, result["failures"]
    # Safety-critical groups must be perfect: injected text and unreadable languages.
    for group in ("injection", "non_english"):
        right, total = result["groups"][group]
        assert right == total, {k: v for k, v in result["failures"].items()}


if __name__ == "__main__":
    outcome = evaluate(load_labelled())
    print("prompt checks passed (per group):")
    for name, (right, total) in sorted(outcome["groups"].items()):
        print(f"  {name:15s} {right:3d}/{total:<3d} {right / total:6.1%}")
    print(f"  {'all':15s} {_accuracy(outcome['groups']):6.1%}")
    for key, failed in outcome["failures"].items():
        print(f"  FAIL {key}: {'; '.join(failed)}")
