"""Shared helpers for the benchmark scripts: timing with medians, JSON + markdown output."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

RESULTS = Path(__file__).resolve().parent / "results"


def synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def time_call(function: Callable[[], Any], *, repeats: int, warmup: int = 1) -> dict[str, Any]:
    """Median and spread of `repeats` timed calls after `warmup` untimed ones."""
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        function()
        synchronize()
        samples.append(time.perf_counter() - start)
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "samples_s": samples,
    }


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def write_results(
    name: str, payload: dict[str, Any], table: list[dict[str, Any]] | None = None, out: Path | None = None
) -> Path:
    out = out or RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    if table:
        out.with_suffix(".md").write_text(markdown_table(table, list(table[0])) + "\n")
    print(json.dumps(payload.get("summary", payload), indent=2, default=str))
    return out


def markdown_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A markdown table of `rows` (dicts) with these columns; missing values are empty cells."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
