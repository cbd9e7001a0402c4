"""`--shard I/N`: split a batch between N independent processes (e.g. a SLURM job array) without Ray.

Shard I takes every N-th item of the natural-sorted item ids, starting at the I-th (0-based), so
shards are balanced and disjoint and the split only depends on the test set. Each shard keeps its
own manifest file, so shards never contend for one SQLite file (network filesystems lock poorly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ipvg.errors import ConfigError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ConfigError(
                f"`--shard {self.index}/{self.count}` is out of range: I must satisfy 0 <= I < N.",
                "with a SLURM array --array=0-7 pass --shard ${SLURM_ARRAY_TASK_ID}/8.",
            )

    def select(self, item_ids: list[str]) -> list[str]:
        """This shard's items from the full, sorted list."""
        return item_ids[self.index :: self.count]

    @property
    def suffix(self) -> str:
        """File-name suffix of this shard's manifest and summary ("" for the whole set)."""
        return "" if self.count == 1 else f"-shard{self.index}of{self.count}"


def parse_shard(text: str | None) -> Shard:
    """`"I/N"` -> Shard(I, N); None or "" -> the whole set."""
    if not text:
        return Shard(0, 1)
    match = _SHARD.match(text)
    if not match:
        raise ConfigError(
            f"`--shard {text}` is not I/N.", "write it like --shard 0/4 (shard 0 of 4; I counts from 0)."
        )
    return Shard(int(match.group(1)), int(match.group(2)))
