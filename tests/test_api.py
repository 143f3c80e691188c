"""The Python API a training script uses: the same judging as the command line, typed results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import batch_eval
from batch_eval.errors import ExitCode
from tests.conftest import SUM_PROBLEM, read_jsonl, write_jsonl

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "humaneval"


def test_check_file_gives_the_command_lines_results_and_metrics(tmp_path: Path) -> None:
    solutions = EXAMPLE / "checkpoints" / "checkpoint-100" / "solutions.jsonl"
    problems = EXAMPLE / "problems.jsonl"
    outcome = batch_eval.check_file(solutions, problems, tmp_path / "api", limit=12, progress=False)
    assert isinstance(outcome, batch_eval.CheckOutcome) and outcome.exit_code is ExitCode.OK
    argv = [sys.executable, "-m", "batch_eval", "check", str(solutions), "--problems", str(problems)]
    subprocess.run([*argv, "-o", str(tmp_path / "cli"), "--limit", "12", "-q"], check=True)
    cli_lines = read_jsonl(tmp_path / "cli" / "solutions.results.jsonl")
    api_lines = read_jsonl(outcome.results_path)
    assert [(x["line"], x["verdict"]) for x in api_lines] == [(x["line"], x["verdict"]) for x in cli_lines]
    cli_metrics = json.loads((tmp_path / "cli" / "solutions.metrics.json").read_text())
    assert outcome.metrics["pass_at_k"] == cli_metrics["pass_at_k"] and outcome.metrics["records"] == 12


def test_run_batch_judges_every_checkpoint_and_says_pass_at_1(tmp_path: Path) -> None:
    batch = batch_eval.run_batch(
        EXAMPLE / "checkpoints", EXAMPLE / "problems.jsonl", tmp_path / "out", limit=10, progress=False
    )
    assert batch.exit_code is ExitCode.OK and batch.summary["status"] == "finished"
    assert set(batch.pass_at_1) == {"checkpoint-100", "checkpoint-200"}
    for name, value in batch.pass_at_1.items():
        lines = read_jsonl(tmp_path / "out" / f"eval_{name.replace('-', '_')}" / "solutions.results.jsonl")
        assert value == pytest.approx(sum(line["passed"] for line in lines) / len(lines))


def test_bad_input_raises_the_one_line_error(tmp_path: Path) -> None:
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    with pytest.raises(batch_eval.BatchEvalError, match="problems file not found"):
        batch_eval.check_file(sols, tmp_path / "nope.jsonl", tmp_path / "o", progress=False)
    problems = batch_eval.load_problems(write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM]))
    assert list(problems) == ["1/A"] and problems["1/A"].tests[0].output == b"3\n"


def test_settings_take_the_command_lines_option_names(tmp_path: Path) -> None:
    # `--output-compare exact --max-records 1` as keywords: the second record is not judged,
    # and "3 \n" is wrong under exact (right by default), as under the field's name
    problem = dict(SUM_PROBLEM, official_tests=[{"input": "1 2\n", "output": "3\n"}])
    problems = write_jsonl(tmp_path / "p.jsonl", [problem])
    records = [{"id": "1/A", "code": "print('3 ')"}, {"id": "1/A", "code": "x"}]
    sols = write_jsonl(tmp_path / "s.jsonl", records)
    by_option = batch_eval.check_file(
        sols, problems, tmp_path / "a", output_compare="exact", max_records=1, progress=False
    )
    by_field = batch_eval.check_file(sols, problems, tmp_path / "b", compare="exact", limit=1, progress=False)
    assert by_option.metrics["records"] == by_field.metrics["records"] == 1
    assert [x["verdict"] for x in read_jsonl(by_option.results_path)] == ["WA"]
    default = batch_eval.check_file(sols, problems, tmp_path / "e", max_records=1, progress=False)
    assert [x["verdict"] for x in read_jsonl(default.results_path)] == ["AC"]
    assert read_jsonl(by_option.results_path)[0]["verdict"] == read_jsonl(by_field.results_path)[0]["verdict"]
    misspelt = r"no setting is named 'output_compar' \(did you mean 'output_compare'"
    with pytest.raises(batch_eval.BatchEvalError, match=misspelt):
        batch_eval.check_file(sols, problems, tmp_path / "c", output_compar="lines", progress=False)
    with pytest.raises(batch_eval.BatchEvalError, match="the same setting"):
        batch_eval.check_file(sols, problems, tmp_path / "d", compare="lines", output_compare="lines")
