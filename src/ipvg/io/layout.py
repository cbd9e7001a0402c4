"""The ONE reader of ipvg's input layouts, used by batch, eval and prompt decoupling.

Challenge layout (IPVG, ACM MM 2025): `TESTSET/idNNN/{image.png|image.webp, prompt1.txt .. prompt5.txt}`
in, `SUBMISSION/idNNN/promptN.mp4` out (`submission_video`). Pairs file: one row per video with
`face` and `prompt` (and optionally `id` and `name`); relative face paths are read from the file's
folder. Reading never raises for one bad entry: the problem is recorded (`Dataset.problems`; those
that spoil no item are `Dataset.notices`, which callers print), the items it spoils are marked
invalid, and the rest go on.

    read_dataset(source) -> Dataset        # a folder or a .csv/.jsonl, by what `source` is
    read_testset(folder) -> Dataset        # the challenge layout
    read_pairs(file) -> Dataset            # a CSV/JSONL pairs file
    submission_video(root, identity, name) -> Path   # where an item's video goes (checked names)
    find_reference(identity_dir) -> Path | None      # image.png | .webp | .jpg of one identity
    read_prompt_file(path) -> (text, None) | (None, why it is unusable)
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipvg.errors import BadInputError, PromptError
from ipvg.inputs import clean_prompt

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

def unsafe_name_reason(name: str) -> str | None:
    """Why `name` cannot be a folder or file name of the submission, or None if it can."""
    if not SAFE_NAME.fullmatch(name):  # `match` with `$` let a trailing newline through
        return (
            f"{name!r} is not a safe name: use letters, digits, '.', '_' and '-' only, "
            "starting with a letter or digit (at most 128 characters)"
        )
    if ".." in name:
        return f"{name!r} contains '..'"
    return None


@dataclass(frozen=True)
class LayoutItem:
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
    #            | bad_row
    item_ids: tuple[str, ...] = ()

    @property
    def is_notice(self) -> bool:
        """A problem that spoils no item (a stray file, a duplicate or unreadable row, an identity
        without prompts): reported, never dropped without a word."""
        return not self.item_ids

    def one_line(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Dataset:
    """The items read from a test set or pairs file, plus every problem met while reading."""

    source: Path
    layout: str  # "challenge" | "csv" | "jsonl"
    items: list[LayoutItem] = field(default_factory=list)
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


def submission_video(root: str | Path, identity: str, name: str) -> Path:
    """`ROOT/IDENTITY/NAME.mp4`, the challenge's submission layout (names must be safe)."""
    for part in (identity, name):
        reason = unsafe_name_reason(part)
        if reason:
            raise BadInputError(f"Cannot name a video after {part!r}: {reason}.", "rename the input.")
    return Path(root) / identity / f"{name}.mp4"


def find_reference(identity_dir: Path) -> Path | None:
    """The reference face photo of one identity folder (first of `IMAGE_NAMES` that exists)."""
    return next((identity_dir / name for name in IMAGE_NAMES if (identity_dir / name).is_file()), None)


IMAGE_NAMES = ("image.png", "image.webp", "image.jpg", "image.jpeg")
PROMPT_FILE = re.compile(r"^(prompt\d+)\.txt$")
PAIRS_SUFFIXES = (".csv", ".jsonl")


def read_dataset(source: str | Path) -> Dataset:
    """A challenge test-set folder or a `.csv`/`.jsonl` pairs file, by what `source` is."""
    path = Path(source).expanduser()
    if path.is_dir():
        return read_testset(path)
    if path.is_file() and path.suffix.lower() in PAIRS_SUFFIXES:
        return read_pairs(path)
    if not path.exists():
        raise BadInputError(
            f"Test set not found: {path}.",
            "pass a folder of idNNN/ sub-folders, or a .csv/.jsonl pairs file.",
        )
    raise BadInputError(
        f"{path} is neither a test-set folder nor a .csv/.jsonl file.",
        "pass a folder of idNNN/ sub-folders (image.png + prompt1.txt ..), or a pairs file with face,prompt columns.",
    )


