"""Every verdict from real programs on the local executor, and containment seen from the host."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_eval.batch.pool import shared_cores
from batch_eval.config import CheckConfig
from batch_eval.executors.base import Execution, Limits, Program
from batch_eval.executors.local import jail
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.local.forkserver import ExecutorClosed
from batch_eval.executors.local.languages import CC_FLAGS, Compiler
from batch_eval.executors.sandbox import sandboxlib
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.check import check_file
from batch_eval.judging.judge import JudgeOptions, judge
from batch_eval.judging.problems import parse_problem
from batch_eval.verdict import Verdict
from tests.conftest import SUM_PROBLEM, loopback_listener, name_self, named, one_crowded_core

LIMITS = Limits(time_s=1.0, memory_mb=256, output_bytes=8 * 1024 * 1024)
#: for verdicts that wait for the wall clock (a TLE is timed again, patiently when starved)
QUICK = Limits(time_s=0.25, memory_mb=256, output_bytes=8 * 1024 * 1024)


def run_one(
    executor: LocalExecutor,
    source: str,
    stdin: bytes = b"1 2\n",
    limits: Limits = LIMITS,
    language: str = "python",
) -> Execution:
    run = executor.run(Program(language, source), [stdin], limits, lambda i, e: True)
    assert run.compile is None or run.compile.verdict is Verdict.AC, run.compile
    return run.runs[0]


def verdict_of(
    executor: LocalExecutor, source: str, language: str = "python", limits: Limits = LIMITS
) -> Verdict:
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    result = judge(
        problem, problem.tests, Program(language, source), executor, limits, JudgeOptions(Comparison())
    )
    return result.verdict


def test_accepted_and_wrong_answer(local: LocalExecutor) -> None:
    assert verdict_of(local, "a, b = map(int, input().split())\nprint(a + b)") is Verdict.AC
    assert verdict_of(local, "a, b = map(int, input().split())\nprint(a - b)") is Verdict.WA


def test_stdin_is_a_regular_file_and_descriptors_are_real(local: LocalExecutor) -> None:
    # the FastIO template: size stdin with fstat, read and write the raw descriptors
    source = "import os\nn = os.fstat(0).st_size\ndata = os.read(0, n)\nos.write(1, str(n).encode())"
    ex = run_one(local, source, b"12345\n")
    assert ex.verdict is Verdict.AC and ex.stdout == b"6"


def test_normal_interpreter_start_exit_and_huge_integers(local: LocalExecutor) -> None:
    assert run_one(local, "print('hi'); exit()").stdout == b"hi\n"
    assert run_one(local, "quit(0)").verdict is Verdict.AC
    ex = run_one(local, "print(len(str(10 ** 5000)))")
    assert ex.verdict is Verdict.AC and ex.stdout == b"5001\n"
    assert run_one(local, "import sys; print(sys.stdin.buffer.read())", b"x").stdout == b"b'x'\n"


def test_runtime_error_has_the_exception_as_reason(local: LocalExecutor) -> None:
    ex = run_one(local, "raise KeyError('boom')")
    assert ex.verdict is Verdict.RE and "KeyError" in ex.reason
    assert run_one(local, "import sys; sys.exit(3)").exit_code == 3


def test_syntax_error_is_ce_as_the_running_interpreter_says(local: LocalExecutor) -> None:
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    result = judge(
        problem,
        problem.tests,
        Program("python", "print 'python 2'"),
        local,
        LIMITS,
        JudgeOptions(Comparison()),
    )
    assert result.verdict is Verdict.CE and "SyntaxError" in result.reason and "(line 1)" in result.reason
    # found on the first test: the others are not run
    assert [t.verdict for t in result.tests] == [] and "Missing parentheses" in result.compile_output


def test_cpu_loop_is_tle(local: LocalExecutor) -> None:
    """TLE for the CPU it used; on a machine so loaded that it got less than its limit of CPU
    in three times its wall limit (the most the time it waited for a core moves the wall
    clock), killed only then, as its recorded times show."""
    ex = run_one(local, "while True: pass")
    assert ex.verdict is Verdict.TLE and ex.cpu_time is not None and ex.wall_time is not None, ex
    if ex.cpu_time <= LIMITS.time_s:
        assert ex.wall_killed and ex.wall_time >= LIMITS.wall * sandboxlib.STARVED_WALL, ex
        assert "wall clock" in ex.reason, ex


def test_sleeper_is_killed_at_the_wall_limit(local: LocalExecutor) -> None:
    ex = run_one(local, "import time; time.sleep(60)", limits=Limits(0.5, 256, wall_s=1.0))
    assert ex.verdict is Verdict.TLE and "wall" in ex.reason
    assert ex.wall_time is not None and ex.wall_time < 5


def test_memory_hog_is_mle(local: LocalExecutor) -> None:
    ex = run_one(local, "x = bytearray(600 * 1024 * 1024)\nprint(len(x))")
    assert ex.verdict is Verdict.MLE


def test_100_mb_of_output_is_ole_and_stops_at_the_limit(local: LocalExecutor, tmp_path: Path) -> None:
    source = "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\n"
    ex = run_one(local, source)
    assert ex.verdict is Verdict.OLE
    assert len(ex.stdout) <= LIMITS.output_bytes


def test_fork_loop_is_contained_and_leaves_nothing(local: LocalExecutor) -> None:
    name = f"forkloop{os.getpid() % 10**6}"
    source = (
        name_self(name)
        + """
