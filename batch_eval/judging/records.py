"""Judging one record: the executor a check uses, which records it judges, and the
RecordJudge that turns a record into its results line (cache first, then the judge)."""

from __future__ import annotations

import os
import random
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batch_eval.config import CheckConfig
from batch_eval.errors import BatchEvalError
from batch_eval.executors import Executor
from batch_eval.executors.base import Limits, Program, checker_limits
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.local.languages import python_version
from batch_eval.executors.local.testlib import header, header_digest, is_cpp
from batch_eval.files import default_cache_dir
from batch_eval.judging.cache import VerdictCache, digest
from batch_eval.judging.checker import CheckerRunner
from batch_eval.judging.generated import GeneratedTests
from batch_eval.judging.judge import JudgeOptions, judge
from batch_eval.judging.problems import Problem, TestCase, closest_id
from batch_eval.judging.solutions import Record, extract_program
from batch_eval.verdict import SolutionResult, Verdict

Warn = Callable[[str], None]


def make_executor(config: CheckConfig) -> Executor:
    if config.executor == "local":
        flags = tuple(shlex.split(config.cxx_flags)) if config.cxx_flags is not None else None
        python, runner, jobs = config.python, config.python_runner, config.local_jobs()
        return LocalExecutor(
            python=python, python_runner=runner, cxx_flags=flags, jobs=jobs, testlib=config.testlib
        )
    if config.executor == "piston":
        from batch_eval.executors.piston import discovery
        from batch_eval.executors.piston.budget import SharedBudget
        from batch_eval.executors.piston.executor import PistonExecutor

        budget = SharedBudget((config.cache_dir or default_cache_dir()) / "piston", config.piston_concurrency)

        def fleet() -> list[str]:
            return discovery.resolve(config.endpoints, config.endpoints_file)

        changing = config.endpoints_file is not None or discovery.SLURM in (
            config.endpoints or discovery.from_env()
        )
        return PistonExecutor(
            fleet(),
            retries=config.piston_retries,
            timeout=config.piston_timeout,
            wait=config.piston_wait,
            batch=config.piston_batch,
            testlib=config.testlib,
            budget=budget,
            per_endpoint=config.piston_concurrency,
            fleet=fleet if changing else None,
        )
    raise BatchEvalError(f"unknown executor {config.executor!r}: use local or piston")


def select(records: Iterable[Record], limit: int | None, sample: int | None, seed: int) -> Iterator[Record]:
    """The records to judge: a reproducible random sample, then the first `limit`."""
    if sample is not None:
        pool = list(records)
        keep = set(random.Random(seed).sample(range(len(pool)), min(sample, len(pool))))
        records = (r for i, r in enumerate(pool) if i in keep)
    for n, record in enumerate(records):
        if limit is not None and n >= limit:
            return
        yield record


def unknown_id(pid: str, problems: Mapping[str, Problem], guesses: dict[str, str | None]) -> str:
    """Why a record naming no known problem is skipped, with the id it likely means."""
    if pid not in guesses:
        guesses[pid] = closest_id(pid, problems)
    guess = guesses[pid]
    return f"unknown problem id {pid!r}" + (f" (did you mean {guess!r}?)" if guess else "")


def parts_of(parts: list[str], result: SolutionResult) -> dict[str, str]:
    """Each part's verdict (a part not run after an earlier one failed: SKIP; no tests at
    all, a compile error: the solution's verdict)."""
    if not result.tests:
        return {part: result.verdict.value for part in parts}
    return {part: t.verdict.value for part, t in zip(parts, result.tests)}


#: a record's results line, its result (None when skipped) and the skip reason
Judged = tuple[dict[str, Any], SolutionResult | None, str]


@dataclass
class Job:
    """A record to run: what `RecordJudge.run` needs, and the line its result completes."""

    line: dict[str, Any]
    problem: Problem
    tests: list[TestCase]
    program: Program
    limits: Limits
    key: str  # its verdict cache key (claimed)
    checker: CheckerRunner | None
    failures: dict[int, int] | None


