"""`ipvg keyframe` on the tiny preset: chosen frame, candidates and a JSON record, or one clear error."""

from __future__ import annotations

import json

from ipvg.cli.keyframe import parse_backend_options
from ipvg.cli.main import main


def test_keyframe_writes_frame_candidates_and_record(faces, tmp_path, capsys) -> None:
    face = tmp_path / "face.png"
    faces["id001"].save(face)
    out = tmp_path / "out"
    code = main(
        [
            "keyframe",
            "--face",
            str(face),
            "--prompt",
            "a man in a suit, close-up",
            "--num-candidates",
            "1",
            "--seed",
            "7",
            "--set",
            "faces.backend=dlib",
            "--option",
            "refine_steps=1",
            "--out",
            str(out),
            "--preset",
            "tiny",
        ],
    )
    assert code == 0, capsys.readouterr()
    # The layout `generate` writes, less the video (issue 14).
    record = json.loads((out / "record.json").read_text())
    assert (out / "first_frame.png").is_file() and (out / "report.html").is_file()
    assert [c["file"] for c in record["outputs"]["candidates"]] == ["candidates/candidate_0.png"]
    assert record["outputs"]["candidates"][0]["seed"] == 7
    assert (out / record["outputs"]["candidates"][0]["file"]).is_file()
    assert record["outputs"]["prompt"].startswith("fcsks fxhks fhyks, ")
    assert record["outputs"]["settings"]["options"]["refine_steps"] == 1
    assert record["scores"]["face_backend"] == "dlib"
    assert not list(out.glob(".*tmp*"))


def test_keyframe_without_a_face_is_one_clear_error(tmp_path, capsys) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (96, 96), (200, 200, 200)).save(blank)
    args = ["keyframe", "--face", str(blank), "--prompt", "a person", "--out", str(tmp_path / "o")]
    code = main([*args, "--preset", "tiny"])
    assert code == 2
    err = capsys.readouterr().err
    assert "No face found" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_option_values_are_typed() -> None:
    assert parse_backend_options(["lora_scale=0.8", "batch_size=2", "refine=none", "hyperlora=/m/H"]) == (
        ("lora_scale", 0.8),
        ("batch_size", 2),
        ("refine", None),
        ("hyperlora", "/m/H"),
    )
