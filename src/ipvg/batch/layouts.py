"""Read a batch's items: the challenge's test-set folder, or a CSV/JSONL file of face,prompt pairs.

The reading itself lives in `ipvg.io.layout`, the one reader shared by batch, eval and prompt
decoupling; this module keeps the batch package's names for it.
"""

from __future__ import annotations

from ipvg.io.layout import (
    IMAGE_NAMES,
    PAIRS_SUFFIXES,
    PROMPT_FILE,
    find_reference,
    read_dataset,
    read_pairs,
    read_testset,
    submission_video,
)

__all__ = [
    "IMAGE_NAMES",
    "PAIRS_SUFFIXES",
    "PROMPT_FILE",
    "find_reference",
    "read_dataset",
    "read_pairs",
    "read_testset",
    "submission_video",
]