class RecordJudge:
    """Judges records against loaded problems; one per check (it owns checker processes and the cache)."""

    def __init__(
        self,
        config: CheckConfig,
        problems: Mapping[str, Problem],
        executor: Executor,
        warn: Warn = lambda message: None,
    ) -> None:
        self.config = config
        self.problems = problems
        self.executor = executor
        self.options = JudgeOptions(
            config.comparison(), early_stop=not config.all_tests, test_order=config.test_order
        )
        self.generated = (
            GeneratedTests(config.generated_tests_dir, config.max_generated_tests, warn)
            if config.generated_tests_dir is not None
            else None
        )
        self.warn = warn
        # problems open-r1 publishes generated tests for, judged without them (not asked for)
        self.not_given: set[str] = set()
        self._checkers: dict[str, CheckerRunner] = {}
        self._problem_keys: dict[str, str] = {}
        self._failures: dict[str, dict[int, int]] = {}  # without the cache: this process's history
        self._guesses: dict[str, str | None] = {}  # unknown id -> the known id it may mean
        self.cache = VerdictCache(config.cache_dir or default_cache_dir(), warn) if config.cache else None
        self._described: dict[str, Any] | None = None
        self.languages: dict[str, dict[str, Any]] = {}  # describe_language of each language met
        self.time_scale = 1.0  # --time-multiplier auto: set from the calibration after preflight
        self._settings = config.verdict_settings()  # the check's share of every cache key

    @property
    def environment(self) -> dict[str, Any]:
        """What the executor is, minus counters and addresses that do not change verdicts;
        read at the first record, after preflight (which learns Piston's runtime versions)."""
        if self._described is None:
            self._described = {
                k: v for k, v in self.executor.describe().items() if k not in ("requests_sent", "endpoints")
            }
        return self._described

    def environment_for(self, language: str) -> dict[str, Any]:
        """The environment a program in `language` is judged in: the executor's, and its
        toolchain's own (probed the first time the language is met)."""
        if language not in self.languages:
            self.languages[language] = self.executor.describe_language(language)
        return {**self.environment, **self.languages[language]}

    def tests_for(self, problem: Problem) -> list[TestCase]:
        extra = self.generated.for_problem(problem) if self.generated else []
        if problem.generated_count and (self.generated is None or self.generated.max_tests == 0):
            if not self.not_given:
                self.warn(
                    f"problem {problem.id} has {problem.generated_count} generated tests (open-r1's "
                    "`generated_tests`) and none were given: it and any other such problem are judged "
                    "on their official tests only (--generated-tests-dir FOLDER --max-generated-tests -1 "
                    "adds them)"
                )
            self.not_given.add(problem.id)
        return problem.tests + extra

    def judge_record(self, record: Record) -> Judged:
        """The results line of a record, its result (None when skipped) and the skip reason."""
        prepared = self.prepare(record)
        return prepared if not isinstance(prepared, Job) else self.judge_job(prepared)

    def judge_job(self, job: Job) -> Judged:
        """Run a Job here and now, and finish it."""
        try:
            result = self.run(job)
        except BaseException:
            self.abandon(job)
            raise
        return self.finish(job, result)

    def prepare(self, record: Record, before_claim: Callable[[str], None] = lambda key: None) -> Judged | Job:
        """A record's results line when it needs no run (skipped, no program, the verdict
        cache's), else the Job that runs it, its key claimed in the cache. `before_claim(key)`
        is called first: a check with programs in flight waits there for one of the same key,
        whose verdict the cache then gives."""
        line: dict[str, Any] = {**record.kept_fields(), "line": record.line}
        skip = record.error or self._unjudgeable(record)
        if skip:
            line.update(verdict=Verdict.SKIP.value, passed=False, error=skip)
            return line, None, skip
        problem = self.problems[record.problem_id]
        limits = self.config.limits_for(problem.time_limit, problem.memory_limit, self.time_scale)
        program = extract_program(record.fields)
        line["limits"] = {"time_s": limits.time_s, "memory_mb": limits.memory_mb}
        if isinstance(program, str):
            return self._line(line, problem, SolutionResult(Verdict.CE, reason=program))
        interactor = problem.interactor
        cannot = self.executor.cannot_interact(program.language, interactor) if interactor else ""
        if cannot:
            skip = f"problem {problem.id} is interactive: {cannot}, not judged (use --executor local)"
            line.update(verdict=Verdict.SKIP.value, passed=False, error=skip, language=program.language)
            return line, None, skip
        line["language"] = program.language
        line["isolation"] = self.environment.get("isolation")
        line["program_sha256"] = program.digest()
        tests = self.tests_for(problem)
        key = self._cache_key(problem, tests, program, limits)
        before_claim(key)
        if self.cache is not None:
            # another checker judging the same program now: wait for it rather than judge twice
            cached = self.cache.claim(key, wait=limits.wall * max(1, len(tests)) + 30)
            if cached is not None:
                line["cached"] = True
                return self._line(line, problem, cached)
        history = self._problem_keys[problem.id]
        failures = self._failures_of(history) if self.options.test_order == "failures" else None
        return Job(line, problem, tests, program, limits, key, self._checker_for(problem, limits), failures)

    def run(self, job: Job) -> SolutionResult:
        """The executor's part of judging a Job: any thread, when the executor's concurrency allows."""
        return judge(
            job.problem,
            job.tests,
            job.program,
            self.executor,
            job.limits,
            self.options,
            job.checker,
            job.failures,
        )

    def finish(self, job: Job, result: SolutionResult) -> Judged:
        """A Job's result stored (the cache, the failure history), its claim released, its line."""
        try:
            self._remember_failure(self._problem_keys[job.problem.id], result)
            if self.cache is not None:
                self.cache.put(job.key, result)
        finally:
            self.abandon(job)
        return self._line(job.line, job.problem, result)

    def abandon(self, job: Job) -> None:
        """Release a Job's claim (its run ended, or failed)."""
        if self.cache is not None:
            self.cache.release(job.key)

    @staticmethod
    def _line(line: dict[str, Any], problem: Problem, result: SolutionResult) -> Judged:
        line.update(
            verdict=result.verdict.value,
            passed=result.passed,
            reason=result.reason,
            tests=[t.to_dict() for t in result.tests],
        )
        if result.compile_output:
            line["compile_output"] = result.compile_output
        if problem.parts:  # EvalPlus: the base verdict apart (a CE fails every part)
            line["parts"] = parts_of(problem.parts, result)
        return line, result, ""

    def _cache_key(self, problem: Problem, tests: list[TestCase], program: Program, limits: Limits) -> str:
        if problem.id not in self._problem_keys:
            if problem.kind == "function":
                content = digest(
                    problem.prompt,
                    problem.test_code,
                    problem.entry_point,
                    problem.solution_class,
                    *problem.parts,
                )
            else:
                content = digest(*(part for t in tests for part in (t.input, t.output)))
            self._problem_keys[problem.id] = content
        checker = problem.checker
        rules = {
            "settings": self._settings,
            "limits": limits.to_dict(),
            "float_tolerance": problem.float_tolerance,
            "compare_mode": problem.compare_mode,
            "checker": [
                checker.source,
                checker.convention,
                self._checker_python(),
                *self._testlib_of(checker.source),
            ]
            if checker
            else None,
            "input_mode": problem.input_mode,
            "kind": problem.kind,
        }
        if problem.interactor:  # only then: the keys of every other problem stay as they were
            rules["interactor"] = [
                problem.interactor,
                self._checker_python(),
                *self._testlib_of(problem.interactor),
            ]
        environment = self.environment_for(program.language)
        return VerdictCache.key(program.digest(), self._problem_keys[problem.id], rules, environment)

    def _testlib(self) -> Path:
        """The testlib.h problems' C++ checkers and interactors are built with."""
        return header(self.config.testlib)

    def _testlib_of(self, source: str) -> list[Any]:
        """What a C++ checker's or interactor's verdicts depend on besides its source: its
        header and compiler (nothing for a Python one: those keys stay as they were)."""
        return [[header_digest(self._testlib()), self.environment_for("cpp")]] if is_cpp(source) else []

    def _checker_python(self) -> list[str]:
        """The interpreter that runs checker programs (on this machine, whatever the executor:
        the local executor's, else ours — a real path, as exec does not search PATH), and its version."""
        python = getattr(self.executor, "python", None) or os.path.realpath(sys.executable)
        return [python, python_version(python)]

    def _failures_of(self, problem_key: str) -> dict[int, int]:
        if self.cache is not None:
            return self.cache.failures(problem_key)  # shared by every checker, every checkpoint
        return dict(self._failures.get(problem_key, {}))

    def _remember_failure(self, problem_key: str, result: SolutionResult) -> None:
        """Which test this solution failed: test order "failures" runs it earlier next time."""
        if self.options.test_order != "failures":
            return
        for i, test in enumerate(result.tests):
            if test.verdict not in (Verdict.AC, Verdict.SKIP, Verdict.IE):
                if self.cache is not None:
                    self.cache.failed(problem_key, i)
                else:
                    counts = self._failures.setdefault(problem_key, {})
                    counts[i] = counts.get(i, 0) + 1
                return

    def _unjudgeable(self, record: Record) -> str:
        problem = self.problems.get(record.problem_id)
        if problem is None:
            return unknown_id(record.problem_id, self.problems, self._guesses)
        if problem.interactive and not problem.interactor:
            return f"problem {problem.id} is interactive and has no interactor: not judged"
        if problem.unjudgeable:
            return f"problem {problem.id} {problem.unjudgeable}: not judged"
        if problem.kind == "stdio" and not self.tests_for(problem):
            return f"problem {problem.id} has no tests"
        return ""

    def _checker_for(self, problem: Problem, limits: Limits) -> CheckerRunner | None:
        if problem.checker is None:
            return None
        if problem.id not in self._checkers:
            python, testlib = self._checker_python()[0], self._testlib()
            runner = CheckerRunner(problem.checker, python, checker_limits(limits), testlib)
            self._checkers[problem.id] = runner
        return self._checkers[problem.id]

    def close(self) -> None:
        for runner in self._checkers.values():
            runner.close()
        if self.cache is not None:
            self.cache.close()
