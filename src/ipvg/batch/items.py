"""What one batch is made of: items (face + prompt -> one video), problems found while reading them,
per-item seeds and the output paths they map to.

An item's id is `IDENTITY/NAME` (challenge: `id001/prompt3`); its video goes to
`SUBMISSION/IDENTITY/NAME.mp4`. Both parts are checked against `SAFE_NAME` before any path is
built from them, so no input can make ipvg write outside the output folder.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ipvg.errors import OutputError

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
SEED_RANGE = 2**31  # torch and numpy both accept seeds below 2**31 on every platform


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` cannot be a folder or file name of the submission, or None if it can."""
    if not SAFE_NAME.match(name):
        return (
            f"{name!r} is not a safe name: use letters, digits, '.', '_' and '-' only, "
            "starting with a letter or digit (at most 128 characters)"
        )
    if ".." in name:
        return f"{name!r} contains '..'"
    return None


@dataclass(frozen=True)
class BatchItem:
    """One video to make: the face photo, the prompt text, and where the result goes."""

    identity: str
    name: str
    face_path: Path
    prompt: str
    source: str = ""  # where the item was read from (file, or file:line), for messages

    @property
    def item_id(self) -> str:
        return f"{self.identity}/{self.name}"


@dataclass(frozen=True)
class Problem:
    """Something wrong or unexpected in the input. `item_ids` lists the items it invalidates
    (empty for notices such as an unexpected file, which is reported and ignored)."""

    where: str
    message: str
    reason: str  # missing_image | empty_prompt | bad_prompt | unsafe_id | duplicate | unexpected | no_prompts
    item_ids: tuple[str, ...] = ()

    @property
    def is_notice(self) -> bool:
        return not self.item_ids and self.reason == "unexpected"

    def one_line(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Dataset:
    """The items read from a test set or pairs file, plus every problem met while reading."""

    source: Path
    layout: str  # "challenge" | "csv" | "jsonl"
    items: list[BatchItem] = field(default_factory=list)
    invalid: dict[str, Problem] = field(default_factory=dict)  # item id -> why it cannot run
    problems: list[Problem] = field(default_factory=list)

    @property
    def notices(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_notice]

    def all_item_ids(self) -> list[str]:
        """Valid and invalid item ids in a stable natural order (the order shards are cut in)."""
        return sorted({item.item_id for item in self.items} | set(self.invalid), key=natural_key)

    def add_invalid(self, problem: Problem) -> None:
        self.problems.append(problem)
        for item_id in problem.item_ids:
            self.invalid.setdefault(item_id, problem)


def natural_key(text: str) -> tuple[object, ...]:
    """Sort `id2` before `id10` and `prompt2` before `prompt10`."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text))


def item_seed(base_seed: int, item_id: str) -> int:
    """A seed per item from the run's base seed and the item id alone: the same item gets the same
    seed whichever worker, shard or attempt runs it, so 1 and N workers give the same videos."""
    digest = hashlib.sha256(f"ipvg-batch:{base_seed}:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEED_RANGE


def input_fingerprint(face_bytes: bytes, prompt: str) -> str:
    """sha256 of an item's inputs: a changed photo or prompt makes a done item due again."""
    digest = hashlib.sha256()
    digest.update(hashlib.sha256(face_bytes).digest())
    digest.update(prompt.encode("utf-8"))
    return digest.hexdigest()


def contained_path(root: Path, *parts: str) -> Path:
    """`root/parts...`, refusing names that are unsafe or resolve outside `root` (e.g. through a
    symlinked folder)."""
    for part in parts:
        reason = unsafe_name_reason(part.removesuffix(".mp4"))
        if reason:
            raise OutputError(f"Refusing to write {part!r} under {root}: {reason}.", "rename the input.")
    path = root.joinpath(*parts)
    resolved_root = root.resolve()
    if not path.resolve().is_relative_to(resolved_root):
        raise OutputError(
            f"{path} resolves to {path.resolve()}, outside the output folder {resolved_root}.",
            "remove the symlink from the output folder, or choose another --out.",
        )
    return path
