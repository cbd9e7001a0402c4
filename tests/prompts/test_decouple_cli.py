"""`ipvg decouple`: the token count shown with the spatial prompt, and `--check` on annotations.

The command is mounted on its own Typer app (through its `register`), so these tests do not depend on
the other commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from ipvg.cli import decouple as decouple_cli
from ipvg.prompts import clip_token_count

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "decouple_dev_set.jsonl"


def _app() -> typer.Typer:
    app = typer.Typer()
    decouple_cli.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps Typer from collapsing the app into one command
        pass

    return app


def test_decouple_shows_the_spatial_token_count() -> None:
    """Catches a count that is not the spatial prompt's (e.g. of the temporal prompt or the source)."""
    result = CliRunner().invoke(_app(), ["decouple", "--prompt", "A person is riding a bike", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["spatial_clip_tokens"] == clip_token_count(record["spatial"])
    assert "bike" in record["spatial"]  # the "A person, close-up": the only content was lost
    text = CliRunner().invoke(_app(), ["decouple", "--prompt", "A person is riding a bike"]).output
    assert f"{record['spatial_clip_tokens']} of 77 CLIP tokens" in text


def test_check_scores_annotations(tmp_path: Path) -> None:
    """Catches --check ignoring the split or not reporting a failing prompt."""
    lines = DATA.read_text(encoding="utf-8").splitlines()[:6]
    bad = json.loads(lines[0]) | {"id": "impossible", "spatial_keep": ["zeppelin"], "split": "dev"}
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join([*lines, json.dumps(bad)]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["decouple", "--check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["prompts"] == 7 and any(f["id"] == "impossible" for f in summary["failures"])
    dev = json.loads(CliRunner().invoke(_app(), ["decouple", "--check", str(path), "--split", "dev", "--json"]).output)
    assert dev["prompts"] == 1 + sum(json.loads(line)["split"] == "dev" for line in lines)


def test_dev_split_includes_the_added_parts_and_heldout_is_unchanged() -> None:
    """Catches `--split dev` missing an added part (dev2, dev3), added items leaking into the held-out
    half (which must stay the items frozen before they were added), or the ConsisID prompts coming back."""
    from ipvg.prompts.check import load_annotations

    dev, dev2, dev3, dev4, dev5, dev6, held = (
        load_annotations(DATA, s) for s in ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "heldout")
    )
    assert len(dev2) >= 40 and {i.id for i in dev2} <= {i.id for i in dev}
    assert len(dev3) >= 100 and {i.id for i in dev3} <= {i.id for i in dev}
    assert len(dev4) >= 50 and {i.id for i in dev4} <= {i.id for i in dev}
    assert len(dev5) >= 50 and {i.id for i in dev5} <= {i.id for i in dev}
    assert len(dev6) >= 50 and {i.id for i in dev6} <= {i.id for i in dev}
    # 65 frozen, less the two ConsisID prompts removed in session 3 (see benchmarks/data/README.md)
    assert len(held) == 63 and not any(i.id.startswith(("mgb2-", "mgb3-", "oth3-", "p4-", "p5-", "p6-")) for i in held)
    assert not any(i.id.startswith("concat-") for i in [*dev, *held])
    assert len(dev) == 65 + len(dev2) + len(dev3) + len(dev4) + len(dev5) + len(dev6)


def test_check_refuses_a_prompt_and_check_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["decouple", "--prompt", "A woman waves", "--check", str(DATA)])
    assert result.exit_code != 0


def test_prompt_option_and_positional_alias_agree() -> None:
    """Catches --prompt not wired (the positional still works) or the alias dropped, and two different
    prompts accepted silently (one of them would be ignored)."""
    by_option = CliRunner().invoke(_app(), ["decouple", "--prompt", "A woman waves", "--json"])
    by_position = CliRunner().invoke(_app(), ["decouple", "A woman waves", "--json"])
    assert by_option.exit_code == 0 and by_position.exit_code == 0, by_option.output + by_position.output
    assert json.loads(by_option.output)["spatial"] == json.loads(by_position.output)["spatial"]
    both = CliRunner().invoke(_app(), ["decouple", "A man runs", "--prompt", "A woman waves"])
    assert both.exit_code != 0 and "once" in str(both.exception or both.output)


def test_input_needs_out_and_names_it(tmp_path: Path) -> None:
    """Catches the old --output name left in the refusal (users are told an option that no longer exists)."""
    result = CliRunner().invoke(_app(), ["decouple", "--input", str(tmp_path)])
    assert result.exit_code != 0 and "--out" in str(result.exception) and "--output" not in str(result.exception)


def test_out_without_input_is_refused(tmp_path: Path) -> None:
    """Catches --out silently ignored with a single --prompt (the user expects a file that never appears)."""
    result = CliRunner().invoke(_app(), ["decouple", "--prompt", "A man runs", "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code != 0 and "--input" in str(result.exception)
    assert not (tmp_path / "x.jsonl").exists()
