"""The batch manifest: one SQLite row per item (state, reason, attempts, timings, seed) plus an
append-only event log, so a killed run resumes where it stopped and every step can be audited.

SQLite in WAL mode: each state change is one committed transaction, so a SIGKILL loses at most
the item in flight (its row stays `running` and the next run treats it as interrupted). Only the
driver process writes; workers never touch the manifest. A lock file next to it (`flock`, freed by
the kernel when the process dies) stops two drivers from working on the same manifest at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipvg.errors import ConfigError, OutputError

STATES = ("pending", "running", "done", "failed", "invalid")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    name TEXT NOT NULL,
    face TEXT,
    prompt TEXT,
    seed INTEGER,
    input_sha TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'invalid')),
    reason TEXT,
    message TEXT,
    detail TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    low_memory INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    video_sha TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    seconds REAL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    time REAL NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS events_item ON events (item_id);
"""


@dataclass(frozen=True)
class ItemState:
    """One manifest row."""

    item_id: str
    identity: str
    name: str
    state: str
    seed: int | None
    input_sha: str | None
    reason: str | None
    message: str | None
    attempts: int
    low_memory: bool
    worker: str | None
    video_sha: str | None
    started_at: float | None
    finished_at: float | None
    seconds: float | None


class ManifestLock:
    """Exclusive `flock` on `PATH.lock`, held while a driver runs (the kernel frees it on any exit)."""

    def __init__(self, manifest_path: Path) -> None:
        self.path = manifest_path.with_name(manifest_path.name + ".lock")
        self._handle: Any = None

    def acquire(self) -> None:
        self._handle = open(self.path, "a+")  # held open for the run's lifetime
        try:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.seek(0)
            holder = self._handle.read().strip() or "another process"
            self._handle.close()
            self._handle = None
            raise OutputError(
                f"Another `ipvg batch` ({holder}) is already working on {self.path.parent}.",
                "wait for it to finish, or use --shard I/N so that each process owns its own items.",
            ) from None
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(f"pid {os.getpid()} on {os.uname().nodename}\n")
        self._handle.flush()

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class Manifest:
    """Item states of one batch run (or one shard of it), stored in SQLite."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as error:
            raise OutputError(f"Cannot open the manifest {self.path}: {error}.", "check --out.") from None
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process kills
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- run settings ------------------------------------------------------------------------

    def check_meta(self, settings: dict[str, str], *, fix: str) -> None:
        """Store `settings` on first use; later runs must match them (same config, same seed)."""
        stored = {row["key"]: row["value"] for row in self._db.execute("SELECT key, value FROM meta")}
        changed = [key for key, value in settings.items() if key in stored and stored[key] != value]
        if changed:
            described = ", ".join(f"{key} was {stored[key]!r}, now {settings[key]!r}" for key in changed)
            raise ConfigError(f"This output folder was started with other settings ({described}).", fix)
        with self._transaction() as db:
            db.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", list(settings.items()))

    def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self._db.execute("SELECT key, value FROM meta")}

    # --- reading -----------------------------------------------------------------------------

    def states(self) -> dict[str, ItemState]:
        rows = self._db.execute("SELECT * FROM items").fetchall()
        return {row["item_id"]: _state(row) for row in rows}

    def get(self, item_id: str) -> ItemState | None:
        row = self._db.execute("SELECT * FROM items WHERE item_id = ?", (item_id,)).fetchone()
        return _state(row) if row is not None else None

    def events(self, item_id: str | None = None) -> list[tuple[str, str, str | None]]:
        """(item_id, event, detail) in the order they happened."""
        query = "SELECT item_id, event, detail FROM events"
        rows = (
            self._db.execute(query + " WHERE item_id = ? ORDER BY id", (item_id,))
            if item_id is not None
            else self._db.execute(query + " ORDER BY id")
        )
        return [(row[0], row[1], row[2]) for row in rows]

    # --- writing -----------------------------------------------------------------------------

    def ensure_item(
        self, item_id: str, identity: str, name: str, *, face: str | None, prompt: str | None
    ) -> None:
        """Add the item as pending if it is new (existing rows keep their state)."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO items (item_id, identity, name, face, prompt, state, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                (item_id, identity, name, face, prompt, time.time()),
            )
            if cursor.rowcount:
                _event(db, item_id, "added")

    def set_state(self, item_id: str, state: str, event: str, **fields: Any) -> None:
        """Move the item to `state` with any column updates, and log `event` with the same fields."""
        assert state in STATES, state
        columns = {"state": state} | fields
        assignments = ", ".join(f"{column} = ?" for column in columns)
        with self._transaction() as db:
            db.execute(f"UPDATE items SET {assignments} WHERE item_id = ?", (*columns.values(), item_id))
            detail = {key: value for key, value in fields.items() if key not in ("detail",)}
            _event(db, item_id, event, detail or None)

    def start(self, item_id: str, *, seed: int, input_sha: str, low_memory: bool, worker: str) -> int:
        """Mark the item running and count the attempt; returns the attempt number (1-based)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE items SET state = 'running', attempts = attempts + 1, seed = ?, input_sha = ?,"
                " low_memory = ?, worker = ?, started_at = ?, finished_at = NULL, reason = NULL,"
                " message = NULL, detail = NULL WHERE item_id = ?",
                (seed, input_sha, int(low_memory), worker, time.time(), item_id),
            )
            attempts = db.execute("SELECT attempts FROM items WHERE item_id = ?", (item_id,)).fetchone()[0]
            _event(db, item_id, "started", {"attempt": attempts, "low_memory": low_memory, "seed": seed})
        return int(attempts)

    def uncount_attempt(self, item_id: str) -> None:
        """An attempt that never ran for reasons outside the item (run aborted) does not count."""
        with self._transaction() as db:
            db.execute("UPDATE items SET attempts = MAX(attempts - 1, 0) WHERE item_id = ?", (item_id,))


def _event(db: sqlite3.Connection, item_id: str, event: str, detail: dict[str, Any] | None = None) -> None:
    db.execute(
        "INSERT INTO events (item_id, time, event, detail) VALUES (?, ?, ?, ?)",
        (item_id, time.time(), event, json.dumps(detail, default=str) if detail else None),
    )


def _state(row: sqlite3.Row) -> ItemState:
    return ItemState(
        item_id=row["item_id"],
        identity=row["identity"],
        name=row["name"],
        state=row["state"],
        seed=row["seed"],
        input_sha=row["input_sha"],
        reason=row["reason"],
        message=row["message"],
        attempts=int(row["attempts"]),
        low_memory=bool(row["low_memory"]),
        worker=row["worker"],
        video_sha=row["video_sha"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        seconds=row["seconds"],
    )
