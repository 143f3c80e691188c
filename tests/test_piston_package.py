"""Our Piston package (batch_eval/executors/piston/package): installed on a Piston-compatible
server as Piston's package manager installs one, and run as Piston runs a package (its
`compile`, then its `run`, with its environment). A C, C++, Rust or Java program is compiled once
per request with the local executor's flags and judged on every input in that request."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_eval.executors.base import Limits, Program
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.piston.executor import PistonExecutor
from batch_eval.executors.piston.mapping import compile_stage
from batch_eval.executors.piston.preflight import PACKAGE_DIR
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.judge import JudgeOptions, judge
from batch_eval.judging.problems import parse_problem
from batch_eval.verdict import SolutionResult, Verdict
from tests.conformance import cases  # noqa: F401  (first: the red-team modules import it)
from tests.conformance.redteam_interactive import LOWER_LIMITS, signal_interactor
from tests.conformance.redteam_piston import STOP_RUN_SCRIPT
from tests.conftest import SUM_PROBLEM, read_jsonl, write_jsonl
from tests.fake_piston import FakePiston, FakePistonConfig, install_package
from tests.test_interactive import BLIND, GUESS, HONEST, guess_problem
from tests.test_testlib import GUESS_CPP, MISSING_CPP

LIMITS = Limits(time_s=1.0, memory_mb=128)
PYTHON_ONLY = [{"language": "python", "version": "3.12.0", "aliases": ["py", "python3"]}]
TESTS = [{"input": f"{a} {a + 1}\n", "output": f"{2 * a + 1}\n"} for a in (1, 10, 2, 3, 4, 5)]
PROBLEM = parse_problem({**SUM_PROBLEM, "official_tests": TESTS}, Path("p.jsonl"), 1)
# right only when built as the local executor builds it: -O2, ONLINE_JUDGE defined
FLAGS_CPP = (
    '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);\n'
    '#if defined(ONLINE_JUDGE) && defined(__OPTIMIZE__)\nprintf("%lld\\n",a+b);\n#endif\n}\n'
)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_package(PACKAGE_DIR, tmp_path_factory.mktemp("packages"))


@pytest.fixture(scope="module")
def only_package(package: Path) -> Iterator[FakePiston]:
    """A server with Python and our package, and no stock compiler at all."""
    config = FakePistonConfig(body_limit=10_000_000, runtimes=PYTHON_ONLY, packages=[package])
    with FakePiston(config) as server:
        yield server


def executor_on(server: FakePiston) -> PistonExecutor:
    executor = PistonExecutor([server.url], backoff=0.01)
    executor.preflight(LIMITS)
    return executor


def judged(
    server: FakePiston, language: str, source: str, early_stop: bool = True
) -> tuple[SolutionResult, int]:
    """(the judge's result, the requests it took)."""
    executor = executor_on(server)
    before = len(server.requests)
    options = JudgeOptions(Comparison(), early_stop=early_stop, test_order="given")
    result = judge(PROBLEM, PROBLEM.tests, Program(language, source), executor, LIMITS, options)
    return result, len(server.requests) - before


def test_each_language_is_built_once_as_locally_and_judged_in_one_request(
    only_package: FakePiston, local: LocalExecutor
) -> None:
    programs = {
        "cpp": FLAGS_CPP,
        "c": FLAGS_CPP.replace("<cstdio>", "<stdio.h>").replace("{", "{ ", 1),
        "rust": (
            "use std::io::Read;\nfn main(){let mut s=String::new();std::io::stdin().read_to_string(&mut s)"
            ".unwrap();let v:Vec<i64>=s.split_whitespace().map(|x|x.parse().unwrap()).collect();\n"
            '#[cfg(online_judge)]\nprintln!("{}",v[0]+v[1]);}\n'
        ),
        # the class gives the file its name; the heap is the local executor's (limit - 48 MB)
        "java": (
            "import java.util.*;\npublic class Solution { public static void main(String[] a) {"
            "Scanner s = new Scanner(System.in); long x = s.nextLong(), y = s.nextLong();"
            "long heap = Runtime.getRuntime().maxMemory() >> 20;"
            "System.out.println(heap > 70 && heap <= 80 ? x + y : -heap); } }\n"
        ),
    }
    for language, source in programs.items():
        result, requests = judged(only_package, language, source)
        program = Program(language, source)
        local_result = judge(PROBLEM, PROBLEM.tests, program, local, LIMITS, JudgeOptions(Comparison()))
        assert (result.verdict, local_result.verdict) == (Verdict.AC, Verdict.AC), language
        assert len(result.tests) == 6 and requests == 1, language
    sent = only_package.requests[-1]
    assert sent["language"] == "batch-eval-java" and sent["files"][0]["name"] == "launcher.py"
    assert executor_on(only_package).describe()["runtimes"]["cpp+package"] == "batch-eval-c++-1.0.0"


def test_compile_errors_memory_and_file_mode_need_no_stock_compiler(only_package: FakePiston) -> None:
    result, requests = judged(only_package, "cpp", "int main(){ return x; }\n")
    assert result.verdict is Verdict.CE and requests == 1
    assert "main.cpp:1:20: error" in result.compile_output
    # 256 MB touched under 128 MB: the box stops the whole batch, the test alone is MLE
    mle = (
        "#include <vector>\n#include <cstdio>\nint main(){std::vector<char> v(256<<20, 1);long long s=0;"
        'for(size_t i=0;i<v.size();i+=4096)s+=v[i];printf("%lld\\n",s);}\n'
    )
    result, _ = judged(only_package, "cpp", mle)
    assert result.verdict is Verdict.MLE
    file_mode = (
        '#include <cstdio>\nint main(){freopen("input.txt","r",stdin);freopen("output.txt","w",stdout);'
        'long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}\n'
    )
    executor = executor_on(only_package)
    problem = parse_problem({**SUM_PROBLEM, "input_mode": "file"}, Path("p.jsonl"), 1)
    options = JudgeOptions(Comparison())
    result = judge(problem, problem.tests, Program("cpp", file_mode), executor, LIMITS, options)
    assert result.verdict is Verdict.AC


def test_a_wrong_answer_stops_the_batch_inside_the_sandbox(only_package: FakePiston) -> None:
    """The launcher stops at a test's wrong answer inside the box: the tests after it never
    run (counted as the launcher's result lines in the server's answers: the box lets the
    program write nothing outside itself)."""
    source = (
        '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);'
        'printf("%lld\\n",a==10?0:a+b);}\n'
    )
    counts = {}
    for early_stop in (True, False):
        before = len(only_package.run_stdouts)
        result, requests = judged(only_package, "cpp", source, early_stop)
        assert result.verdict is Verdict.WA
        ran = sum(out.count('"wall_killed"') for out in only_package.run_stdouts[before:])
        counts[early_stop] = (ran, requests)
    # without their expected outputs, each test may print up to the 64 MB output limit: two
    # to a request, what a server's answer can hold
    assert counts == {True: (2, 1), False: (6, 3)}


def test_a_package_of_another_major_version_is_left_alone(package: Path, tmp_path: Path) -> None:
    """A server with version 2 of the package (requests of another shape): the stock C++
    runtime judges, a request per test."""
    newer = tmp_path / "batch_eval" / "2.0.0"
    shutil.copytree(package, newer, symlinks=True)
    info = json.loads((newer / "pkg-info.json").read_text())
    (newer / "pkg-info.json").write_text(json.dumps({**info, "version": "2.0.0"}))
    with FakePiston(FakePistonConfig(body_limit=10_000_000, packages=[newer])) as server:
        result, requests = judged(server, "cpp", FLAGS_CPP.replace("defined(__OPTIMIZE__)", "1"))
        assert result.verdict is Verdict.AC and requests == 6
        assert {r["language"] for r in server.requests[-6:]} == {"c++"}


def test_a_fleet_where_only_some_servers_have_it_judges_without_it(package: Path) -> None:
    """A compiled program's verdict must not depend on which server judged it: with the
    package on one of two servers, C++ goes to the stock runtime on both, and the preflight
    says so."""
    with (
        FakePiston(FakePistonConfig(body_limit=10_000_000, packages=[package])) as with_it,
        FakePiston(FakePistonConfig(body_limit=10_000_000)) as without,
    ):
        executor = PistonExecutor([with_it.url, without.url], backoff=0.01)
        warnings = executor.preflight(LIMITS)
        assert any("our Piston package is on 1 of 2 servers: c, cpp, rust, java" in w for w in warnings)
        before = len(with_it.requests) + len(without.requests)
        program = Program("cpp", FLAGS_CPP.replace("defined(__OPTIMIZE__)", "1"))
        result = judge(PROBLEM, PROBLEM.tests, program, executor, LIMITS, JudgeOptions(Comparison()))
        sent = [*with_it.requests, *without.requests]
        assert result.verdict is Verdict.AC and len(sent) - before == 6
        assert not any(r["language"].startswith("batch-eval") for r in sent)


def test_a_request_per_test_runs_on_our_package_where_no_stock_compiler_is(only_package: FakePiston) -> None:
    """--piston-per-test on a server with our package and no stock C++: each test is a request
    of its own to our package (built as locally), never "runtime is unknown"."""
    executor = PistonExecutor([only_package.url], backoff=0.01, batch=False)
    executor.preflight(LIMITS)
    before = len(only_package.requests)
    result = judge(
        PROBLEM, PROBLEM.tests, Program("cpp", FLAGS_CPP), executor, LIMITS, JudgeOptions(Comparison())
    )
    assert result.verdict is Verdict.AC, result.reason
    sent = only_package.requests[before:]
    assert len(sent) == len(TESTS) and {r["language"] for r in sent} == {"batch-eval-c++"}


def test_host_tools_outside_the_sandbox_stop_the_build_naming_them(tmp_path: Path) -> None:
    """BATCH_EVAL_HOST_TOOLS=1 on a machine whose python is a pyenv build under a home: the
    sandbox would not show it, so the build fails there, naming the tool and what to do."""
    outside = tmp_path / "home" / ".pyenv" / "bin" / "python3"
    outside.parent.mkdir(parents=True)
    outside.write_text("#!/bin/sh\nexit 0\n")
    outside.chmod(0o755)
    work = tmp_path / "pkg"
    shutil.copytree(PACKAGE_DIR, work)
    env = {"PATH": os.environ["PATH"], "BATCH_EVAL_HOST_TOOLS": "1", "BATCH_EVAL_PYTHON": str(outside)}
    env["BATCH_EVAL_BOX_DIRS"] = "/usr /bin /lib /lib64 /etc"
    built = subprocess.run(["bash", "build.sh"], cwd=work, env=env, capture_output=True, text=True)
    assert built.returncode != 0
    assert f"python3 resolves to {outside}, outside the folders the sandbox shows" in built.stderr
    assert "BATCH_EVAL_PYTHON" in built.stderr and not (work / "bin" / "python3").exists()


def test_a_missing_compiler_in_the_package_is_ie_and_a_program_cannot_fake_it(tmp_path: Path) -> None:
    """The package's compile script run where its compiler is absent: IE (the server's
    fault), never CE; a program whose own compile error prints the same words stays CE."""
    (tmp_path / "main.c").write_text("int main(void){return 0;}\n")
    env = {"PATH": str(tmp_path / "empty"), "PISTON_LANGUAGE": "batch-eval-c"}
    ran = subprocess.run(
        ["/bin/bash", str(PACKAGE_DIR / "compile")], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    stage = {"stdout": "", "stderr": ran.stderr, "code": ran.returncode, "status": "RE"}
    assert compile_stage(stage).verdict is Verdict.IE  # type: ignore[union-attr]
    assert "toolchain missing: gcc" in compile_stage(stage).reason  # type: ignore[union-attr]
    (tmp_path / "main.c").write_text("#error batch-eval package: toolchain missing: gcc\n")
    if shutil.which("gcc") is None:
        pytest.skip("no gcc on this machine")
    env["PATH"] = os.environ["PATH"]
    ran = subprocess.run(
        ["/bin/bash", str(PACKAGE_DIR / "compile")], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    stage = {"stdout": "", "stderr": ran.stderr, "code": ran.returncode, "status": "RE"}
    assert compile_stage(stage).verdict is Verdict.CE  # type: ignore[union-attr]


def test_a_compile_stopped_at_the_wall_clock_is_ie_when_starved_and_ce_when_it_compiled(
    tmp_path: Path,
) -> None:
    """What a real server gave 4 correct Java programs under 64 JVMs on 2 cores: compile `TO`
    after a fraction of its time as CPU. Starved (CPU under half the timeout): IE, judged again;
    a compile that spent its time compiling (a template bomb): the program's CE."""
    starved = {"stdout": "", "stderr": "", "code": None, "signal": "SIGKILL", "status": "TO", "cpu_time": 837}
    busy = dict(starved, cpu_time=29_400)
    assert compile_stage(starved, 30_000).verdict is Verdict.IE  # type: ignore[union-attr]
    assert "too busy" in compile_stage(starved, 30_000).reason  # type: ignore[union-attr]
    assert compile_stage(busy, 30_000).verdict is Verdict.CE  # type: ignore[union-attr]


def test_a_python_program_meets_a_cpp_interactor_built_by_our_package(only_package: FakePiston) -> None:
    """A testlib C++ interactor needs a compiler in the box: our package's compile stage
    builds it beside the program (a Python program goes to its C++ runtime for that, with no
    program of its own to build), and the launcher runs both in one request per batch. The
    verdicts are the local executor's; one that does not compile is the problem's IE."""
    executor = executor_on(only_package)
    local = LocalExecutor(python_runner="fork")
    try:
        for interactor in (GUESS_CPP, MISSING_CPP):
            problem = parse_problem(guess_problem(interactor), Path("p.jsonl"), 1)
            for source in (HONEST, BLIND):
                verdicts = []
                for runs_on in (executor, local):
                    before = len(only_package.requests)
                    options = JudgeOptions(Comparison(), test_order="given")
                    result = judge(
                        problem, problem.tests, Program("python", source), runs_on, LIMITS, options
                    )
                    verdicts.append((result.verdict, result.reason.split(":")[0]))
                    if runs_on is executor:
                        assert len(only_package.requests) - before == 1
                assert verdicts[0] == verdicts[1], (source, verdicts)
                expected = Verdict.AC if source is HONEST else Verdict.WA
                assert verdicts[0][0] is (expected if interactor is GUESS_CPP else Verdict.IE)
    finally:
        local.close()
    assert executor.cannot_interact("python", GUESS_CPP) == ""


def test_without_our_package_a_cpp_interactor_is_skipped_with_the_reason(tmp_path: Path) -> None:
    """On servers without our package a C++ interactor cannot be built (and a compiled program
    cannot meet any interactor): those records are SKIP naming why, a Python interactor is
    judged (exit 1: incomplete, as any check with skipped records; results written)."""
    problems = tmp_path / "problems.jsonl"
    write_jsonl(
        problems,
        [{**guess_problem(GUESS_CPP), "id": "cpp"}, {**guess_problem(), "id": "py"}],
    )
    solutions = tmp_path / "solutions.jsonl"
    write_jsonl(
        solutions,
        [
            {"id": "cpp", "code": HONEST, "language": "python"},
            {"id": "py", "code": HONEST, "language": "python"},
            {"id": "py", "code": "int main(){}\n", "language": "cpp"},
        ],
    )
    config = FakePistonConfig(body_limit=10_000_000, runtimes=PYTHON_ONLY)
    with FakePiston(config) as server:
        out = tmp_path / "out"
        argv = ["check", str(solutions), "--problems", str(problems), "--executor", "piston"]
        done = subprocess.run(
            [sys.executable, "-m", "batch_eval", *argv, "--endpoint", server.url, "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 1, done.stderr
    assert "2 skipped" in done.stderr
    lines = read_jsonl(out / "solutions.results.jsonl")
    assert [line["verdict"] for line in lines] == ["SKIP", "AC", "SKIP"]
    assert "C++ interactor is built only by our Piston package" in lines[0]["error"]
    assert "meets an interactor only through our Piston package" in lines[2]["error"]


def test_a_program_that_stops_or_kills_the_judge_s_processes_is_re(only_package: FakePiston) -> None:
    """On Piston the interactor, and the runtime's run script above the launcher, run as the
    program's user: a program that stops or kills them, then answers blind (or right), is the
    program's RE — never AC, IE, or a request held until the server's time limit."""
    executor = executor_on(only_package)
    options = JudgeOptions(Comparison(), test_order="given")
    for interactor in (GUESS, GUESS_CPP):
        problem = parse_problem(guess_problem(interactor), Path("p.jsonl"), 1)
        for sig in ("SIGSTOP", "SIGKILL"):
            source = signal_interactor(sig)
            result = judge(problem, problem.tests, Program("python", source), executor, LIMITS, options)
            assert result.verdict is Verdict.RE, (sig, result.reason)
            # a kill that reached the run script ends the request as killed: RE all the same
            assert "in its sandbox" in result.reason or sig == "SIGKILL", result.reason
    # the interactor's resource limits lowered (prlimit), then a token it cannot allocate for
    for interactor in (GUESS, GUESS_CPP):
        problem = parse_problem(guess_problem(interactor), Path("p.jsonl"), 1)
        result = judge(problem, problem.tests, Program("python", LOWER_LIMITS), executor, LIMITS, options)
        assert result.verdict is Verdict.RE, result.reason
        assert "changed the problem's interactor's resource limits" in result.reason
    # the run script alone, stopped by a program that then answers right
    right = STOP_RUN_SCRIPT.replace(
        "while True:\n    pass\n", "a, b = map(int, input().split())\nprint(a + b)\n"
    )
    assert right != STOP_RUN_SCRIPT
    result, requests = judged(only_package, "python", right)
    assert (result.verdict, requests) == (Verdict.RE, 1), result.reason
    assert "stopped the judge's process in its sandbox" in result.reason
