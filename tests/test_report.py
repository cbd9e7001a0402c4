"""The `generate` report, rendered from a run record: settings and the reproducing command first, the
identity strip, links to the files. A record in the pipeline's shape; the end-to-end report is checked
in tests/test_pipeline.py."""

from __future__ import annotations

import re
import shlex
from typing import Any

import numpy as np
from PIL import Image

from ipvg.config import get_preset
from ipvg.report import FACE_PLACEHOLDER, render_report, reproduce_command, sampled_frame_indices


def _record(**changes: Any) -> dict[str, Any]:
    config = get_preset("tiny").with_overrides({"temporal.num_inference_steps": 3, "spatial.num_candidates": 1})
    record: dict[str, Any] = {
        "config": config.to_dict(),
        "inputs": {"face": {"source": "faces/ann.png"}, "prompt": "A woman waves, then 'smiles'", "seed": 7},
        "models": {
            "spatial": {"backend": "hyperlora-sdxl", "model": "ipvg-tiny:sdxl"},
            "temporal": {"backend": "wan22-ti2v-5b", "model": "ipvg-tiny:wan22-ti2v-5b"},
            "faces": "dlib",
            "prompts": "rules",
        },
        "prompts": {"source": "A woman waves", "spatial": "A woman, close-up", "temporal": "A woman waves", "backend": "rules"},
        "stages": [{"name": "temporal.denoise", "seconds": 2.5}, {"name": "faces.video_identity", "seconds": 1.25}],
        "outputs": {
            "num_frames": 9, "fps": 24.0, "width": 96, "height": 64,
            "settings": {"num_inference_steps": 3, "guidance_scale": 5.0},
            "video": "video.mp4", "first_frame": "first_frame.png",
            "candidates": [{"seed": 7, "similarity": 0.61, "chosen": True, "file": "candidates/candidate_0.png"}],
        },
        "scores": {
            "face_backend": "dlib", "first_frame_similarity": 0.61, "video_identity_mean": 0.45,
            "video_identity_per_frame": [0.5, None, 0.4], "video_identity_frames": [0, 4, 8],
        },
        "warnings": ["first *warning*", "second"],
    }  # fmt: skip
    record.update(changes)
    return record


def _render(record: dict[str, Any], frames: np.ndarray | None = None) -> str:
    face = Image.new("RGB", (40, 40), (200, 150, 120))
    frames = np.zeros((9, 16, 24, 3), np.uint8) if frames is None else frames
    return render_report(
        face=face,
        record=record,
        candidates=[(Image.new("RGB", (24, 16)), {"seed": 7, "similarity": 0.61, "chosen": True})],
        video_path=None,
        similarities=record["scores"]["video_identity_per_frame"],
        note="Tiny note.",
        video_frames_FHWC=frames,
    )


def test_the_reproducing_command_sets_exactly_what_differs_from_the_preset() -> None:
    """Catches a command that drops an override (the rerun would differ) or the seed, or breaks quoting."""
    words = shlex.split(reproduce_command(_record()).splitlines()[0])
    assert words[:2] == ["ipvg", "generate"]
    assert words[words.index("--face") + 1] == "faces/ann.png"
    assert words[words.index("--prompt") + 1] == "A woman waves, then 'smiles'"
    assert words[words.index("--preset") + 1] == "tiny" and words[words.index("--seed") + 1] == "7"
    sets = {words[i + 1] for i, word in enumerate(words) if word == "--set"}
    assert sets == {"temporal.num_inference_steps=3", "spatial.num_candidates=1"}


def test_the_command_says_what_it_cannot_reproduce() -> None:
    record = _record(inputs={"face": {"source": None}, "prompt": "x", "seed": 1})
    record["prompts"]["backend"] = "rules+edited"
    command = reproduce_command(record)
    assert f"--face {FACE_PLACEHOLDER}" in command and "edited by hand" in command
    assert "no preset" in reproduce_command(_record(config={"name": "custom", "seed": 0}))


def test_report_puts_the_run_settings_first_then_the_identity_strip() -> None:
    """Catches settings buried under the images, and a strip that loses frames or their scores."""
    page = _render(_record())
    assert page.index("<h2>Run</h2>") < page.index("Identity: reference") < page.index("<h2>Prompts</h2>")
    settings = page[page.index('<table class="settings">') : page.index("</table>")]
    for expected in ("tiny", "ipvg-tiny:wan22-ti2v-5b", "<td>3</td>", "<td>9</td>", "96x64", "<td>24</td>", "<td>7</td>", "3.8 s"):
        assert expected in settings, expected
    strip = page[page.index('<div class="strip">') :]
    strip = strip[: strip.index("</div>")]
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", strip)
    assert captions == [
        "reference<br>&nbsp;",
        "first frame<br><b>0.610</b>",
        "frame 0<br><b>0.500</b>",
        'frame 4<br><span class="miss">no face</span>',
        "frame 8<br><b>0.400</b>",
    ]
    assert page.count('class="point"') == 2 and page.count('class="missing"') == 1  # the chart
    assert "first *warning*" in page and "<li>second</li>" in page
    for link in ("video.mp4", "first_frame.png", "candidates/candidate_0.png", "record.json"):
        assert f'href="{link}"' in page


def test_sampled_frames_fall_back_to_even_spacing_for_older_records() -> None:
    record = _record()
    assert sampled_frame_indices(record, 3) == [0, 4, 8]
    del record["scores"]["video_identity_frames"]
    record["outputs"]["num_frames"] = 121
    assert sampled_frame_indices(record, 16)[:3] == [0, 8, 16] and sampled_frame_indices(record, 16)[-1] == 120
