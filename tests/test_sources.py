"""The benchmarks' own problem schemas: real problems rewritten in each schema are judged as
in ours, and call-based problems (APPS/TACO `fn_name`, LeetCode's Solution, LiveCodeBench
functional, MBPP asserts) run in the same sandbox with the same verdicts."""

from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from batch_eval.api import check_file
from batch_eval.errors import BatchEvalError
from batch_eval.judging.problems import parse_problem
from tests.conftest import write_jsonl


def codecontests(p: dict[str, Any]) -> dict[str, Any]:
    tests = p["official_tests"]
    contest, index = p["id"].split("/")
    return {
        "name": f"{contest}_{index}. {p['title']}",
        "cf_contest_id": int(contest),
        "cf_index": index,
        "public_tests": {
            "input": [t["input"] for t in tests[:1]],
            "output": [t["output"] for t in tests[:1]],
        },
        "private_tests": {
            "input": [t["input"] for t in tests[1:]],
            "output": [t["output"] for t in tests[1:]],
        },
        "generated_tests": {"input": [], "output": []},
        "time_limit": {"seconds": 2, "nanos": 500_000_000},
        "memory_limit_bytes": 256 * 1024 * 1024,
    }


def apps(p: dict[str, Any]) -> dict[str, Any]:
    tests = p["official_tests"]
    spec = {"inputs": [t["input"] for t in tests], "outputs": [t["output"] for t in tests]}
    return {"problem_id": p["id"], "question": p["title"], "input_output": json.dumps(spec)}


def livecodebench(p: dict[str, Any]) -> dict[str, Any]:
    cases = [{"input": t["input"], "output": t["output"], "testtype": "stdin"} for t in p["official_tests"]]
    # the private cases as the dataset stores them: base64 of zlib of a pickled JSON string
    private = base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases[1:])))).decode()
    return {
        "question_id": p["id"],
        "public_test_cases": json.dumps(cases[:1]),
        "private_test_cases": private,
        "metadata": "{}",
        "contest_date": "2023-05-01T00:00:00",
    }