def read_prompt_file(path: Path) -> tuple[str | None, str | None]:
    """(cleaned prompt, None) or (None, why it is unusable)."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    except OSError as error:
        return None, f"cannot be read ({error.strerror or error})"
    if not raw.strip():
        return None, "is empty"
    try:
        return clean_prompt(raw), None
    except PromptError as error:
        return None, error.message


def read_testset(folder: str | Path) -> Dataset:
    """Every `idNNN/promptK.txt` of a challenge test set, with its identity's reference photo."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise BadInputError(
            f"Test set folder not found: {root}.", "pass the folder that holds idNNN/ folders."
        )
    dataset = Dataset(source=root, layout="challenge")
    for entry in sorted(root.iterdir(), key=lambda p: natural_key(p.name)):
        if not entry.is_dir():
            dataset.problems.append(
                Problem(str(entry), "unexpected file in the test-set folder (ignored)", "unexpected")
            )
            continue
        _read_identity(entry, dataset)
    _check_not_empty(dataset)
    return dataset


def _read_identity(folder: Path, dataset: Dataset) -> None:
    identity = folder.name
    prompt_files: list[tuple[str, Path]] = []
    for entry in sorted(folder.iterdir(), key=lambda p: natural_key(p.name)):
        match = PROMPT_FILE.match(entry.name)
        if match and entry.is_file():
            prompt_files.append((match.group(1), entry))
        elif entry.name not in IMAGE_NAMES:
            dataset.problems.append(
                Problem(str(entry), "unexpected entry in an identity folder (ignored)", "unexpected")
            )
    if not prompt_files:
        dataset.problems.append(
            Problem(str(folder), "no prompt1.txt .. promptN.txt files: nothing to generate", "no_prompts")
        )
        return
    item_ids = tuple(f"{identity}/{name}" for name, _ in prompt_files)
    unsafe = unsafe_name_reason(identity)
    if unsafe:
        dataset.add_invalid(Problem(str(folder), f"identity folder {unsafe}", "unsafe_id", item_ids))
        return
    images = [folder / name for name in IMAGE_NAMES if (folder / name).is_file()]
    if not images:
        dataset.add_invalid(
            Problem(
                str(folder),
                f"no reference photo (expected one of {', '.join(IMAGE_NAMES)})",
                "missing_image",
                item_ids,
            )
        )
        return
    if len(images) > 1:
        dataset.problems.append(
            Problem(str(folder), f"several reference photos; using {images[0].name}", "unexpected")
        )
    for name, path in prompt_files:
        prompt, why = read_prompt_file(path)
        if prompt is None:
            reason = "empty_prompt" if why == "is empty" else "bad_prompt"
            dataset.add_invalid(Problem(str(path), f"prompt file {why}", reason, (f"{identity}/{name}",)))
            continue
        dataset.items.append(LayoutItem(identity, name, images[0], prompt, source=str(path)))


def _check_not_empty(dataset: Dataset) -> None:
    if dataset.items or dataset.invalid:
        return
    hint = (
        "the folder must hold idNNN/ folders, each with image.png (or .webp) and prompt1.txt .. prompt5.txt."
        if dataset.layout == "challenge"
        else "each row needs a face path and a prompt."
    )
    details = "; ".join(problem.one_line() for problem in dataset.problems[:5])
    raise BadInputError(f"No items found in {dataset.source}{': ' + details if details else ''}.", hint)


# --- pairs files --------------------------------------------------------------------------------


