"""Fuzz table (issue 14): bad inputs and faults driving the real CLI on the tiny preset.

Every row runs `ipvg ARGS` in-process in a fresh copy of a small world (a face photo, a test set,
a submission, a previous ipvg run, a user's folder) and asserts:
- a non-zero exit code (the one given, if any), never a traceback;
- exactly one line on stderr, starting with `error:` and containing the expected words;
- nothing left behind and nothing lost: the world is byte-for-byte what it was.
Rows fail before any model loads, so the table is fast; the fault rows at the end run the tiny
models and break them mid-run (disk full, Ctrl-C); a few usage mistakes also run as subprocesses.

Wrong code each kind of row catches: a command that lets click's exceptions out (traceback), writes
its output folder before checking its inputs (an empty folder left behind), deletes or replaces a
folder ipvg did not write, reads an image before checking its size, stringifies JSON values, or
checks config fields only when a model uses them.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ipvg.cli.main import main

TINY = ["--preset", "tiny"]


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    expect: str  # words the one stderr line must contain
    code: int | None = None  # exact exit code, or None for any non-zero
    setup: Callable[[Path], None] | None = None


def _world(root: Path, sample_testset: Path, example_face: Path) -> None:
    """The files every row starts from."""
    root.mkdir(parents=True)
    shutil.copyfile(example_face, root / "face.png")
    (root / "file.txt").write_text("just a file\n")
    testset = root / "testset" / "id001"
    testset.mkdir(parents=True)
    shutil.copyfile(sample_testset / "id001" / "image.png", testset / "image.png")
    for number in (1, 2):
        shutil.copyfile(sample_testset / "id001" / f"prompt{number}.txt", testset / f"prompt{number}.txt")
    (root / "submission" / "id001").mkdir(parents=True)
    from ipvg.io.video import write_video

    write_video(np.zeros((3, 32, 32, 3), np.uint8), 8, root / "submission" / "id001" / "prompt1.mp4")
    mine = root / "mine"  # a user's folder: must never be replaced or deleted
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"precious bytes")
    (root / "pairs.jsonl").write_text('{"face": "face.png", "prompt": "A woman waves"}\n')


def _fill(argv: tuple[str, ...], root: Path) -> list[str]:
    return [part.replace("{w}", str(root)) for part in argv]


def _snapshot(root: Path) -> dict[str, object]:
    """Every path under `root` with its content (hash; size for big sparse files; target for links)."""
    state: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            state[key] = ("link", os.readlink(path))
        elif path.is_file():
            size = path.stat().st_size
            state[key] = ("big", size) if size > 2**20 else hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[key] = "dir"
    return state


# --- setups for rows that need something unusual in the world ---------------------------------


def _text_as_png(root: Path) -> None:
    (root / "notes.png").write_text("hello, not an image")


def _empty_file(root: Path) -> None:
    (root / "empty.png").write_bytes(b"")


def _truncated_png(root: Path) -> None:
    data = (root / "face.png").read_bytes()
    (root / "half.png").write_bytes(data[: len(data) // 3])


def _sparse_40gb(root: Path) -> None:
    with open(root / "huge.png", "wb") as handle:
        handle.truncate(40 * 2**30)


def _tiny_image(root: Path) -> None:
    Image.new("RGB", (4, 4)).save(root / "tiny.png")


def _bomb(root: Path) -> None:
    Image.new("1", (8000, 8000)).save(root / "bomb.png")  # 64 MP in a few KB


def _dangling_link(root: Path) -> None:
    (root / "gone.png").symlink_to(root / "nowhere.png")


def _fifo(root: Path) -> None:
    os.mkfifo(root / "pipe.png")


def _out_link(root: Path) -> None:
    (root / "outlink").symlink_to(root / "mine")


def _empty_model_dir(root: Path) -> None:
    (root / "model").mkdir()


def _user_staging(root: Path) -> None:
    (root / "state" / "staging").mkdir(parents=True)
    (root / "state" / "staging" / "thesis.tex").write_text("years of work")


def _not_utf8_pairs(root: Path) -> None:
    (root / "bad.jsonl").write_bytes(b"\xff\xfe\x00garbage\x80\x81")


def _csv_without_columns(root: Path) -> None:
    (root / "pairs.csv").write_text("image,text\nface.png,hello\n")


def _empty_testset(root: Path) -> None:
    (root / "emptyset").mkdir()


GEN = ("generate", "-f", "{w}/face.png", "--prompt", "A woman waves", "-o", "{w}/out", *TINY)
ANIM = ("animate", "-i", "{w}/face.png", "--prompt", "A woman waves", "-o", "{w}/out", *TINY)
KEY = ("keyframe", "-f", "{w}/face.png", "--prompt", "A woman, close-up", "-o", "{w}/out", *TINY)
# A --set row with --out at a file: a field that is not validated would reach the --out error instead.
SET = ("generate", "-f", "{w}/face.png", "--prompt", "A woman waves", "-o", "{w}/file.txt", *TINY, "--set")
BATCH = ("batch", "{w}/testset", "-o", "{w}/sub2", *TINY)
EVAL = ("eval", "{w}/submission", "--testset", "{w}/testset", "--metrics", "facesim-dlib")
VIDEO = ("eval", "--video", "{w}/submission/id001/prompt1.mp4", "-f", "{w}/face.png", "--prompt", "a woman")


def _face(path: str) -> tuple[str, ...]:
    return ("generate", "-f", path, "--prompt", "A woman waves", "-o", "{w}/out", *TINY)


CASES = [
    # 1. usage mistakes: one line, exit 2
    Case("missing-face", ("generate", "--prompt", "x"), "Missing option '--face'", 2),
    Case("missing-prompt", ("generate", "-f", "{w}/face.png"), "Missing option '--prompt'", 2),
    Case("unknown-command", ("generat",), "No such command 'generat'", 2),
    Case("unknown-flag", ("generate", "--bogus"), "No such option: --bogus", 2),
    Case("unknown-global-flag", ("--bogus",), "No such option: --bogus", 2),
    Case("bad-int-frames", (*ANIM, "--num-frames", "abc"), "'--num-frames'", 2),
    Case("bad-int-seed", (*GEN, "--seed", "xyz"), "'--seed'", 2),
    Case("bad-int-candidates", (*KEY, "-n", "lots"), "'--num-candidates'", 2),
    Case("batch-no-testset", ("batch",), "Missing argument 'testset'", 2),
    Case("flag-without-value", ("eval", "{w}/submission", "--metrics"), "requires an argument", 2),
    Case("models-download-no-target", ("models", "download"), "Missing argument 'target'", 2),
    Case("models-unknown-sub", ("models", "fetch"), "No such command 'fetch'", 2),
    Case("faces-no-image", ("faces",), "Missing argument", 2),
    Case("backends-bad-kind", ("backends", "--kind", "nope"), "`--kind` is 'nope'", 2),
    Case("unknown-preset", ("generate", "-f", "{w}/face.png", "--prompt", "x", "-p", "nope"), "Unknown preset", 2),
    Case("serve-bad-port", ("serve", "--port", "70000", *TINY), "port"),
    # 2. the face / image file
    Case("face-missing", _face("{w}/nope.png"), "Image not found", 2),
    Case("face-folder", _face("{w}/testset"), "is a folder", 2),
    Case("face-empty", _face("{w}/empty.png"), "empty (0 bytes)", 2, _empty_file),
    Case("face-text", _face("{w}/notes.png"), "Cannot read", 2, _text_as_png),
    Case("face-truncated", _face("{w}/half.png"), "", 2, _truncated_png),
    Case("face-url-https", _face("https://example.com/face.png"), "URL", 2),
    Case("face-url-http", _face("http://example.com/face.png"), "URL", 2),
    Case("face-40gb-sparse", _face("{w}/huge.png"), "above the 200 MB limit", 2, _sparse_40gb),
    Case("face-4x4", _face("{w}/tiny.png"), "only 4x4", 2, _tiny_image),
    Case("face-64-megapixels", _face("{w}/bomb.png"), "megapixels", 2, _bomb),
    Case("face-dev-null", _face("/dev/null"), "not a regular file", 2),
    Case("face-dangling-link", _face("{w}/gone.png"), "Image not found", 2, _dangling_link),
    Case("face-fifo", _face("{w}/pipe.png"), "not a regular file", 2, _fifo),
    Case("animate-image-missing", ("animate", "-i", "{w}/x.png", "--prompt", "x", "-o", "{w}/out", *TINY), "not found", 2),
    Case("keyframe-face-text", ("keyframe", "-f", "{w}/file.txt", "--prompt", "x", "-o", "{w}/out", *TINY), "Cannot read", 2),
    # 3. the prompt
    Case("prompt-empty", ("generate", "-f", "{w}/face.png", "--prompt", "", "-o", "{w}/out", *TINY), "prompt is empty", 2),
    Case("prompt-spaces", ("animate", "-i", "{w}/face.png", "--prompt", "  \t ", "-o", "{w}/out", *TINY), "empty", 2),
    Case("prompt-control", ("keyframe", "-f", "{w}/face.png", "--prompt", "\x00\x01\x02", "-o", "{w}/out", *TINY), "prompt", 2),
    Case("prompt-huge", ("generate", "-f", "{w}/face.png", "--prompt", "word " * 20000, "-o", "{w}/out", *TINY), "characters long", 2),
    # 4. the output folder
    Case("out-is-file", (*GEN[:-4], "-o", "{w}/file.txt", *TINY), "not a folder", 4),
    Case("out-under-file", (*GEN[:-4], "-o", "{w}/file.txt/sub", *TINY), "not a folder", 4),
    Case("out-user-folder", (*GEN[:-4], "-o", "{w}/mine", *TINY), "did not write", 4),
    Case("animate-out-user-folder", (*ANIM[:-4], "-o", "{w}/mine", *TINY), "--overwrite", 4),
    Case("keyframe-out-user-folder", (*KEY[:-4], "-o", "{w}/mine", *TINY), "did not write", 4),
    Case("out-name-too-long", (*GEN[:-4], "-o", "{w}/" + "b" * 300, *TINY), "File name too long", 4),
    Case("out-symlink", (*GEN[:-4], "-o", "{w}/outlink", *TINY), "symbolic link", 4, _out_link),
    Case("out-empty-text-is-cwd", (*GEN[:-4], "-o", "", *TINY), "did not write", 4),  # "" parses as "."
    # 5. config fields (validated in config.py; --out at a file proves they fail first)
    Case("set-steps-negative", (*SET, "spatial.num_inference_steps=-3"), "spatial.num_inference_steps", 2),
    Case("set-height-zero", (*SET, "spatial.height=0"), "spatial.height", 2),
    Case("set-fps-inf", (*SET, "temporal.fps=inf"), "temporal.fps", 2),
    Case("set-fps-nan", (*SET, "temporal.fps=nan"), "temporal.fps", 2),
    Case("set-guidance-inf", (*SET, "temporal.guidance_scale=inf"), "temporal.guidance_scale", 2),
    Case("set-loras-bad-scale", (*SET, "runtime.loras=a.safetensors:nan"), "runtime.loras", 2),
    Case("set-spatial-options", (*SET, "spatial.options=x"), "spatial.options", 2),
    # A LoRA `:SCALE` with no path was taken as a file named ":0.5" (parsed as one path, not refused).
    Case("set-loras-empty-path", (*SET, "runtime.loras=:0.5"), "runtime.loras` entry ':0.5' has an empty path", 2),
    # An unknown attention backend was refused only by diffusers, after the first-frame model loaded.
    Case("set-attention-nope", (*SET, "runtime.attention_backend=nope"), "runtime.attention_backend", 2),
    # Typed spatial options: a range not checked in SdxlOptions ran with -1 refine steps and exited 0.
    Case("keyframe-option-refine-steps", (*KEY, "--option", "refine_steps=-1"), "spatial.options.refine_steps", 2),
    Case("set-num-frames-10000", (*SET, "temporal.num_frames=10000"), "temporal.num_frames", 2),
    Case("flag-num-frames-10000", (*ANIM, "--num-frames", "10000"), "temporal.num_frames", 2),
    Case("seed-2-pow-70", (*GEN, "--seed", str(2**70)), "seed", 2),
    Case("animate-seed-2-pow-70", (*ANIM, "--seed", str(2**70)), "seed", 2),
    Case("set-not-key-value", (*SET, "nokey"), "is not KEY=VALUE", 2),
    Case("set-empty-key", (*SET, "=3"), "is not KEY=VALUE", 2),
    Case("set-unknown-field", (*SET, "temporal.frames=3"), "Unknown config key", 2),
    Case("set-device-tpu", (*SET, "runtime.device=tpu"), "runtime.device", 2),
    Case("set-dtype-fp8", (*SET, "runtime.dtype=float8"), "runtime.dtype", 2),
    Case("set-offload-disk", (*SET, "runtime.offload=disk"), "runtime.offload", 2),
    Case("set-cache-warp", (*SET, "runtime.cache=warp"), "runtime.cache", 2),
    # FasterCache on Wan crashed with an IndexError inside diffusers after the models had loaded.
    Case("animate-faster-cache-on-wan", (*ANIM, "--set", "runtime.cache=faster"), "runtime.cache=faster does not work", 2),
    Case("set-candidates-zero", (*SET, "spatial.num_candidates=0"), "spatial.num_candidates", 2),
    Case("set-boundary-2", (*SET, "temporal.boundary_ratio=2"), "temporal.boundary_ratio", 2),
    Case("set-ulysses-zero", (*SET, "runtime.ulysses_degree=0"), "ulysses_degree", 2),
    Case("set-seed-negative", (*SET, "seed=-1"), "seed", 2),
    Case("set-bool-maybe", (*SET, "runtime.vae_tiling=maybe"), "vae_tiling", 2),
    Case("flag-candidates-zero", (*GEN, "-n", "0"), "num_candidates", 2),
    Case("flag-steps-zero", (*GEN, "--steps", "0"), "num_inference_steps", 2),
    Case("flag-frames-negative", (*ANIM, "--num-frames", "-5"), "num_frames", 2),
    Case("flag-device-tpu", (*ANIM, "--device", "tpu"), "runtime.device", 2),
    # 6. backends and weights (the preflight, before any model loads)
    Case("unknown-temporal-backend", (*GEN, "--temporal-backend", "sora"), "Unknown temporal backend `sora`", 2),
    Case("unknown-spatial-backend", (*GEN, "--spatial-backend", "picasso"), "Unknown spatial backend", 2),
    Case("unknown-prompt-backend", (*GEN, "--prompt-backend", "oracle"), "Unknown prompts backend", 2),
    Case("unknown-face-backend", (*GEN, "--set", "faces.backend=nope"), "Unknown faces backend", 2),
    Case("generate-default-preset", GEN[:-2], "ipvg models download paper-5b", 3),
    Case("keyframe-default-preset", KEY[:-2], "RealVisXL", 3),
    Case("animate-default-preset", ANIM[:-2], "Wan2.2-TI2V-5B", 3),
    Case("batch-default-preset", BATCH[:-2], "Qwen/Qwen3-8B", 3),
    Case("animate-missing-hub-model", (*ANIM, "--model", "nobody/missing-model"), "nobody/missing-model", 3),
    Case("animate-missing-path", (*ANIM, "--model", "/nonexistent/model"), "/nonexistent/model", 3),
    # A Wan model loaded as CogVideoX gave an AttributeError traceback from inside diffusers (found by the
    # second fuzz pass). The model is named: a switched backend alone now gets its own tiny model.
    Case(
        "animate-wan-model-as-cogvideox",
        (*ANIM, "--set", "temporal.backend=cogvideox-5b-i2v", "--model", "ipvg-tiny:wan22-i2v-a14b"),
        "as a CogVideoX",
        1,
    ),
    Case("animate-empty-model-folder", (*ANIM, "--model", "{w}/model"), "without model_index.json", 3, _empty_model_dir),
    Case("models-download-offline", ("models", "download", "eval"), "HF_HUB_OFFLINE", 1),
    Case("models-download-bad-target", ("models", "download", "bogus"), "not a preset", 2),
    Case("models-list-bad-preset", ("models", "list", "nope"), "Unknown preset", 2),
    # 7. batch inputs
    Case("batch-missing-testset", ("batch", "{w}/nope", "-o", "{w}/sub2", *TINY), "Test set not found", 2),
    Case("batch-text-file", ("batch", "{w}/file.txt", "-o", "{w}/sub2", *TINY), "neither a test-set folder", 2),
    Case("batch-empty-folder", ("batch", "{w}/emptyset", "-o", "{w}/sub2", *TINY), "No items found", 2, _empty_testset),
    Case("batch-shard-out-of-range", (*BATCH, "--shard", "2/2"), "--shard 2/2", 2),
    Case("batch-shard-garbage", (*BATCH, "--shard", "abc"), "--shard", 2),
    Case("batch-max-attempts-zero", (*BATCH, "--max-attempts", "0"), "--max-attempts", 2),
    Case("batch-csv-columns", ("batch", "{w}/pairs.csv", "-o", "{w}/sub2", *TINY), "`face` and `prompt` are required", 2, _csv_without_columns),
    Case("batch-not-utf8", ("batch", "{w}/bad.jsonl", "-o", "{w}/sub2", *TINY), "Cannot read", 2, _not_utf8_pairs),
    Case("batch-out-in-testset", ("batch", "{w}/testset", "-o", "{w}/testset/sub", *TINY), "inside the test set", 2),
    Case("batch-state-dir-is-file", (*BATCH, "--state-dir", "{w}/file.txt"), "--state-dir path", 4),
    Case("batch-user-staging", (*BATCH, "--state-dir", "{w}/state", "--limit", "0"), "not made by ipvg", 4, _user_staging),
    # 8. eval inputs
    Case("eval-num-frames-zero", (*EVAL, "--num-frames", "0"), "`--num-frames` must be >= 1", 2),
    Case("eval-max-frames-zero", (*EVAL, "--max-frames", "0"), "`--max-frames` must be >= 1", 2),
    Case("eval-out-in-testset", (*EVAL, "-o", "{w}/testset/scores"), "inside the test set", 2),
    Case("eval-resume-without-out", (*EVAL, "--resume"), "`--resume` reuses results in --out", 2),
    Case("eval-no-testset", ("eval", "{w}/submission"), "needs SUBMISSION_DIR and --testset", 2),
    Case("eval-missing-testset", ("eval", "{w}/submission", "--testset", "{w}/nope"), "Test set folder not found", 2),
    Case("eval-unknown-metric", (*EVAL[:-1], "nope"), "Unknown metrics backend", 2),
    Case("eval-video-missing", ("eval", "--video", "{w}/nope.mp4", "-f", "{w}/face.png", "--prompt", "x", "--metrics", "facesim-dlib"), "could not be scored", 2),
    Case("eval-video-not-video", ("eval", "--video", "{w}/file.txt", "-f", "{w}/face.png", "--prompt", "x", "--metrics", "facesim-dlib"), "could not be scored", 2),
    Case("eval-video-no-prompt", VIDEO[:-2], "--prompt", 2),
    Case("eval-video-and-submission", (*VIDEO, "--testset", "{w}/testset"), "not both", 2),
    # 9. faces and decouple
    Case("faces-missing-image", ("faces", "{w}/nope.png"), "not found", 2),
    Case("faces-compare-one", ("faces", "compare", "{w}/face.png"), "compare", 2),
    Case("decouple-empty", ("decouple", "  "), "empty", 2),
]


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory, sample_testset: Path, example_face: Path) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "world"
    _world(root, sample_testset, example_face)
    return root


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 80 and len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_clear_line_and_changes_nothing(
    case: Case,
    world_template: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "world"
    shutil.copytree(world_template, root, symlinks=True)
    if case.setup is not None:
        case.setup(root)
    before = _snapshot(root)
    argv = _fill(case.argv, root)
    monkeypatch.chdir(tmp_path)  # relative default outputs (outputs/...) would land here, and are checked below
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert code != 0, captured.out[-2000:]
    if case.code is not None:
        assert code == case.code, captured.err
    lines = [line for line in captured.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert case.expect in lines[0], lines[0]
    assert _snapshot(root) == before  # nothing left behind, nothing lost
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world"]


# --- faults in the middle of a real (tiny) run ------------------------------------------------


@pytest.fixture
def previous_run(world_template: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A world holding a complete earlier `ipvg animate` run at OUT (a marker and a video)."""
    root = tmp_path / "world"
    shutil.copytree(world_template, root, symlinks=True)
    out = root / "out"
    out.mkdir()
    (out / ".ipvg-run").write_text("ipvg run folder\n")
    (out / "video.mp4").write_bytes(b"the previous video")
    return root, out


