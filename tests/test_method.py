"""Tests that fail when the method breaks: the tiny preset's real models run, with spies on what each stage
receives and a fake face backend that finds a face in every generated frame, so identity scoring really runs.

Each test names, in its docstring, the wrong code it catches (the mutations of issue 15).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ipvg.config import get_preset
from ipvg.errors import NoFaceDetectedError
from ipvg.faces import Face, Reference
from ipvg.identity import challenge_frame_indices, identity_similarity
from ipvg.pipeline import IdentityVideoPipeline
from ipvg.spatial import create_spatial_backend
from ipvg.temporal import create_temporal_backend

PROMPT = "The man smiles, then turns his head to the left while the camera slowly zooms in, in a sunny park"


class PixelFaces:
    """A face backend that finds one face in any image that is not flat; its 128-d embedding (dlib's
    width, which HyperLoRA's tiny projector takes) is the image shrunk to 16x8 grey pixels, so every
    distinct frame (even tiny models' noise) gets its own similarity."""

    name = "pixel-faces"
    embedding_dim = 128

    def __init__(self) -> None:
        self.num_detect_calls = 0

    def detect(self, image: Image.Image | np.ndarray) -> list[Face]:
        self.num_detect_calls += 1
        image = Image.fromarray(image) if isinstance(image, np.ndarray) else image
        if np.asarray(image.convert("L"), dtype=np.float64).std() < 1.0:
            return []
        width, height = image.size
        small = image.convert("L").resize((16, 8), Image.Resampling.BOX)
        raw = np.asarray(small, dtype=np.float64).ravel() + 1.0
        box = (width * 0.35, height * 0.3, width * 0.65, height * 0.6)
        keypoints = np.array([[0.4, 0.4], [0.6, 0.4], [0.5, 0.5], [0.42, 0.62], [0.58, 0.62]]) * [width, height]
        return [
            Face(box, keypoints, 1.0, embedding=raw / np.linalg.norm(raw), raw_embedding=raw, backend=self.name)
        ]

    def align(self, image: Image.Image, face: Face, size: int = 112) -> Image.Image:
        return image.crop(tuple(int(v) for v in face.box_xyxy)).resize((size, size))


class CallSpy:
    """Stands in for a diffusers pipeline: records each call's keyword arguments, then runs the real one."""

    def __init__(self, pipe: Any, events: list[str], label: str) -> None:
        self._pipe, self._events, self._label = pipe, events, label
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        self._events.append(self._label)
        return self._pipe(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipe, name)


@pytest.fixture(scope="module")
def face_path(sample_testset: Path) -> Path:
    return sample_testset / "id004" / "image.png"


@pytest.fixture(scope="module")
def spied(face_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the whole method with spies on both stages' diffusers pipelines and the spatial release.

    The stages are built for the CPU (offload none) while the pipeline's own config asks for offloading,
    so the pipeline must release the spatial models before the video stage, as on a 24 GB GPU."""
    config = get_preset("tiny")
    faces = PixelFaces()
    spatial = create_spatial_backend(config.spatial, config.faces, config.runtime)
    temporal = create_temporal_backend(config.temporal, config.runtime)
    spatial.load()
    temporal.load()
    events: list[str] = []
    spatial.pipe = spatial_spy = CallSpy(spatial.pipe, events, "spatial.draw")
    temporal.pipe = temporal_spy = CallSpy(temporal.pipe, events, "temporal.animate")
    unload = spatial.unload

    def spy_unload() -> None:
        events.append("spatial.unload")
        unload()

    spatial.unload = spy_unload
    animate_calls: list[dict[str, Any]] = []
    animate = temporal.animate

    def spy_animate(*args: Any, **kwargs: Any) -> Any:
        animate_calls.append(dict(kwargs, args=args))
        return animate(*args, **kwargs)

    temporal.animate = spy_animate
    offloading = dataclasses.replace(config, runtime=dataclasses.replace(config.runtime, offload="model"))
    pipeline = IdentityVideoPipeline(offloading, faces=faces, spatial=spatial, temporal=temporal)
    out = tmp_path_factory.mktemp("method")
    result = pipeline(face_path, PROMPT, seed=7, out_dir=out)  # seed 7: candidate 1 (not 0) wins
    return {
        "result": result,
        "out": out,
        "faces": faces,
        "events": events,
        "spatial_calls": spatial_spy.calls,
        "temporal_calls": temporal_spy.calls,
        "animate_calls": animate_calls,
        "face_path": face_path,
    }


def test_each_stage_reads_its_own_prompt(spied: dict[str, Any]) -> None:
    """Catches: spatial and temporal prompts swapped (or the user's raw prompt passed) in the pipeline."""
    prompts = spied["result"].prompts
    assert prompts.spatial != prompts.temporal and "zooms" in prompts.temporal and "zooms" not in prompts.spatial
    assert spied["spatial_calls"], "the spatial model was never called"
    for call in spied["spatial_calls"]:
        assert call["prompt"].endswith(prompts.spatial), call["prompt"]
    assert [call["prompt"] for call in spied["temporal_calls"]] == [prompts.temporal]


def test_the_video_starts_from_the_chosen_candidate(spied: dict[str, Any]) -> None:
    """Catches: animating candidate 0 (or the face photo) instead of the best-scoring candidate, and a
    choice that ignores the scores."""
    result = spied["result"]
    (call,) = spied["temporal_calls"]
    similarities = [c.similarity for c in result.candidates]
    assert len(set(similarities)) == len(similarities), "fake faces should score candidates apart"
    chosen = max(range(len(similarities)), key=lambda i: similarities[i])
    assert chosen != 0, "pick a seed whose best candidate is not the first, or this test cannot fail"
    assert [c.chosen for c in result.candidates] == [i == chosen for i in range(len(similarities))]
    np.testing.assert_array_equal(np.asarray(call["image"]), np.asarray(result.candidates[chosen].image))
    np.testing.assert_array_equal(np.asarray(result.first_frame), np.asarray(result.candidates[chosen].image))


def test_the_video_stage_gets_the_reference_face(spied: dict[str, Any]) -> None:
    """Catches: the reference face not handed to the video stage (reference-conditioned VACE backends
    need it), or the whole photo handed over instead of the face."""
    from ipvg.identity import reference_crop

    (call,) = spied["animate_calls"]
    face_image = Image.open(spied["face_path"]).convert("RGB")
    reference = spied["faces"].detect(face_image)[0]
    expected = reference_crop(Reference(face_image, reference))
    assert call["reference"].size == expected.size and call["reference"].size != face_image.size
    np.testing.assert_array_equal(np.asarray(call["reference"]), np.asarray(expected))


def test_without_a_first_frame_stage_the_video_comes_from_the_reference(face_path: Path) -> None:
    """Catches: a `spatial.backend=none` pipeline still drawing a first frame, or not giving the
    reference-conditioned video model the reference face (VACE then only sees the prompt)."""
    config = get_preset("tiny").with_overrides(
        {
            "spatial.backend": "none",
            "temporal.backend": "wan21-vace-14b",
            "temporal.model": "ipvg-tiny:wan21-vace-14b",
        }
    )
    faces = PixelFaces()
    temporal = create_temporal_backend(config.temporal, config.runtime)
    temporal.load()
    temporal.pipe = spy = CallSpy(temporal.pipe, [], "temporal.animate")
    pipeline = IdentityVideoPipeline(config, faces=faces, temporal=temporal)
    result = pipeline(face_path, PROMPT, seed=1)
    assert pipeline._spatial is None and result.first_frame is None and result.candidates == []
    (call,) = spy.calls
    (reference,) = call["reference_images"]
    face_image = Image.open(face_path).convert("RGB")
    assert reference.size != face_image.size and min(reference.size) > 0
    assert result.record.scores["first_frame_similarity"] is None
    assert len(result.record.scores["video_identity_per_frame"]) == 16


def test_wan_reads_its_negative_prompt(spied: dict[str, Any]) -> None:
    """Catches: Wan's official negative prompt dropped (None/"" passed to the pipeline) or not recorded."""
    from ipvg.temporal.recipes import WAN_NEGATIVE_PROMPT

    (call,) = spied["temporal_calls"]
    assert WAN_NEGATIVE_PROMPT and call["negative_prompt"] == WAN_NEGATIVE_PROMPT
    record = json.loads((spied["out"] / "record.json").read_text())
    assert record["outputs"]["settings"]["negative_prompt"] == WAN_NEGATIVE_PROMPT


def test_spatial_models_are_released_before_the_video_stage_under_offload(spied: dict[str, Any]) -> None:
    """Catches: the pipeline skipping the release of the first-frame models when offloading (the 5B path
    on a 24 GB GPU then holds SDXL and Wan at once), or releasing them only after the video stage."""
    events = [e for e in spied["events"] if e != "spatial.draw"]
    assert events == ["spatial.unload", "temporal.animate"]


def test_video_identity_scores_the_challenges_frames(spied: dict[str, Any]) -> None:
    """Catches: one frame scored sixteen times, a rounding sampler (`linspace(...).round()`, which differs
    from the challenge's truncation on 5-6 of 16 frames of 49/81-frame videos), and records whose
    frame list disagrees with `ipvg eval`'s."""
    from ipvg.eval.frames import sample_frames

    result, faces = spied["result"], spied["faces"]
    video = result.video
    expected_indices = np.linspace(0, video.num_frames - 1, 16, dtype=int).tolist()
    record = json.loads((spied["out"] / "record.json").read_text())
    scores = record["scores"]
    assert scores["video_identity_frames"] == expected_indices == result.video_identity.frame_indices
    reference = faces.detect(Image.open(spied["face_path"]))[0]
    expected = [identity_similarity(reference, faces.detect(video.frame(i))[0]) for i in expected_indices]
    assert len(set(expected)) > 4, "the fake face backend should tell the frames apart"
    np.testing.assert_allclose(scores["video_identity_per_frame"], expected, rtol=1e-9)
    assert scores["video_identity_mean"] == pytest.approx(float(np.mean(expected)))
    assert scores["frames_without_face"] == 0
    # `ipvg eval` samples the written video at the same indices.
    assert list(sample_frames(spied["out"] / "video.mp4").indices) == expected_indices


@pytest.mark.parametrize(
    ("num_frames", "indices"),
    [
        (49, [0, 3, 6, 9, 12, 16, 19, 22, 25, 28, 32, 35, 38, 41, 44, 48]),  # rounding differs on 6
        (81, [0, 5, 10, 16, 21, 26, 32, 37, 42, 48, 53, 58, 64, 69, 74, 80]),  # rounding differs on 5
        (9, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8]),  # shorter than 16: repeats, as scored
    ],
)
def test_challenge_sampler_truncates(num_frames: int, indices: list[int]) -> None:
    """Catches: `round()` in place of the challenge's `dtype=int` truncation, and "all frames when fewer
    than 16" (the challenge's mean weights the repeated frames)."""
    assert challenge_frame_indices(num_frames) == indices


def test_reference_is_searched_once(face_path: Path, tmp_path: Path) -> None:
    """Catches: the grey-padded retry wrapped around a backend that already applies it (two searches of
    the reference, the second on a padded copy), and stage models created before the face is checked."""
    faces = PixelFaces()
    pipeline = IdentityVideoPipeline(get_preset("tiny"), faces=faces)
    flat = tmp_path / "flat.png"
    Image.new("RGB", (64, 64), (90, 140, 200)).save(flat)
    with pytest.raises(NoFaceDetectedError, match="flat.png"):
        pipeline(flat, PROMPT, out_dir=tmp_path / "out")
    assert faces.num_detect_calls == 1
    assert pipeline._spatial is None and pipeline._temporal is None


def test_encoder_failing_mid_write_keeps_the_previous_video(
    spied: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches: the mp4 written in place (not to a temporary file moved in when complete), and a record
    written before the video: a failed rerun must leave the previous video and record intact."""
    import av

    out = tmp_path / "run"
    shutil.copytree(spied["out"], out)
    before = {name: (out / name).read_bytes() for name in ("video.mp4", "record.json")}
    real_open = av.open
    muxed: list[int] = []

    class DiskFillsUp:
        """An mp4 container whose disk fills up after the header and two packets are on it."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._container = real_open(*args, **kwargs)

        def mux(self, packet: Any) -> None:
            muxed.append(1)
            if len(muxed) > 2:
                raise OSError(28, "No space left on device")
            self._container.mux(packet)

        def __enter__(self) -> DiskFillsUp:
            return self

        def __exit__(self, *exc_info: Any) -> Any:
            return self._container.__exit__(*exc_info)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._container, name)

    monkeypatch.setattr(av, "open", DiskFillsUp)
    rerun = copy.deepcopy(spied["result"])  # another run's result into the same folder
    rerun.record.inputs["seed"] = 6
    with pytest.raises(OSError, match="No space left"):
        rerun.save(out)  # the run writer every command uses (records.write_run)
    assert len(muxed) == 3
    assert {name: (out / name).read_bytes() for name in before} == before
    # Nothing half-written left, in the folder (its `.ipvg-run` marker aside) or beside it (staging).
    assert not [p.name for p in out.rglob("*") if p.name != ".ipvg-run" and (p.name[0] == "." or "tmp" in p.name)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


PLUGIN_MODULE = '''
from ipvg.registry import BackendSpec


def register(registry):
    registry.register(
        BackendSpec(kind="faces", name="plugin-faces", target="ipvg_method_plugin:create", summary="a plugin")
    )


def create(**options):
    return {"created_by": "ipvg_method_plugin", "options": options}
'''


def test_plugins_register_through_real_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches: the registry not reading the `ipvg.plugins` entry-point group (or the wrong group), not
    calling the hook it loads, and one broken plugin taking the built-in backends down with it.

    The plugins are installed for real: a module and a `.dist-info` with `entry_points.txt` on sys.path,
    found by `importlib.metadata` as any pip-installed package is."""
    from ipvg.registry import ENTRY_POINT_GROUP, Registry

    (tmp_path / "ipvg_method_plugin.py").write_text(PLUGIN_MODULE)
    dist_info = tmp_path / "ipvg_method_plugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: ipvg-method-plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nmethod = ipvg_method_plugin:register\nbroken = ipvg_method_plugin:no_such_hook\n"
        "[some.other.group]\nstray = ipvg_method_plugin:register\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    assert "plugin-faces" in registry.names("faces") and "dlib" in registry.names("faces")
    assert registry.create("faces", "plugin-faces", model_root="x") == {
        "created_by": "ipvg_method_plugin",
        "options": {"model_root": "x"},
    }
    (error,) = registry.plugin_errors
    assert "broken" in error and "no_such_hook" in error