import os, time
pids = 0
for _ in range(10000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(120)
        os._exit(0)
    pids += 1
print(pids, flush=True)
time.sleep(120)
"""
    )
    ex = run_one(local, source, limits=Limits(1.0, 256, processes=32, wall_s=2.0))
    assert ex.verdict is Verdict.TLE
    assert 0 < int(ex.stdout) <= 32  # the process limit stopped the loop
    assert named(name) == []


def test_daemon_that_leaves_the_session_dies_with_the_program(local: LocalExecutor) -> None:
    if local.sandbox.group is None:
        pytest.skip("no pids cgroup here: setsid escapees are issue 6's containment")
    name = f"daemon{os.getpid() % 10**6}"
    source = (
        name_self(name)
        + """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(120)
    os._exit(0)
time.sleep(0.5)
print("done")
"""
    )
    ex = run_one(local, source)
    # a test ends when all its processes have: the daemon keeps it to the wall clock (TLE, as
    # on Piston), and dies with it
    assert ex.verdict is Verdict.TLE and ex.wall_killed and ex.stdout == b"done\n"
    assert named(name) == []


def test_each_test_gets_a_fresh_folder(local: LocalExecutor) -> None:
    source = "import os\nprint(sorted(os.listdir('.')))\nopen('state', 'w').write('x')"
    run = local.run(Program("python", source), [b"", b""], LIMITS, lambda i, e: True)
    assert [r.stdout for r in run.runs] == [b"[]\n", b"[]\n"]


def test_environment_is_scrubbed(local: LocalExecutor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    ex = run_one(local, "import os; print('OPENAI_API_KEY' in os.environ)")
    assert ex.stdout == b"False\n"


def test_cpp_compiles_once_and_runs_every_test(tmp_path: Path) -> None:
    log = tmp_path / "compiles.log"
    wrapper = tmp_path / "counting-g++"
    # counts compiles of the program itself (not the one-off precompiled header build)
    wrapper.write_text(f'#!/bin/sh\ncase "$*" in *"-o main"*) echo x >> {log};; esac\nexec g++ "$@"\n')
    wrapper.chmod(0o755)
    os.chmod(tmp_path, 0o777)
    executor = LocalExecutor(cxx=str(wrapper), jailed=False)  # the wrapper writes its log outside
    source = '#include <bits/stdc++.h>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}'
    seen: list[int] = []

    def on_result(i: int, ex: Execution) -> bool:
        seen.append(i)
        return True

    try:
        run = executor.run(Program("cpp", source), [b"1 2", b"3 4", b"5 6"], LIMITS, on_result)
    finally:
        executor.close()
    assert run.compile is not None and run.compile.verdict is Verdict.AC
    assert [r.stdout for r in run.runs] == [b"3\n", b"7\n", b"11\n"] and seen == [0, 1, 2]
    assert log.read_text() == "x\n"  # one compile for three tests


def test_cpp_compile_error_is_ce(local: LocalExecutor) -> None:
    assert verdict_of(local, "int main() { return x; }", "cpp") is Verdict.CE


def test_early_stop_skips_the_remaining_tests(local: LocalExecutor) -> None:
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    wrong = Program("python", "print(3)")
    given = JudgeOptions(Comparison(), test_order="given")
    result = judge(problem, problem.tests, wrong, local, LIMITS, given)
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.WA, Verdict.SKIP]
    result = judge(problem, problem.tests, wrong, local, LIMITS, JudgeOptions(Comparison(), False))
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.WA, Verdict.WA]
    assert result.reason.startswith("test 2:")


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def test_bits_stdcxx_is_precompiled_once_and_used(local: LocalExecutor) -> None:
    source = (
        "#include <bits/stdc++.h>\nusing namespace std;\n"
        "int main(){vector<int> v{3,1,2};sort(v.begin(),v.end());cout<<v[0]<<endl;}"
    )
    first = local.run(Program("cpp", source), [b""], LIMITS, lambda i, e: True)
    second = local.run(Program("cpp", source + "\n// again"), [b""], LIMITS, lambda i, e: True)
    assert [first.runs[0].stdout, second.runs[0].stdout] == [b"1\n", b"1\n"]
    pch = Path(local.describe_language("cpp")["cxx_pch"])
    assert pch.is_file() and pch.is_relative_to(os.environ["BATCH_EVAL_PCH_DIR"])


@pytest.mark.parametrize("runner", ["fork", "process"])
def test_solutions_reach_no_network_not_even_the_hosts_loopback(runner: str) -> None:
    executor = LocalExecutor(python_runner=runner)
    if not executor.sandbox.no_network:
        executor.close()
        pytest.skip("network namespaces are not available here")
    try:
        with loopback_listener(5) as (port, received):
            source = (
                "import socket\ntry:\n"
                f"    socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'secret')\n"
                "    print('sent')\nexcept OSError as e:\n    print('blocked')\n"
            )
            ex = run_one(executor, source)
    finally:
        executor.close()
    assert ex.stdout == b"blocked\n" and received == []
    assert "netns" in executor.isolation


def test_groups_left_by_killed_checkers_are_removed() -> None:
    from batch_eval.executors.local.cgroup import PidsGroup

    probe = PidsGroup.create(8)
    if probe is None:
        pytest.skip("no pids cgroup here")
    root = probe.path.parent
    probe.close()
    stale = root / f"batch-eval-{_finished_pid()}-1"  # its creator is gone
    stale.mkdir()
    group = PidsGroup.create(8)
    assert group is not None and not stale.exists()
    group.close()


def _finished_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_reserved_but_unused_address_space_is_not_memory(local: LocalExecutor) -> None:
    # OpenBLAS, thread stacks and arenas reserve far more than they touch; judges count use
    if local.sandbox.memory is None:
        pytest.skip("no memory cgroup here: the limit is on address space (RLIMIT_AS)")
    source = "import mmap\nm = mmap.mmap(-1, 1 << 30)\nm[0] = 1\nprint(3)"
    ex = run_one(local, source)
    assert ex.verdict is Verdict.AC and ex.stdout == b"3\n"
    assert (
        run_one(local, "x = bytearray(300 << 20)\nx[::4096] = b'1' * len(x[::4096])").verdict is Verdict.MLE
    )
    assert "memory-cgroup" in local.isolation


CPP_VERDICTS = {
    '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}': "AC",
    '#include <cstdio>\nint main(){puts("0");}': "WA",
    "#include <cstdlib>\nint main(){abort();}": "RE",
    "int main(){volatile long x=0; for(;;) x++;}": "TLE",
    "#include <vector>\nint main(){std::vector<char> v(700u<<20, 1); return v[9] - 1;}": "MLE",
    '#include <cstdio>\nint main(){for(;;) fputs("xxxxxxxxxxxxxxxx", stdout);}': "OLE",
    # a child left running keeps the test to the wall clock, whatever the program's exit
    "#include <unistd.h>\nint main(){if(fork()==0){setsid(); sleep(100);} return 1;}": "TLE",
}


@pytest.mark.parametrize("source", sorted(CPP_VERDICTS))
def test_cpp_verdicts_are_the_same_exec_d_from_the_fork_server_and_as_fresh_processes(source: str) -> None:
    verdicts = {}
    for runner in ("fork", "process"):
        executor = LocalExecutor(python_runner=runner)
        try:
            verdicts[runner] = verdict_of(executor, source, "cpp", QUICK)
        finally:
            executor.close()
    assert verdicts == {"fork": Verdict(CPP_VERDICTS[source]), "process": Verdict(CPP_VERDICTS[source])}


def test_folders_left_by_killed_checkers_are_removed() -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # a checker that was SIGKILLed: its pid is dead, its folder stayed
    probe = LocalExecutor(python_runner="process")
    base = probe.home.parent
    probe.close()
    left = base / f"batch-eval-{gone.pid}-abcdef"
    (left / "outputs").mkdir(parents=True)
    mine = base / f"batch-eval-{os.getpid()}-keepme"  # a live checker's stays
    mine.mkdir()
    try:
        LocalExecutor(python_runner="process").close()
        assert not left.exists() and mine.exists()
    finally:
        mine.rmdir()


def test_works_when_batch_eval_itself_lives_where_the_jail_hides(tmp_path: Path) -> None:
    # a clone under /tmp or a virtualenv under /home: the jail hides both from solutions
    shutil.copytree(Path(__file__).parents[1] / "batch_eval", tmp_path / "batch_eval")
    script = (
        "from batch_eval.executors.local.executor import LocalExecutor\n"
        "from batch_eval.executors.base import Program, Limits\n"
        "e = LocalExecutor()\n"
        "cpp = '#include <cstdio>\\nint main(){puts(\"7\");}'\n"
        "for language, source in (('python', 'print(input())'), ('cpp', cpp)):\n"
        "    run = e.run(Program(language, source), [b'7'], Limits(2, 256), lambda i, x: True)\n"
        "    print(run.runs[0].verdict.value, run.runs[0].stdout.strip().decode())\n"
        "e.close()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.stdout.split("\n")[:2] == ["AC 7", "AC 7"], done.stderr


def test_limited_isolation_is_said_loudly_before_any_work() -> None:
    executor = LocalExecutor(jailed=False)
    try:
        executor.sandbox.no_network = False  # as on a machine without namespaces
        warnings = executor.preflight(LIMITS)
        assert any(w.startswith("ISOLATION IS LIMITED (") and "read and write" in w for w in warnings)
        assert "own-root" not in executor.isolation
    finally:
        executor.close()
    if jail.works():
        full = LocalExecutor()
        try:
            assert not [w for w in full.preflight(LIMITS) if "ISOLATION" in w]
        finally:
            full.close()


def test_a_larger_output_limit_than_the_first_programs_gets_room() -> None:
    # the first program (as the judge's speed benchmark is) runs with a small output limit;
    # a later one may print far more, within its own larger limit
    executor = LocalExecutor()
    try:
        small = run_one(executor, "print(1)", limits=Limits(1.0, 256, output_bytes=1 << 16))
        assert small.verdict is Verdict.AC
        big = run_one(
            executor,
            "import sys\nsys.stdout.write('x' * (8 << 20))",
            limits=Limits(1.0, 256, output_bytes=16 << 20),
        )
    finally:
        executor.close()
    assert big.verdict is Verdict.AC and len(big.stdout) == 8 << 20


def test_a_program_whose_binary_is_megabytes_is_compiled_not_ce(local: LocalExecutor) -> None:
    """An initialised 8 MB array makes an 8 MB binary: the linker must be let write it (a
    compile stopped by our file-size limit was judged CE)."""
    source = (
        "#include <cstdio>\nint a[2000000] = {1};\n"
        'int main(){ long long x, y; if (scanf("%lld %lld", &x, &y) != 2) return 1;'
        ' printf("%lld\\n", x + y + a[1999999] * 0 + (a[0] - 1)); }\n'
    )
    assert verdict_of(local, source, "cpp") is Verdict.AC


#: a C compiler that is killed (as a loaded machine's compile may be) `times` times in a
#: build folder, then is gcc
STOPPED_COMPILER = """#!/bin/sh
n=$(ls | grep -c '^stopped-')
if [ "$n" -lt {times} ]; then
    : > "stopped-$n"
    kill -9 $$
fi
exec gcc "$@"
"""


@pytest.mark.parametrize("times", [1, 2])
def test_a_compile_stopped_once_is_run_again_and_twice_is_ie_never_ce(times: int) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    folder = Path(tempfile.mkdtemp(prefix="stopped-cc-"))  # readable by the solutions' user
    try:
        folder.chmod(0o755)
        tool = folder / "cc"
        tool.write_text(STOPPED_COMPILER.format(times=times))
        tool.chmod(0o755)
        executor = LocalExecutor(jailed=False)
        try:
            executor.compilers["c"] = Compiler(executor.sandbox, "c", str(tool), CC_FLAGS)
            source = '#include <stdio.h>\nint main(void){puts("3");return 0;}\n'
            run = executor.run(Program("c", source), [b""], LIMITS, lambda i, e: True)
        finally:
            executor.close()
    finally:
        shutil.rmtree(folder)
    if times == 1:
        assert run.compile is not None and run.compile.verdict is Verdict.AC
        assert [(r.verdict, r.stdout) for r in run.runs] == [(Verdict.AC, b"3\n")]
    else:
        assert run.compile is not None and run.compile.verdict is Verdict.IE and not run.runs
        assert "stopped twice" in run.compile.reason and "SIGKILL" in run.compile.reason


#: a compiler that uses up its memory on the program it is given (a template bomb's effect)
BOMBED_COMPILER = """#!/bin/sh
exec {python} -c "x = b'x' * (3 << 30)"
"""


def test_a_compile_that_uses_up_its_limits_is_ce_the_programs_doing() -> None:
    """A program built to blow up its compile must not void its problem (IE): a compile
    that used all its memory (or CPU time) is CE, as on Codeforces."""
    folder = Path(tempfile.mkdtemp(prefix="bombed-cc-"))
    try:
        folder.chmod(0o755)
        tool = folder / "cc"
        tool.write_text(BOMBED_COMPILER.format(python=sys.executable))
        tool.chmod(0o755)
        executor = LocalExecutor(jailed=False)
        try:
            if executor.sandbox.memory is None:
                pytest.skip("no memory cgroup: the compiler's memory is an address-space limit here")
            executor.compilers["c"] = Compiler(executor.sandbox, "c", str(tool), CC_FLAGS)
            run = executor.run(Program("c", "int main(void){return 0;}\n"), [b""], LIMITS, lambda i, e: True)
        finally:
            executor.close()
    finally:
        shutil.rmtree(folder)
    assert run.compile is not None and run.compile.verdict is Verdict.CE and not run.runs
    assert run.compile.reason.startswith("the compiler used all its memory on this program")


def _barrier(folder: Path, me: str, other: str) -> str:
    """A right sum program that first meets `other` at a file barrier in `folder` (3 s at most)."""
    return (
        "import os, time\n"
        f"open({str(folder / me)!r}, 'w').close()\n"
        "deadline = time.monotonic() + 3\n"
        f"while not os.path.exists({str(folder / other)!r}) and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        f"met = os.path.exists({str(folder / other)!r})\n"
        "a, b = map(int, input().split())\n"
        "print(a + b if met else 'alone')\n"
    )


def test_jobs_judge_records_side_by_side_written_in_file_order_one_claim_per_program(tmp_path: Path) -> None:
    """--jobs 2: two records' programs run at once (each waits at a file barrier for the other:
    one at a time, the first would be alone and WA), their lines in file order, and a third
    record with the first one's program takes its verdict from the cache instead of running."""
    barrier = tmp_path / "barrier"
    barrier.mkdir(mode=0o777)
    barrier.chmod(0o777)  # the programs may run as another user
    problems = tmp_path / "problems.jsonl"
    problems.write_text(json.dumps({**SUM_PROBLEM, "time_limit": 2.0}) + "\n")
    first, second = _barrier(barrier, "a", "b"), _barrier(barrier, "b", "a")
    records = [("r1", first), ("r2", second), ("r3", first)]
    solutions = tmp_path / "solutions.jsonl"
    solutions.write_text("".join(json.dumps({"id": "1/A", "key": k, "code": c}) + "\n" for k, c in records))
    config = CheckConfig(problems=problems, cache_dir=tmp_path / "cache", jobs=2)
    executor = LocalExecutor(jailed=False, jobs=2)  # the barrier is a folder of the host's
    try:
        assert executor.concurrency == 2
        outcome = check_file(config, solutions, tmp_path / "out", executor=executor)
    finally:
        executor.close()
    lines = [json.loads(x) for x in outcome.results_path.read_text().splitlines()]
    assert [(x["key"], x["verdict"]) for x in lines] == [("r1", "AC"), ("r2", "AC"), ("r3", "AC")]
    assert not lines[0].get("cached") and lines[2].get("cached") is True


