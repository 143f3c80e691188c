"""scripts/batch_eval.sh: defaults, overrides by flag and environment, validation, no prompts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import SUM_PROBLEM, write_jsonl
from tests.fake_piston import FakePiston

WRAPPER = Path(__file__).resolve().parents[1] / "scripts" / "batch_eval.sh"


def wrapper(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"  # batch-eval of this environment
    return subprocess.run(
        ["bash", str(WRAPPER), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PATH": path, **env},
        check=False,
    )


def tree(root: Path) -> None:
    write_jsonl(root / "problems.jsonl", [SUM_PROBLEM])
    for step, code in ((10, "a,b=map(int,input().split())\nprint(a+b)"), (20, "print(3)")):
        write_jsonl(root / "checkpoints" / f"checkpoint-{step}" / "s.jsonl", [{"id": "1/A", "code": code}])


def test_help_shows_the_defaults_in_force(tmp_path: Path) -> None:
    result = wrapper(["--help"], tmp_path, BATCH_EVAL_MAX_WORKERS="7")
    assert result.returncode == 0 and "(now: 7)" in result.stdout and "--dry-run" in result.stdout


def test_one_liner_with_defaults_from_the_environment(tmp_path: Path) -> None:
    tree(tmp_path)
    # a training job's own OUTPUT_DIR is not ours: only BATCH_EVAL_* variables are read
    dry = wrapper(["--dry-run"], tmp_path, BATCH_EVAL_OUTPUT_DIR="evals", OUTPUT_DIR="checkpoints")
    assert dry.returncode == 0 and "2 files: 0 done, 2 to check" in dry.stdout
    assert not (tmp_path / "evals").exists()
    result = wrapper(["-w", "2"], tmp_path, BATCH_EVAL_OUTPUT_DIR="evals", OUTPUT_DIR="checkpoints")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "evals" / "batch_eval_results.json").read_text())
    assert [c["metrics"]["pass_at_k"]["1"] for c in summary["checkpoints"]] == [1.0, 0.0]
    assert summary["config"]["problems"] == "problems.jsonl"


def test_extra_options_pass_through(tmp_path: Path) -> None:
    tree(tmp_path)
    result = wrapper(["--dry-run", "--", "--checkpoint-filter", "checkpoint-{20}"], tmp_path)
    assert (
        result.returncode == 0 and "checkpoint-10" not in result.stdout and "checkpoint-20" in result.stdout
    )


def test_every_run_option_passes_through_as_itself(tmp_path: Path) -> None:
    """The seed's own command line, unchanged: run's options the wrapper does not know go
    through with their values, after the wrapper's own."""
    tree(tmp_path)
    argv = ["--solutions-dir", "checkpoints", "--output-dir", "evals", "--max-generated-tests", "0"]
    result = wrapper(
        [*argv, "--max-workers", "2", "--checkpoint-filter", "checkpoint-{20}", "--dry-run"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "checkpoint-10" not in result.stdout and "checkpoint-20" in result.stdout


def test_bad_inputs_are_one_line_and_exit_2(tmp_path: Path) -> None:
    tree(tmp_path)
    for args, message in (
        (["-s", "nowhere"], "solutions folder not found: nowhere"),
        (["-p", "nope.jsonl"], "problems file not readable"),
        (["-w", "zero"], "--max-workers must be a positive integer"),
        (["-e", "docker"], "--executor must be local or piston"),
        (["--bogus"], "error: No such option '--bogus'"),  # then click's guess, if any, and:
        (["--bogus"], "(see 'batch-eval run --help')"),
        (["-e", "piston", "--endpoint", "http://127.0.0.1:9"], "cannot reach Piston at http://127.0.0.1:9"),
    ):
        result = wrapper(args, tmp_path)
        assert result.returncode == 2, args
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_piston_endpoint_is_validated_then_used(tmp_path: Path) -> None:
    tree(tmp_path)
    with FakePiston() as server:
        result = wrapper(["-e", "piston", "--endpoint", server.url], tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "batch_eval_output" / "batch_eval_results.json").read_text())
    assert summary["environment"]["executor"] == "piston"
    assert [c["metrics"]["pass_at_k"]["1"] for c in summary["checkpoints"]] == [1.0, 0.0]
