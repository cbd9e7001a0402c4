"""The answer to a run that cannot start (missing weights) comes before torch is imported.

Each case runs the CLI in a fresh interpreter (an import made by an earlier test would hide one made
on the path under test) with an empty HOME and Hugging Face cache, so every weight is missing, and
reports which heavy packages were imported by the time `main` returned.

Wrong code these catch: a top-level `import torch` (or `from ipvg.runtime import ...`, whose device
and options modules import torch) in `ipvg.identity` or `ipvg.temporal.recipes`; the temporal
registration reading its recipe tables from `ipvg.temporal.wan` again (torch and diffusers at its
top); an eager import of `ipvg.runtime.device` in `ipvg/runtime/__init__.py` while anything on the
path imports a torch-free `ipvg.runtime.*` module; `models.preflight` importing a backend module.
The wall time of each case is printed (`pytest -s`), never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HEAVY = ("torch", "diffusers", "transformers")
PROMPT = "A woman waves at the camera"

# Runs `ipvg` with argv, then prints what the test reads: the exit code and the heavy modules loaded.
PROBE = f"""
import json, sys
from ipvg.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({{"code": code, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _run(argv: list[str], home: Path, *, first_on_path: Path | None = None) -> tuple[int, list[str], str, float]:
    env = os.environ | {
        "HOME": str(home),  # no ~/.insightface model pack
        "HF_HOME": str(home / "hf"),  # an empty Hugging Face cache: every hub model is missing
        "IPVG_CACHE": str(home / "ipvg-cache"),
        "HF_HUB_OFFLINE": "1",
    }
    if first_on_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(first_on_path), *filter(None, [os.environ.get("PYTHONPATH")])])
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, timeout=120
    )
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr  # the probe itself ran; `main`'s code is in its output
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], result["loaded"], done.stderr, seconds


def _testset(root: Path, face: Path) -> Path:
    item = root / "testset" / "id001"
    item.mkdir(parents=True)
    (item / "image.png").write_bytes(face.read_bytes())
    (item / "prompt1.txt").write_text(PROMPT, encoding="utf-8")
    return item.parent


# (argv after `ipvg`, with {face}/{out}/{testset} filled in; the weights the answer must name)
MISSING_WEIGHTS_CASES = {
    "generate": (["generate", "--face", "{face}", "--prompt", PROMPT, "--out", "{out}"], "Wan2.2-TI2V-5B"),
    # the Lightning LoRAs (runtime.loras, from ipvg.config) and the two-expert A14B recipe
    "generate-fast": (
        ["generate", "--face", "{face}", "--prompt", PROMPT, "--out", "{out}", "--preset", "fast"],
        "Wan2.2-Lightning",
    ),
    # no first-frame stage: the VACE recipes
    "generate-first-place-like": (
        ["generate", "--face", "{face}", "--prompt", PROMPT, "--out", "{out}", "--preset", "first-place-like"],
        "Wan2.1-VACE-14B",
    ),
    "animate": (["animate", "--image", "{face}", "--prompt", PROMPT, "--out", "{out}"], "Wan2.2-TI2V-5B"),
    "keyframe": (["keyframe", "--face", "{face}", "--prompt", PROMPT, "--out", "{out}"], "RealVisXL"),
    "batch": (["batch", "{testset}", "--out", "{out}"], "Wan2.2-TI2V-5B"),
}


@pytest.mark.parametrize("case", sorted(MISSING_WEIGHTS_CASES))
def test_missing_weights_answer_comes_before_torch(case: str, tmp_path: Path, example_face: Path):
    argv, named = MISSING_WEIGHTS_CASES[case]
    fill = {"face": str(example_face), "out": str(tmp_path / "out")}
    if "{testset}" in argv:
        fill["testset"] = str(_testset(tmp_path, example_face))
    code, loaded, stderr, seconds = _run([arg.format(**fill) for arg in argv], tmp_path)
    print(f"{case}: {seconds:.2f} s to the missing-weights answer")
    # exit 3 (WeightsNotFoundError) from `models.preflight`, as one line naming the missing model
    lines = stderr.strip().splitlines()
    assert code == 3 and len(lines) == 1 and lines[0].startswith("error:"), stderr
    assert "not here" in lines[0] and named in lines[0], lines[0]
    assert loaded == [], f"`ipvg {case}` imported {loaded} before refusing the run"
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_a_broken_torch_install_still_gets_our_answer(tmp_path: Path, example_face: Path):
    """The user-facing point of the above: with a torch that fails to import, the missing-weights
    answer is still ipvg's one line (exit 3), not torch's ImportError traceback."""
    broken = tmp_path / "broken-site"
    (broken / "torch").mkdir(parents=True)
    (broken / "torch" / "__init__.py").write_text("raise ImportError('broken torch (test)')\n", encoding="utf-8")
    argv = ["generate", "--face", str(example_face), "--prompt", PROMPT, "--out", str(tmp_path / "out")]
    code, loaded, stderr, _ = _run(argv, tmp_path, first_on_path=broken)
    assert code == 3 and stderr.startswith("error:") and "not here" in stderr, stderr
    assert "broken torch" not in stderr and loaded == []


@pytest.mark.parametrize(
    "argv", [["--version"], ["--help"], ["generate", "--help"], ["models", "list"], ["presets"]]
)
def test_listing_commands_never_import_torch(argv: list[str], tmp_path: Path):
    code, loaded, stderr, _ = _run(argv, tmp_path)
    assert code == 0, stderr
    assert loaded == [], f"`ipvg {' '.join(argv)}` imported {loaded}"
