"""`batch-eval audit`: reference solutions judged on their own tests find the problems whose
tests reject correct code, and write a problems file without them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_jsonl


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "batch_eval", "audit", *args], capture_output=True, text=True
    )


def test_accepted_human_solutions_find_the_problems_whose_tests_reject_them(
    data_dir: Path, tmp_path: Path
) -> None:
    """codecontests_cf300's accepted solutions, whose ground truth says which problems' tests
    they fail token-wise (multiple-answer problems without a checker): exactly those are
    listed, and the audited problems file keeps the others."""
    folder = data_dir / "codecontests_cf300"
    truth = {
        r["id"]: r["gatherer_run_python3.11"]
        for r in map(json.loads, (folder / "ground_truth.jsonl").read_text().splitlines())
    }
    problems = {p["id"]: p for p in map(json.loads, (folder / "problems.jsonl").read_text().splitlines())}
    fine = [
        pid
        for pid, t in truth.items()
        if not (t["tokenwise_mismatch"] or t["linewise_mismatch"] or t["nonzero_exit_or_timeout"])
        and t["max_secs"] < 0.3
    ][:5]
    rejecting = [
        pid for pid, t in truth.items() if t["tokenwise_mismatch"] and not problems[pid].get("interactive")
    ][:5]
    chosen = set(fine) | set(rejecting)
    problems_path = write_jsonl(tmp_path / "p.jsonl", [problems[pid] for pid in sorted(chosen)])
    lines = (
        (folder / "checkpoints" / "human-codecontests-python3" / "solutions.jsonl").read_text().splitlines()
    )
    reference = write_jsonl(tmp_path / "ref.jsonl", [r for r in map(json.loads, lines) if r["id"] in chosen])
    result = audit("--problems", str(problems_path), "--reference", str(reference), "-o", str(tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    # every problem it rejects is one whose tests the ground truth says reject accepted code
    # (our comparison may accept a few of those: case-insensitive YES/NO, float tolerance)
    assert set(report["rejected"]) <= set(rejecting) and len(report["rejected"]) >= 3
    kept = [json.loads(x)["id"] for x in Path(result.stdout.strip()).read_text().splitlines()]
    assert sorted(kept) == sorted(chosen - set(report["rejected"])) and set(fine) <= set(kept)
    assert f"{len(report['rejected'])} reject every reference" in result.stderr
    assert all(f"rejected {pid}: " in result.stderr for pid in report["rejected"])


def test_the_references_a_dataset_ships_are_used(data_dir: Path, tmp_path: Path) -> None:
    """HumanEval's canonical solutions and CodeContests' `solutions` (Python and C++), with a
    problem whose expected output is wrong: only that one is rejected."""
    humaneval = [
        json.loads(x) for x in (data_dir / "humaneval" / "problems.jsonl").read_text().splitlines()[:4]
    ]
    sum_py = "a, b = map(int, input().split())\nprint(a + b)\n"
    sum_cpp = '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}\n'

    def contest(index: str, output: str) -> dict[str, object]:
        return {
            "name": f"9_{index}. Sum",
            "cf_contest_id": 9,
            "cf_index": index,
            "public_tests": {"input": ["1 2\n"], "output": [output]},
            "private_tests": {"input": ["10 20\n"], "output": ["30\n"]},
            "generated_tests": {"input": [], "output": []},
            "solutions": {"language": [3, 2, 1], "solution": [sum_py, sum_cpp, "print 'python 2'"]},
        }

    problems = write_jsonl(tmp_path / "p.jsonl", [*humaneval, contest("A", "3\n"), contest("B", "4\n")])
    result = audit("--problems", str(problems), "-o", str(tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert report["rejected"] == ["9/B"]
    assert report["problems"]["9/A"] == {
        "references": 2,
        "passed": 2,
        "verdicts": {"AC": 2},
        "failure": "",
        "unjudged": 0,
    }
    assert all(report["problems"][p["task_id"]]["passed"] == 1 for p in humaneval)
    assert "4 reject" not in result.stderr and "1 reject every reference" in result.stderr


def test_problems_without_references_say_how_to_give_them(tmp_path: Path) -> None:
    from tests.conftest import SUM_PROBLEM

    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    result = audit("--problems", str(problems), "-o", str(tmp_path / "a"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "ship no reference solutions" in result.stderr and "--reference" in result.stderr


#: "print two numbers summing to n"; BROKEN_CHECKER is off by one: it rejects every right answer
SPLIT_CHECKER = (
    "import sys\n"
    "n = int(open(sys.argv[1]).read())\n"
    "a, b = map(int, open(sys.argv[3]).read().split())\n"
    "print(1 if a + b == n else 0)\n"
)
BROKEN_CHECKER = SPLIT_CHECKER.replace("a + b == n", "a + b == n + 1")


def _split(pid: str, checker: str) -> dict[str, object]:
    from tests.conftest import SUM_PROBLEM

    tests = [{"input": "5\n", "output": "2 3\n"}, {"input": "9\n", "output": "4 5\n"}]
    return dict(SUM_PROBLEM, id=pid, official_tests=tests, generated_checker=checker)


def test_a_checker_that_rejects_its_own_expected_outputs_is_listed_without_references(tmp_path: Path) -> None:
    """open-r1's Codeforces rows ship checkers and no solutions: the checkers alone are audited."""
    problems = write_jsonl(
        tmp_path / "p.jsonl", [_split("1/A", SPLIT_CHECKER), _split("1/B", BROKEN_CHECKER)]
    )
    result = audit("--problems", str(problems), "-o", str(tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert report["checkers"] == 2 and list(report["broken_checkers"]) == ["1/B"]
    assert "test 1: the problem's checker is broken: it rejects" in report["broken_checkers"]["1/B"]
    assert "tested 2 checkers on their expected outputs: 1 broken" in result.stderr
    assert "broken checker 1/B: test 1:" in result.stderr and "only their checkers" in result.stderr
    kept = [json.loads(x)["id"] for x in Path(result.stdout.strip()).read_text().splitlines()]
    assert kept == ["1/A"]


def test_references_on_a_broken_checker_are_ie_and_its_problem_is_left_out(tmp_path: Path) -> None:
    problems = write_jsonl(
        tmp_path / "p.jsonl", [_split("1/A", SPLIT_CHECKER), _split("1/B", BROKEN_CHECKER)]
    )
    right = "n = int(input())\nprint(1, n - 1)\n"
    reference = write_jsonl(
        tmp_path / "ref.jsonl", [{"id": "1/A", "code": right}, {"id": "1/B", "code": right}]
    )
    result = audit("--problems", str(problems), "--reference", str(reference), "-o", str(tmp_path / "a"))
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert list(report["broken_checkers"]) == ["1/B"] and report["rejected"] == ["1/B"]
    assert report["problems"]["1/A"]["passed"] == 1
    assert report["problems"]["1/B"]["verdicts"] == {"IE": 1}
    assert "checker is broken" in report["problems"]["1/B"]["failure"]
    # the IE is said by the exit code too: a verdict that is no judgement of the reference
    assert result.returncode == 1, result.stderr
    kept = [json.loads(x)["id"] for x in Path(result.stdout.strip()).read_text().splitlines()]
    assert kept == ["1/A"]


#: MBPP+ rows as EvalPlus's MbppPlus.jsonl writes them: Mbpp/106's second argument is a tuple
#: (EvalPlus gives it back from JSON's list before calling anything); "Mbpp/9999", a task EvalPlus
#: does not retype, keeps the list, so its canonical solution (tuple + tuple) fails there
ADD_LISTS = {
    "task_id": "Mbpp/106",
    "prompt": '"""\nWrite a function to append the given list to the given tuples.\n'
    'assert add_lists([5, 6, 7], (9, 10)) == (9, 10, 5, 6, 7)\n"""\n',
    "canonical_solution": "\ndef add_lists(test_list, test_tup):\n  return test_tup + tuple(test_list)\n",
    "entry_point": "add_lists",
    "base_input": [[[5, 6, 7], [9, 10]], [[6, 7, 8], [10, 11]], [[7, 8, 9], [11, 12]]],
    "plus_input": [[[], [1, 2]], [[1], []]],
    "atol": 0,
}


def test_mbpp_plus_inputs_get_evalplus_types_and_a_failing_reference_is_ie_and_audited(
    tmp_path: Path,
) -> None:
    broken = {**ADD_LISTS, "task_id": "Mbpp/9999"}
    problems = write_jsonl(tmp_path / "mbppplus.jsonl", [ADD_LISTS, broken])
    right = "def add_lists(test_list, test_tup):\n    return test_tup + tuple(test_list)\n"
    listy = "def add_lists(test_list, test_tup):\n    return list(test_tup) + test_list\n"
    sols = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"task_id": "Mbpp/106", "solution": right},
            {"task_id": "Mbpp/106", "solution": listy},
            {"task_id": "Mbpp/9999", "solution": right},
        ],
    )
    argv = [sys.executable, "-m", "batch_eval", "check", str(sols), "-p", str(problems), "--no-cache"]
    done = subprocess.run([*argv, "-o", str(tmp_path / "out")], capture_output=True, text=True)
    lines = [json.loads(x) for x in (tmp_path / "out" / "s.results.jsonl").read_text().splitlines()]
    assert [x["verdict"] for x in lines] == ["AC", "WA", "IE"], done.stderr
    assert "the reference solution fails on base input 1" in lines[2]["reason"]
    result = audit("--problems", str(problems), "-o", str(tmp_path / "a"))
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert report["rejected"] == ["Mbpp/9999"], result.stderr
    assert "rejected Mbpp/9999: " in result.stderr and "reference solution fails" in result.stderr