def test_run_shares_the_cores_between_its_checkers_unless_jobs_is_given(tmp_path: Path) -> None:
    cores = len(os.sched_getaffinity(0))
    config = CheckConfig(problems=tmp_path / "p.jsonl")
    assert config.local_jobs() == cores  # `check`: every core this process may use
    assert shared_cores(config, cores).jobs == 1  # `run` on every core: one program per checker
    assert shared_cores(config, 1).jobs == cores
    assert shared_cores(config, 4 * cores).jobs == 1
    assert shared_cores(CheckConfig(problems=tmp_path / "p.jsonl", jobs=3), cores).jobs == 3


def test_closing_the_executor_under_a_running_lane_stops_its_program_without_a_verdict() -> None:
    """--jobs: the check's ending (Ctrl-C, SIGTERM, an error) closes the executor while a
    lane's thread runs a program. The lane must stop there (its run raises ExecutorClosed,
    no verdict), not start a fresh fork server outside the closed sandbox and go on running
    the program's tests in the caller's process (the API's check_file keeps it alive)."""
    executor = LocalExecutor(jobs=2)
    started, reported = threading.Event(), []

    def on_result(i: int, ex: Execution) -> bool:
        reported.append(ex.verdict)
        started.set()
        return True

    outcome: list[object] = []

    def lane() -> None:
        source = "import time; time.sleep(0.2); print(1)"
        try:
            outcome.append(executor.run(Program("python", source), [b""] * 40, LIMITS, on_result))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=lane, daemon=True)
    thread.start()
    try:
        assert started.wait(30)
    finally:
        executor.close()
    thread.join(5)  # the program's other 39 tests would take 8 s
    assert not thread.is_alive(), "the lane went on running tests after the executor closed"
    assert len(outcome) == 1 and isinstance(outcome[0], ExecutorClosed), outcome
    assert set(reported) == {Verdict.AC}  # no verdict made from the server's killing


