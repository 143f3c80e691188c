import json
from pathlib import Path

from batch_eval.api import check_file
from batch_eval.executors.base import Program
from batch_eval.judging.solutions import count_records, extract_program, parse_record, read_records
from tests.conftest import SUM_PROBLEM, write_jsonl


def test_code_field_wins_over_raw_response() -> None:
    program = extract_program({"code": "print(1)", "raw_response": "```python\nprint(2)\n```"})
    assert program == Program("python", "print(1)")


def test_last_fenced_block_of_raw_response_with_its_language() -> None:
    raw = "Idea:\n```python\nprint('draft')\n```\nFinal:\n```cpp\nint main(){}\n```\nDone."
    assert extract_program({"raw_response": raw}) == Program("cpp", "int main(){}\n")
    # an explicit `language` field overrides the fence
    assert extract_program({"raw_response": raw, "language": "c++"}) == Program("cpp", "int main(){}\n")


def test_no_code_at_all_is_a_reason_not_a_program() -> None:
    reason = extract_program({"code": None, "raw_response": "I cannot solve this."})
    assert isinstance(reason, str) and "no code" in reason


def test_bad_lines_become_error_records_with_their_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"id": "1/A", "code": "print(3)"},
            "{not json",
            "[1, 2]",
            {"code": "print(1)"},
            {"id": "1/A"},
            {"id": "1/A", "code": 5},
            {"id": "1/A", "code": "x", "language": "brainfuck"},
        ],
    )
    records = list(read_records(path))
    assert [r.line for r in records] == [1, 2, 3, 4, 5, 6, 7]
    assert records[0].error == ""
    assert "malformed JSON" in records[1].error
    assert "JSON object" in records[2].error
    assert "without an id (`id`, `problem_id`, `task_id`, `question_id`)" in records[3].error
    fields = "`code`, `solution`, `completion`, `raw_response`, `code_list`, `output_list`"
    assert f"has no program (none of {fields}; or say which: --code-field)" in records[4].error
    assert "must be strings" in records[5].error
    assert "unsupported language" in records[6].error


def test_invalid_utf8_is_an_error_record() -> None:
    assert "UTF-8" in parse_record(b'{"id": "\xff"}', 3).error


def test_the_benchmarks_own_sample_formats_are_read(tmp_path: Path) -> None:
    """HumanEval's samples (`task_id`, `completion`), EvalPlus's (`task_id`, `solution`) and
    LiveCodeBench's (`question_id`, `code_list`: one record per element) as they ship."""
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"task_id": "HumanEval/0", "completion": "    return 1\n"},
            {"task_id": "HumanEval/0", "solution": "def f():\n    return 1\n"},
            {
                "question_id": "abc301_a",
                "code_list": ["print(1)", "print(2)", ""],
                "contest_date": "2023-07-01",
            },
            {"problem_id": "1/A", "code": "print(3)"},
        ],
    )
    records = list(read_records(path))
    assert [(r.line, r.problem_id, r.key) for r in records] == [
        (1, "HumanEval/0", (1, 0)),
        (2, "HumanEval/0", (2, 0)),
        (3, "abc301_a", (3, 0)),
        (3, "abc301_a", (3, 1)),
        (3, "abc301_a", (3, 2)),
        (4, "1/A", (4, 0)),
    ]
    programs = [extract_program(r.fields) for r in records]
    assert programs[0] == Program("python", "    return 1\n")
    assert programs[1] == Program("python", "def f():\n    return 1\n")
    assert [programs[i] for i in (2, 3)] == [Program("python", "print(1)"), Program("python", "print(2)")]
    assert isinstance(programs[4], str) and "no code" in programs[4]  # an empty sample is a failure
    # the results keep the record's own fields (its date, its sample's index), not the code
    assert records[3].kept_fields() == {
        "question_id": "abc301_a",
        "contest_date": "2023-07-01",
        "code_list_index": 1,
    }