def test_an_audit_that_judges_no_reference_is_an_error(tmp_path: Path) -> None:
    from tests.conftest import SUM_PROBLEM

    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    reference = write_jsonl(tmp_path / "ref.jsonl", [{"id": "no/such", "code": "print(1)"}])
    result = audit("--problems", str(problems), "--reference", str(reference), "-o", str(tmp_path / "a"))
    assert result.returncode == 2 and "0 reject" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert f"{reference}: no reference solution was judged (1 skipped" in last and "--reference" in last


def test_mbpp_plus_special_oracles_accept_what_evalplus_accepts(tmp_path: Path) -> None:
    """EvalPlus's special oracles, per input as its evaluation applies them: sum_div (Mbpp/295)
    takes the reference's value or 0; similar_elements (Mbpp/2) compares lists as sets."""
    sum_div = {
        "task_id": "Mbpp/295",
        "prompt": '"""\nWrite a function to return the sum of all divisors of a number.\n"""\n',
        "canonical_solution": "def sum_div(n):\n    return sum(i for i in range(1, n) if n % i == 0)\n",
        "entry_point": "sum_div",
        "base_input": [[8], [12], [7]],
        "plus_input": [[1], [20]],
        "atol": 0,
    }
    similar = {
        "task_id": "Mbpp/2",
        "prompt": '"""\nWrite a function to find the shared elements from the given two lists.\n"""\n',
        "canonical_solution": "def similar_elements(a, b):\n    return tuple(set(a) & set(b))\n",
        "entry_point": "similar_elements",
        "base_input": [[[3, 4, 5, 6], [5, 7, 4, 10]]],
        "plus_input": [],
        "atol": 0,
    }
    problems = write_jsonl(tmp_path / "p.jsonl", [sum_div, similar])
    records = [
        ("Mbpp/295", "def sum_div(n):\n    return 0\n"),  # 0 everywhere: AC
        (
            "Mbpp/295",
            "def sum_div(n):\n    return 0 if n < 10 else sum(i for i in range(1, n) if n % i == 0)\n",
        ),
        ("Mbpp/295", "def sum_div(n):\n    return 1\n"),  # neither: WA
        ("Mbpp/2", "def similar_elements(a, b):\n    return [5, 4]\n"),  # a list, as a set: AC
        ("Mbpp/2", "def similar_elements(a, b):\n    return [5, 4, 4, 3]\n"),  # another set: WA
    ]
    sols = write_jsonl(tmp_path / "s.jsonl", [{"task_id": t, "solution": c} for t, c in records])
    argv = [sys.executable, "-m", "batch_eval", "check", str(sols), "-p", str(problems), "--no-cache"]
    done = subprocess.run([*argv, "-o", str(tmp_path / "out")], capture_output=True, text=True)
    lines = [json.loads(x) for x in (tmp_path / "out" / "s.results.jsonl").read_text().splitlines()]
    assert [x["verdict"] for x in lines] == ["AC", "AC", "WA", "AC", "WA"], done.stderr


