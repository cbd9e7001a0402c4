from __future__ import annotations

import av
import numpy as np
import pytest

from ipvg.errors import BadInputError, OutputError
from ipvg.io.files import atomic_path, ensure_writable_dir, write_json_atomic
from ipvg.io.video import read_video, write_video


def test_h264_roundtrip(tmp_path):
    # A smooth gradient that moves: H.264 + 4:2:0 chroma keep it close (random noise would not be).
    y, x = np.mgrid[0:64, 0:96]
    frames = np.stack(
        [np.stack([(x * 2 + t * 5) % 256, y * 3, (x + y + t) % 256], axis=-1) for t in range(13)]
    ).astype(np.uint8)
    path = write_video(frames, 24, tmp_path / "v.mp4")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert float(stream.average_rate) == 24
    video = read_video(path)
    assert (video.num_frames, video.height, video.width, video.fps) == (13, 64, 96, 24)
    assert np.abs(video.frames_FHWC.astype(int) - frames.astype(int)).mean() < 6  # lossy but close
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_fractional_fps_and_odd_sizes(tmp_path):
    frames = np.zeros((3, 33, 47, 3), dtype=np.uint8)
    video = read_video(write_video(frames, 23.976, tmp_path / "odd.mp4"))
    assert (video.height, video.width) == (32, 46)
    assert video.fps == pytest.approx(23.976, abs=1e-3)


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(BadInputError):
        write_video(np.zeros((0, 8, 8, 3), np.uint8), 24, tmp_path / "none.mp4")
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "x.json") as temp:
        temp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_unreadable_videos(tmp_path):
    with pytest.raises(BadInputError, match="not found"):
        read_video(tmp_path / "missing.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 100)
    with pytest.raises(BadInputError):
        read_video(tmp_path / "junk.mp4")


def test_output_folder_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="Cannot create|not a folder"):
        ensure_writable_dir(blocker / "sub")
    with pytest.raises(OutputError, match="not a folder"):
        ensure_writable_dir(blocker)
    write_json_atomic(tmp_path / "ok" / "r.json", {"a": 1})
    assert (tmp_path / "ok" / "r.json").read_text().strip().endswith("}")
