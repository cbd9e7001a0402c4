"""Prompt collections, the cache, the registry/config entry point and `ipvg decouple`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipvg.cli.main import main
from ipvg.config import PromptsConfig
from ipvg.errors import BadInputError, ConfigError, UnknownBackendError
from ipvg.prompts import create_prompt_backend
from ipvg.prompts.batch import PromptCache, PromptItem, decouple_many, read_prompt_items
from ipvg.registry import registry


def test_registry_and_config_entry_point() -> None:
    assert set(registry.names("prompts")) >= {"rules", "llm", "openai", "none"}
    assert create_prompt_backend().name == "rules"
    rules = create_prompt_backend(PromptsConfig(backend="rules", options=(("framing", "medium shot"),)))
    assert rules.decouple("A woman reads a book in a cafe.").spatial.endswith("medium shot")
    with pytest.raises(ConfigError, match="Unknown option"):
        create_prompt_backend(PromptsConfig(backend="rules", options=(("temperature", 0.5),)))
    with pytest.raises(UnknownBackendError):
        create_prompt_backend(PromptsConfig(backend="gpt-magic"))


def test_none_backend_is_the_coupled_baseline() -> None:
    backend = create_prompt_backend(PromptsConfig(backend="none"))
    record = backend.decouple("A man waves\x00 at the camera.")
    assert record.spatial == record.temporal == "A man waves at the camera."
    long = backend.decouple("word " * 400)
    assert any("spatial prompt cut" in w for w in long.warnings)


def test_read_challenge_layout(sample_testset: Path) -> None:
    items = read_prompt_items(sample_testset)
    assert len(items) == 25 and items[0].id == "id001/prompt1"
    assert items[0].image is not None and items[0].image.name == "image.png"


def test_read_txt_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("A woman waves.\n\n  \nA man runs.\n")
    assert [i.id for i in read_prompt_items(tmp_path / "p.txt")] == ["line1", "line4"]
    (tmp_path / "p.jsonl").write_text('{"id": "a", "prompt": "A woman waves."}\n{"text": "A man runs."}\n')
    assert [(i.id, i.text) for i in read_prompt_items(tmp_path / "p.jsonl")] == [
        ("a", "A woman waves."),
        ("line2", "A man runs."),
    ]
    (tmp_path / "bad.jsonl").write_text('{"id": "a"}\n')
    with pytest.raises(BadInputError, match="no `prompt`"):
        read_prompt_items(tmp_path / "bad.jsonl")
    with pytest.raises(BadInputError, match="does not exist"):
        read_prompt_items(tmp_path / "missing")


def test_cache_hits_and_bad_rows(tmp_path: Path) -> None:
    class CountingRules:
        name = "rules"

        def __init__(self) -> None:
            self.inner = create_prompt_backend()
            self.calls = 0

        def decouple(self, prompt: str, *, subject: str | None = None):
            self.calls += 1
            return self.inner.decouple(prompt, subject=subject)

    backend = CountingRules()
    cache = PromptCache(backend.inner.config_key(), root=tmp_path / "cache")
    items = [PromptItem("a", "A woman waves."), PromptItem("b", "   "), PromptItem("c", "A woman waves.")]
    results = decouple_many(backend, items, cache=cache)
    assert [r.cached for r in results] == [False, False, True] and backend.calls == 2
    assert results[1].error and "empty" in results[1].error
    again = decouple_many(backend, items[:1], cache=cache)
    assert again[0].cached and again[0].record == results[0].record and backend.calls == 2
    other = PromptCache(backend.inner.config_key() | {"framing": "wide shot"}, root=tmp_path / "cache")
    assert other.get("A woman waves.", None) is None


def test_cli_single_prompt(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "decouple",
                "The gymnast twirled in the air as the crowd cheered loudly.",
                "--subject",
                "A woman",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "temporal: A woman, a gymnast, twirled in the air" in out and "spatial:  A woman, a gymnast" in out
    assert main(["decouple", "A man waves.", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["subject"] == "A man"


def test_cli_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["decouple", "  "]) == 2
    assert "The prompt is empty" in capsys.readouterr().err
    assert main(["decouple", "x", "--input", str(tmp_path)]) == 2
    assert main(["decouple", "--input", str(tmp_path)]) == 2
    assert main(["decouple", "A man waves.", "--backend", "nope"]) == 2


def test_cli_batch_on_the_challenge_layout(
    sample_testset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out" / "prompts.jsonl"
    assert main(["decouple", "--input", str(sample_testset), "--out", str(output)]) == 0
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(rows) == 25 and rows[0]["id"] == "id001/prompt1" and rows[0]["backend"] == "rules"
    assert all(row["temporal"].startswith(row["subject"]) for row in rows)
    assert "25 of 25 prompts decoupled" in capsys.readouterr().out
    assert main(["decouple", "--input", str(sample_testset), "--out", str(output)]) == 0
    assert "(25 from cache)" in capsys.readouterr().out
    assert sorted(p.name for p in output.parent.iterdir()) == ["prompts.jsonl"]  # no temporary files left


def test_cli_batch_reports_bad_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "prompts.jsonl"
    source.write_text('{"id": "ok", "prompt": "A woman waves."}\n{"id": "bad", "prompt": " \\u0000 "}\n')
    output = tmp_path / "out.jsonl"
    assert main(["decouple", "--input", str(source), "--out", str(output), "--no-cache"]) == 2
    rows = {row["id"]: row for row in map(json.loads, output.read_text().splitlines())}
    assert rows["ok"]["spatial"].startswith("A woman") and "empty" in rows["bad"]["error"]
    assert "error: bad" in capsys.readouterr().err


def test_cli_batch_subjects_come_from_each_identitys_face(
    sample_testset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The challenge layout's image.png decides each identity's subject phrase, one detection per identity."""
    import numpy as np

    import ipvg.cli.decouple as command
    from ipvg.faces.base import Face

    class AlternatingFaces:
        name, embedding_dim = "fake", 4

        def __init__(self) -> None:
            self.calls = 0

        def detect(self, image):
            self.calls += 1
            gender = "female" if self.calls % 2 else "male"
            return [Face((0.0, 0.0, 10.0, 10.0), np.zeros((5, 2)), 0.9, gender=gender, backend="fake")]

    faces = AlternatingFaces()
    monkeypatch.setattr(command, "_face_backend", lambda name: faces if name else None)
    output = tmp_path / "prompts.jsonl"
    assert (
        main(
            [
                "decouple",
                "--input",
                str(sample_testset),
                "--out",
                str(output),
                "--face-backend",
                "fake",
                "--no-cache",
            ]
        )
        == 0
    )
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    subjects = {row["id"].split("/")[0]: row["subject"] for row in rows}
    assert subjects == {
        "id001": "A woman",
        "id002": "A man",
        "id003": "A woman",
        "id004": "A man",
        "id005": "A woman",
    }
    assert faces.calls == 5
    assert all(row["temporal"].startswith(subjects[row["id"].split("/")[0]]) for row in rows)