def test_an_ie_of_ours_is_no_rejection_but_a_failing_reference_is(tmp_path: Path) -> None:
    """The references' results lines as a check writes them: an IE whose reason is the
    problem's own reference failing (the harness's words) rejects the problem; an IE of our
    side (a server down) says nothing of its tests: the problem is kept, listed as unjudged."""
    from batch_eval.judging.audit import Audit, _read_references
    from batch_eval.judging.check import CheckOutcome
    from batch_eval.judging.sources import REFERENCE_FAILS

    lines = [
        {
            "id": "Mbpp/1",
            "verdict": "IE",
            "reason": f"check: {REFERENCE_FAILS} on base input 2: ValueError()",
        },
        {"id": "Mbpp/2", "verdict": "IE", "reason": "no Piston endpoint answered for 120 s"},
        {"id": "Mbpp/3", "verdict": "AC", "reason": ""},
        {"id": "Mbpp/3", "verdict": "IE", "reason": "the sandbox could not be made"},
    ]
    results = write_jsonl(tmp_path / "audit.results.jsonl", lines)
    result = Audit()
    _read_references(CheckOutcome(results, tmp_path / "m.json", {}), result)
    assert result.rejected == ["Mbpp/1"] and result.unjudged == ["Mbpp/2"]
    assert result.problems["Mbpp/3"]["references"] == 1 and result.disputed == []


