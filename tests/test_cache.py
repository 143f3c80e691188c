"""The verdict cache: a program seen before on the same tests is not run again."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from batch_eval.config import CheckConfig
from batch_eval.judging.cache import VerdictCache
from batch_eval.judging.check import check_file
from tests.conftest import SUM_PROBLEM, read_jsonl, write_jsonl

RIGHT = "a, b = map(int, input().split())\nprint(a + b)"


def test_repeated_programs_run_once_and_results_say_so(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    # the same program three times; once more with other line endings and trailing spaces,
    # which is another program (a trailing `\\ ` or space in a string changes what it does)
    sols = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {"id": "1/A", "code": RIGHT},
            {"id": "1/A", "code": RIGHT.replace("\n", "   \r\n")},
            {"id": "1/A", "code": "print(3)"},
            {"id": "1/A", "code": RIGHT},
        ],
    )
    outcome = check_file(CheckConfig(problems=problems), sols, tmp_path / "o")
    lines = read_jsonl(outcome.results_path)
    assert [line.get("cached", False) for line in lines] == [False, False, False, True]
    assert [line["verdict"] for line in lines] == ["AC", "AC", "WA", "AC"]
    assert lines[3]["tests"] == lines[0]["tests"]
    assert outcome.metrics["cache_hits"] == 1 and outcome.metrics["tests_run"] == 3 + 3 + 2

    # a second file: nothing runs at all
    again = check_file(CheckConfig(problems=problems), sols, tmp_path / "o2")
    assert again.metrics["cache_hits"] == 4 and again.metrics["tests_run"] == 0
    assert again.metrics["pass_at_k"] == outcome.metrics["pass_at_k"]


def test_anything_that_can_change_a_verdict_misses_the_cache(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": RIGHT}])
    check_file(CheckConfig(problems=problems), sols, tmp_path / "o")
    for config in (
        CheckConfig(problems=problems, time_limit=5.0, time_multiplier=3.0),
        CheckConfig(problems=problems, compare="exact"),
        CheckConfig(problems=problems, all_tests=True),
        CheckConfig(problems=problems, python_runner="process"),
    ):
        assert check_file(config, sols, tmp_path / "o").metrics["cache_hits"] == 0
    changed = write_jsonl(
        tmp_path / "p2.jsonl", [dict(SUM_PROBLEM, official_tests=[{"input": "1 1", "output": "2"}])]
    )
    assert check_file(CheckConfig(problems=changed), sols, tmp_path / "o").metrics["cache_hits"] == 0


def test_timeouts_are_judged_again_and_no_cache_means_no_cache(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [dict(SUM_PROBLEM, time_limit=0.2)])
    sols = write_jsonl(
        tmp_path / "s.jsonl", [{"id": "1/A", "code": "while True: pass"}, {"id": "1/A", "code": RIGHT}]
    )
    check_file(CheckConfig(problems=problems), sols, tmp_path / "o")
    second = check_file(CheckConfig(problems=problems), sols, tmp_path / "o")
    assert [line.get("cached", False) for line in read_jsonl(second.results_path)] == [False, True]
    third = check_file(CheckConfig(problems=problems, cache=False), sols, tmp_path / "o")
    assert third.metrics["cache_hits"] == 0


def test_parallel_checkpoints_with_the_same_programs_execute_each_once(tmp_path: Path) -> None:
    from batch_eval.batch.run import RunOptions, run_batch
    from batch_eval.reporting.display import SilentDisplay

    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    codes = [f"import time\ntime.sleep(0.3)\n{RIGHT}\n# {i}" for i in range(3)]
    for step in (1, 2):
        write_jsonl(
            tmp_path / "sols" / f"checkpoint-{step}" / "s.jsonl", [{"id": "1/A", "code": c} for c in codes]
        )
    options = RunOptions(output_dir=tmp_path / "out", solutions_dir=tmp_path / "sols", max_workers=2)
    run_batch(options, CheckConfig(problems=problems), SilentDisplay())
    metrics = [read_jsonl(tmp_path / "out" / f"eval_checkpoint_{s}" / "s.results.jsonl") for s in (1, 2)]
    executed = sum(1 for lines in metrics for line in lines if not line.get("cached"))
    assert executed == 3  # both checkers ran at once; each program was judged by one of them
    assert all(line["verdict"] == "AC" for lines in metrics for line in lines)


WRONG_ON_TENS = "a, b = map(int, input().split())\nprint(0 if a == 10 else a + b)  # {}"


def test_failures_order_runs_the_test_earlier_solutions_failed_first(tmp_path: Path) -> None:
    # tests by size: "1 2" (0), "-5 5" (2), "10 20" (1); these programs fail only test 1
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])

    def first_runs(order: str, cache: bool, tag: str) -> list[list[str]]:
        sols = write_jsonl(
            tmp_path / f"{tag}.jsonl",
            [{"id": "1/A", "code": WRONG_ON_TENS.format(f"{tag}{i}")} for i in range(3)],
        )
        # one record at a time: a record in flight beside the first would start before its failure is known
        config = CheckConfig(
            problems=problems, test_order=order, cache=cache, cache_dir=tmp_path / "cache", jobs=1
        )
        outcome = check_file(config, sols, tmp_path / f"o-{tag}")
        return [[t["verdict"] for t in line["tests"]] for line in read_jsonl(outcome.results_path)]

    by_size = ["AC", "WA", "AC"]  # ran 0, 2, then 1
    assert first_runs("size", False, "s") == [by_size] * 3
    learnt = ["SKIP", "WA", "SKIP"]  # straight to the test the first solution failed
    assert first_runs("failures", False, "f") == [by_size, learnt, learnt]
    # through the verdict cache the history outlives the checker: the next checkpoint's file
    # (other programs) starts with what this one learnt
    first_runs("failures", True, "a")
    assert first_runs("failures", True, "b") == [learnt] * 3


def _key(
    config: CheckConfig,
    source: str = RIGHT,
    describe: dict[str, object] | None = None,
    language: str = "python",
    toolchains: Mapping[str, Mapping[str, object]] | None = None,
) -> str:
    from batch_eval.executors.base import Program
    from batch_eval.judging.problems import load_problems
    from batch_eval.judging.records import RecordJudge

    class Described:
        python = "/usr/bin/python3"

        def describe(self) -> dict[str, object]:
            return describe or {"executor": "local", "python_version": "Python 3.11.2"}

        def describe_language(self, name: str) -> dict[str, object]:
            return dict((toolchains or {}).get(name, {}))

    problem = load_problems(config.problems)["1/A"]
    judge = RecordJudge(config, {"1/A": problem}, Described())  # type: ignore[arg-type]
    limits = config.limits_for(problem.time_limit, problem.memory_limit)
    return judge._cache_key(problem, problem.tests, Program(language, source), limits)


def test_a_toolchain_keys_the_verdicts_of_its_own_language_only(tmp_path: Path) -> None:
    """A new JDK judges Java again; the Python verdicts stay cached."""
    config = CheckConfig(problems=write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM]), cache_dir=tmp_path)
    old = {"java": {"javac_version": "javac 17.0.15"}}
    new = {"java": {"javac_version": "javac 21.0.2"}}
    assert _key(config, toolchains=old) == _key(config, toolchains=new)
    assert _key(config, language="java", toolchains=old) != _key(config, language="java", toolchains=new)


#: a changed value for every setting of a check that can change a verdict
VERDICT_SETTINGS: dict[str, Any] = {
    "executor": "piston",
    "time_limit": 7.0,
    "memory_limit": 77,
    "time_multiplier": 2.0,
    "time_scale_auto": True,
    "cxx_flags": "-std=gnu++20 -O2",
    "testlib": "/opt/testlib/testlib.h",
    "output_limit_mb": 7,
    "process_limit": 7,
    "compare": "tokens",
    "float_tolerance": 1e-3,
    "checker_convention": "testlib",
    "generated_tests_dir": Path("g"),
    "max_generated_tests": 7,
    "all_tests": True,
    "test_order": "given",
    "python": "/usr/bin/python3.12",
    "piston_batch": False,
    "python_runner": "process",
    "mbpp_challenge": True,
}


def test_every_verdict_setting_is_in_the_cache_key(tmp_path: Path) -> None:
    import dataclasses

    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    base = CheckConfig(problems=problems)
    names = {f.name for f in dataclasses.fields(CheckConfig)}
    not_verdict = CheckConfig.RUNTIME_ONLY | CheckConfig.SELECTION | {"problems"}
    # a new field is either listed here (and must change the key) or said not to change verdicts
    assert names - not_verdict == set(VERDICT_SETTINGS)
    key = _key(base)
    for name, value in VERDICT_SETTINGS.items():
        assert _key(dataclasses.replace(base, **{name: value})) != key, name
    for name in CheckConfig.SELECTION:
        same: dict[str, Any] = {name: 3}
        assert _key(dataclasses.replace(base, **same)) == key, name


def test_the_key_holds_the_exact_program_the_runtime_and_the_judging_code(
    tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    from batch_eval.judging import cache

    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    base = CheckConfig(problems=problems)
    key = _key(base)
    assert _key(base, RIGHT + " ") != key  # trailing whitespace is part of the program
    assert _key(base, RIGHT.replace("\n", "\r\n")) != key
    assert _key(base, describe={"executor": "local", "python_version": "Python 3.12.1"}) != key
    piston = {"executor": "piston", "runtimes": {"python": "python-3.12.0"}, "batch": True}
    assert _key(base, describe=piston) != _key(base, describe={**piston, "batch": False})
    assert _key(base, describe=piston) != _key(
        base, describe={**piston, "runtimes": {"python": "python-3.10.0"}}
    )
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(cache, "judging_code", lambda: "another judge")
        assert _key(base) != key
    finally:
        mp.undo()


def _verdicts(outcome: Any) -> list[str]:
    return [line["verdict"] for line in read_jsonl(outcome.results_path)]


def test_a_damaged_cache_is_set_aside_rebuilt_and_never_changes_a_verdict(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(
        tmp_path / "s.jsonl", [{"id": "1/A", "code": RIGHT}, {"id": "1/A", "code": "print(3)"}]
    )
    cache_dir = tmp_path / "cache"
    config = CheckConfig(problems=problems, cache_dir=cache_dir)
    first = check_file(config, sols, tmp_path / "o1")
    assert _verdicts(first) == ["AC", "WA"]
    db = cache_dir / "verdicts.sqlite"
    for damage in ("truncated", "garbage"):
        check_file(config, sols, tmp_path / "warm")  # a cache with entries, then damaged
        if damage == "truncated":
            with open(db, "r+b") as f:
                f.truncate(db.stat().st_size // 2)
        else:
            db.write_bytes(b"this is not a database" * 100)
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        warnings: list[str] = []
        again = check_file(config, sols, tmp_path / damage, warn=warnings.append)
        assert _verdicts(again) == ["AC", "WA"] and again.metrics["cache_hits"] == 0
        assert any("verdict cache is damaged" in w and "moved aside" in w for w in warnings), warnings
        # the next check uses the new cache
        assert check_file(config, sols, tmp_path / f"{damage}-2").metrics["cache_hits"] == 2
    assert len(list(cache_dir.glob("verdicts.sqlite.damaged-*"))) >= 2


def test_a_tampered_cache_entry_is_judged_again(tmp_path: Path) -> None:
    """An entry whose stored result no longer matches its checksum (a flipped byte, a row
    copied under another key) is a miss: the program runs again and gets its own verdict."""
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    config = CheckConfig(problems=problems, cache_dir=tmp_path / "cache")
    assert _verdicts(check_file(config, sols, tmp_path / "o1")) == ["WA"]
    with sqlite3.connect(tmp_path / "cache" / "verdicts.sqlite") as db:
        db.execute("UPDATE verdicts SET result = replace(result, 'WA', 'AC')")
    warnings: list[str] = []
    again = check_file(config, sols, tmp_path / "o2", warn=warnings.append)
    assert _verdicts(again) == ["WA"] and again.metrics["cache_hits"] == 0
    assert any("damaged verdict cache entry" in w for w in warnings)


def test_a_claim_left_by_a_killed_checker_is_taken_over_while_it_is_still_a_zombie(tmp_path: Path) -> None:
    """A checker killed mid-record leaves its claim on the record's key, and stays a zombie
    until whoever inherited it reaps it (a subreaper or a container's PID 1 may never): the
    next checker judges the record at once instead of waiting out the claim (it once waited
    the whole claim time, ~40 s a record, after `kill -9` of a run)."""
    folder = tmp_path / "cache"
    holder_code = (
        "import time\nfrom pathlib import Path\nfrom batch_eval.judging.cache import VerdictCache\n"
        f"assert VerdictCache(Path({str(folder)!r})).claim('k', 0) is None\n"
        "print('claimed', flush=True)\ntime.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", holder_code], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == b"claimed\n"
    holder.kill()  # not reaped yet: a zombie
    stat = Path(f"/proc/{holder.pid}/stat")
    deadline = time.monotonic() + 30
    while stat.read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline, "the killed holder never became a zombie"
        time.sleep(0.01)
    taken: list[object] = []
    # a connection is used by the thread that made it
    waiting = threading.Thread(target=lambda: taken.append(VerdictCache(folder).claim("k", 600)), daemon=True)
    waiting.start()
    waiting.join(60)
    holder.wait()
    assert taken == [None], "the claim of a dead checker was waited out"
    with sqlite3.connect(folder / "verdicts.sqlite") as db:
        assert db.execute("SELECT pid FROM claims WHERE key = 'k'").fetchall() == [(os.getpid(),)]


def test_a_python_verdicts_key_holds_no_cxx_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    """A g++ upgrade must not throw away cached Python verdicts: only C++ programs are keyed
    by the C++ compiler, and describing the executor for Python never asks g++ its version."""
    from batch_eval.executors.local import languages
    from batch_eval.executors.local.executor import LocalExecutor

    asked: list[tuple[str, ...]] = []
    probe = languages.version_of

    def recorded(argv: tuple[str, ...]) -> str:
        asked.append(argv)
        return probe(argv)

    monkeypatch.setattr(languages, "version_of", recorded)
    executor = LocalExecutor()
    try:
        described = {**executor.describe(), **executor.describe_language("python")}
        assert not any(key.startswith("cxx") for key in described)
        assert not any(argv[0].endswith("g++") for argv in asked)
        assert executor.describe_language("cpp")["cxx_flags"][-1] == "-DONLINE_JUDGE"
        assert any(argv[0].endswith("g++") for argv in asked)
    finally:
        executor.close()
