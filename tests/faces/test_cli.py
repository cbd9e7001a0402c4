from __future__ import annotations

import json

import pytest

from ipvg.cli.main import main

pytest.importorskip("dlib")


def test_faces_lists_boxes_as_json(sample_testset, example_face, capsys):
    image = sample_testset / "id001" / "image.png"
    assert main(["faces", str(image), str(example_face), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["backend"] == "dlib"
    faces = result["images"][str(image)]
    assert len(faces) == 1 and len(faces[0]["keypoints_52"]) == 5 and faces[0]["embedding_dim"] == 128
    assert len(result["images"][str(example_face)]) == 1


def test_faces_compare_reports_similarity_per_backend(sample_testset, example_face, capsys):
    other = sample_testset / "id005" / "image.png"
    # Default: every faces backend; those that cannot load here are reported, not fatal.
    assert main(["faces", "compare", str(example_face), str(other), "--json"]) == 0
    rows = {row["backend"]: row for row in json.loads(capsys.readouterr().out)["results"]}
    assert set(rows) >= {"dlib", "insightface", "curricularface"}
    assert 0.0 < rows["dlib"]["similarity"] < 0.91 and rows["dlib"]["note"] == "different people likely"
    for name, row in rows.items():
        assert row["similarity"] is not None or row["note"].startswith("unavailable: "), name


def test_faces_bad_input_is_one_line_and_nonzero(tmp_path, capsys):
    assert main(["faces", "compare", str(tmp_path / "a.png")]) == 2
    assert "exactly two images" in capsys.readouterr().err
    assert main(["faces", str(tmp_path / "missing.png")]) == 2
    assert "Image not found" in capsys.readouterr().err
    assert main(["faces", "compare", str(tmp_path / "x.png"), str(tmp_path / "y.png")]) == 2
