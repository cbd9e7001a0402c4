"""Many prompts at once: reading prompt collections, a result cache, and atomic JSONL output.

Inputs: the IPVG challenge layout (`DIR/idNNN/promptN.txt`, with `image.png|webp|jpg` beside), any
folder of `.txt` files (one prompt per file), a `.txt` file (one prompt per line) or a `.jsonl` file
(`{"id": ..., "prompt": ...}` per line). The cache stores one JSON file per (prompt, subject, backend
settings) under `ipvg.weights.cache_dir()/prompts/`, so re-running a batch costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipvg.errors import BadInputError, IpvgError, OutputError
from ipvg.io.layout import find_reference, read_testset
from ipvg.types import DecoupledPrompt

MAX_PROMPT_FILE_BYTES = 1_000_000
_CHALLENGE_PROMPT = re.compile(r"^prompt\d+\.txt$", re.IGNORECASE)


@dataclass(frozen=True)
class PromptItem:
    """One prompt to decouple: an id for the output, its text, and its face photo if the layout has one."""

    id: str
    text: str
    image: Path | None = None


def read_prompt_items(path: str | Path) -> list[PromptItem]:
    """Every prompt under `path` (see module docstring), in a stable order."""
    source = Path(path).expanduser()
    if not source.exists():
        raise BadInputError(
            f"The prompt input {source} does not exist.", "pass a folder, a .txt file or a .jsonl file."
        )
    if source.is_dir():
        return _read_folder(source)
    if source.suffix.lower() == ".jsonl":
        return list(_read_jsonl(source))
    if source.suffix.lower() == ".txt":
        return [PromptItem(f"line{n}", line) for n, line in _read_lines(source) if line.strip()]
    raise BadInputError(
        f"Cannot read prompts from {source}.",
        "use a folder, a .txt file (one prompt per line) or a .jsonl file.",
    )


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_PROMPT_FILE_BYTES:
        raise BadInputError(
            f"The prompt file {path} is larger than 1 MB.",
            "split it, or pass a .txt with one prompt per line.",
        )
    return path.read_text(encoding="utf-8", errors="replace")


def _read_lines(path: Path) -> Iterator[tuple[int, str]]:
    yield from enumerate(_read_text(path).splitlines(), start=1)


def _read_jsonl(path: Path) -> Iterator[PromptItem]:
    for number, line in _read_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadInputError(
                f"Line {number} of {path} is not JSON ({error.msg}).", "write one JSON object per line."
            ) from None
        text = record.get("prompt", record.get("text")) if isinstance(record, dict) else None
        if not isinstance(text, str):
            raise BadInputError(
                f"Line {number} of {path} has no `prompt` string.",
                'write lines like {"id": "a", "prompt": "..."}.',
            )
        image = record.get("image") if isinstance(record.get("image"), str) else None
        yield PromptItem(str(record.get("id", f"line{number}")), text, Path(image) if image else None)


def _read_folder(folder: Path) -> list[PromptItem]:
    if any(_CHALLENGE_PROMPT.match(p.name) for p in folder.glob("*/*.txt")):
        return _read_challenge(folder)
    files = sorted(p for p in folder.rglob("*.txt") if p.is_file())
    if not files:
        raise BadInputError(
            f"No .txt prompt files under {folder}.",
            "use the challenge layout idNNN/promptN.txt or one prompt per .txt file.",
        )
    items = []
    for path in files:
        relative = path.relative_to(folder).with_suffix("")
        image = None
        if _CHALLENGE_PROMPT.match(path.name):
            image = find_reference(path.parent)
        items.append(PromptItem(relative.as_posix(), _read_text(path), image))
    return items


def _read_challenge(folder: Path) -> list[PromptItem]:
    """The challenge layout through the one layout reader (`ipvg.io.layout`, which `ipvg.batch.layouts`
    re-exports; prompts may not import batch, a later stage): ids idNNN/promptK.
    An identity without a photo still has its prompts decoupled (the subject then comes from the text)."""
    dataset = read_testset(folder)
    items = [PromptItem(item.item_id, item.prompt, item.face_path) for item in dataset.items]
    for item_id, problem in dataset.invalid.items():
        path = folder / f"{item_id}.txt"
        if problem.reason == "missing_image" and path.is_file():
            image = find_reference(path.parent)
            items.append(PromptItem(item_id, _read_text(path), image))
    order = {item_id: n for n, item_id in enumerate(dataset.all_item_ids())}
    return sorted(items, key=lambda item: order.get(item.id, len(order)))


# --- cache -----------------------------------------------------------------------------------------


class PromptCache:
    """Decoupled prompts on disk, keyed by prompt text, subject and the backend's settings."""

    def __init__(self, backend_key: dict[str, object], root: Path | None = None) -> None:
        from ipvg.weights import cache_dir

        self.root = root or cache_dir() / "prompts"
        self.backend_key = json.dumps(backend_key, sort_keys=True, default=str)

    def key(self, prompt: str, subject: str | None) -> str:
        material = json.dumps(
            {"prompt": prompt, "subject": subject, "backend": self.backend_key}, sort_keys=True
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, prompt: str, subject: str | None) -> DecoupledPrompt | None:
        path = self._path(self.key(prompt, subject))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return DecoupledPrompt(**{**data, "warnings": tuple(data.get("warnings", ()))})
        except (OSError, ValueError, TypeError):
            return None  # missing or damaged entries are recomputed

    def put(self, prompt: str, subject: str | None, record: DecoupledPrompt) -> None:
        path = self._path(self.key(prompt, subject))
        try:
            write_text_atomic(path, json.dumps(record.to_dict(), ensure_ascii=False))
        except OutputError:
            pass  # a read-only cache only costs speed


