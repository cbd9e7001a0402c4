"""Atomic run folders: a run's outputs appear under `--out` complete, or not at all.

    from ipvg.io.rundir import check_run_dir, staged_run

    check_run_dir(out, overwrite=False)           # before any model loads: refuse early, create nothing
    with staged_run(out, overwrite=False) as staging:
        ... write first_frame.png, video.mp4, record.json ... into `staging`
    # on success `staging` has replaced `out` (the previous run is gone only now);
    # on any exception (or Ctrl-C) `staging` is deleted and `out` is exactly as it was.
    paths = write_staged(out, write_files)        # the same, for a writer that returns its files' paths:
                                                  # they come back as they lie under `out`

The staging folder lies beside `out` (same filesystem, so the final move is a rename) and is named
`.NAME.ipvg-staging-PID-RANDOM`. A SIGKILLed run leaves that hidden folder behind; the next
`staged_run` beside it deletes it once its process is gone. Only folders that ipvg made are ever
deleted: a staging folder carries the `.ipvg-run` marker, and an existing `out` that is neither
empty nor an ipvg run (marker or a run `record.json`) is refused unless `overwrite=True`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from ipvg.errors import OutputError

MARKER = ".ipvg-run"
STAGING_INFIX = ".ipvg-staging-"
OLD_INFIX = ".ipvg-old-"
_RENAME_EXCHANGE = 2  # linux/fs.h


def is_run_dir(folder: str | Path) -> bool:
    """True when `folder` holds a run ipvg wrote: the marker, or a run `record.json` from before it."""
    path = Path(folder)
    if (path / MARKER).is_file():
        return True
    record = path / "record.json"
    if not record.is_file() or record.stat().st_size > 16 * 1024 * 1024:
        return False
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("config"), dict)


def check_run_dir(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Check that a run may be written to `out_dir`; creates nothing. Returns the expanded path.

    Refused: a file or a symbolic link at `out_dir`, a folder that is not an ipvg run (unless
    `overwrite`), and a nearest existing parent that is not a writable folder.
    """
    path = Path(out_dir).expanduser()
    if not str(out_dir).strip():
        raise OutputError("The output folder is empty text.", "pass a folder with --out.")
    try:
        return _check(path, overwrite)
    except OutputError:  # already ours, with its own fix (it is an OSError too: not wrapped again)
        raise
    except OSError as error:  # a name too long, a path through a file, a permission the OS refuses
        raise OutputError(
            f"Cannot use {str(path)[:200]} as the output folder: {error.strerror or error}.",
            "choose a shorter or different --out.",
        ) from None


def _check(path: Path, overwrite: bool) -> Path:
    if path.is_symlink():
        # Renaming onto a link would replace the link, not the folder it points to.
        raise OutputError(
            f"The output path {path} is a symbolic link.", f"pass the folder it points to: --out {path.resolve()}"
        )
    if path.exists():
        if not path.is_dir():
            raise OutputError(f"The output path {path} exists and is not a folder.", "choose another --out.")
        if not overwrite and any(path.iterdir()) and not is_run_dir(path):
            raise OutputError(
                f"The output folder {path} already holds files that ipvg did not write.",
                "choose another --out, or pass --overwrite (overwrite=True from Python) to replace the folder "
                "and everything in it.",
            )
    parent = _nearest_existing(path.parent)
    if not parent.is_dir():
        raise OutputError(
            f"The output path {path} lies under {parent}, which is not a folder.", "choose another --out."
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"Cannot write beside {path}: {parent} is not writable.", "choose another --out.")
    return path


@contextlib.contextmanager
def staged_run(out_dir: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a fresh staging folder beside `out_dir`; on success it replaces `out_dir` in one step."""
    path = check_run_dir(out_dir, overwrite=overwrite)
    created_parents = _make_parents(path.parent)
    staging = path.parent / f".{path.name}{STAGING_INFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        _remove_stale_staging(path)
        staging.mkdir()
        (staging / MARKER).write_text("ipvg run folder\n", encoding="utf-8")
    except OSError as error:
        _remove_empty(created_parents)
        raise OutputError(
            f"Cannot create a staging folder beside {path}: {error.strerror or error}.", "choose another --out."
        ) from None
    try:
        yield staging
        # Checked again: another process may have put something there while this run worked.
        check_run_dir(path, overwrite=overwrite)
        _move_into_place(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created_parents)
        raise


def write_staged(
    out_dir: str | Path, write: Callable[[Path], dict[str, Path]], *, overwrite: bool = False
) -> dict[str, Path]:
    """`write(staging)` inside `staged_run`; the paths it returns, moved to where they lie under `out_dir`
    once the staging folder has replaced it (the Python API and the CLI share this one path)."""
    path = check_run_dir(out_dir, overwrite=overwrite)
    with staged_run(path, overwrite=overwrite) as staging:
        written = write(staging)
    return {name: path / file.relative_to(staging) for name, file in written.items()}


def _move_into_place(staging: Path, path: Path) -> None:
    if not path.exists():
        os.rename(staging, path)
        return
    if _exchange(staging, path):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous run
        return
    # No atomic exchange (not Linux): two renames; a kill between them leaves the previous run
    # under the `.ipvg-old-` name beside `path`, never half of each.
    old = path.parent / f".{path.name}{OLD_INFIX}{os.getpid()}-{secrets.token_hex(4)}"
    os.rename(path, old)
    os.rename(staging, path)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def _remove_stale_staging(path: Path) -> None:
    """Delete staging folders of runs that were killed (their process is gone) beside `path`."""
    prefix = f".{path.name}"
    for candidate in sorted(path.parent.iterdir()):
        if not candidate.name.startswith(prefix):
            continue
        name = candidate.name[len(prefix) :]
        if not name.startswith((STAGING_INFIX, OLD_INFIX)) or not (candidate / MARKER).is_file():
            continue  # not ours: never delete it
        pid_text = name.split("-")[2] if name.count("-") >= 3 else ""
        if not pid_text.isdigit() or _process_alive(int(pid_text)):
            continue
        if name.startswith(OLD_INFIX) and not path.exists():
            os.rename(candidate, path)  # killed between the two renames: the previous run comes back
        else:
            shutil.rmtree(candidate, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _make_parents(parent: Path) -> list[Path]:
    """Create missing parents; return those created (deepest first) so a failed run removes them."""
    missing = []
    current = parent
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(
            f"Cannot create the folder {parent}: {error.strerror or error}.", "choose another --out."
        ) from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()
