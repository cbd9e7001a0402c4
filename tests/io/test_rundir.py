"""Atomic run folders (`ipvg.io.rundir`): the previous complete run, or the new one, never a mix."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ipvg.errors import OutputError
from ipvg.io import rundir
from ipvg.io.rundir import MARKER, check_run_dir, is_run_dir, staged_run


def _previous_run(out: Path) -> None:
    with staged_run(out) as staging:
        (staging / "video.mp4").write_bytes(b"old video")
        (staging / "old_only.txt").write_text("from the first run")


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".ipvg-" in p.name)


def test_success_replaces_the_previous_run_whole(tmp_path: Path) -> None:
    """Wrong code caught: writing into the existing folder (old files survive beside new ones)."""
    out = tmp_path / "run"
    _previous_run(out)
    with staged_run(out) as staging:
        assert staging.parent == tmp_path and staging != out
        (staging / "video.mp4").write_bytes(b"new video")
    assert (out / "video.mp4").read_bytes() == b"new video"
    assert not (out / "old_only.txt").exists()
    assert (out / MARKER).is_file() and is_run_dir(out)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "fault", [RuntimeError("model crashed"), OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()]
)
def test_a_failed_run_leaves_the_previous_run_untouched(tmp_path: Path, fault: BaseException) -> None:
    """Wrong code caught: moving the staging folder into place in `finally`, or not deleting it."""
    out = tmp_path / "run"
    _previous_run(out)
    with pytest.raises(type(fault)), staged_run(out) as staging:
        (staging / "video.mp4").write_bytes(b"half a new video")
        raise fault
    assert (out / "video.mp4").read_bytes() == b"old video"
    assert (out / "old_only.txt").exists()
    assert _leftovers(tmp_path) == []


def test_a_failed_first_run_leaves_nothing_not_even_parents(tmp_path: Path) -> None:
    """Wrong code caught: `mkdir(parents=True)` of --out before the run succeeds."""
    out = tmp_path / "a" / "b" / "run"
    with pytest.raises(RuntimeError), staged_run(out):
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_check_run_dir_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new" / "run"
    assert check_run_dir(out) == out
    assert list(tmp_path.iterdir()) == []


def test_a_folder_ipvg_did_not_write_is_refused_unless_overwrite(tmp_path: Path) -> None:
    """Wrong code caught: replacing any existing folder (user data lost)."""
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(OutputError, match="did not write"), staged_run(out):
        pass
    assert (out / "holiday.jpg").read_bytes() == b"precious"
    with staged_run(out, overwrite=True) as staging:
        (staging / "video.mp4").write_bytes(b"v")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "video.mp4"]


def test_an_empty_folder_and_a_record_only_run_are_accepted(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    check_run_dir(empty)
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "record.json").write_text(json.dumps({"config": {"name": "tiny"}}))
    assert is_run_dir(legacy)
    (legacy / "record.json").write_text("[1, 2]")  # someone else's record.json
    assert not is_run_dir(legacy)


def test_a_file_or_a_link_at_out_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        check_run_dir(target)
    with pytest.raises(OutputError, match="not a folder"):
        check_run_dir(target / "below")
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(OutputError, match="symbolic link"):
        check_run_dir(link)


@pytest.mark.parametrize("kind", ["file", "foreign folder"])
def test_a_refusal_says_its_reason_and_its_fix_once(tmp_path: Path, kind: str) -> None:
    """Wrong code caught: `except OSError` around the checks re-wrapping our own OutputError (it is an
    OSError too), which printed the first message and fix inside a second one with an unrelated fix
    ("choose a shorter or different --out")."""
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("x")
    else:
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError) as caught:
        check_run_dir(out)
    line = caught.value.one_line()
    assert line.count("Fix:") == 1 and "shorter" not in line and ".." not in line
    assert not caught.value.message.startswith("Cannot use")
    assert "--out" in (caught.value.fix or "") and "--out" not in caught.value.message


def test_without_an_atomic_exchange_the_two_rename_fallback_also_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rundir, "_exchange", lambda a, b: False)
    out = tmp_path / "run"
    _previous_run(out)
    with staged_run(out) as staging:
        (staging / "video.mp4").write_bytes(b"new")
    assert (out / "video.mp4").read_bytes() == b"new" and not (out / "old_only.txt").exists()
    assert _leftovers(tmp_path) == []


def test_a_killed_run_leaves_the_previous_run_and_its_staging_is_cleaned_later(tmp_path: Path) -> None:
    """SIGKILL mid-run: the previous run stays whole; the next run deletes the dead run's staging
    folder but never a look-alike folder without the marker (wrong code: deleting by name alone)."""
    out = tmp_path / "run"
    _previous_run(out)
    script = (
        "import os, signal, sys\n"
        "from ipvg.io.rundir import staged_run\n"
        "with staged_run(sys.argv[1]) as s:\n"
        "    (s / 'video.mp4').write_bytes(b'half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert (out / "video.mp4").read_bytes() == b"old video"
    stale = _leftovers(tmp_path)
    assert len(stale) == 1 and stale[0].startswith(".run.ipvg-staging-")
    lookalike = tmp_path / ".run.ipvg-staging-1-abcd"  # a user's folder: no marker inside
    lookalike.mkdir()
    (lookalike / "mine.txt").write_text("keep")
    with staged_run(out) as staging:
        (staging / "video.mp4").write_bytes(b"new")
    assert _leftovers(tmp_path) == [lookalike.name]
    assert (lookalike / "mine.txt").read_text() == "keep"


def test_killed_between_the_two_renames_the_previous_run_comes_back(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _previous_run(out)
    dead_pid = _dead_pid()
    os.rename(out, tmp_path / f".run.ipvg-old-{dead_pid}-beef")
    with pytest.raises(RuntimeError), staged_run(out):
        raise RuntimeError("this run fails too")
    assert (out / "video.mp4").read_bytes() == b"old video"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
