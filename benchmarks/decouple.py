"""Score a prompt decoupler on the annotated development set (issue 13), written as JSON.

Usage:
  python benchmarks/decouple.py [--backend rules] [--split heldout|dev|dev2..dev6|all] [--option KEY=VALUE ...]
                                [--data benchmarks/data/decouple_dev_set.jsonl] [--output FILE.json]

Writes benchmarks/results/decouple-<label>-<split>.json: the pass rate overall and per check
(must-keep content, no motion in the spatial prompt, actions kept, framing, 77 CLIP tokens, subject
first, no fragments; see `ipvg.prompts.check`), the CLIP counter used, and every failure with both
prompts. The subject is left to each backend (read from the prompt), as `ipvg decouple` does without
--face. Tune only on `dev`; report `heldout`.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / "benchmarks" / "data" / "decouple_dev_set.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="rules")
    parser.add_argument("--model", default=None)
    parser.add_argument("--option", action="append", default=[], help="backend option KEY=VALUE")
    parser.add_argument("--split", default="heldout", choices=("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "heldout", "all"))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--label", default=None, help="name in the output file (default: the backend)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    from ipvg.cli.decouple import parse_options
    from ipvg.config import PromptsConfig
    from ipvg.prompts import create_prompt_backend
    from ipvg.prompts.check import load_annotations, run_check, summarise
    from ipvg.prompts.clip_vocab import clip_counter_name

    items = load_annotations(args.data, None if args.split == "all" else args.split)
    backend = create_prompt_backend(
        PromptsConfig(backend=args.backend, model=args.model, options=parse_options(args.option))
    )
    start = time.perf_counter()
    results = run_check(backend, items)
    seconds = time.perf_counter() - start
    label = args.label or args.backend
    payload = {
        "benchmark": "decouple",
        "backend": args.backend,
        "label": label,
        "split": args.split,
        "data": str(args.data.relative_to(REPO) if args.data.is_relative_to(REPO) else args.data),
        "commit": _commit(),
        "clip_counter": clip_counter_name(),
        "python": platform.python_version(),
        "seconds": round(seconds, 2),
        **summarise(results),
        "failures": [r.to_dict() for r in results if not r.passed],
    }
    out = args.output or REPO / "benchmarks" / "results" / f"decouple-{label}-{args.split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rates = payload["per_check_pass_rate"]
    print(
        f"{label} on {args.split}: {payload['passed']}/{payload['prompts']} pass "
        f"({100 * payload['pass_rate']:.1f}%), fragments in {payload['with_fragments']}; "
        + ", ".join(f"{k} {100 * v:.0f}%" for k, v in rates.items())
        + f" -> {out}"
    )
    return 0


def _commit() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