def test_humaneval_judged_from_the_official_completion_format_as_from_code(
    tmp_path: Path, data_dir: Path
) -> None:
    """The shared HumanEval samples that begin with their problem's prompt, rewritten as
    HumanEval's own sample files (`task_id`, and the `completion` after the prompt), get the
    verdicts they get as whole programs."""
    problems_path = data_dir / "humaneval" / "problems.jsonl"
    prompts = {p["id"]: p["prompt"] for p in map(json.loads, problems_path.read_text().splitlines())}
    whole: list[dict[str, str]] = []
    official: list[dict[str, str]] = []
    for model in ("gpt-4", "gpt-3.5-turbo", "codegen-16B-mono_CodeT", "codellama-34b-instruct"):
        lines = (data_dir / "humaneval" / "checkpoints" / model / "solutions.jsonl").read_text().splitlines()
        for record in map(json.loads, lines):
            prompt = prompts[record["id"]]
            if record["code"].startswith(prompt) and len(whole) < 120:
                whole.append({"id": record["id"], "code": record["code"]})
                official.append({"task_id": record["id"], "completion": record["code"][len(prompt) :]})
    assert len(official) == 120
    verdicts = []
    for name, rows in (("code", whole), ("completion", official)):
        path = write_jsonl(tmp_path / f"{name}.jsonl", rows)
        outcome = check_file(path, problems_path, tmp_path / name, cache=False, progress=False)
        results = outcome.results_path.read_text().splitlines()
        verdicts.append([line["verdict"] for line in map(json.loads, results)])
    assert verdicts[0] == verdicts[1]
    assert "AC" in verdicts[0] and set(verdicts[0]) - {"AC"}  # right and wrong samples both


def test_each_element_of_a_code_list_is_a_sample_judged_and_counted(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(
        tmp_path / "lcb.jsonl",
        [
            {
                "question_id": "1/A",
                "code_list": ["a, b = map(int, input().split())\nprint(a + b)", "print(0)", ""],
            }
        ],
    )
    outcome = check_file(sols, problems, tmp_path / "out", cache=False, progress=False)
    lines = [json.loads(x) for x in outcome.results_path.read_text().splitlines()]
    assert [(x["line"], x["code_list_index"], x["verdict"]) for x in lines] == [
        (1, 0, "AC"),
        (1, 1, "WA"),
        (1, 2, "CE"),
    ]
    assert outcome.metrics["records"] == 3 and outcome.metrics["pass_at_k"]["1"] == round(1 / 3, 6)
    assert count_records(sols) == 3  # progress counts the samples, not the lines


def test_open_r1_generations_and_codeforces_submissions_are_read_in_place() -> None:
    cots = {"id": "1/A", "generation": "<think>sum</think>\n```cpp\nint main(){}\n```\n"}
    submission = {"id": "1/A", "source": "print(1)", "programmingLanguage": "PyPy 3-64"}
    cpp = {"id": "1/A", "source": "int main(){}", "programmingLanguage": "GNU C++17 (64)"}
    go = {"id": "1/A", "source": "package main", "programmingLanguage": "Go"}
    programs = [
        extract_program(parse_record(json.dumps(r).encode(), 1).fields) for r in (cots, submission, cpp)
    ]
    assert programs == [
        Program("cpp", "int main(){}\n"),
        Program("pypy", "print(1)"),
        Program("cpp", "int main(){}"),
    ]
    assert parse_record(json.dumps(go).encode(), 1).error == "unsupported language 'Go'"
    assert "generation" not in parse_record(json.dumps(cots).encode(), 1).kept_fields()
    # codeforces-cots' card: `messages` (user: the prompt, assistant: the generation) again
    chat = {**cots, "messages": [{"role": "user", "content": "p"}, {"role": "assistant", "content": "g"}]}
    assert "messages" not in parse_record(json.dumps(chat).encode(), 1).kept_fields()


def test_a_codeforces_submission_keeps_its_own_verdict_beside_ours(tmp_path: Path) -> None:
    """open-r1/codeforces-submissions' columns (its card's dataset_info): submission_id, source,
    contestId, problem_index, programmingLanguage, verdict, testset, passedTestCount,
    timeConsumedMillis, memoryConsumedBytes, creationTimeSeconds, problem_id. Its `verdict` is
    Codeforces' own: a user compares it with ours, so ours must not overwrite it."""
    row = {
        "submission_id": "100000001",
        "source": "a, b = map(int, input().split())\nprint(a - b)\n",
        "contestId": "1",
        "problem_index": "A",
        "programmingLanguage": "Python 3",
        "verdict": "OK",
        "testset": "TESTS",
        "passedTestCount": 2.0,
        "timeConsumedMillis": 46.0,
        "memoryConsumedBytes": 0.0,
        "creationTimeSeconds": 1266000000.0,
        "problem_id": "1/A",
    }
    sols = write_jsonl(tmp_path / "submissions.jsonl", [row])
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    outcome = check_file(sols, problems, tmp_path / "out", cache=False, progress=False)
    (line,) = [json.loads(x) for x in outcome.results_path.read_text().splitlines()]
    assert (line["verdict"], line["record_verdict"], line["submission_id"]) == ("WA", "OK", "100000001")
    assert line["language"] == "python" and "source" not in line