@pytest.fixture
def crowded() -> Iterator[None]:
    """Core 0 shared with four busy loops: a program started in the test gets a fifth of it."""
    with one_crowded_core(4):
        yield


@pytest.mark.parametrize("runner", ["fork", "process"])
def test_time_spent_waiting_for_a_core_is_not_the_programs(runner: str, crowded: None) -> None:
    """0.1 s of work under a 0.3 s wall clock, on a core it gets a fifth of: it finishes, its
    wall clock moved by the time it waited (up to three times the limit, which only a machine
    loaded far beyond our busy loops exhausts: then killed there and not before, as its
    recorded wall time shows)."""
    local = LocalExecutor(python_runner=runner)
    limits = Limits(time_s=2.0, memory_mb=256, wall_s=0.3)
    cap = limits.wall * sandboxlib.STARVED_WALL
    try:
        ex = run_one(
            local, "import time\nwhile time.process_time() < 0.1:\n    pass\nprint(3)", limits=limits
        )
    finally:
        local.close()
    assert ex.wall_time is not None and ex.cpu_time is not None, ex
    if ex.wall_killed:  # only ever at the cap: the machine gave it less than it needed by then
        assert ex.wall_time >= cap * 0.99, ex
    else:
        assert ex.verdict is Verdict.AC and ex.stdout == b"3\n", ex


def test_a_sleeper_gains_no_time_by_crowding_a_core_with_its_children(crowded: None) -> None:
    """The time that moves a test's wall clock is the program's own wait for a CPU: a program
    that sleeps while its children crowd its core waited for nothing (they did)."""
    sleeper = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time\nfor _ in range(2):\n    if os.fork() == 0:\n"
            "        while True:\n            pass\ntime.sleep(30)\n",
        ],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        children: list[int] = []
        while len(children) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            children = [
                int(c) for c in Path(f"/proc/{sleeper.pid}/task/{sleeper.pid}/children").read_text().split()
            ]
        assert len(children) == 2, children
        time.sleep(0.2)  # it has gone to sleep
        before = [sandboxlib.cpu_wait(pid) for pid in (sleeper.pid, *children)]
        time.sleep(1.0)
        after = [sandboxlib.cpu_wait(pid) for pid in (sleeper.pid, *children)]
    finally:
        os.killpg(sleeper.pid, signal.SIGKILL)
        sleeper.wait()
    own, *theirs = (b - a for a, b in zip(before, after))
    assert min(theirs) > 0.3, theirs  # on a core shared six ways, each waited most of that second
    assert own < 0.05, (own, theirs)  # asleep: it waited for nothing