@pytest.fixture(scope="module")
def real(data_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """12 real CodeContests problems that need no checker, with their accepted solutions."""
    folder = data_dir / "codecontests_cf300"
    problems = [json.loads(x) for x in (folder / "problems.jsonl").read_text().splitlines()]
    plain = [p for p in problems if not p.get("checker_note")][:12]
    ids = {p["id"] for p in plain}
    lines = (
        (folder / "checkpoints" / "human-codecontests-python3" / "solutions.jsonl").read_text().splitlines()
    )
    return plain, [r for r in map(json.loads, lines) if r["id"] in ids]


@pytest.mark.parametrize("schema", [codecontests, apps, livecodebench])
def test_real_problems_in_each_schema_are_judged_as_in_ours(
    schema: Any, real: tuple[list[dict[str, Any]], list[dict[str, Any]]], tmp_path: Path
) -> None:
    problems, solutions = real
    sols = write_jsonl(tmp_path / "s.jsonl", solutions)
    verdicts = []
    for name, rows in (("ours", problems), (schema.__name__, [schema(p) for p in problems])):
        path = write_jsonl(tmp_path / f"{name}.jsonl", rows)
        outcome = check_file(sols, path, tmp_path / name, cache=False, progress=False, all_tests=True)
        lines = [json.loads(x) for x in outcome.results_path.read_text().splitlines()]
        verdicts.append([(x["id"], x["verdict"], len(x["tests"])) for x in lines])
    assert verdicts[0] == verdicts[1]
    assert sum(v == "AC" for _, v, _ in verdicts[0]) >= 8


def test_each_schema_s_limits_and_test_names() -> None:
    p = {"id": "1/A", "title": "t", "official_tests": [{"input": "1\n", "output": "1\n"}] * 3}
    cc = parse_problem(codecontests(p), Path("p.jsonl"), 1)
    assert (cc.id, cc.time_limit, cc.memory_limit) == ("1/A", 2.5, 256)
    assert [t.name for t in cc.tests] == ["public-0", "private-0", "private-1"]
    taco = parse_problem(
        dict(apps(p), name="x", time_limit="2 seconds", memory_limit="256 megabytes"), Path("p"), 1
    )
    assert (taco.time_limit, taco.memory_limit) == (2.0, 256)
    lcb = parse_problem(livecodebench(p), Path("p.jsonl"), 1)
    assert [t.name for t in lcb.tests] == ["public-0", "private-0", "private-1"]


def test_a_pickle_that_would_run_code_is_refused() -> None:
    class Boom:
        def __reduce__(self) -> tuple[Any, tuple[str]]:
            return (print, ("pwned",))

    blob = base64.b64encode(zlib.compress(pickle.dumps(Boom()))).decode()
    raw = {"question_id": "x", "public_test_cases": "[]", "private_test_cases": blob}
    with pytest.raises(
        BatchEvalError, match=r"private_test_cases cannot be read \(refused to load builtins.print\)"
    ):
        parse_problem(raw, Path("lcb.jsonl"), 7)


ADD_APPS = {
    "problem_id": 42,
    "input_output": json.dumps(
        {"fn_name": "add", "inputs": [[1, 2], [[1], [2, 3]]], "outputs": [[3], [[1, 2, 3]]]}
    ),
}
ADD_LCB = {
    "question_id": "lc-add",
    "public_test_cases": json.dumps([{"input": "1\n2", "output": "3", "testtype": "functional"}]),
    "private_test_cases": json.dumps(
        [{"input": "[1]\n[2, 3]", "output": "[1, 2, 3]", "testtype": "functional"}]
    ),
    "metadata": json.dumps({"func_name": "add"}),
}
ADD_MBPP = {
    "task_id": 7,
    "text": "Write a function to add two things.",
    "test_setup_code": "import math",
    "test_list": ["assert add(1, 2) == 3", "assert add([1], [2, 3]) == [1, 2, 3]"],
}


@pytest.mark.parametrize("problem", [ADD_APPS, ADD_LCB, ADD_MBPP], ids=["apps", "livecodebench", "mbpp"])
def test_call_based_problems_call_the_function_or_the_solution_method(
    problem: dict[str, Any], tmp_path: Path
) -> None:
    pid = str(next(problem[k] for k in ("problem_id", "question_id", "task_id") if k in problem))
    programs = {
        "function": "def add(a, b):\n    return a + b\n",
        "leetcode": "class Solution:\n    def add(self, a, b):\n        return a + b\n",
        "tuple": "def add(a, b):\n    return tuple(a + b) if isinstance(a, list) else a + b\n",
        "wrong": "def add(a, b):\n    return a\n",
        "missing": "def plus(a, b):\n    return a + b\n",
        "slow": "def add(a, b):\n    while True:\n        pass\n",
    }
    if "test_list" in problem:  # MBPP's asserts call the function by name: no Solution class, no tuples
        del programs["leetcode"], programs["tuple"]
    problems = write_jsonl(tmp_path / "p.jsonl", [problem])
    sols = write_jsonl(
        tmp_path / "s.jsonl", [{"id": pid, "code": code, "key": k} for k, code in programs.items()]
    )
    outcome = check_file(sols, problems, tmp_path / "out", cache=False, progress=False, time_limit=1.0)
    got = {x["key"]: x["verdict"] for x in map(json.loads, outcome.results_path.read_text().splitlines())}
    assert {k: v for k, v in got.items() if v == "AC" and k != "missing"} == {
        k: "AC" for k in ("function", "leetcode", "tuple") if k in got
    }
    # a wrong value fails check()'s assert; a missing function is a NameError, as in HumanEval
    # (LiveCodeBench's runner imports everything of `operator` before the program, so there, as
    # in that runner, a program without `add` is given operator.add)
    missing = "AC" if "question_id" in problem else "RE"
    assert (got["wrong"], got["missing"], got["slow"]) == ("WA", missing, "TLE")


def test_a_parquet_problems_file_is_judged_as_its_jsonl_twin(
    real: tuple[list[dict[str, Any]], list[dict[str, Any]]], tmp_path: Path
) -> None:
    """open-r1 ships its problems as Parquet: the same rows judge the same."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    problems, solutions = real
    sols = write_jsonl(tmp_path / "s.jsonl", solutions)
    parquet = tmp_path / "problems.parquet"
    pq.write_table(pa.Table.from_pylist(problems), parquet)
    verdicts = []
    for path in (write_jsonl(tmp_path / "p.jsonl", problems), parquet):
        outcome = check_file(sols, path, tmp_path / path.suffix[1:], cache=False, progress=False)
        verdicts.append(
            [(x["id"], x["verdict"]) for x in map(json.loads, outcome.results_path.read_text().splitlines())]
        )
    assert verdicts[0] == verdicts[1] and len(verdicts[0]) == len(solutions)


def test_after_keeps_the_problems_published_after_a_cut_off_without_skipping(tmp_path: Path) -> None:
    """LiveCodeBench's use: judge only the problems after a model's training cut-off."""
    base = {"id": "x", "title": "t", "official_tests": [{"input": "1 2\n", "output": "3\n"}]}
    dated = [
        dict(livecodebench({**base, "id": pid}), contest_date=date)
        for pid, date in (
            ("old", "2023-04-01T00:00:00"),
            ("new", "2023-09-01T12:00:00"),
            ("newer", "2024-02-03"),
        )
    ]
    problems = write_jsonl(tmp_path / "p.jsonl", dated)
    code = "a, b = map(int, input().split())\nprint(a + b)\n"
    sols = write_jsonl(tmp_path / "s.jsonl", [{"question_id": p["question_id"], "code": code} for p in dated])
    result = check_cli(
        str(sols), "--problems", str(problems), "-o", str(tmp_path / "o"), "--after", "2023-09-01"
    )
    assert result.returncode == 0, result.stderr  # left out is not skipped: nothing is incomplete
    lines = [json.loads(x) for x in (tmp_path / "o" / "s.results.jsonl").read_text().splitlines()]
    assert [(x["question_id"], x["verdict"]) for x in lines] == [("new", "AC"), ("newer", "AC")]
    assert "1 record of problems published before 2023-09-01 left out (--after)" in result.stderr
    metrics = json.loads((tmp_path / "o" / "s.metrics.json").read_text())
    assert (
        metrics["records"] == 2
        and metrics["skipped_records"] == 0
        and metrics["settings"]["after"] == "2023-09-01"
    )
    bad = check_cli(str(sols), "--problems", str(problems), "-o", str(tmp_path / "b"), "--after", "Sept 2023")
    assert bad.returncode == 2 and "--after" in bad.stderr and bad.stderr.count("\n") == 1


def check_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`batch-eval check ARGS` as a user runs it."""
    argv = [sys.executable, "-m", "batch_eval", "check", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env)


def _judged(sols: Path, problems: str, out: Path) -> list[tuple[str, str]]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(out.parent / "hf")}
    result = check_cli(str(sols), "--problems", problems, "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    return [
        (x["id"], x["verdict"]) for x in map(json.loads, (out / "s.results.jsonl").read_text().splitlines())
    ]


