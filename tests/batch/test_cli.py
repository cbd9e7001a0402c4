"""`ipvg batch` on bad inputs (no model loads: --limit 0), and a SIGKILLed run resumed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_generator import FakeFactory

from ipvg.batch import run_batch
from ipvg.cli.main import main
from ipvg.config import get_preset
from ipvg.io.video import read_video

HERE = Path(__file__).parent


def test_cli_reports_bad_inputs_clearly(small_testset: Path, tmp_path: Path, capsys) -> None:
    (small_testset / "id004" / "image.png").unlink()
    (small_testset / "id001" / "prompt2.txt").write_text("")
    (small_testset / "Thumbs.db").write_bytes(b"x")
    out = tmp_path / "submission"
    code = main(["batch", str(small_testset), "--out", str(out), "--limit", "0", "--quiet", "-p", "tiny"])
    printed = capsys.readouterr().out
    assert code == 1  # not everything could be made
    assert "bad input: 3" in printed and "not run: 1" in printed
    assert "id004/prompt1: missing_image:" in printed and "no reference photo" in printed
    assert "id001/prompt2: empty_prompt:" in printed and "prompt file is empty" in printed
    assert "notice:" in printed and "Thumbs.db: unexpected file" in printed
    assert sorted(p.name for p in out.iterdir()) == ["_ipvg"]


def test_cli_refuses_unsafe_ids_and_bad_options(sample_testset: Path, tmp_path: Path, capsys) -> None:
    pairs = tmp_path / "pairs.jsonl"
    face = sample_testset / "id001" / "image.png"
    pairs.write_text(json.dumps({"face": str(face), "prompt": "A man waves", "id": "../x"}) + "\n")
    out = tmp_path / "work" / "submission"
    assert main(["batch", str(pairs), "--out", str(out), "--limit", "0", "-p", "tiny"]) == 1
    printed = capsys.readouterr().out
    assert "../x/prompt1: unsafe_id:" in printed and "not a safe name" in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.jsonl", "work"]
    assert sorted(p.name for p in out.iterdir()) == ["_ipvg"]

    assert main(["batch", str(pairs), "--out", str(out), "--shard", "2/2", "-p", "tiny"]) == 2
    assert "--shard 2/2" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "missing"), "--out", str(out), "-p", "tiny"]) == 2
    assert "Test set not found" in capsys.readouterr().err


def _fake_batch_script(testset: Path, out: Path, delay: float) -> str:
    return (
        f"import sys; sys.path.insert(0, {str(HERE)!r})\n"
        "from fake_generator import FakeFactory\n"
        "from ipvg.batch import run_batch\n"
        "from ipvg.config import get_preset\n"
        f"run_batch({str(testset)!r}, {str(out)!r}, config=get_preset('tiny'), factory=FakeFactory({delay}))\n"
    )


def _count_done(manifest: Path) -> int:
    if not manifest.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{manifest}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM items WHERE state = 'done'").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def kill_after_first_done(command: list[str], manifest: Path, timeout: float) -> None:
    """Start `command`, SIGKILL it as soon as the manifest shows one item done."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while _count_done(manifest) < 1:
            if process.poll() is not None:
                raise AssertionError(
                    f"the batch ended before it was killed: {process.stderr.read()[-2000:]!r}"
                )
            if time.monotonic() > deadline:
                raise AssertionError("no item was done in time")
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()


def assert_every_item_done_once(out: Path, item_ids: list[str]) -> None:
    with sqlite3.connect(out / "_ipvg" / "manifest.sqlite") as db:
        states = dict(db.execute("SELECT item_id, state FROM items"))
        finished = [
            row[0] for row in db.execute("SELECT item_id FROM events WHERE event IN ('done', 'adopted')")
        ]
    assert states == dict.fromkeys(item_ids, "done")
    assert sorted(finished) == sorted(item_ids)  # each produced exactly once over both runs
    for item_id in item_ids:
        identity, name = item_id.split("/")
        assert read_video(out / identity / f"{name}.mp4").num_frames > 0  # complete, decodable
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".") or ".tmp" in p.name]
    assert not leftovers and not list((out / "_ipvg").glob("staging*"))


def test_sigkill_mid_run_then_resume_makes_every_item_exactly_once(
    small_testset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "submission"
    script = _fake_batch_script(small_testset, out, delay=0.4)
    kill_after_first_done([sys.executable, "-c", script], out / "_ipvg" / "manifest.sqlite", timeout=60)
    with sqlite3.connect(out / "_ipvg" / "manifest.sqlite") as db:
        states = [row[0] for row in db.execute("SELECT state FROM items")]
    assert states.count("done") >= 1 and states.count("done") < 4  # killed part-way

    factory = FakeFactory()
    summary = run_batch(small_testset, out, config=get_preset("tiny"), factory=factory)
    assert summary.ok and summary.done_now == 4 - summary.skipped_done
    assert_every_item_done_once(out, ["id001/prompt1", "id001/prompt2", "id004/prompt1", "id004/prompt2"])


@pytest.mark.slow
def test_sigkill_the_real_cli_with_the_tiny_preset_then_resume(small_testset: Path, tmp_path: Path) -> None:
    out = tmp_path / "submission"
    command = [
        sys.executable,
        "-m",
        "ipvg.cli.main",
        "batch",
        str(small_testset),
        "--out",
        str(out),
        "--quiet",
        "--preset",
        "tiny",
    ]
    kill_after_first_done(command, out / "_ipvg" / "manifest.sqlite", timeout=300)
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    resumed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "skipped (already done): " in resumed.stdout and "skipped (already done): 0" not in resumed.stdout
    assert_every_item_done_once(out, ["id001/prompt1", "id001/prompt2", "id004/prompt1", "id004/prompt2"])
