"""Problems and their tests: the open-r1/codeforces schema, HumanEval-style function problems."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError


@dataclass(frozen=True)
class TestCase:
    input: bytes
    output: bytes
    name: str = ""


@dataclass(frozen=True)
class Checker:
    """A checker program (Python source) and the argument convention it follows."""

    source: str
    convention: str = "open-r1"  # or "testlib"


@dataclass
class Problem:
    """One problem. `kind` is "stdio" (tests of input/output) or "function" (HumanEval)."""

    id: str
    kind: str = "stdio"
    tests: list[TestCase] = field(default_factory=list)
    time_limit: float | None = None  # seconds, None: the user's default
    memory_limit: int | None = None  # MB, None: the user's default
    input_mode: str = "stdio"  # "file": also input.txt in, output.txt out
    checker: Checker | None = None
    float_tolerance: float | None = None
    contest_id: str | None = None
    prompt: str = ""
    test_code: str = ""
    entry_point: str = ""
    interactive: bool = False


def _text(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def _number(raw: dict[str, Any], key: str, path: Path, line: int) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise BatchEvalError(
            f"problem {raw.get('id')!r}: {key} must be a positive number, not {value!r}", path, line
        )
    return float(value)


def parse_problem(raw: Any, path: Path, line: int, checker_convention: str = "open-r1") -> Problem:
    """One problem from its JSON object; BatchEvalError names the file and line."""
    if not isinstance(raw, dict):
        raise BatchEvalError("a problem must be a JSON object", path, line)
    pid = raw.get("id", raw.get("task_id"))
    if not isinstance(pid, (str, int)) or pid == "":
        raise BatchEvalError("problem without an `id`", path, line)
    pid = str(pid)
    memory = _number(raw, "memory_limit", path, line)
    problem = Problem(
        id=pid,
        time_limit=_number(raw, "time_limit", path, line),
        memory_limit=int(memory) if memory is not None else None,
        input_mode=str(raw.get("input_mode") or "stdio"),
        contest_id=str(raw["contest_id"]) if raw.get("contest_id") is not None else None,
        interactive=bool(raw.get("interactive")),
    )
    tolerance = raw.get("float_tolerance")
    if isinstance(tolerance, dict):
        tolerance = tolerance.get("abs_or_rel")
    if isinstance(tolerance, (int, float)) and not isinstance(tolerance, bool):
        problem.float_tolerance = float(tolerance)
    if raw.get("entry_point") and raw.get("test") is not None:
        problem.kind = "function"
        problem.input_mode = "function"
        problem.prompt = str(raw.get("prompt") or "")
        problem.test_code = str(raw["test"])
        problem.entry_point = str(raw["entry_point"])
        return problem
    tests = raw.get("official_tests")
    if tests is None:
        tests = raw.get("tests", [])
    if not isinstance(tests, list):
        raise BatchEvalError(f"problem {pid!r}: official_tests must be a list", path, line)
    for i, test in enumerate(tests):
        if not isinstance(test, dict) or "input" not in test or "output" not in test:
            raise BatchEvalError(f"problem {pid!r}: test {i} needs `input` and `output`", path, line)
        problem.tests.append(TestCase(_text(test["input"]), _text(test["output"]), f"official-{i}"))
    checker = raw.get("generated_checker") or raw.get("checker")
    if isinstance(checker, str) and checker.strip():
        convention = str(raw.get("checker_convention") or checker_convention)
        problem.checker = Checker(checker, convention)
    return problem


def load_problems(path: Path, checker_convention: str = "open-r1") -> dict[str, Problem]:
    """All problems of a JSONL file (or a JSON list), by id. Errors are fatal: before any work."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BatchEvalError("problems file not found", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchEvalError(f"cannot read problems: {exc}", path) from None
    problems: dict[str, Problem] = {}
    for line_no, raw in _records(text, path):
        problem = parse_problem(raw, path, line_no, checker_convention)
        if problem.id in problems:
            raise BatchEvalError(f"duplicate problem id {problem.id!r}", path, line_no)
        problems[problem.id] = problem
    if not problems:
        raise BatchEvalError("no problems in file", path)
    return problems


def _records(text: str, path: Path) -> Iterator[tuple[int, Any]]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BatchEvalError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
        yield from ((1, item) for item in items)
        return
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield line_no, json.loads(line)
        except json.JSONDecodeError as exc:
            raise BatchEvalError(f"invalid JSON: {exc.msg}", path, line_no) from None


class GeneratedTests:
    """open-r1's generated tests: `test_cases_{contest_id}.parquet` (problem_id, test_i, input, output)."""

    def __init__(self, folder: Path, max_tests: int) -> None:
        self.folder = folder
        self.max_tests = max_tests  # 0: none, -1: all
        self._by_contest: dict[str, dict[str, list[TestCase]]] = {}
        if max_tests != 0 and not folder.is_dir():
            raise BatchEvalError("generated tests folder not found", folder)

    def for_problem(self, problem: Problem) -> list[TestCase]:
        if self.max_tests == 0 or problem.kind != "stdio":
            return []
        contest = problem.contest_id or problem.id.split("/")[0]
        if contest not in self._by_contest:
            self._by_contest[contest] = self._load(contest)
        tests = self._by_contest[contest].get(problem.id, [])
        return tests if self.max_tests < 0 else tests[: self.max_tests]

    def _load(self, contest: str) -> dict[str, list[TestCase]]:
        path = self.folder / f"test_cases_{contest}.parquet"
        if not path.is_file():
            return {}
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise BatchEvalError(
                "reading generated tests needs pyarrow: pip install 'batch-eval[parquet]'", path
            ) from None
        try:
            table = pq.read_table(path, columns=["problem_id", "test_i", "input", "output"])
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise BatchEvalError(f"cannot read generated tests: {exc}", path) from None
        rows = sorted(
            zip(*(table.column(c).to_pylist() for c in ("problem_id", "test_i", "input", "output"))),
            key=lambda r: (str(r[0]), int(r[1])),
        )
        out: dict[str, list[TestCase]] = {}
        for pid, test_i, inp, outp in rows:
            out.setdefault(str(pid), []).append(TestCase(_text(inp), _text(outp), f"generated-{test_i}"))
        return out