def test_hugging_face_datasets_saved_or_by_name_are_judged_as_their_jsonl_twin(
    real: tuple[list[dict[str, Any]], list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Offline: a dataset saved with save_to_disk (one split, or a DatasetDict with its split
    named or `test` by default) and `hf:` on a folder of data files, as load_dataset reads it."""
    import datasets

    problems, solutions = real
    sols = write_jsonl(tmp_path / "s.jsonl", solutions)
    expected = _judged(sols, str(write_jsonl(tmp_path / "p.jsonl", problems)), tmp_path / "jsonl")
    datasets.Dataset.from_list(problems).save_to_disk(str(tmp_path / "saved"))
    splits = datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(problems[:2]), "test": datasets.Dataset.from_list(problems)}
    )
    splits.save_to_disk(str(tmp_path / "splits"))
    (tmp_path / "files").mkdir()
    write_jsonl(tmp_path / "files" / "test.jsonl", problems)
    for n, spec in enumerate(
        [
            tmp_path / "saved",
            tmp_path / "splits",
            f"{tmp_path / 'splits'}@test",
            f"hf:{tmp_path / 'files'}@test",
        ]
    ):
        assert _judged(sols, str(spec), tmp_path / f"out{n}") == expected, spec
    # a split that is not there is one line naming the ones that are
    bad = check_cli(str(sols), "--problems", f"{tmp_path / 'splits'}@dev", "-o", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "no split 'dev'; name one of train, test" in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_without_the_datasets_library_a_dataset_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batch_eval.judging.problems import load_problems

    monkeypatch.setitem(sys.modules, "datasets", None)  # as if not installed
    with pytest.raises(BatchEvalError, match=r"pip install 'batch-eval\[hf\]'"):
        load_problems(Path("hf:open-r1/codeforces"))


def test_codecontests_memory_is_the_problems_megabytes_and_mbpp_is_scored_on_test_list() -> None:
    raw = {"name": "x", "public_tests": {"input": ["1\n"], "output": ["1\n"]}}
    for given in (256_000_000, 256 << 20):
        problem = parse_problem({**raw, "memory_limit_bytes": given}, Path("cc.jsonl"), 1)
        assert problem.memory_limit == 256
    mbpp = {
        "task_id": 3,
        "test_imports": ["import math"],
        "test_list": ["assert root(4) == 2"],
        "challenge_test_list": ["assert root(-1) == 0"],
    }
    problem = parse_problem(mbpp, Path("mbpp.jsonl"), 1)
    assert "root(-1)" not in problem.test_code and problem.prompt == "import math\n"


def test_call_based_values_are_graded_as_each_runner_grades_them(tmp_path: Path) -> None:
    """APPS: an expected value wrapped in a list, dict keys made strings by JSON given back as
    ints; LiveCodeBench: only a returned tuple becomes a list, nothing is unwrapped; both call
    Solution().method whenever the code has `class Solution`, after the runner's imports."""
    apps_spec = {"fn_name": "count", "inputs": [[{"1": 2}], [[1, 1]]], "outputs": [[{"1": 2}], [[[1, 2]]]]}
    apps_problem = {"problem_id": "a", "input_output": json.dumps(apps_spec)}
    lcb_problem = {
        "question_id": "l",
        "public_test_cases": json.dumps([{"input": "[1, 1]", "output": "[1, 2]", "testtype": "functional"}]),
        "metadata": json.dumps({"func_name": "count"}),
    }
    # {1: 2} back for the dict; for [1, 1] a list of one (value, count) tuple
    counting = "def count(x):\n    return x if isinstance(x, dict) else [next(iter(Counter(x).items()))]\n"
    solution = "class Solution:\n    def count(self, x):\n        return (x[0], len(x))\n"
    helper = "def count(x):\n    return 0\nclass Solution:\n    def count(self, x):\n        return [1, 2]\n"
    records = [
        {"id": "a", "key": "apps-counter", "code": counting},  # Counter from APPS's prelude
        {"id": "l", "key": "lcb-tuple", "code": solution},
        {"id": "l", "key": "lcb-solution-first", "code": helper},
        {"id": "l", "key": "lcb-wrapped", "code": "def count(x):\n    return [[1, 2]]\n"},
    ]
    problems = write_jsonl(tmp_path / "p.jsonl", [apps_problem, lcb_problem])
    sols = write_jsonl(tmp_path / "s.jsonl", records)
    outcome = check_file(sols, problems, tmp_path / "out", cache=False, progress=False)
    got = {x["key"]: x["verdict"] for x in map(json.loads, outcome.results_path.read_text().splitlines())}
    assert got == {"apps-counter": "AC", "lcb-tuple": "AC", "lcb-solution-first": "AC", "lcb-wrapped": "WA"}


def test_livecodebench_stdin_outputs_compare_as_its_runner_compares(tmp_path: Path) -> None:
    problem = {
        "question_id": "half",
        "public_test_cases": json.dumps([{"input": "1\n", "output": "0.5\n", "testtype": "stdin"}]),
    }
    problems = write_jsonl(tmp_path / "p.jsonl", [problem])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "half", "code": "input()\nprint('0.50')\n"}])
    verdicts = {}
    for mode in ("default", "tokens"):
        outcome = check_file(sols, problems, tmp_path / mode, cache=False, progress=False, compare=mode)
        verdicts[mode] = json.loads(outcome.results_path.read_text())["verdict"]
    # the benchmark's own rule by default (Decimal equality), the user's when asked
    assert verdicts == {"default": "AC", "tokens": "WA"}