def write_text_atomic(path: Path, text: str) -> None:
    """Write beside `path` and rename, so readers never see half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise OutputError(
            f"Cannot write {path}: {error.strerror or error}.", "choose a writable output path."
        ) from None


# --- running ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    item: PromptItem
    record: DecoupledPrompt | None
    error: str | None = None
    cached: bool = False
    reason: str | None = None  # why it failed, e.g. "bad_prompt" (see `ipvg.batch.work.classify_error`)

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.item.id}
        if self.record is not None:
            row |= self.record.to_dict()
        else:
            row |= {"source": self.item.text, "error": self.error}
        return row


def decouple_many(
    backend: Any,
    items: Iterable[PromptItem],
    *,
    subject_for: Callable[[PromptItem], str | None] | None = None,
    cache: PromptCache | None = None,
    on_done: Callable[[BatchResult], None] | None = None,
    decouple_item: Callable[[PromptItem, str | None], Any] | None = None,
    classify: Callable[[BaseException], tuple[str, bool]] | None = None,
) -> list[BatchResult]:
    """Decouple every item; a bad prompt is reported in its row and does not stop the batch.

    The one per-item loop of both batch paths (`ipvg decouple --input` and `ipvg batch
    --decouple-only`): `decouple_item(item, subject)` replaces `backend.decouple` (the batch pass
    decouples through its pipeline, with the item's face), and `classify(error) -> (reason, fatal)`
    decides which errors end the batch (missing weights) and which only fail their item. Without
    `classify`, our own errors fail their item and anything else propagates."""
    results = []
    for item in items:
        try:
            subject = subject_for(item) if subject_for else None
            record = cache.get(item.text, subject) if cache else None
            cached = record is not None
            if record is None:
                record = (
                    decouple_item(item, subject) if decouple_item else backend.decouple(item.text, subject=subject)
                )
                if cache:
                    cache.put(item.text, subject, record)
            result = BatchResult(item, record, cached=cached)
        except Exception as error:
            reason, fatal = classify(error) if classify else ("bad_input", not isinstance(error, IpvgError))
            if fatal:
                raise
            message = error.one_line() if isinstance(error, IpvgError) else f"{type(error).__name__}: {error}"
            result = BatchResult(item, None, error=message, reason=reason)
        results.append(result)
        if on_done:
            on_done(result)
    return results


def write_jsonl(path: str | Path, results: Iterable[BatchResult]) -> Path:
    target = Path(path).expanduser()
    lines = [json.dumps(r.to_json(), ensure_ascii=False) for r in results]
    write_text_atomic(target, "\n".join(lines) + ("\n" if lines else ""))
    return target
