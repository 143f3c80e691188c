"""`batch-eval audit`: judge a dataset's own reference solutions against its tests, and list
the problems whose tests (or checker) reject every correct program — with a problems file
that leaves them out, so that no checkpoint is scored on them.

Every problem's checker is also run on each of its tests' expected outputs (as a check does
before trusting it): a checker that rejects or fails on one is broken, and its problem is
listed and left out too, references or not (every program's accepted run there is IE).

References come from the problems themselves where the benchmark ships them (CodeContests'
`solutions`, APPS/TACO `solutions`, HumanEval's `canonical_solution`, MBPP's `code`), or
from a solutions file the user marks as reference (`--reference`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batch_eval.config import CheckConfig, problems_index_dir
from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import checker_limits
from batch_eval.executors.local.testlib import header
from batch_eval.files import AtomicFile, ensure_folder, write_json_atomic
from batch_eval.judging import hub
from batch_eval.judging.check import CheckOutcome, check_file
from batch_eval.judging.checker import CHECKER_BROKEN, CheckerRunner
from batch_eval.judging.generated import GeneratedTests
from batch_eval.judging.problems import load_problems
from batch_eval.judging.records import Warn
from batch_eval.judging.solutions import record_id
from batch_eval.judging.sources import REFERENCE_FAILS, numbered_by_row, problem_id

#: CodeContests' language codes: the ones we judge
_CODECONTESTS_LANGUAGES = {2: "cpp", 3: "python", 4: "java"}
PER_PROBLEM = 3  # reference solutions judged per problem (the first ones the dataset lists)
#: an IE with these words is the problem's own fault (its reference solution fails in the
#: trusted harness, its checker rejects its expected output, its interactor does not compile,
#: says FAIL or crashes): a rejection; any other IE is ours and says nothing of the problem
PROBLEM_FAULTS = (REFERENCE_FAILS, CHECKER_BROKEN, "interactor is broken", "(broken problem)")


@dataclass
class Audit:
    """Per problem: how many references ran and passed, their verdicts, the first failure."""

    problems: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkers: int = 0  # problems whose checker was tested on its expected outputs
    broken_checkers: dict[str, str] = field(default_factory=dict)  # problem: why

    @property
    def rejected(self) -> list[str]:
        """Problems whose tests reject every reference solution judged."""
        return sorted(p for p, a in self.problems.items() if a["references"] and not a["passed"])

    @property
    def unjudged(self) -> list[str]:
        """Problems none of whose references could be judged (IE on our side): kept, judge again."""
        return sorted(p for p, a in self.problems.items() if not a["references"] and a.get("unjudged"))

    @property
    def disputed(self) -> list[str]:
        """Problems where some references pass and some do not (kept: a reference may be wrong)."""
        return sorted(p for p, a in self.problems.items() if 0 < a["passed"] < a["references"])


def shipped_references(problems_path: Path) -> Iterator[dict[str, Any]]:
    """The reference solutions the problems file ships, as solution records."""
    for row, raw in enumerate(_raw_problems(problems_path)):
        pid = problem_id(raw, row)
        if pid is None:
            continue
        for language, code in _references(raw)[:PER_PROBLEM]:
            yield {"id": str(pid), "code": code, "language": language, "reference": True}


def audit_checkers(config: CheckConfig, result: Audit) -> None:
    """Run every problem's checker on each of its tests' expected outputs (the generated
    tests' too); the broken ones go into `result.broken_checkers`."""
    problems = load_problems(
        config.problems, config.checker_convention, problems_index_dir(config), config.mbpp_challenge
    )
    generated = (
        GeneratedTests(config.generated_tests_dir, config.max_generated_tests)
        if config.generated_tests_dir is not None
        else None
    )
    python = os.path.realpath(config.python or sys.executable)
    for pid in problems:
        problem = problems[pid]
        if problem.checker is None or problem.kind != "stdio" or problem.interactive:
            continue
        tests = problem.tests + (generated.for_problem(problem) if generated else [])
        limits = checker_limits(config.limits_for(problem.time_limit, problem.memory_limit))
        runner = CheckerRunner(problem.checker, python, limits, header(config.testlib))
        try:
            why = runner.broken((t.input, t.output) for t in tests)
        finally:
            runner.close()
        result.checkers += 1
        if why:
            result.broken_checkers[pid] = why


def audit(
    config: CheckConfig, out_dir: Path, reference: Path | None = None, warn: Warn = lambda m: None
) -> tuple[Audit, CheckOutcome | None, Path]:
    """Test the checkers, judge the references (every test, no cache) into `out_dir`; the
    audit, the check's outcome (None: no references, only checkers to test) and the problems
    file without the problems that reject every reference or whose checker is broken."""
    ensure_folder(out_dir, "the audit folder")
    result = Audit()
    audit_checkers(config, result)
    outcome = None
    if reference is None:
        records = list(shipped_references(config.problems))
        if records:
            reference = out_dir / "references.jsonl"
            with AtomicFile(reference) as f:
                f.writelines(json.dumps(r) + "\n" for r in records)
        elif not result.checkers:
            raise BatchEvalError(
                "the problems ship no reference solutions (CodeContests/APPS/TACO `solutions`, "
                "HumanEval `canonical_solution`, MBPP `code`) and have no checkers: "
                "pass --reference SOLUTIONS.jsonl",
                config.problems,
            )
        else:
            warn(
                f"{config.problems}: the problems ship no reference solutions: only their checkers "
                "are audited (pass --reference SOLUTIONS.jsonl to judge their tests too)"
            )
    if reference is not None:
        outcome = check_file(config, reference, out_dir, stem="audit", warn=warn)
        not_accepted = _read_references(outcome, result)
        if not_accepted:
            warn(
                f"{reference}: {not_accepted} submissions Codeforces did not accept (`verdict` not OK) "
                "are not references: they were judged, not counted"
            )
        if not result.problems:  # "0 reject" would read as a clean pass
            raise BatchEvalError(
                f"no reference solution was judged ({outcome.metrics.get('skipped_records', 0)} "
                "skipped, see above): give references the problems file names (--reference FILE)",
                reference,
            )
    clean = out_dir / "problems.audited.jsonl"
    left_out = set(result.rejected) | set(result.broken_checkers)
    with AtomicFile(clean) as f:
        for row, raw in enumerate(_raw_problems(config.problems)):
            pid = str(problem_id(raw, row))
            if pid in left_out:
                continue
            # a problem numbered by its row keeps its number, written out: the rows after a
            # left-out one move up (TACO's generations still find it, problems.ProblemSet.id_at)
            f.write(json.dumps({"id": pid, **raw} if numbered_by_row(raw) else raw) + "\n")
    write_json_atomic(
        out_dir / "audit.json",
        {
            "problems_file": str(config.problems),
            "reference": str(reference) if reference is not None else None,
            "rejected": result.rejected,
            "disputed": result.disputed,
            "unjudged": result.unjudged,
            "checkers": result.checkers,
            "broken_checkers": result.broken_checkers,
            "problems": result.problems,
            "audited_problems_file": str(clean),
        },
    )
    return result, outcome, clean


def _read_references(outcome: CheckOutcome, result: Audit) -> int:
    """Each problem's references, passed and failed, from the check's results; how many lines
    were not references: Codeforces submissions (open-r1/codeforces-submissions: their
    `programmingLanguage`, their own `verdict` kept as `record_verdict`) that Codeforces did
    not accept (`verdict` other than OK), whose failing says nothing of the tests."""
    rejected_by_codeforces = 0
    for text in outcome.results_path.read_text(encoding="utf-8").splitlines():
        line = json.loads(text)
        if line.get("verdict") == "SKIP":
            continue
        if "programmingLanguage" in line and line.get("record_verdict", "OK") != "OK":
            rejected_by_codeforces += 1
            continue
        pid = str(record_id(line))
        entry = result.problems.setdefault(
            pid, {"references": 0, "passed": 0, "verdicts": {}, "failure": "", "unjudged": 0}
        )
        reason = str(line.get("reason") or "")
        if line["verdict"] == "IE" and not any(fault in reason for fault in PROBLEM_FAULTS):
            # our side failed (a server down, a sandbox not made): no word on the problem's tests
            entry["unjudged"] += 1
            continue
        entry["references"] += 1
        entry["passed"] += line["verdict"] == "AC"
        entry["verdicts"][line["verdict"]] = entry["verdicts"].get(line["verdict"], 0) + 1
        if line["verdict"] != "AC" and not entry["failure"]:
            entry["failure"] = line.get("reason") or line["verdict"]
    return rejected_by_codeforces


def _references(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(language, code) of the reference solutions a problem record ships."""
    if raw.get("canonical_solution") and raw.get("entry_point"):  # HumanEval: what follows the prompt
        return [("python", str(raw.get("prompt") or "") + str(raw["canonical_solution"]))]
    if isinstance(raw.get("test_list"), list) and isinstance(raw.get("code"), str):  # MBPP
        return [("python", raw["code"])]
    solutions = raw.get("solutions")
    if isinstance(solutions, dict):  # CodeContests: {language: [...], solution: [...]}
        pairs = zip(solutions.get("language") or [], solutions.get("solution") or [])
        return [
            (_CODECONTESTS_LANGUAGES[lang], code) for lang, code in pairs if lang in _CODECONTESTS_LANGUAGES
        ]
    if isinstance(solutions, str):  # APPS, TACO: a JSON list of Python programs
        try:
            solutions = json.loads(solutions)
        except json.JSONDecodeError:
            return []
    if isinstance(solutions, list):
        return [("python", code) for code in solutions if isinstance(code, str)]
    return []


def _raw_problems(path: Path) -> Iterator[dict[str, Any]]:
    """The problems file's records as written (JSONL streamed; a JSON list or Parquet read whole)."""
    if hub.is_dataset(path):
        yield from hub.rows(path)
        return
    with open(path, "rb") as raw:
        parquet = raw.read(4) == b"PAR1"
    if parquet:
        import pyarrow.parquet as pq  # load_problems has read it already: pyarrow is there

        yield from pq.read_table(path).to_pylist()
        return
    with open(path, encoding="utf-8-sig") as f:
        first = f.read(1)
        while first.isspace():
            first = f.read(1)
        if first == "[":
            f.seek(0)
            yield from (r for r in json.loads(f.read().lstrip("\ufeff")) if isinstance(r, dict))
            return
        f.seek(0)
        for line in f:
            if line.strip():
                record = json.loads(line)
                if isinstance(record, dict):
                    yield record