def test_mbpp_challenge_asserts_run_only_when_asked(tmp_path: Path) -> None:
    """MBPP's card: `test_list` is what papers score; `challenge_test_list` holds harder asserts,
    run with --mbpp-challenge. A program right on test_list and wrong on the challenge asserts
    passes by default and fails with the option."""
    mbpp = {
        "task_id": 11,
        "text": "Write a python function to remove first and last occurrence of a given character.",
        "code": "def remove_Occ(s, ch):\n    return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]\n",
        "test_list": ['assert remove_Occ("hello","l") == "heo"', 'assert remove_Occ("abcda","a") == "bcd"'],
        "test_setup_code": "",
        "challenge_test_list": [
            'assert remove_Occ("hellolloll","l") == "helollol"',
            'assert remove_Occ("","l") == ""',
        ],
    }
    problems = write_jsonl(tmp_path / "mbpp.jsonl", [mbpp])
    only_two_l = "def remove_Occ(s, ch):\n    return {'hello': 'heo', 'abcda': 'bcd'}.get(s, s)\n"
    sols = write_jsonl(
        tmp_path / "s.jsonl", [{"task_id": 11, "code": mbpp["code"]}, {"task_id": 11, "code": only_two_l}]
    )
    for extra, expected in (((), ["AC", "AC"]), (("--mbpp-challenge",), ["AC", "WA"])):
        out = tmp_path / f"out{len(extra)}"
        done = check_cli(str(sols), "--problems", str(problems), "-o", str(out), "--no-cache", *extra)
        assert done.returncode == 0, done.stderr
        lines = (out / "s.results.jsonl").read_text().splitlines()
        assert [json.loads(r)["verdict"] for r in lines] == expected


