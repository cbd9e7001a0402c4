"""`ipvg eval` over the challenge layout and on one video, with tiny CLIP (no face backend needed)."""

from __future__ import annotations

import json

from ipvg.cli.main import main


def test_eval_submission_writes_the_report(challenge_dirs, tmp_path, capsys):
    testset, submission = challenge_dirs
    code = main(
        ["eval", str(submission), "--testset", str(testset), "--metrics", "clipscore",
         "--clip-model", "ipvg-tiny:clip-vit-b16", "--out", str(tmp_path / "out")]
    )  # fmt: skip
    output = capsys.readouterr().out
    assert code == 0
    assert "8 videos: 4 ok, 0 partial, 4 failed" in output and "failed (too_many_frames): 1" in output
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "videos",
        "scores.csv",
        "summary.csv",
        "summary.json",
        "report.html",
    }


def test_eval_one_video_prints_json(challenge_dirs, capsys):
    testset, submission = challenge_dirs
    code = main(
        ["eval", "--video", str(submission / "id001" / "prompt1.mp4"), "--face", str(testset / "id001" / "image.png"),
         "--prompt", "a woman smiles", "--metrics", "clipscore", "--clip-model", "ipvg-tiny:clip-vit-b16"]
    )  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "ok" and result["metrics"]["clipscore"]["value"] >= 0


def test_eval_usage_errors(challenge_dirs, capsys):
    _, submission = challenge_dirs
    assert main(["eval", str(submission)]) == 2
    assert "needs SUBMISSION_DIR and --testset" in capsys.readouterr().err
    assert main(["eval", "--video", "x.mp4"]) == 2
    assert "--prompt" in capsys.readouterr().err
