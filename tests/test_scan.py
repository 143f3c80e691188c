from pathlib import Path

import pytest

from batch_eval.batch.scan import expand_braces, find_checkpoints, parse_step
from batch_eval.errors import BatchEvalError


@pytest.mark.parametrize(
    "name, step",
    [
        ("checkpoint-196", 196),
        ("global_step_196", 196),
        ("step_196", 196),
        ("step-7", 7),
        ("ckpt-196", 196),
        ("ckpt_196", 196),
        ("checkpoint_196", 196),
        ("iter_0003000", 3000),
        ("gpt-4", None),
        ("final", None),
        ("checkpoint-best", None),
    ],
)
def test_step_is_parsed_from_common_names(name: str, step: int | None) -> None:
    assert parse_step(name) == step


def test_braces_expand() -> None:
    assert expand_braces("checkpoint-{196,392}") == ["checkpoint-196", "checkpoint-392"]
    assert expand_braces("{a,b}-{1,2}") == ["a-1", "a-2", "b-1", "b-2"]


def tree(root: Path, spec: dict[str, list[str]]) -> Path:
    for folder, files in spec.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for f in files:
            (root / folder / f).parent.mkdir(parents=True, exist_ok=True)
            (root / folder / f).write_text("{}\n")
    return root


def test_order_by_step_with_unparsable_last_and_files_found_recursively(tmp_path: Path) -> None:
    root = tree(
        tmp_path / "run",
        {
            "checkpoint-1000": ["a.jsonl"],
            "checkpoint-98": ["b.jsonl", "sub/c.jsonl", ".hidden/x.jsonl"],
            "final": ["d.jsonl"],
            "checkpoint-49": [],
        },
    )
    found = find_checkpoints(root)
    assert [c.name for c in found] == ["checkpoint-49", "checkpoint-98", "checkpoint-1000", "final"]
    assert [p.relative_to(root).as_posix() for p in found[1].files] == [
        "checkpoint-98/b.jsonl",
        "checkpoint-98/sub/c.jsonl",
    ]
    assert found[0].files == []  # empty is reported, not fatal
    assert [c.output_name for c in found] == [
        "eval_checkpoint_49",
        "eval_checkpoint_98",
        "eval_checkpoint_1000",
        "eval_final",
    ]
    assert [c.name for c in find_checkpoints(root, sort_order="name")][:2] == [
        "checkpoint-1000",
        "checkpoint-49",
    ]


def test_filters_pattern_and_list(tmp_path: Path) -> None:
    root = tree(tmp_path / "run", {f"checkpoint-{s}": ["s.jsonl"] for s in (98, 196, 392)})
    assert [c.step for c in find_checkpoints(root, filters=("checkpoint-{196,392}",))] == [196, 392]
    assert [c.step for c in find_checkpoints(pattern=str(root / "checkpoint-{98,392}"))] == [98, 392]
    listing = tmp_path / "list.txt"
    listing.write_text("run/checkpoint-392\n# comment\nrun/checkpoint-98\n")
    assert [c.step for c in find_checkpoints(list_file=listing, sort_order="none")] == [392, 98]
    listing.write_text("run/checkpoint-5\n")
    with pytest.raises(BatchEvalError) as info:
        find_checkpoints(list_file=listing)
    assert info.value.line == 1


def test_two_folders_writing_the_same_output_are_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "run", {"checkpoint-100": ["a.jsonl"], "step_100": ["b.jsonl"]})
    with pytest.raises(BatchEvalError, match="would both write eval_checkpoint_100"):
        find_checkpoints(root)


def test_a_folder_of_jsonl_files_without_subfolders_is_one_checkpoint(tmp_path: Path) -> None:
    """As the README says of -s: pointed at one checkpoint's own folder, that folder is the
    checkpoint (named and stepped as itself), not a run with no checkpoints."""
    root = tree(tmp_path / "run", {"checkpoint-300": ["a.jsonl", "b.jsonl"]})
    (found,) = find_checkpoints(root / "checkpoint-300")
    assert (found.name, found.step, found.output_name) == ("checkpoint-300", 300, "eval_checkpoint_300")
    assert [p.name for p in found.files] == ["a.jsonl", "b.jsonl"]