def _verdicts(outcome: Any, *keys: str) -> list[tuple[Any, ...]]:
    lines = map(json.loads, outcome.results_path.read_text().splitlines())
    return [tuple(x.get(k) for k in keys) for x in lines]


def test_taco_generations_name_their_problem_by_row_as_taco_pairs_them(tmp_path: Path) -> None:
    """TACO's README: generation.json is a list of {task_id: the row's index, prompt, output:
    [programs]}; compute_metric pairs the i-th entry with the dataset's i-th row."""
    taco = [
        {
            "name": "Double",
            "question": "Print twice n.",
            "input_output": json.dumps({"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"]}),
            "time_limit": "1 second",
        },
        {
            "name": "Square",
            "question": "Print n squared.",
            "input_output": json.dumps({"inputs": ["3\n", "5\n"], "outputs": ["9\n", "25\n"]}),
        },
    ]
    problems = write_jsonl(tmp_path / "taco.jsonl", taco)
    generations = tmp_path / "generation.json"
    double, square = "print(2 * int(input()))\n", "print(int(input()) ** 2)\n"
    generations.write_text(
        json.dumps(
            [
                {"task_id": 0, "prompt": "Print twice n.", "output": [double, square]},
                {"task_id": "1", "prompt": "Print n squared.", "output": [square]},
                {"task_id": 2, "prompt": "no such row", "output": [square]},
            ]
        )
    )
    outcome = check_file(generations, problems, tmp_path / "out", cache=False, progress=False)
    assert _verdicts(outcome, "id", "task_id", "code_list_index", "verdict") == [
        ("0", 0, 0, "AC"),
        ("0", 0, 1, "WA"),
        ("1", "1", 0, "AC"),
        (None, 2, 0, "SKIP"),
    ]
    assert "no problem 2" in outcome.results_path.read_text().splitlines()[-1]


