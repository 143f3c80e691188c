"""Property-based tests: whatever bytes arrive, loaders give a clear error or a recorded skip."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_eval.cli import main
from batch_eval.errors import BatchEvalError
from batch_eval.judging.problems import load_problems
from batch_eval.judging.solutions import parse_record
from tests.conftest import SUM_PROBLEM

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=300))
def test_any_bytes_as_a_solution_line_are_a_record_or_a_reasoned_skip(raw: bytes) -> None:
    record = parse_record(raw, 7)
    assert record.line == 7
    if record.error:  # a reasoned skip says why in words
        assert isinstance(record.error, str) and len(record.error) > 5
    else:  # a record is an object with an id and something to judge
        assert isinstance(record.fields, dict) and record.problem_id
        assert "code" in record.fields or "raw_response" in record.fields


@given(json_values)
def test_any_json_as_a_solution_line_is_a_record_or_a_reasoned_skip(value: object) -> None:
    record = parse_record(json.dumps(value).encode(), 1)
    if not isinstance(value, dict):
        assert record.error
    elif record.error == "":
        assert "id" in value or "problem_id" in value or "task_id" in value


def test_deeply_nested_json_is_a_skip_not_a_crash() -> None:
    assert parse_record(b"[" * 100_000 + b"]" * 100_000, 3).error


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None)
@given(st.lists(json_values, max_size=4))
def test_any_problems_file_loads_or_names_its_line(tmp_path: Path, values: list[object]) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(v) + "\n" for v in [SUM_PROBLEM, *values]))
    try:
        problems = load_problems(path)
    except BatchEvalError as exc:
        assert exc.path == str(path) and (exc.line is None or 1 <= exc.line <= len(values) + 1)
    else:
        assert "1/A" in problems


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=15, deadline=None)
@given(st.binary(max_size=200))
def test_the_command_line_never_shows_a_traceback_for_bad_files(tmp_path: Path, raw: bytes) -> None:
    problems = tmp_path / "p.jsonl"
    problems.write_text(json.dumps(SUM_PROBLEM) + "\n")
    sols = tmp_path / "s.jsonl"
    sols.write_bytes(raw)
    bad_problems = tmp_path / "bad.jsonl"
    bad_problems.write_bytes(raw)
    for args in (
        ["check", str(sols), "--problems", str(problems), "-o", str(tmp_path / "o"), "--no-cache"],
        ["check", str(sols), "--problems", str(bad_problems), "-o", str(tmp_path / "o"), "--no-cache"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "batch_eval", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert proc.returncode in (0, 1, 2), proc.stderr
        assert "Traceback" not in proc.stderr


#: values a careless user types: numbers of every sign and size, words, paths good and bad
option_values = st.sampled_from(
    [
        "0",
        "-1",
        "1",
        "2.5",
        "1e9",
        "nan",
        "inf",
        "auto",
        "auto*2",
        "x",
        "",
        " ",
        "/",
        "/proc/nope",
        "/dev/null",
        "localhost:2000",
        "http://",
        "http://127.0.0.1:9",
        "ftp://h",
        "é",
        "1/A",
    ]
) | st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=12)
check_options = st.sampled_from(
    [
        "--time-limit",
        "--memory-limit",
        "--time-multiplier",
        "--output-limit",
        "--compare",
        "--float-tolerance",
        "--checker-convention",
        "--max-generated-tests",
        "--limit",
        "--sample",
        "--seed",
        "--process-limit",
        "--python",
        "--cache-dir",
        "--test-order",
        "--python-runner",
        "--cxx-flags",
        "--piston-retries",
        "--piston-timeout",
        "--piston-concurrency",
        "--endpoint",
        "--executor",
        "--generated-tests-dir",
        "-o",
        "--problems",
        "--output-compare",
        "--max-records",
        "--sample-records",
        "--after",
        "--config-json",
    ]
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150, deadline=None)
@given(st.lists(st.tuples(check_options, option_values), min_size=1, max_size=3))
def test_any_option_values_are_a_verdict_or_one_line_never_a_traceback(
    tmp_path: Path, options: list[tuple[str, str]]
) -> None:
    """Whatever values the options get, `check` judges or says in one line what is wrong
    (exit 2), through the one error boundary the console script uses (run in-process here
    for speed: the same main())."""
    problems = tmp_path / "p.jsonl"
    problems.write_text(json.dumps(SUM_PROBLEM) + "\n")
    sols = tmp_path / "s.jsonl"
    sols.write_text(json.dumps({"id": "1/A", "code": "print(3)"}) + "\n")
    argv = ["batch-eval", "check", str(sols), "--problems", str(problems), "-o", str(tmp_path / "o")]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--piston-timeout", "2", "--piston-retries", "0"]
    for option, value in options:
        argv += [option, value]
    here = os.getcwd()
    os.chdir(tmp_path)  # relative paths among the values land here, not in the checkout
    try:
        code, err = _main(argv)
    finally:
        os.chdir(here)
    assert code in (0, 1, 2) and "Traceback" not in err, err
    if code == 2:
        errors = [line for line in err.splitlines() if line.startswith(("error:", "Error:"))]
        assert len(errors) == 1, err


def _main(argv: list[str]) -> tuple[int, str]:
    """The console script's main() in-process: its exit status and what it printed on stderr."""
    stderr = io.StringIO()
    with (
        mock.patch.object(sys, "argv", argv),
        contextlib.redirect_stderr(stderr),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, stderr.getvalue()


def test_numbers_that_are_not_numbers_are_refused(tmp_path: Path) -> None:
    """nan and infinity pass every range check by comparison: each number option refuses them."""
    problems = tmp_path / "p.jsonl"
    problems.write_text(json.dumps(SUM_PROBLEM) + "\n")
    code, err = _main(["batch-eval", "check", str(problems), "--problems", str(problems), "--cxx-flags", '"'])
    assert code == 2 and "cannot be split into words" in err, err  # an unbalanced quote, found by the fuzz
    for option in ("--time-limit", "--time-multiplier", "--float-tolerance", "--piston-timeout"):
        for value in ("nan", "inf", "-inf"):
            argv = ["batch-eval", "check", str(problems), "--problems", str(problems), option, value]
            code, err = _main(argv)
            assert code == 2 and ("is not a finite number" in err or "not in the range" in err), (option, err)
