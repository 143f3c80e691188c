"""Property-based tests: whatever bytes arrive, loaders give a clear error or a recorded skip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_eval.errors import BatchEvalError
from batch_eval.problems import load_problems
from batch_eval.solutions import parse_record
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
    assert record.error or isinstance(record.fields, dict)


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