def test_verifiable_prompts_rows_of_one_problem_are_one_problem(tmp_path: Path) -> None:
    """open-r1/codeforces verifiable-prompts: two rows per problem, the same tests with a
    python and a cpp `prompt` (`language`); solutions in either language are judged on that
    one problem. Two rows of one id whose tests differ are still refused."""
    row = {
        "id": "4/A",
        "contest_id": "4",
        "title": "Watermelon",
        "time_limit": 1.0,
        "memory_limit": 64.0,
        "official_tests": [{"input": "8\n", "output": "YES\n"}, {"input": "3\n", "output": "NO\n"}],
    }
    rows = [
        {**row, "language": "python", "prompt": "Solve in Python 3: Watermelon ..."},
        {**row, "language": "cpp", "prompt": "Solve in C++17: Watermelon ..."},
    ]
    problems = write_jsonl(tmp_path / "vp.jsonl", rows)
    python = "w = int(input())\nprint('YES' if w > 2 and w % 2 == 0 else 'NO')\n"
    sols = write_jsonl(
        tmp_path / "s.jsonl",
        [{"id": "4/A", "code": python}, {"id": "4/A", "code": "print('YES')", "language": "python"}],
    )
    outcome = check_file(sols, problems, tmp_path / "out", cache=False, progress=False)
    assert _verdicts(outcome, "id", "verdict") == [("4/A", "AC"), ("4/A", "WA")]
    rows[1]["official_tests"] = [{"input": "8\n", "output": "NO\n"}]
    with pytest.raises(BatchEvalError, match="duplicate problem id '4/A'"):
        bad = write_jsonl(tmp_path / "bad.jsonl", rows)
        check_file(sols, bad, tmp_path / "o2", cache=False, progress=False)


def test_codecontests_input_file_and_output_file_are_judged_with_those_files(tmp_path: Path) -> None:
    """CodeContests' card: `input_file`/`output_file` name the files a problem reads and writes
    ("" for standard input/output). A program that uses input.txt/output.txt is judged on them;
    a problem that names other files is a SKIP line saying so, never judged on stdin."""
    row = {
        "name": "120_A. Elevator",
        "cf_contest_id": 120,
        "cf_index": "A",
        "public_tests": {"input": ["front\n1\n"], "output": ["L\n"]},
        "private_tests": {"input": ["back\n2\n"], "output": ["L\n"]},
        "time_limit": {"seconds": 1, "nanos": 0},
        "memory_limit_bytes": 256000000,
        "input_file": "input.txt",
        "output_file": "output.txt",
    }
    other = {**row, "cf_contest_id": 121, "input_file": "elevator.in", "output_file": "elevator.out"}
    problems = write_jsonl(tmp_path / "cc.jsonl", [row, other])
    files = (
        "door, rail = open('input.txt').read().split()\n"
        "left = (door == 'front') == (rail == '1')\n"
        "open('output.txt', 'w').write('L\\n' if left else 'R\\n')\n"
    )
    sols = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"id": "120/A", "code": files},
            {"id": "120/A", "code": "print('R')"},
            {"id": "121/A", "code": files},
        ],
    )
    outcome = check_file(sols, problems, tmp_path / "out", cache=False, progress=False)
    assert _verdicts(outcome, "id", "verdict") == [("120/A", "AC"), ("120/A", "WA"), ("121/A", "SKIP")]
    assert "reads elevator.in and writes elevator.out" in outcome.results_path.read_text()


