"""`ipvg animate` end to end on the tiny preset, and its clear one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import av
import pytest

from ipvg.cli.main import main

PROMPT = "An astronaut smiles, then turns her head towards the window"


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """The tiny preset must be asked for (the default is the paper's recipe)."""
    code = main([*args, "--preset", "tiny"] if args[0] == "animate" else args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_animate_writes_playable_mp4_matching_the_request(tmp_path, example_face, capsys):
    out = tmp_path / "out"
    code, stdout, _ = run_cli(
        [
            "animate",
            "--image",
            str(example_face),
            "--prompt",
            PROMPT,
            "--out",
            str(out),
            "--num-frames",
            "13",
            "--seed",
            "5",
        ],
        capsys,
    )
    assert code == 0, stdout
    with av.open(str(out / "video.mp4")) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert len(frames) == 13 and (frames[0].width, frames[0].height) == (96, 64)
        assert float(stream.average_rate) == 24 and stream.codec_context.name == "h264"
    record = json.loads((out / "record.json").read_text())
    assert record["inputs"]["prompt"] == PROMPT and record["inputs"]["seed"] == 5
    assert record["outputs"]["num_frames"] == 13 and record["outputs"]["fps"] == 24
    assert record["config"]["temporal"]["backend"] == "wan22-ti2v-5b"
    assert {stage["name"] for stage in record["stages"]} == {
        "temporal.load",
        "temporal.denoise_decode",
        "temporal.vae_decode",
        "outputs.encode_video",  # the one run writer times the encode for every command
    }
    assert record["environment"]["diffusers"] == "0.42.1"
    # The same layout as `generate` (less the candidates), and nothing else (no staging leftovers).
    assert sorted(p.name for p in out.iterdir()) == [
        ".ipvg-run", "first_frame.png", "record.json", "report.html", "video.mp4"
    ]
    assert record["outputs"]["report"] == "report.html" and "<video" in (out / "report.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("switch", [["--backend", "wan22-i2v-a14b"], ["--set", "temporal.backend=wan22-i2v-a14b"]])
def test_animate_other_backend_on_tiny_preset(tmp_path, example_face, capsys, switch):
    """Wrong code caught: `--set temporal.backend=` keeping the preset's tiny TI2V-5B model (generate
    swapped it, animate did not: "has no `transformer_2`")."""
    code, _, err = run_cli(
        ["animate", "--image", str(example_face), "--prompt", PROMPT, *switch, "--out", str(tmp_path)], capsys
    )
    assert code == 0, err
    assert json.loads((tmp_path / "record.json").read_text())["outputs"]["fps"] == 16


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not-an-image", "Cannot read"),
        ("empty-prompt", "prompt is empty"),
        ("unknown-backend", "Unknown temporal backend `sora`"),
        ("missing-weights", "are not here, so nothing was loaded"),
        ("unwritable-out", "not a folder"),
        ("bad-set", "Unknown config key"),
    ],
)
def test_bad_input_one_line_error_and_no_partial_output(case, expected, tmp_path, example_face, capsys):
    out = tmp_path / "out"
    image, prompt, extra = str(example_face), PROMPT, []
    if case == "not-an-image":
        (tmp_path / "notes.png").write_text("hello")
        image = str(tmp_path / "notes.png")
    elif case == "empty-prompt":
        prompt = "   "
    elif case == "unknown-backend":
        extra = ["--backend", "sora", "--model", "x/y"]
    elif case == "missing-weights":
        extra = ["--model", "nobody/missing-model"]
    elif case == "unwritable-out":
        out.write_text("I am a file")
    elif case == "bad-set":
        extra = ["--set", "temporal.frames=3"]
    code, _, stderr = run_cli(
        ["animate", "--image", image, "--prompt", prompt, "--out", str(out), *extra], capsys
    )
    assert code != 0
    assert expected in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not list(tmp_path.rglob("*.mp4"))
    assert not any(".ipvg-" in p.name for p in tmp_path.iterdir())  # no staging folder left behind
    if case != "unwritable-out":
        assert not out.exists()  # a rejected input leaves no empty folder


def test_console_script_help_everywhere():
    result = subprocess.run(
        [sys.executable, "-m", "ipvg.cli.main", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "animate" in result.stdout
    from typer.main import get_command

    from ipvg.cli.main import app

    command = get_command(app)
    for name in command.commands:
        sub = main([name, "--help"])
        assert sub == 0, name


def test_backends_command_lists_temporal_backends(capsys):
    code, stdout, _ = run_cli(["backends", "--kind", "temporal"], capsys)
    assert code == 0 and "wan22-ti2v-5b" in stdout and "wan22-i2v-a14b" in stdout


def test_typer_exit_codes_propagate():
    import typer

    from ipvg.cli.main import app

    @app.command("exit-three", hidden=True)
    def exit_three() -> None:
        raise typer.Exit(code=3)

    try:
        assert main(["exit-three"]) == 3
    finally:
        app.registered_commands = [c for c in app.registered_commands if c.name != "exit-three"]