def test_taco_problems_are_numbered_by_their_row_and_keep_it_in_the_audited_file(tmp_path: Path) -> None:
    """BAAI/TACO's rows have no id column (its card lists question, solutions, starter_code,
    input_output, difficulty, raw_tags, name, source, tags, skill_types, url, Expected
    Auxiliary Space, time_limit, date, picture_num, memory_limit, Expected Time Complexity);
    TACO's own files (generation.json's task_id, output_spj.jsonl's idx) name a problem by its
    row. Two rows may share a title. A row the audit leaves out must not renumber the rest."""
    from batch_eval.api import check_file

    def row(name: str, outputs: list[str]) -> dict[str, object]:
        return {
            "question": "Print a + b.",
            "solutions": json.dumps(["a, b = map(int, input().split())\nprint(a + b)\n"]),
            "starter_code": "",
            "input_output": json.dumps({"inputs": ["1 2\n", "5 5\n"], "outputs": outputs}),
            "difficulty": "EASY",
            "raw_tags": "['Math']",
            "name": name,
            "source": "codeforces",
            "tags": "['Mathematics']",
            "skill_types": "[]",
            "url": "https://codeforces.com/problemset/problem/1/A",
            "Expected Auxiliary Space": None,
            "time_limit": "1 second",
            "date": "2020-01-01",
            "picture_num": "0",
            "memory_limit": "256 megabytes",
            "Expected Time Complexity": None,
        }

    # row 0's expected output is wrong: its reference fails and the audit leaves it out
    problems = write_jsonl(
        tmp_path / "taco.jsonl", [row("Sum", ["4\n", "10\n"]), row("Sum", ["3\n", "10\n"])]
    )
    result = audit("--problems", str(problems), "-o", str(tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert report["rejected"] == ["0"] and report["problems"]["1"]["passed"] == 1
    audited = tmp_path / "a" / "problems.audited.jsonl"
    assert [json.loads(x)["id"] for x in audited.read_text().splitlines()] == ["1"]
    generations = tmp_path / "generation.json"  # TACO's README: [{task_id, prompt, output: [programs]}]
    generations.write_text(
        json.dumps(
            [{"task_id": 1, "prompt": "Print a + b.", "output": ["print(sum(map(int, input().split())))"]}]
        )
    )
    outcome = check_file(generations, audited, tmp_path / "out", cache=False, progress=False)
    lines = [json.loads(x) for x in outcome.results_path.read_text().splitlines()]
    assert [(x["id"], x["verdict"]) for x in lines] == [("1", "AC")]


def test_codeforces_submissions_count_as_references_only_when_codeforces_accepted_them(
    tmp_path: Path,
) -> None:
    """open-r1/codeforces-submissions (default config) mixes every verdict: a WRONG_ANSWER
    submission failing the tests says nothing of them, so only `verdict: OK` ones are
    references (rows shaped as its card's columns)."""
    from tests.conftest import SUM_PROBLEM

    def submission(n: int, source: str, verdict: str) -> dict[str, object]:
        return {
            "submission_id": str(n),
            "source": source,
            "contestId": "1",
            "problem_index": "A",
            "programmingLanguage": "Python 3",
            "verdict": verdict,
            "testset": "TESTS",
            "passedTestCount": 3.0,
            "timeConsumedMillis": 30.0,
            "memoryConsumedBytes": 0.0,
            "creationTimeSeconds": 1300000000.0,
            "problem_id": "1/A",
        }

    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    right, wrong = "a, b = map(int, input().split())\nprint(a + b)\n", "print(0)\n"
    reference = write_jsonl(
        tmp_path / "submissions.jsonl",
        [submission(1, right, "OK"), submission(2, wrong, "WRONG_ANSWER")],
    )
    result = audit("--problems", str(problems), "--reference", str(reference), "-o", str(tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert report["problems"]["1/A"]["references"] == 1 and report["disputed"] == []
    assert "1 submissions Codeforces did not accept" in result.stderr