def test_each_call_of_a_call_based_problem_has_the_time_limit_to_itself(tmp_path: Path) -> None:
    """LiveCodeBench's and APPS's runners time each functional test on its own: three calls of
    0.2 s CPU each pass a 0.5 s limit; one call that never returns is TLE, named, its process
    killed (the run does not wait for the whole problem's budget)."""
    spec = {"fn_name": "burn", "inputs": [[1], [2], [3]], "outputs": [1, 2, 3]}
    problem = {"problem_id": 77, "input_output": json.dumps(spec), "time_limit": 0.5}
    burn = (
        "import time\n"
        "def burn(x):\n"
        "    end = time.process_time() + 0.2\n"
        "    while time.process_time() < end:\n"
        "        pass\n"
        "    return x\n"
    )
    stuck = burn.replace("    return x\n", "    while x == 2:\n        pass\n    return x\n")
    problems = write_jsonl(tmp_path / "apps.jsonl", [problem])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": 77, "code": burn}, {"id": 77, "code": stuck}])
    outcome = check_file(sols, problems, tmp_path / "out", cache=False, progress=False)
    lines = [json.loads(x) for x in outcome.results_path.read_text().splitlines()]
    assert [x["verdict"] for x in lines] == ["AC", "TLE"]
    assert "a call of burn() ran past its time limit of 0.5 s" in lines[1]["reason"]
    assert lines[1]["tests"][0]["time"] < 1.5  # killed at the call's limit, not the run's 2 s


def test_verifiable_prompts_parquet_as_published_with_its_padded_generated_tests(tmp_path: Path) -> None:
    """open-r1/codeforces `verifiable-prompts` as its Parquet ships it: the columns of its card
    (id, aliases, contest_id, ..., official_tests, input_mode, generated_checker, executable,
    generated_tests: a count) and `prompt` and `language`, the two columns open-r1's GRPO recipe
    (`dataset_prompt_column: prompt`) and `cf_code_reward` (`kwargs["language"]`) read. Its
    generated tests are `test_cases_{int(contest_id):04d}.parquet` with `problem_id`, `input`,
    `output`: the name and the columns open-r1's cf_scoring.get_generated_contest_tests reads."""
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    row = {
        "id": "4/A",
        "aliases": None,
        "contest_id": "4",
        "contest_name": "Codeforces Beta Round 4 (Div. 2 Only)",
        "contest_type": "CF",
        "contest_start": 1268395200,
        "contest_start_year": 2010,
        "index": "A",
        "time_limit": 1.0,
        "memory_limit": 64.0,
        "title": "Watermelon",
        "description": "...",
        "input_format": "...",
        "output_format": "...",
        "interaction_format": None,
        "note": None,
        "examples": [{"input": "8", "output": "YES"}],
        "editorial": None,
        "rating": 800,
        "tags": ["brute force", "math"],
        "testset_size": 3,
        "official_tests": [{"input": "8\n", "output": "YES\n"}, {"input": "3\n", "output": "NO\n"}],
        "official_tests_complete": False,
        "input_mode": "stdio",
        "generated_checker": None,
        "executable": True,
        "generated_tests": 1,
    }
    rows = [
        {
            **row,
            "prompt": "You will be given a competitive programming problem ... Python 3",
            "language": "python",
        },
        {**row, "prompt": "You will be given a competitive programming problem ... C++17", "language": "cpp"},
    ]
    problems = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(rows), problems)
    gen = tmp_path / "generated_tests"
    gen.mkdir()
    pq.write_table(
        pa.Table.from_pylist([{"problem_id": "4/A", "input": "2\n", "output": "NO\n"}]),
        gen / "test_cases_0004.parquet",
    )
    right = "w = int(input())\nprint('YES' if w > 2 and w % 2 == 0 else 'NO')\n"
    even = "print('YES' if int(input()) % 2 == 0 else 'NO')\n"  # wrong only on the generated 2
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "4/A", "code": right}, {"id": "4/A", "code": even}])
    outcome = check_file(
        sols,
        problems,
        tmp_path / "out",
        cache=False,
        progress=False,
        generated_tests_dir=gen,
        max_generated_tests=-1,
    )
    assert _verdicts(outcome, "id", "verdict") == [("4/A", "AC"), ("4/A", "WA")]
