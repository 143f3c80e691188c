"""Problem loading: limits, generated tests in open-r1's parquet layout, file input mode."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch_eval.config import CheckConfig
from batch_eval.errors import BatchEvalError
from batch_eval.judging.check import check_file
from batch_eval.judging.generated import GeneratedTests
from batch_eval.judging.problems import load_problems, parse_problem
from tests.conftest import SUM_PROBLEM, read_jsonl, write_jsonl


def write_generated(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "problem_id": ["1/A", "1/A", "1/A", "1/B"],
            "test_i": [2, 0, 1, 0],
            "input": ["100 200\n", "7 8\n", "1 1\n", "0\n"],
            "output": ["300\n", "15\n", "2\n", "0\n"],
        }
    )
    pq.write_table(table, folder / "test_cases_1.parquet")


def test_generated_tests_are_added_in_order_and_capped(tmp_path: Path) -> None:
    write_generated(tmp_path / "gen")
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    assert GeneratedTests(tmp_path / "gen", 0).for_problem(problem) == []
    all_tests = GeneratedTests(tmp_path / "gen", -1).for_problem(problem)
    assert [t.input for t in all_tests] == [b"7 8\n", b"1 1\n", b"100 200\n"]
    assert len(GeneratedTests(tmp_path / "gen", 2).for_problem(problem)) == 2


def test_generated_tests_catch_what_official_tests_miss(tmp_path: Path) -> None:
    write_generated(tmp_path / "gen")
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    # right on the official tests, wrong when a + b > 100
    sols = write_jsonl(
        tmp_path / "s.jsonl", [{"id": "1/A", "code": "a,b=map(int,input().split())\nprint(min(a+b,100))"}]
    )
    plain = check_file(CheckConfig(problems=problems), sols, tmp_path / "o1")
    assert plain.metrics["passed"] == 1
    config = CheckConfig(problems=problems, generated_tests_dir=tmp_path / "gen", max_generated_tests=-1)
    outcome = check_file(config, sols, tmp_path / "o2")
    assert outcome.metrics["passed"] == 0
    line = read_jsonl(outcome.results_path)[0]
    assert line["verdict"] == "WA" and len(line["tests"]) == 6


def test_file_input_mode_reads_input_txt_and_writes_output_txt(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [dict(SUM_PROBLEM, input_mode="file")])
    code = "a,b=map(int,open('input.txt').read().split())\nopen('output.txt','w').write(str(a+b))"
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": code}])
    assert check_file(CheckConfig(problems=problems), sols, tmp_path / "o").metrics["passed"] == 1


def test_problem_limits_win_and_defaults_fill_nulls(tmp_path: Path) -> None:
    problems = write_jsonl(
        tmp_path / "p.jsonl",
        [
            dict(SUM_PROBLEM, id="a", time_limit=3, memory_limit=512),
            dict(SUM_PROBLEM, id="b", time_limit=None, memory_limit=None),
        ],
    )
    loaded = load_problems(problems)
    config = CheckConfig(problems=problems, time_limit=1.5, memory_limit=128, time_multiplier=2)
    assert config.limits_for(loaded["a"].time_limit, loaded["a"].memory_limit).time_s == 6.0
    assert config.limits_for(loaded["b"].time_limit, loaded["b"].memory_limit).memory_mb == 128


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"official_tests": []}, "without an id"),
        (dict(SUM_PROBLEM, time_limit="fast"), "time_limit must be a positive number"),
        (dict(SUM_PROBLEM, official_tests=[{"input": "1"}]), "needs `input` and `output`"),
    ],
)
def test_bad_problems_name_file_and_line(tmp_path: Path, bad: dict[str, object], message: str) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM | {"id": "ok"}, bad])
    with pytest.raises(BatchEvalError, match=message) as info:
        load_problems(path)
    assert info.value.line == 2 and info.value.path == str(path)


def test_valid_but_unusual_json_lines_load_exactly(tmp_path: Path) -> None:
    """A byte order mark, CRLF line ends and line separators inside strings (U+2028, U+2029,
    U+0085: line breaks to str.splitlines, not to JSON lines) are all valid input."""
    odd = "1 2\u2028\u2029\u0085\n"
    first = dict(SUM_PROBLEM, id="odd", official_tests=[{"input": odd, "output": "3"}])
    path = tmp_path / "p.jsonl"
    text = json.dumps(first, ensure_ascii=False) + "\r\n" + json.dumps(dict(SUM_PROBLEM, id="b")) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    loaded = load_problems(path, index_dir=tmp_path / "index")
    assert sorted(loaded) == ["b", "odd"]
    assert loaded["odd"].tests[0].input == odd.encode("utf-8")
    assert loaded["b"].tests == load_problems(write_jsonl(tmp_path / "q.jsonl", [SUM_PROBLEM]))["1/A"].tests


def test_duplicate_ids_and_bad_encodings_name_the_line_and_what_to_do(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM, dict(SUM_PROBLEM, id="2/B"), SUM_PROBLEM])
    with pytest.raises(BatchEvalError) as info:
        load_problems(path)
    assert str(info.value) == f"{path}:3: duplicate problem id '1/A' (first on line 1): keep one of them"
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(
        json.dumps(SUM_PROBLEM).encode() + b"\n" + '{"id": "caf\u00e9"}'.encode("latin-1") + b"\n"
    )
    with pytest.raises(BatchEvalError, match=r"not UTF-8 text .*save the file as UTF-8") as info:
        load_problems(latin)
    assert info.value.line == 2


def test_a_check_holds_only_the_problems_its_solutions_name(tmp_path: Path) -> None:
    """The file is indexed once (every problem checked, none kept) and the index is kept on
    disk: a later load reads the index, and a changed file is indexed again."""
    many = [dict(SUM_PROBLEM, id=f"p{i}") for i in range(300)]
    path = write_jsonl(tmp_path / "p.jsonl", many)
    index_dir = tmp_path / "index"
    problems = load_problems(path, index_dir=index_dir)
    assert len(problems) == 300 and len(list(index_dir.glob("*.json"))) == 1
    assert problems.held() == 0
    assert problems["p7"].id == "p7" and problems.get("p8") is not None and "nope" not in problems
    assert problems.held() == 2
    again = load_problems(path, index_dir=index_dir)
    assert again["p299"].tests == problems["p7"].tests
    write_jsonl(path, [*many, dict(SUM_PROBLEM, id="new")])
    assert "new" in load_problems(path, index_dir=index_dir)


def test_generated_tests_are_read_per_problem_and_let_go_beyond_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_generated(tmp_path / "gen")
    monkeypatch.setattr("batch_eval.judging.generated.KEPT_BYTES", 20)
    tests = GeneratedTests(tmp_path / "gen", -1)
    a = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    b = parse_problem(dict(SUM_PROBLEM, id="1/B"), Path("p.jsonl"), 2)
    assert [t.input for t in tests.for_problem(b)] == [b"0\n"] and tests.held() == 1
    assert len(tests.for_problem(a)) == 3 and tests.held() == 1  # a's 31 bytes: b let go
    assert [t.input for t in tests.for_problem(b)] == [b"0\n"]  # read again when asked again


def test_a_folder_given_as_problems_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(
        BatchEvalError, match="a folder, not a problems file: give a JSONL, JSON list or Parquet"
    ):
        load_problems(tmp_path)


def test_generated_tests_under_the_published_padded_name_without_test_i(tmp_path: Path) -> None:
    """open-r1 publishes test_cases_0001.parquet; its reader needs no test_i column."""
    folder = tmp_path / "gen"
    folder.mkdir()
    table = pa.table({"problem_id": ["1/A", "1/A"], "input": ["7 8\n", "1 1\n"], "output": ["15\n", "2\n"]})
    pq.write_table(table, folder / "test_cases_0001.parquet")
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    assert [t.input for t in GeneratedTests(folder, -1).for_problem(problem)] == [b"7 8\n", b"1 1\n"]


def test_generated_tests_asked_for_and_missing_are_said_never_silent(tmp_path: Path) -> None:
    (tmp_path / "gen").mkdir()
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(
        tmp_path / "s.jsonl", [{"id": "1/A", "code": "a,b=map(int,input().split())\nprint(a+b)"}]
    )
    said: list[str] = []
    config = CheckConfig(problems=problems, generated_tests_dir=tmp_path / "gen", max_generated_tests=-1)
    outcome = check_file(config, sols, tmp_path / "o", warn=said.append)
    assert outcome.metrics["generated_tests_missing"] == ["1/A"]
    assert [m for m in said if "without its generated tests" in m] == [
        f"{tmp_path / 'gen'}: no test_cases_0001.parquet or test_cases_1.parquet: problem 1/A is judged "
        "without its generated tests"
    ]


def test_generated_tests_open_r1_publishes_but_not_given_are_said(tmp_path: Path) -> None:
    """open-r1/codeforces' `generated_tests` column counts the tests it publishes in
    test_cases_*.parquet (its card's dataset_info; open-r1's scorer always adds them): judged
    without them, a problem is said once and listed in the metrics, never silently."""
    problems = write_jsonl(
        tmp_path / "p.jsonl",
        [{**SUM_PROBLEM, "generated_tests": 12}, {**SUM_PROBLEM, "id": "1/B", "generated_tests": 0}],
    )
    right = "a,b=map(int,input().split())\nprint(a+b)"
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": p, "code": right} for p in ("1/A", "1/A", "1/B")])
    said: list[str] = []
    outcome = check_file(CheckConfig(problems=problems), sols, tmp_path / "o", warn=said.append)
    assert outcome.metrics["generated_tests_not_given"] == ["1/A"]
    assert [m for m in said if "generated tests" in m] == [
        "problem 1/A has 12 generated tests (open-r1's `generated_tests`) and none were given: it and "
        "any other such problem are judged on their official tests only (--generated-tests-dir FOLDER "
        "--max-generated-tests -1 adds them)"
    ]


def test_an_interactive_problem_without_an_interactor_is_skipped_never_judged(tmp_path: Path) -> None:
    """open-r1 marks interactive problems by their interaction_format: a program that prints
    one word without interacting must not be AC."""
    raw = dict(SUM_PROBLEM, interaction_format="Print your guess, read the answer...")
    problems = write_jsonl(tmp_path / "p.jsonl", [raw])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    said: list[str] = []
    outcome = check_file(CheckConfig(problems=problems), sols, tmp_path / "o", warn=said.append)
    line = read_jsonl(outcome.results_path)[0]
    assert line["verdict"] == "SKIP"
    assert line["error"] == "problem 1/A is interactive and has no interactor: not judged"
    assert said == [f"{sols}:1: skipped (problem 1/A): {line['error']}"]


def test_a_json_line_cut_short_is_reported_at_its_own_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "1/A", "official_tests": []}\n{"task_id": 1, "prompt": 3\n')
    with pytest.raises(BatchEvalError) as caught:
        load_problems(path)
    assert str(caught.value) == f"{path}:2: invalid JSON: Expecting ',' delimiter at column 27"
