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


def test_eval_one_video_prints_the_submission_table(challenge_dirs, tmp_path, capsys):
    """Issue 19: `--video` printed raw JSON. Wrong code caught: a different print path for one video
    (the table's lines must match a one-video submission's), and "1 videos"."""
    testset, submission = challenge_dirs
    code = main(
        ["eval", "--video", str(submission / "id001" / "prompt1.mp4"), "--face", str(testset / "id001" / "image.png"),
         "--prompt", "a woman smiles", "--metrics", "clipscore", "--clip-model", "ipvg-tiny:clip-vit-b16",
         "--out", str(tmp_path / "one")]
    )  # fmt: skip
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "1 video: 1 ok, 0 partial, 0 failed", lines
    assert lines[1].split()[0] == "clipscore" and float(lines[1].split()[1]) >= 0 and "(1 video)" in lines[1]
    page = (tmp_path / "one" / "report.html").read_text()
    assert page.index("<h2>Metrics</h2>") < page.index("<h2>Videos")  # the table comes first


def test_eval_usage_errors(challenge_dirs, capsys):
    _, submission = challenge_dirs
    assert main(["eval", str(submission)]) == 2
    assert "needs SUBMISSION_DIR and --testset" in capsys.readouterr().err
    assert main(["eval", "--video", "x.mp4"]) == 2
    assert "--prompt" in capsys.readouterr().err


def test_eval_one_missing_or_unreadable_video_fails(challenge_dirs, capsys):
    """Issue 14: `ipvg eval --video` exited 0 when the video was missing or unreadable.
    Wrong code caught: printing the failed result's JSON and returning 0."""
    testset, submission = challenge_dirs
    for video in (submission / "id001" / "prompt3.mp4", submission / "id004" / "prompt3.mp4"):
        code = main(
            ["eval", "--video", str(video), "--face", str(testset / "id001" / "image.png"),
             "--prompt", "a woman smiles", "--metrics", "clipscore", "--clip-model", "ipvg-tiny:clip-vit-b16"]
        )  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "could not be scored" in err and "Traceback" not in err


def test_eval_refuses_bad_counts_and_an_out_folder_inside_the_test_set(challenge_dirs, tmp_path, capsys):
    """Wrong code caught: `--num-frames 0` reaching EvalSuite's ValueError (a traceback); scores
    written into the test set (batch refuses it, eval did not)."""
    testset, submission = challenge_dirs
    base = ["eval", str(submission), "--testset", str(testset), "--metrics", "clipscore"]
    for extra, message in (
        (["--num-frames", "0"], "`--num-frames` must be >= 1"),
        (["--max-frames", "-1"], "`--max-frames` must be >= 1"),
        (["--out", str(testset / "scores")], "inside the test set"),
        (["--out", str(testset)], "inside the test set"),
    ):
        assert main([*base, *extra]) == 2, extra
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert not (testset / "scores").exists()


def test_resume_rescores_per_video_json_it_cannot_use(challenge_dirs, tmp_path, capsys):
    """Issue 14: `--resume` over a per-video JSON holding `[1, 2]` or a string score gave tracebacks.
    Wrong code caught: trusting any JSON that parses (the string reaches the summary's mean)."""
    testset, submission = challenge_dirs
    out = tmp_path / "out"
    args = ["eval", str(submission), "--testset", str(testset), "--metrics", "clipscore",
            "--clip-model", "ipvg-tiny:clip-vit-b16", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    first = json.loads((out / "summary.json").read_text())["metrics"]["clipscore"]["mean"]
    good = out / "videos" / "id001" / "prompt1.json"
    data = json.loads(good.read_text())
    data["metrics"]["clipscore"]["value"] = "high"
    good.write_text(json.dumps(data))
    (out / "videos" / "id005" / "prompt1.json").write_text("[1, 2]")
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text())["metrics"]["clipscore"]["mean"] == first
    assert isinstance(json.loads(good.read_text())["metrics"]["clipscore"]["value"], float)
