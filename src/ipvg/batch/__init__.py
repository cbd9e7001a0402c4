"""Batch generation over a whole test set: resumable, sharded, scaled out on Ray.

- `layouts`: the challenge test-set folder and CSV/JSONL pairs files -> `Dataset` of `BatchItem`s
- `manifest`: SQLite (WAL) item states and event log, so a re-run resumes
- `work`: the "generate one item" seam (`ItemGenerator`, `run_item`, `PipelineGenerator`)
- `executors`: in-process or Ray actors (one per GPU, each holding its loaded pipeline)
- `runner`: plan, dispatch, atomic commit, summary; `sharding`: `--shard I/N`
- `decouple`: the prompt-decoupling pass; `api`: `run_batch`, `decouple_batch`
"""

from __future__ import annotations

from ipvg.batch.api import config_settings, decouple_batch, make_executor, run_batch
from ipvg.batch.items import BatchItem, Dataset, Problem, item_seed
from ipvg.batch.layouts import read_dataset, read_pairs, read_testset
from ipvg.batch.runner import BatchOptions, BatchRunner, BatchSummary
from ipvg.batch.sharding import Shard, parse_shard
from ipvg.batch.work import ItemGenerator, ItemOutcome, ItemRequest, PipelineGenerator, run_item

__all__ = [
    "BatchItem",
    "BatchOptions",
    "BatchRunner",
    "BatchSummary",
    "Dataset",
    "ItemGenerator",
    "ItemOutcome",
    "ItemRequest",
    "PipelineGenerator",
    "Problem",
    "Shard",
    "config_settings",
    "decouple_batch",
    "item_seed",
    "make_executor",
    "parse_shard",
    "read_dataset",
    "read_pairs",
    "read_testset",
    "run_batch",
    "run_item",
]