def _pair_rows(path: Path) -> list[tuple[str, dict[str, Any] | None, str | None]]:
    """(where, row, error) for every row of a CSV (header face,prompt[,id,name]) or JSONL file."""
    rows: list[tuple[str, dict[str, Any] | None, str | None]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(f"Cannot read {path}: {error}.", "pass a UTF-8 .csv or .jsonl file.") from None
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                rows.append((f"{path}:{number}", None, f"not JSON ({error.msg})"))
                continue
            if not isinstance(row, dict):
                rows.append((f"{path}:{number}", None, "not a JSON object"))
                continue
            rows.append((f"{path}:{number}", row, None))
        return rows
    reader = csv.DictReader(text.splitlines())
    columns = {name.strip().lower() for name in reader.fieldnames or []}
    if not {"face", "prompt"} <= columns:
        raise BadInputError(
            f"{path} has columns {sorted(columns)}; `face` and `prompt` are required.",
            "add a header line such as `face,prompt` (optional columns: id, name).",
        )
    for number, row in enumerate(reader, start=2):
        clean = {(key or "").strip().lower(): value for key, value in row.items()}
        rows.append((f"{path}:{number}", clean, None))
    return rows


def read_pairs(file: str | Path) -> Dataset:
    """Items from a `.csv` or `.jsonl` of face,prompt pairs; `id` (default: one per distinct face,
    id001, id002, ..) and `name` (default: prompt1, prompt2, .. per id) name the output video."""
    path = Path(file).expanduser()
    dataset = Dataset(source=path, layout=path.suffix.lower().lstrip("."))
    identity_of_face: dict[Path, str] = {}
    count_per_identity: dict[str, int] = {}
    seen: set[str] = set()
    for where, row, error in _pair_rows(path):
        if row is None:
            dataset.problems.append(Problem(where, f"row skipped: {error}", "bad_row"))
            continue
        # JSON gives any type: a list or object is never stringified into a path, id or prompt.
        wrong = [
            f"`{key}` is a {type(row[key]).__name__}, not text"
            for key, allowed in (("face", (str,)), ("id", (str, int)), ("name", (str, int)), ("prompt", (str,)))
            if row.get(key) is not None and (not isinstance(row[key], allowed) or isinstance(row[key], bool))
        ]
        if wrong:
            dataset.problems.append(Problem(where, f"row skipped: {'; '.join(wrong)}", "bad_row"))
            continue
        face_text = str(row.get("face") or "").strip()
        face = path.parent / Path(face_text).expanduser() if face_text else None
        identity = str(row.get("id") or "").strip()
        if not identity and face is not None:
            identity = identity_of_face.setdefault(face.resolve(), f"id{len(identity_of_face) + 1:03d}")
        count_per_identity[identity] = count_per_identity.get(identity, 0) + 1
        name = str(row.get("name") or "").strip()
        if name.lower().endswith(".mp4"):  # `name: prompt1.mp4` means the video prompt1.mp4, not prompt1.mp4.mp4
            name = name[: -len(".mp4")]
        name = name or f"prompt{count_per_identity[identity]}"
        item_id = f"{identity}/{name}"
        unsafe = unsafe_name_reason(identity) or unsafe_name_reason(name)
        if unsafe:
            # Reported and kept out of every path: the id is only ever a manifest key.
            dataset.add_invalid(Problem(where, f"id/name {unsafe}", "unsafe_id", (item_id,)))
            continue
        if item_id in seen:
            dataset.problems.append(Problem(where, f"duplicate id/name {item_id!r}; row skipped", "duplicate"))
            continue
        seen.add(item_id)
        if face is None or not face.is_file():
            what = "no `face` given" if face is None else f"face photo not found: {face}"
            dataset.add_invalid(Problem(where, what, "missing_image", (item_id,)))
            continue
        prompt_raw = str(row.get("prompt") or "")
        try:
            prompt = clean_prompt(prompt_raw)
        except PromptError as error:
            reason = "empty_prompt" if not prompt_raw.strip() else "bad_prompt"
            dataset.add_invalid(Problem(where, error.message, reason, (item_id,)))
            continue
        dataset.items.append(LayoutItem(identity, name, face, prompt, source=where))
    _check_not_empty(dataset)
    return dataset
