"""`ipvg serve`: options reach the app, localhost by default, clear errors before anything starts."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from ipvg.cli.main import main

pytest.importorskip("gradio", reason="the web extra is not installed (pip install -e '.[web]')")


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the blocking server start with a recorder of what would have been served."""
    import ipvg.web

    calls: list[dict[str, Any]] = []

    def fake_launch(demo: Any, web: Any, **kwargs: Any) -> None:
        calls.append({"demo": demo, "web": web, **kwargs})

    monkeypatch.setattr(ipvg.web, "launch", fake_launch)
    return calls


def test_serve_binds_localhost_by_default(launched: list[dict[str, Any]], tmp_path, capsys) -> None:
    assert main(["serve", "--preset", "tiny", "--out", str(tmp_path)]) == 0
    (call,) = launched
    assert call["host"] == "127.0.0.1" and call["port"] is None
    assert call["web"].preset == "tiny" and call["web"].runs_dir == tmp_path
    assert "warning" not in capsys.readouterr().err


def test_serve_defaults_to_the_papers_preset(launched: list[dict[str, Any]]) -> None:
    """Issue 14: `ipvg serve` serves the paper's recipe unless told otherwise (its weights need not be
    here: the page says which are missing and how to get them)."""
    assert main(["serve"]) == 0
    (call,) = launched
    assert call["web"].preset == "paper-5b" and "tiny" in call["web"].presets


def test_serve_passes_preset_port_and_overrides(launched: list[dict[str, Any]], capsys) -> None:
    code = main(["serve", "--preset", "fast", "--host", "0.0.0.0", "--port", "7999", "--set", "seed=5"])
    assert code == 0
    (call,) = launched
    assert call["host"] == "0.0.0.0" and call["port"] == 7999 and call["web"].preset == "fast"
    assert "anyone who can reach this machine" in capsys.readouterr().err
    pipeline = call["web"].cache.get("fast")  # creating the pipeline loads nothing yet
    assert pipeline.config.seed == 5 and pipeline.config.name == "fast"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "nope"], "Unknown preset `nope`"),
        (["--port", "70000"], "`--port` must be between 1 and 65535"),
        (["--set", "temporal.num_frames"], "is not KEY=VALUE"),
    ],
)
def test_serve_rejects_bad_options_in_one_line(
    launched: list[dict[str, Any]], capsys, args: list[str], message: str
) -> None:
    assert main(["serve", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not launched


def test_serve_without_gradio_says_what_to_install(
    launched: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setitem(sys.modules, "gradio", None)  # makes `import gradio` raise ImportError
    assert main(["serve"]) == 3
    assert "pip install 'ipvg[web]'" in capsys.readouterr().err and not launched


def test_serve_on_a_busy_port_is_one_clear_line(capsys) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"Cannot serve on 127.0.0.1:{port}" in err and "pick another --port" in err
