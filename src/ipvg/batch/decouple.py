"""The prompt-decoupling step as its own pass (`ipvg batch --decouple-only`).

Run it once, with the prompts backend pointed at one LLM server, before the video workers start:
it writes `_ipvg/prompts.jsonl` (one line per item: id, input sha256, the spatial and temporal
prompts), and every later `ipvg batch` run on that folder hands each worker its item's prompts, so
no worker loads an LLM. Lines are keyed by the item's input fingerprint: an edited prompt or photo
is decoupled again. Resumable like the main run: items already in the file are not redone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipvg.batch.items import Dataset, input_fingerprint
from ipvg.batch.runner import BatchProgress, SilentBatchProgress, load_prompts_files
from ipvg.batch.sharding import Shard
from ipvg.batch.work import classify_error
from ipvg.io.files import write_text_atomic
from ipvg.prompts.batch import BatchResult, PromptItem, decouple_many

# (prompt, face bytes, face file name) -> a DecoupledPrompt (anything with `to_dict()`)
Decoupler = Callable[[str, bytes, str], Any]
SAVE_EVERY = 16


@dataclass
class DecoupleSummary:
    decoupled: int = 0
    reused: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: float = 0.0
    path: Path | None = None


def prompts_path(state_dir: Path, shard: Shard) -> Path:
    return state_dir / f"prompts{shard.suffix}.jsonl"


def _save(path: Path, rows: dict[str, dict[str, Any]]) -> None:
    write_text_atomic(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows.values()))


def decouple_pass(
    dataset: Dataset,
    decouple: Decoupler,
    path: Path,
    *,
    shard: Shard | None = None,
    progress: BatchProgress | None = None,
) -> DecoupleSummary:
    """Decouple every valid item of `dataset` (this shard's) into `path`, keeping lines still valid."""
    progress = progress or SilentBatchProgress()
    started = time.perf_counter()
    summary = DecoupleSummary(path=path)
    existing = load_prompts_files([path]) if path.is_file() else {}
    items = {item.item_id: item for item in dataset.items}
    wanted = [i for i in (shard or Shard(0, 1)).select(dataset.all_item_ids()) if i in items]
    rows: dict[str, dict[str, Any]] = {}
    todo = []
    for item_id in wanted:
        item = items[item_id]
        face_bytes = item.face_path.read_bytes()
        sha = input_fingerprint(face_bytes, item.prompt)
        if item_id in existing and existing[item_id][0] == sha:
            rows[item_id] = {"item_id": item_id, "input_sha": sha, "prompts": existing[item_id][1]}
            summary.reused += 1
        else:
            todo.append((item, face_bytes, sha))
    progress.start(len(todo))
    # The per-item loop is the one `ipvg decouple --input` runs (`ipvg.prompts.batch.decouple_many`).
    faces = {item.item_id: (face_bytes, item.face_path.name, sha) for item, face_bytes, sha in todo}
    done = 0

    def decouple_item(prompt_item: PromptItem, _subject: str | None) -> Any:
        face_bytes, face_name, _ = faces[prompt_item.id]
        return decouple(prompt_item.text, face_bytes, face_name)

    def on_done(result: BatchResult) -> None:
        nonlocal done
        done += 1
        item_id = result.item.id
        if result.record is None:
            summary.failures.append((item_id, result.reason or "error", result.error or ""))
            progress.advance(item_id, "failed", f"{result.reason}: {result.error}")
            return
        prompts = result.record
        rows[item_id] = {"item_id": item_id, "input_sha": faces[item_id][2], "prompts": prompts.to_dict()}
        summary.decoupled += 1
        progress.advance(item_id, "done", prompts.temporal[:60] if hasattr(prompts, "temporal") else "")
        if done % SAVE_EVERY == 0:
            _save(path, rows)

    try:
        decouple_many(
            None,
            [PromptItem(item.item_id, item.prompt, item.face_path) for item, _, _ in todo],
            decouple_item=decouple_item,
            classify=classify_error,
            on_done=on_done,
        )
    finally:
        _save(path, rows)
        progress.finish()
    summary.seconds = time.perf_counter() - started
    return summary
