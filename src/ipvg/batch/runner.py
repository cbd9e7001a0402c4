"""The resumable batch runner: plan from the manifest, hand items to an executor, commit results.

Output folder layout (`--out SUBMISSION`):

    SUBMISSION/idNNN/promptN.mp4              the challenge submission: only mp4 files in idNNN/
    SUBMISSION/_ipvg/manifest.sqlite          item states (manifest-shardIofN.sqlite per shard)
    SUBMISSION/_ipvg/records/idNNN/promptN/   record.json, report.html, first_frame.png,
                                              candidates/, batch.json, video.mp4 -> the mp4 (link)
    SUBMISSION/_ipvg/prompts.jsonl            decoupled prompts from `--decouple-only` (optional)
    SUBMISSION/_ipvg/summary.json             the last run's summary

Commit order per item: the record folder is staged and renamed into place, then the mp4 is written
atomically, then the manifest says `done`. A crash between the last two leaves an mp4 whose
`batch.json` names its sha256, so the next run adopts it instead of producing it twice.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ipvg.batch.executors import Executor
from ipvg.batch.items import BatchItem, Dataset, contained_path, input_fingerprint, item_seed, natural_key
from ipvg.batch.manifest import ItemState, Manifest, ManifestLock
from ipvg.batch.sharding import Shard
from ipvg.batch.work import VIDEO_FILE, ItemOutcome, ItemRequest
from ipvg.errors import BadInputError, OutputError
from ipvg.io.files import ensure_writable_dir, write_bytes_atomic, write_json_atomic

STATE_DIR_NAME = "_ipvg"
BATCH_FILE = "batch.json"


def default_state_dir(out_dir: Path, state_dir: Path | None = None) -> Path:
    """Where a batch keeps its manifest, records and reports: `--state-dir`, else OUT/_ipvg."""
    return (
        Path(state_dir).expanduser() if state_dir is not None else Path(out_dir).expanduser() / STATE_DIR_NAME
    )


@dataclass(frozen=True)
class BatchOptions:
    out_dir: Path
    settings: dict[str, str]  # what must not change between resumed runs (config hash, base seed)
    base_seed: int = 0
    max_attempts: int = 3
    oom_retry: bool = True
    shard: Shard = field(default_factory=lambda: Shard(0, 1))
    limit: int | None = None  # at most this many items generated in this run
    prompts: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # id -> (input sha, prompts)
    state_root: Path | None = None  # manifest, records, reports (default: OUT/_ipvg)

    @property
    def state_dir(self) -> Path:
        return default_state_dir(self.out_dir, self.state_root)

    @property
    def staging_dir(self) -> Path:
        """Per shard: shards share the output folder, and each clears only its own staging."""
        return self.state_dir / f"staging{self.shard.suffix}"

    @property
    def manifest_path(self) -> Path:
        return self.state_dir / f"manifest{self.shard.suffix}.sqlite"


@dataclass
class BatchSummary:
    total: int = 0  # items in this shard, valid or not
    done_now: int = 0
    skipped_done: int = 0  # already done before this run (or adopted from a crashed run)
    failed_now: int = 0
    gave_up: int = 0  # failed earlier with no attempts left: not retried
    invalid: int = 0  # bad input: never attempted
    not_run: int = 0  # still pending (--limit, or the run stopped early)
    reasons: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (item id, reason, message)
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    executor: str = "local"
    fatal: str | None = None  # why the run stopped early, if it did

    @property
    def items_per_minute(self) -> float:
        return 60.0 * self.done_now / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.fatal is None and not (self.failed_now or self.gave_up or self.invalid or self.not_run)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"items_per_minute": self.items_per_minute, "ok": self.ok}


class BatchProgress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, item_id: str, state: str, message: str) -> None: ...

    def note(self, text: str) -> None: ...

    def finish(self) -> None: ...


class SilentBatchProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, item_id: str, state: str, message: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def finish(self) -> None:
        pass


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class BatchRunner:
    """Runs one dataset (or one shard of it) to completion, resuming from the manifest."""

    def __init__(
        self,
        dataset: Dataset,
        executor: Executor,
        options: BatchOptions,
        progress: BatchProgress | None = None,
    ) -> None:
        self.dataset = dataset
        self.executor = executor
        self.options = options
        self.progress = progress or SilentBatchProgress()
        self.items = {item.item_id: item for item in dataset.items}
        self.out_dir = options.out_dir
        self._face_bytes: dict[Path, bytes] = {}
        self._queue: collections.deque[tuple[BatchItem, bool]] = collections.deque()
        self._in_flight: dict[str, tuple[BatchItem, ItemRequest]] = {}
        self._summary = BatchSummary()
        self._fatal: str | None = None
        self._attempted: set[str] = set()

    # --- the run, step by step ----------------------------------------------------------------

    def run(self) -> BatchSummary:
        started = time.perf_counter()
        summary = self._summary
        summary.workers, summary.executor = self.executor.num_workers, self.executor.name
        summary.notices = [problem.one_line() for problem in self.dataset.notices]
        # 1. Check the output folder: writable, not inside the test set; a staging folder that is
        #    not ours refused before anything is created
        _clear_staging(self.options.staging_dir, check_only=True)
        if self.options.state_dir.exists() and not self.options.state_dir.is_dir():
            raise OutputError(
                f"The --state-dir path {self.options.state_dir} exists and is not a folder.",
                "choose another --state-dir.",
            )
        self._check_output_folder()
        state_dir = ensure_writable_dir(self.options.state_dir)
        lock = ManifestLock(self.options.manifest_path)
        lock.acquire()
        _clear_staging(self.options.staging_dir)  # left by a killed run
        ensure_writable_dir(self.options.staging_dir)
        (self.options.staging_dir / STAGING_MARKER).touch()
        manifest = self.manifest = Manifest(self.options.manifest_path)
        try:
            manifest.check_meta(
                self.options.settings,
                fix=f"use a new --out folder, or delete {self.options.manifest_path} to start over.",
            )
            # 2. This shard's items into the manifest; bad inputs recorded as invalid
            item_ids = self.options.shard.select(self.dataset.all_item_ids())
            summary.total = len(item_ids)
            self._sync(item_ids)
            # 3. Reconcile with what is on disk: interrupted items, outputs made but not recorded
            due = self._reconcile(item_ids)
            if self.options.limit is not None:
                due = due[: self.options.limit]
            self._queue.extend((self.items[item_id], False) for item_id in due)
            # 4. Generate: the executor pulls requests as workers free up
            self.progress.start(len(due))
            try:
                self.executor.run(self._next_request, self._on_outcome)
            finally:
                self._release_in_flight()
                self.progress.finish()
            # 5. Summary, from the manifest's final states
            self._summarise(item_ids, time.perf_counter() - started)
            write_json_atomic(state_dir / f"summary{self.options.shard.suffix}.json", summary.to_dict())
        finally:
            _clear_staging(self.options.staging_dir)
            manifest.close()
            lock.release()
        return summary

    def _check_output_folder(self) -> None:
        """Neither the output nor the state folder may lie in the test set (its folders would change)."""
        source = self.dataset.source.expanduser().resolve()
        source_dir = source if source.is_dir() else source.parent
        for flag, folder in (("--out", self.out_dir), ("--state-dir", self.options.state_dir)):
            resolved = folder.expanduser().resolve()
            if resolved == source_dir or (
                self.dataset.layout == "challenge" and resolved.is_relative_to(source_dir)
            ):
                raise BadInputError(
                    f"The {flag} folder {resolved} is inside the test set {source_dir}.",
                    f"choose a {flag} folder outside the test set, e.g. ./submission.",
                )
        ensure_writable_dir(self.out_dir)

    def _sync(self, item_ids: list[str]) -> None:
        """New items become pending; invalid ones are marked (again) with why; fixed ones become pending."""
        states = self.manifest.states()
        for item_id in item_ids:
            item = self.items.get(item_id)
            identity, _, name = item_id.rpartition("/")
            self.manifest.ensure_item(
                item_id,
                identity,
                name,
                face=str(item.face_path) if item else None,
                prompt=item.prompt if item else None,
            )
            problem = self.dataset.invalid.get(item_id)
            previous = states.get(item_id)
            if problem is not None:
                if previous is None or previous.state != "invalid" or previous.message != problem.one_line():
                    self.manifest.set_state(
                        item_id, "invalid", "invalid", reason=problem.reason, message=problem.one_line()
                    )
            elif previous is not None and previous.state == "invalid":
                self.manifest.set_state(item_id, "pending", "input_fixed", reason=None, message=None)

    def _reconcile(self, item_ids: list[str]) -> list[str]:
        """Fix states left by an earlier run, then return the ids due in this run, in order."""
        due: list[str] = []
        for item_id, state in ((i, self.manifest.get(i)) for i in item_ids):
            item = self.items.get(item_id)
            if item is None or state is None or state.state == "invalid":
                continue
            input_sha = self._input_sha(item)
            self._remove_partial_video(item)
            if state.state == "running":  # the process died during this item (SIGKILL, power loss)
                # Not the item's failure: the attempt does not count against --max-attempts.
                self.manifest.uncount_attempt(item_id)
                self.manifest.set_state(
                    item_id,
                    "pending",
                    "interrupted",
                    reason="interrupted",
                    message="the run stopped while this item was being generated",
                )
                state = self.manifest.get(item_id)
            assert state is not None
            video = self.video_path(item)
            if state.state == "done":
                if input_sha != state.input_sha:
                    self.manifest.set_state(item_id, "pending", "input_changed")
                elif not video.is_file():
                    self.manifest.set_state(item_id, "pending", "output_missing")
                else:
                    continue
            elif self._adoptable(item, input_sha):
                self.manifest.set_state(
                    item_id,
                    "done",
                    "adopted",
                    reason=None,
                    message=None,
                    input_sha=input_sha,
                    video_sha=sha256_file(video),
                )
                continue
            state = self.manifest.get(item_id)
            assert state is not None
            if state.state == "failed" and state.attempts >= self.options.max_attempts:
                continue  # counted as given up in the summary
            due.append(item_id)
        return sorted(due, key=natural_key)

    def _remove_partial_video(self, item: BatchItem) -> None:
        """A process killed while writing an mp4 leaves its temporary file (`.NAME.*.tmp.mp4`, see
        `atomic_path`) beside it; items belong to one shard, so this never touches another's."""
        folder = self.video_path(item).parent
        if folder.is_dir():
            for leftover in folder.glob(f".{item.name}.*.tmp.mp4"):
                leftover.unlink(missing_ok=True)

    def _adoptable(self, item: BatchItem, input_sha: str) -> bool:
        """An mp4 from an earlier run of these same settings and inputs, complete and unchanged."""
        video = self.video_path(item)
        batch_file = self.record_dir(item) / BATCH_FILE
        if not (video.is_file() and batch_file.is_file()):
            return False
        try:
            written = json.loads(batch_file.read_text())
        except (OSError, ValueError):
            return False
        return (
            written.get("settings") == self.options.settings
            and written.get("input_sha") == input_sha
            and written.get("seed") == self.seed(item)
            and written.get("video_sha256") == sha256_file(video)
        )

    # --- paths, seeds, inputs -------------------------------------------------------------------

    def video_path(self, item: BatchItem) -> Path:
        return contained_path(self.out_dir, item.identity, f"{item.name}.mp4")

    def record_dir(self, item: BatchItem) -> Path:
        return contained_path(self.options.state_dir / "records", item.identity, item.name)

    def seed(self, item: BatchItem) -> int:
        return item_seed(self.options.base_seed, item.item_id)

    def _read_face(self, item: BatchItem) -> bytes:
        if item.face_path not in self._face_bytes:
            self._face_bytes.clear()  # items come grouped by identity: keep one photo cached
            self._face_bytes[item.face_path] = item.face_path.read_bytes()
        return self._face_bytes[item.face_path]

    def _input_sha(self, item: BatchItem) -> str:
        try:
            return input_fingerprint(self._read_face(item), item.prompt)
        except OSError:
            return "unreadable"

    # --- executor callbacks ----------------------------------------------------------------------

    def _next_request(self) -> ItemRequest | None:
        while self._queue and self._fatal is None:
            item, low_memory = self._queue.popleft()
            try:
                face_bytes = self._read_face(item)
            except OSError as error:
                self.manifest.set_state(
                    item.item_id,
                    "failed",
                    "failed",
                    reason="bad_image",
                    message=f"cannot read {item.face_path}: {error.strerror or error}",
                )
                self._summary.failed_now += 1
                self.progress.advance(item.item_id, "failed", "bad_image")
                continue
            input_sha = input_fingerprint(face_bytes, item.prompt)
            attempt = self.manifest.start(
                item.item_id,
                seed=self.seed(item),
                input_sha=input_sha,
                low_memory=low_memory,
                worker=self.executor.name,
            )
            known = self.options.prompts.get(item.item_id)
            request = ItemRequest(
                item_id=item.item_id,
                prompt=item.prompt,
                face_bytes=face_bytes,
                face_name=item.face_path.name,
                seed=self.seed(item),
                attempt=attempt,
                low_memory=low_memory,
                prompts=known[1] if known is not None and known[0] == input_sha else None,
            )
            self._in_flight[item.item_id] = (item, request)
            self._attempted.add(item.item_id)
            return request
        return None

    def _on_outcome(self, outcome: ItemOutcome) -> None:
        item, request = self._in_flight.pop(outcome.item_id)
        fields = {
            "worker": outcome.worker or None,
            "seconds": round(outcome.seconds, 3),
            "finished_at": time.time(),
        }
        if outcome.ok:
            try:
                video_sha = self._commit(item, request, outcome)
            except OSError as error:  # disk full, permissions: every item would fail the same way
                self._fatal = f"cannot write the outputs of {item.item_id}: {error}"
                self.manifest.set_state(item.item_id, "pending", "write_failed", message=str(error))
                self.manifest.uncount_attempt(item.item_id)
                return
            self.manifest.set_state(
                item.item_id, "done", "done", reason=None, message=None, video_sha=video_sha, **fields
            )
            self._summary.done_now += 1
            self.progress.advance(item.item_id, "done", f"{outcome.seconds:.1f} s")
            return
        if outcome.fatal:
            self._fatal = outcome.message or "a worker could not start"
            self.manifest.set_state(item.item_id, "pending", "aborted", message=outcome.message)
            self.manifest.uncount_attempt(item.item_id)
            return
        if outcome.reason == "out_of_memory" and self.options.oom_retry and not request.low_memory:
            self.manifest.set_state(
                item.item_id, "pending", "oom_retry", reason=outcome.reason, message=outcome.message, **fields
            )
            self._queue.appendleft((item, True))
            self.progress.note(f"{item.item_id}: out of memory; retrying with the low-memory settings")
            return
        self.manifest.set_state(
            item.item_id,
            "failed",
            "failed",
            reason=outcome.reason,
            message=outcome.message,
            detail=outcome.detail,
            **fields,
        )
        self._summary.failed_now += 1
        self.progress.advance(item.item_id, "failed", f"{outcome.reason}: {outcome.message}")

    def _release_in_flight(self) -> None:
        """Items handed out but never reported (Ctrl-C, a fatal error): back to pending, attempt not counted."""
        for item_id in list(self._in_flight):
            self.manifest.set_state(item_id, "pending", "released")
            self.manifest.uncount_attempt(item_id)
        self._in_flight.clear()

    def _commit(self, item: BatchItem, request: ItemRequest, outcome: ItemOutcome) -> str:
        """Record folder first (staged, then renamed), the mp4 last; returns the mp4's sha256."""
        video_bytes = outcome.files[VIDEO_FILE]
        video_sha = hashlib.sha256(video_bytes).hexdigest()
        video = self.video_path(item)
        record_dir = self.record_dir(item)
        staging = Path(tempfile.mkdtemp(prefix=f"{item.identity}.{item.name}.", dir=self.options.staging_dir))
        for relative, data in outcome.files.items():
            if relative == VIDEO_FILE:
                continue
            target = (staging / relative).resolve()
            if not target.is_relative_to(staging.resolve()):
                raise OutputError(f"A worker returned an output path outside its folder: {relative!r}.")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        batch = {
            "item_id": item.item_id,
            "face": str(item.face_path),
            "prompt": item.prompt,
            "seed": request.seed,
            "input_sha": input_fingerprint(request.face_bytes, item.prompt),
            "settings": self.options.settings,
            "attempt": request.attempt,
            "low_memory": request.low_memory,
            "worker": outcome.worker,
            "seconds": outcome.seconds,
            "video": video.relative_to(self.out_dir).as_posix(),
            "video_sha256": video_sha,
            "used_decoupled_prompts_file": request.prompts is not None,
        }
        (staging / BATCH_FILE).write_text(json.dumps(batch, indent=2, ensure_ascii=False) + "\n")
        os.symlink(os.path.relpath(video, record_dir), staging / VIDEO_FILE)
        record_dir.parent.mkdir(parents=True, exist_ok=True)
        if record_dir.exists():  # an earlier attempt's record (its mp4 is about to be replaced)
            old = Path(tempfile.mkdtemp(prefix="old.", dir=self.options.staging_dir))
            os.replace(record_dir, old / "record")
            shutil.rmtree(old, ignore_errors=True)
        os.replace(staging, record_dir)
        write_bytes_atomic(video, video_bytes)
        return video_sha

    # --- summary ---------------------------------------------------------------------------------

    def _summarise(self, item_ids: list[str], seconds: float) -> None:
        summary = self._summary
        summary.seconds = seconds
        summary.fatal = self._fatal
        states: dict[str, ItemState] = self.manifest.states()
        reasons: collections.Counter[str] = collections.Counter()
        done_before = 0
        for item_id in item_ids:
            state = states[item_id]
            if state.state == "done":
                done_before += 1
            elif state.state == "invalid":
                summary.invalid += 1
            elif state.state == "failed" and item_id not in self._attempted:
                if state.attempts >= self.options.max_attempts:
                    summary.gave_up += 1
                else:
                    summary.not_run += 1
            elif state.state == "pending":
                summary.not_run += 1
            if state.state in ("failed", "invalid"):
                reasons[state.reason or "unknown"] += 1
                message = state.message or ""
                if state.state == "failed" and state.attempts >= self.options.max_attempts:
                    message += (
                        f" (gave up after {state.attempts} attempts; to retry it, run again with "
                        f"--max-attempts {state.attempts + 1})"
                    )
                summary.failures.append((item_id, state.reason or "unknown", message.strip()))
        summary.skipped_done = done_before - summary.done_now
        summary.reasons = dict(reasons.most_common())


STAGING_MARKER = ".ipvg-staging"


def _clear_staging(folder: Path, *, check_only: bool = False) -> None:
    """Delete the staging folder only if ipvg made it (its marker, or empty): `--state-dir DIR` may
    point at a folder where the user already keeps a `staging/` of their own."""
    if not folder.exists():
        return
    if not folder.is_dir() or not ((folder / STAGING_MARKER).is_file() or not any(folder.iterdir())):
        raise OutputError(
            f"{folder} already exists and was not made by ipvg; ipvg stages its outputs there.",
            "move it away, or pass another --state-dir.",
        )
    if not check_only:
        shutil.rmtree(folder, ignore_errors=True)


def load_prompts_files(paths: list[Path]) -> dict[str, tuple[str, dict[str, Any]]]:
    """item id -> (input sha, decoupled prompts) from `prompts*.jsonl` files written by the decoupling pass."""
    prompts: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                prompts[row["item_id"]] = (row["input_sha"], row["prompts"])
            except (ValueError, KeyError, TypeError):
                raise BadInputError(
                    f"{path}:{number} is not a decoupled-prompt line.",
                    f"delete {path} and run --decouple-only again.",
                ) from None
    return prompts
