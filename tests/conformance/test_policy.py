"""The verdict policies that hold on every path: which of two timed runs counts, what load may
not do, who decides syntax, and what an IE that never goes away becomes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from batch_eval.config import CheckConfig
from batch_eval.executors.base import Execution, Limits, Program
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.check import MAX_IE_ATTEMPTS, check_file
from batch_eval.judging.judge import JudgeOptions, choose, judge
from batch_eval.judging.problems import parse_problem
from batch_eval.verdict import Verdict
from tests.conftest import SUM_PROBLEM, one_crowded_core, read_jsonl, write_jsonl


def _run(verdict: Verdict, cpu: float, wall_killed: bool = False) -> Execution:
    return Execution(verdict, cpu_time=cpu, wall_time=cpu + 0.1, wall_killed=wall_killed)


def test_a_finished_run_beats_one_killed_at_the_wall_clock() -> None:
    finished = _run(Verdict.AC, 0.8)
    killed = _run(Verdict.TLE, 0.3, wall_killed=True)  # its CPU time was cut short: not "faster"
    assert choose(finished, killed)[0] is finished
    assert choose(killed, finished)[0] is finished
    # two finished runs: the one less slowed down counts
    slow, fast = _run(Verdict.TLE, 1.2), _run(Verdict.AC, 0.9)
    assert choose(slow, fast)[0] is fast and choose(fast, slow)[0] is fast
    # two killed runs: the first stands
    other = _run(Verdict.TLE, 0.1, wall_killed=True)
    assert choose(killed, other)[0] is killed


def test_machine_load_does_not_make_a_tle(tmp_path: Path) -> None:
    """A program that needs 0.3 s of CPU under a 0.5 s limit, on a core shared with ten busy
    loops, is accepted: whether the scheduler let it finish in time or it was killed at the
    wall clock while it waited (then run again with time to finish), the verdict is decided
    by the CPU time it used, as the recorded runs show."""
    with one_crowded_core(10):  # the judge and what it starts share the busy loops' core
        local = LocalExecutor()
        try:
            problem = parse_problem(dict(SUM_PROBLEM, time_limit=0.5), Path("p.jsonl"), 1)
            source = "import time\nwhile time.process_time() < 0.3:\n    pass\nprint(3)\n"
            result = judge(
                problem,
                problem.tests[:1],
                Program("python", source),
                local,
                problem_limits(),
                JudgeOptions(Comparison()),
            )
        finally:
            local.close()
    test = result.tests[0]
    assert result.verdict is Verdict.AC, result
    assert test.time is not None and test.time < 0.5, test  # the CPU it used: under the limit
    if test.other_run is None:  # it got the core in time: its one run finished, no rerun
        assert not test.patient, test
    else:  # a run killed while it waited (under its CPU limit) was not taken for a TLE
        assert test.other_run["time"] < 0.5, test


def problem_limits() -> Limits:
    return Limits(time_s=0.5, memory_mb=256)


def test_a_program_that_only_waits_is_still_tle(local: LocalExecutor) -> None:
    problem = parse_problem(dict(SUM_PROBLEM, time_limit=0.25), Path("p.jsonl"), 1)
    result = judge(
        problem,
        problem.tests[:1],
        Program("python", "import time\ntime.sleep(60)\n"),
        local,
        Limits(time_s=0.25, memory_mb=256),
        JudgeOptions(Comparison()),
    )
    assert result.verdict is Verdict.TLE and result.tests[0].patient
    assert "wall clock" in result.tests[0].reason


PYPY = shutil.which("pypy3")


def _grammar(interpreter: str) -> tuple[int, int]:
    """The Python version whose grammar `interpreter` reads."""
    argv = [interpreter, "-c", "import sys; print(*sys.version_info[:2])"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    major, minor = out.stdout.split()
    return int(major), int(minor)


@pytest.mark.skipif(PYPY is None, reason="no pypy3 on PATH (CI installs it: apt-get install pypy3)")
def test_syntax_is_decided_by_the_interpreter_that_runs_the_program(local: LocalExecutor) -> None:
    # a match statement: Python 3.10's grammar on; the judge's own parser (3.10+) must not
    # decide for an interpreter that runs the program with an older grammar
    source = "a, b = map(int, input().split())\nmatch a:\n    case _:\n        print(a + b)\n"
    assert PYPY is not None and sys.version_info >= (3, 10)
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    limits = Limits(time_s=2.0, memory_mb=256)
    verdicts = {
        language: judge(
            problem, problem.tests, Program(language, source), local, limits, JudgeOptions(Comparison())
        )
        for language in ("python", "pypy")
    }
    assert verdicts["python"].verdict is Verdict.AC, verdicts["python"]
    if _grammar(PYPY) < (3, 10):
        assert verdicts["pypy"].verdict is Verdict.CE and "SyntaxError" in verdicts["pypy"].reason
    else:  # a PyPy of 3.10's grammar on reads it too
        assert verdicts["pypy"].verdict is Verdict.AC, verdicts["pypy"]


def test_an_ie_that_never_goes_away_is_given_up_after_its_tries(tmp_path: Path) -> None:
    # the problem's checker crashes on every test: IE, whatever the solution does
    broken = dict(SUM_PROBLEM, generated_checker="raise SystemExit(5)\n")
    fine = dict(SUM_PROBLEM, id="2/B")
    problems = write_jsonl(tmp_path / "p.jsonl", [broken, fine])
    right = "a, b = map(int, input().split())\nprint(a + b)\n"
    sols = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"id": "1/A", "code": right},
            {"id": "2/B", "code": right},
            {"id": "1/A", "code": "raise ValueError"},
        ],
    )
    config = CheckConfig(problems=problems, cache=False)
    out = tmp_path / "o"
    for attempt in range(1, MAX_IE_ATTEMPTS + 1):
        outcome = check_file(config, sols, out, redo_ie=attempt > 1)
        line = read_jsonl(outcome.results_path)[0]
        assert line["verdict"] == "IE" and line["ie_attempts"] == attempt
        # the problem is undecided: neither its WA sample alone nor anything else scores it
        assert outcome.metrics["undecided"] == {"1/A": [1, 0, 1]}
        assert outcome.metrics["pass_at_k"] == {"1": 1.0}
    warnings: list[str] = []
    given_up = check_file(config, sols, out, redo_ie=True, warn=warnings.append)
    line = read_jsonl(given_up.results_path)[0]
    assert line["verdict"] == "SKIP" and "internal error on every try (3 tries)" in line["error"]
    assert given_up.metrics["ie"] == 0 and given_up.metrics["skipped_records"] == 1
    assert given_up.metrics["undecided"] == {"1/A": [1, 0, 1]} and given_up.metrics["tests_run"] == 0
    assert any("internal error on every try" in w for w in warnings)
    again = check_file(config, sols, out, redo_ie=True)
    assert json.loads(again.results_path.read_text().splitlines()[0]) == line
    assert again.metrics["tests_run"] == 0


def test_every_check_records_its_judge_speed_and_auto_scales_the_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batch_eval.judging import calibrate

    problems = write_jsonl(tmp_path / "p.jsonl", [dict(SUM_PROBLEM, time_limit=1.0)])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    plain = check_file(CheckConfig(problems=problems), sols, tmp_path / "plain")
    figure = plain.metrics["environment"]["calibration"]["benchmark_s"]
    assert 0.01 < figure < 10 and plain.metrics["environment"]["calibration"]["time_scale"] == 1.0
    assert read_jsonl(plain.results_path)[0]["limits"]["time_s"] == 1.0
    # a reference judge twice as fast as this one: auto gives twice the time (the figure is
    # remembered for this judge, so both checks use the same one)
    monkeypatch.setattr(calibrate, "REFERENCE_S", figure / 2)
    auto = check_file(CheckConfig(problems=problems, time_scale_auto=True), sols, tmp_path / "a")
    assert auto.metrics["environment"]["calibration"] == {
        "benchmark_s": figure,
        "reference_s": figure / 2,
        "time_scale": 2.0,
    }
    assert read_jsonl(auto.results_path)[0]["limits"]["time_s"] == 2.0
    assert not read_jsonl(auto.results_path)[0].get("cached")  # other limits: another key


def test_checkers_started_together_judge_with_one_speed_figure(tmp_path: Path) -> None:
    """`run` starts its checkers at once: the first measures the judge's speed while the
    others wait for its figure (measuring each other's load, they once disagreed by 1.6x and
    the report warned of checkpoints judged at different speeds, on the bundled example)."""
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    procs = []
    for name in ("a", "b", "c"):
        sols = write_jsonl(tmp_path / f"{name}.jsonl", [{"id": "1/A", "code": "print(3)"}])
        argv = [sys.executable, "-m", "batch_eval", "check", str(sols), "--problems", str(problems)]
        argv += ["-o", str(tmp_path / name), "--cache-dir", str(tmp_path / "cache")]
        procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for proc in procs:
        assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    metrics = [json.loads((tmp_path / n / f"{n}.metrics.json").read_text()) for n in ("a", "b", "c")]
    figures = {m["environment"]["calibration"]["benchmark_s"] for m in metrics}
    assert len(figures) == 1 and None not in figures


def test_cxx_flags_are_codeforces_by_default_and_can_be_changed(tmp_path: Path) -> None:
    from tests.conformance.cases import CASES

    case = next(c for c in CASES if c.name == "cpp-online-judge")
    problems = write_jsonl(tmp_path / "p.jsonl", [case.problem])
    sols = write_jsonl(tmp_path / "s.jsonl", [case.record()])
    verdicts = {}
    for flags in (None, "-std=gnu++17 -O2"):  # without ONLINE_JUDGE the template reads input.txt
        config = CheckConfig(problems=problems, cache=False, cxx_flags=flags)
        outcome = check_file(config, sols, tmp_path / str(flags is None))
        verdicts[flags] = read_jsonl(outcome.results_path)[0]["verdict"]
        assert outcome.metrics["environment"]["languages"]["cpp"]["cxx_flags"][-1] == (
            "-DONLINE_JUDGE" if flags is None else "-O2"
        )
    assert verdicts == {None: "AC", "-std=gnu++17 -O2": "WA"}


def test_timing_reruns_are_counted(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [dict(SUM_PROBLEM, time_limit=0.5)])
    slow = (
        "import time\nwhile time.process_time() < 0.4:\n    pass\n"
        + "a, b = map(int, input().split())\nprint(a + b)\n"
    )
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": slow}])
    outcome = check_file(CheckConfig(problems=problems, cache=False), sols, tmp_path / "o")
    assert outcome.metrics["timing_reruns"] == 3 and outcome.metrics["timing_flips"] == 0
    tests = read_jsonl(outcome.results_path)[0]["tests"]
    assert all(t["counted"] in ("first", "rerun") and t["other_run"]["verdict"] == "AC" for t in tests)