@pytest.mark.parametrize(
    ("fault", "code", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), 4, "disk is full"),
        (KeyboardInterrupt(), 130, "Interrupted"),
    ],
    ids=["disk-full", "ctrl-c"],
)
def test_a_run_broken_mid_way_leaves_the_previous_run_whole(
    fault: BaseException,
    code: int,
    message: str,
    previous_run: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The model runs, then writing the video fails. Wrong code caught: writing into --out directly
    (half a run mixed with the previous one), or not deleting the staging folder."""
    import ipvg.io.video

    def broken_write(*args: object, **kwargs: object) -> None:
        raise fault

    # Every video ipvg writes goes through VideoWriter.write, whichever module calls it.
    monkeypatch.setattr(ipvg.io.video.VideoWriter, "write", broken_write)
    root, _ = previous_run
    before = _snapshot(root)
    assert main(_fill(ANIM, root)) == code
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err and message in (err.strip().splitlines() or [""])[-1], (captured.out, err)
    assert _snapshot(root) == before


def test_a_candidates_symlink_in_the_previous_run_cannot_redirect_writes(
    previous_run: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14: `OUT/candidates` as a symlink made `generate` write outside --out. Runs are written
    into a fresh staging folder, so the link is replaced, never followed."""
    root, out = previous_run
    (out / "candidates").symlink_to(root / "mine")
    before_mine = _snapshot(root / "mine")
    assert main([*_fill(KEY, root), "-n", "1", "--set", "spatial.refine_face=false"]) == 0, capsys.readouterr().err
    assert _snapshot(root / "mine") == before_mine
    assert (out / "candidates").is_dir() and not (out / "candidates").is_symlink()
    assert (out / "candidates" / "candidate_0.png").is_file() and not (out / "video.mp4").exists()


# --- the same mistakes through the real console entry point ----------------------------------

SUBPROCESS_CASES = [
    (["generate"], 2, "Missing option '--face'"),
    (["generat"], 2, "No such command"),
    (["generate", "--bogus"], 2, "No such option"),
    ([], 2, "Usage"),
    (["--version"], 0, "ipvg "),
    (["generate", "-f", "examples/astronaut.png", "--prompt", "x", "-o", "{w}/out"], 3, "models download paper-5b"),
]


def test_usage_mistakes_in_a_real_process_never_print_a_traceback(tmp_path: Path) -> None:
    """The console script path (`python -m ipvg.cli.main`), run in parallel to keep it quick."""
    repo = Path(__file__).resolve().parents[2]
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "ipvg.cli.main", *_fill(tuple(args), tmp_path)],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args, _, _ in SUBPROCESS_CASES
    ]
    for process, (args, code, words) in zip(processes, SUBPROCESS_CASES, strict=True):
        stdout, stderr = process.communicate(timeout=120)
        assert "Traceback" not in stdout + stderr, args
        assert process.returncode == code, (args, stderr)
        assert words in stdout + stderr, (args, stdout, stderr)
        if code not in (0,) and args:
            assert len(stderr.strip().splitlines()) == 1, (args, stderr)
    assert list(tmp_path.iterdir()) == []  # the preflight created no output folder
