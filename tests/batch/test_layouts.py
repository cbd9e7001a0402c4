"""Reading test sets and pairs files: the sample set, bad inputs, ids, seeds, shards, output paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ipvg.batch import item_seed, parse_shard, read_dataset, read_pairs, read_testset
from ipvg.batch.items import contained_path, unsafe_name_reason
from ipvg.errors import BadInputError, ConfigError, OutputError


def test_sample_testset_reads_every_prompt_in_natural_order(sample_testset: Path) -> None:
    dataset = read_testset(sample_testset)
    assert dataset.layout == "challenge"
    assert len(dataset.items) == 25 and not dataset.invalid and not dataset.problems
    assert [item.item_id for item in dataset.items[:6]] == [
        *(f"id001/prompt{k}" for k in range(1, 6)),
        "id002/prompt1",
    ]
    first = dataset.items[0]
    assert first.face_path == sample_testset / "id001" / "image.png"
    assert first.prompt.startswith("The astronaut") and "\n" not in first.prompt


def test_bad_testset_reports_each_problem_and_keeps_the_good_items(small_testset: Path) -> None:
    (small_testset / "id004" / "image.png").unlink()  # missing image
    (small_testset / "id001" / "prompt2.txt").write_text("  \n")  # empty prompt
    (small_testset / "README.md").write_text("notes")  # unexpected file (top level)
    (small_testset / "id001" / "notes.txt").write_text("x")  # unexpected file (identity folder)
    bad = small_testset / "bad..name"  # an id that is not a safe name
    bad.mkdir()
    (bad / "image.png").write_bytes((small_testset / "id001" / "image.png").read_bytes())
    (bad / "prompt1.txt").write_text("A man walks")
    (small_testset / "id009").mkdir()  # no prompts at all

    dataset = read_testset(small_testset)

    assert [item.item_id for item in dataset.items] == ["id001/prompt1"]
    assert {item_id: problem.reason for item_id, problem in dataset.invalid.items()} == {
        "bad..name/prompt1": "unsafe_id",
        "id001/prompt2": "empty_prompt",
        "id004/prompt1": "missing_image",
        "id004/prompt2": "missing_image",
    }
    # Every problem that spoils no item is a notice the CLI prints (issue 14: an identity without
    # prompt files was dropped without a word).
    notices = {Path(problem.where).name for problem in dataset.notices}
    assert notices == {"README.md", "notes.txt", "id009"}
    no_prompts = [problem for problem in dataset.problems if problem.reason == "no_prompts"]
    assert len(no_prompts) == 1 and no_prompts[0].where.endswith("id009")
    assert "is empty" in dataset.invalid["id001/prompt2"].one_line()


def test_empty_or_missing_testset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not found"):
        read_dataset(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="No items found"):
        read_testset(tmp_path / "empty")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(BadInputError, match=r"neither a test-set folder nor a \.csv/\.jsonl"):
        read_dataset(tmp_path / "file.txt")


def test_csv_pairs_default_ids_names_and_relative_faces(sample_testset: Path, tmp_path: Path) -> None:
    face_a, face_b = sample_testset / "id001" / "image.png", sample_testset / "id004" / "image.png"
    os.symlink(face_a, tmp_path / "a.png")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        f"face,prompt\na.png,A man waves\n{face_b},A woman smiles\na.png,A man runs\n{face_b},\n"
    )
    dataset = read_pairs(pairs)
    assert [(item.item_id, item.prompt) for item in dataset.items] == [
        ("id001/prompt1", "A man waves"),
        ("id002/prompt1", "A woman smiles"),
        ("id001/prompt2", "A man runs"),
    ]
    assert dataset.items[0].face_path == tmp_path / "a.png"
    assert dataset.invalid["id002/prompt2"].reason == "empty_prompt"
    assert dataset.invalid["id002/prompt2"].where == f"{pairs}:5"


def test_jsonl_pairs_with_unsafe_ids_never_become_paths(sample_testset: Path, tmp_path: Path) -> None:
    face = str(sample_testset / "id001" / "image.png")
    rows = [
        {"face": face, "prompt": "A man waves", "id": "../x", "name": "p1"},
        {"face": face, "prompt": "A man waves", "id": "ok", "name": "../../etc/passwd"},
        {"face": face, "prompt": "A man waves", "id": "ok", "name": "p1"},
        {"face": face, "prompt": "A man waves again", "id": "ok", "name": "p1"},
        {"face": "missing.png", "prompt": "A man waves", "id": "ok", "name": "p2"},
    ]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(row) for row in rows) + "\nnot json\n")
    dataset = read_dataset(pairs)
    assert [item.item_id for item in dataset.items] == ["ok/p1"]
    reasons = {item_id: problem.reason for item_id, problem in dataset.invalid.items()}
    assert reasons == {"../x/p1": "unsafe_id", "ok/../../etc/passwd": "unsafe_id", "ok/p2": "missing_image"}
    assert {problem.reason for problem in dataset.problems} >= {"duplicate", "bad_row"}
    # Issue 14: duplicate rows and non-JSON lines were dropped without a word; now they are notices.
    assert {problem.reason for problem in dataset.notices} == {"duplicate", "bad_row"}


def test_jsonl_values_that_are_not_text_are_refused_and_mp4_names_are_not_doubled(
    sample_testset: Path, tmp_path: Path
) -> None:
    """Issue 14: a prompt given as a list was stringified ("['A', 'man']"), and `name: prompt1.mp4`
    gave `prompt1.mp4.mp4`. Wrong code caught: `str(row.get("prompt"))`; appending `.mp4` blindly."""
    face = str(sample_testset / "id001" / "image.png")
    rows = [
        {"face": face, "prompt": ["A man", "waves"], "id": "id001", "name": "p1"},
        {"face": face, "prompt": "A man waves", "id": "id001", "name": "prompt1.mp4"},
        {"face": [face], "prompt": "A man waves", "id": "id001", "name": "p3"},
        {"face": face, "prompt": "A man runs", "id": {"x": 1}, "name": "p4"},
    ]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    dataset = read_dataset(pairs)
    assert [(item.item_id, item.prompt) for item in dataset.items] == [("id001/prompt1", "A man waves")]
    messages = [problem.message for problem in dataset.notices]
    assert len(messages) == 3 and "`prompt` is a list, not text" in messages[0]
    assert "`face` is a list" in messages[1] and "`id` is a dict" in messages[2]


def test_a_folder_name_with_a_trailing_newline_is_not_safe(small_testset: Path) -> None:
    """Issue 14: `id004\\n` passed the safe-name check (`re.match` with `$` accepts a final newline)."""
    assert unsafe_name_reason("id004\n") and unsafe_name_reason("prompt1\n")
    (small_testset / "id004").rename(small_testset / "id004\n")
    dataset = read_testset(small_testset)
    assert {problem.reason for problem in dataset.invalid.values()} == {"unsafe_id"}
    assert all(item.identity == "id001" for item in dataset.items)


def test_csv_without_required_columns(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("image,text\na.png,hello\n")
    with pytest.raises(BadInputError, match="`face` and `prompt` are required"):
        read_pairs(pairs)


def test_unsafe_names_and_contained_paths(tmp_path: Path) -> None:
    for name in ("../x", "..", "a/b", "", ".hidden", "a b", "x" * 200, "a..b"):
        assert unsafe_name_reason(name), name
    for name in ("id001", "prompt5", "id-7_b.2"):
        assert unsafe_name_reason(name) is None, name
    assert contained_path(tmp_path, "id001", "prompt1.mp4") == tmp_path / "id001" / "prompt1.mp4"
    with pytest.raises(OutputError):
        contained_path(tmp_path, "..", "prompt1.mp4")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    os.symlink(outside, tmp_path / "id002")  # a symlinked identity folder pointing out of the output
    with pytest.raises(OutputError, match="outside the output folder"):
        contained_path(tmp_path, "id002", "prompt1.mp4")


def test_item_seeds_depend_only_on_base_seed_and_id() -> None:
    seeds = {item_seed(0, f"id{i:03d}/prompt{k}") for i in range(50) for k in range(1, 6)}
    assert len(seeds) == 250 and all(0 <= seed < 2**31 for seed in seeds)
    assert item_seed(0, "id001/prompt1") == item_seed(0, "id001/prompt1") != item_seed(1, "id001/prompt1")
    assert item_seed(0, "id001/prompt1") == 34227228  # pinned: stable across processes and versions


def test_shards_are_disjoint_balanced_and_cover_everything() -> None:
    ids = [f"id{i:03d}/prompt{k}" for i in range(7) for k in range(1, 6)]
    shards = [parse_shard(f"{i}/4").select(ids) for i in range(4)]
    assert sorted(item for shard in shards for item in shard) == sorted(ids)
    assert {len(shard) for shard in shards} <= {8, 9}
    assert parse_shard(None).select(ids) == ids and parse_shard(" 1 / 2 ").index == 1
    assert parse_shard("2/4").suffix == "-shard2of4" and parse_shard("0/1").suffix == ""
    for bad in ("4/4", "1", "a/b", "-1/2", "0/0"):
        with pytest.raises(ConfigError):
            parse_shard(bad)
