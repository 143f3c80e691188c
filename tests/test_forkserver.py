"""The fork-server runner: same verdicts as a fresh interpreter per test, nothing leaking."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_eval.executors.base import Execution, Limits, Program
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.local.forkserver import Submitted
from batch_eval.verdict import Verdict
from tests.conftest import name_self, named

LIMITS = Limits(time_s=1.0, memory_mb=256, output_bytes=4 * 1024 * 1024, wall_s=3.0)

PROGRAMS = {
    "sum": ("a, b = map(int, input().split())\nprint(a + b)", b"2 3\n"),
    "fastio": ("import os\nn = os.fstat(0).st_size\nos.write(1, os.read(0, n)[::-1])", b"abc"),
    "buffer": ("import sys\nprint(sys.stdin.buffer.read().split())", b"1 2\n3"),
    "seek": ("import sys\nsys.stdin.read()\nsys.stdin.seek(0)\nprint(sys.stdin.read().strip())", b"again\n"),
    "exit": ("print('bye')\nexit(4)", b""),
    "exit_str": ("import sys\nsys.exit('fatal')", b""),
    "bigint": ("print(len(str(7 ** 20000)))", b""),
    "raise": ("def f():\n    raise ZeroDivisionError('x')\nf()", b""),
    "thread": (
        "import threading, sys\nsys.setrecursionlimit(10**6)\nthreading.stack_size(1 << 26)\n"
        "def main():\n    import time; time.sleep(0.2); print('from thread')\n"
        "threading.Thread(target=main).start()",
        b"",
    ),
    # glibc sizes thread stacks by RLIMIT_STACK: a plain Thread must start under the memory limit
    "plain_thread": ("import threading\nthreading.Thread(target=lambda: print('t')).start()", b""),
    "c_recursion": (
        "import sys\nfrom functools import lru_cache\nsys.setrecursionlimit(10**6)\n"
        "@lru_cache(None)\ndef f(n): return 0 if n == 0 else 1 + f(n - 1)\nprint(f(100000))",
        b"",
    ),
    # out of memory in small pieces: even the traceback cannot be formatted any more
    "memory_pieces": ("x = []\nwhile True: x.append({})", b""),
    # real accepted Codeforces submissions that a judge emulating exit got wrong:
    "with_stdout": (
        "import sys\nwith sys.stdin as fin, sys.stdout as fout:\n    fout.write(fin.read())",
        b"x\n",
    ),
    "dunder_stdout_atexit": (
        "import atexit, io, sys\nbuf = io.StringIO()\nsys.stdout = buf\n"
        "atexit.register(lambda: sys.__stdout__.write(buf.getvalue()))\nprint(42)",
        b"",
    ),
    "unclosed_file": (
        "f = open('out.txt', 'w')\nf.write('data')\nimport os\nprint(os.path.getsize('out.txt'))",
        b"",
    ),
    # the FastIO template's wrapper flushes through the script's globals
    "fastio_wrapper": (
        "import os, sys\nfrom io import BytesIO\nclass W:\n"
        "    def __init__(self):\n        self.b = BytesIO()\n"
        "    def write(self, s):\n        self.b.write(s.encode())\n"
        "    def flush(self):\n        os.write(1, self.b.getvalue())\n"
        "        self.b.seek(0)\n        self.b.truncate(0)\n"
        "sys.stdout = W()\nprint('fast')",
        b"",
    ),
    "atexit": ("import atexit\natexit.register(lambda: print('at exit'))\nprint('body')", b""),
    "argv_file": (
        "import sys, os\nprint(os.path.basename(sys.argv[0]), os.path.basename(__file__), __name__)",
        b"",
    ),
    "recursion": (
        "import sys\nsys.setrecursionlimit(100000)\n"
        "def f(n): return 0 if n == 0 else 1 + f(n - 1)\nprint(f(20000))",
        b"",
    ),
    "tle": ("while True: pass", b""),
    "mle": ("x = bytearray(700 * 1024 * 1024)", b""),
    "ole": ("import sys\nwhile True: sys.stdout.write('y' * 65536)", b""),
    "sleep": ("import time\ntime.sleep(30)", b""),
    "unicode": ("print(input().upper())", "héllo wörld\n".encode()),
}


@pytest.fixture(scope="module")
def runners() -> Iterator[dict[str, LocalExecutor]]:
    made = {name: LocalExecutor(python_runner=name) for name in ("fork", "process")}
    yield made
    for executor in made.values():
        executor.close()


def run(executor: LocalExecutor, source: str, stdin: bytes) -> Execution:
    return executor.run(Program("python", source), [stdin], LIMITS, lambda i, e: True).runs[0]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_fork_server_judges_like_a_fresh_interpreter(name: str, runners: dict[str, LocalExecutor]) -> None:
    source, stdin = PROGRAMS[name]
    fork, plain = (run(runners[r], source, stdin) for r in ("fork", "process"))
    assert fork.verdict is plain.verdict
    assert fork.exit_code == plain.exit_code
    if fork.verdict is Verdict.AC or name in ("exit", "exit_str"):
        assert fork.stdout == plain.stdout
    if name == "raise":
        assert fork.stderr.splitlines()[-1] == plain.stderr.splitlines()[-1] == "ZeroDivisionError: x"
        assert "runpy" not in fork.stderr and "zygote" not in fork.stderr


def test_nothing_leaks_from_one_test_to_the_next(runners: dict[str, LocalExecutor]) -> None:
    source = (
        "import json, sys, os\n"
        "print(hasattr(json, 'leak'), 'solution_mod' in sys.modules, os.environ.get('LEAK'))\n"
        "json.leak = 1\nsys.modules['solution_mod'] = json\nos.environ['LEAK'] = 'yes'\n"
    )
    run_all = runners["fork"].run(Program("python", source), [b"", b"", b""], LIMITS, lambda i, e: True)
    assert [r.stdout for r in run_all.runs] == [b"False False None\n"] * 3


def test_fork_server_is_faster_per_test(runners: dict[str, LocalExecutor]) -> None:
    # CPU time excludes the interpreter start the fork server already paid
    fork, plain = (run(runners[r], "print(1)", b"") for r in ("fork", "process"))
    assert fork.cpu_time is not None and plain.cpu_time is not None
    assert fork.cpu_time < plain.cpu_time


def test_a_solution_cannot_kill_the_fork_server_or_it_is_re_and_the_server_comes_back(
    runners: dict[str, LocalExecutor],
) -> None:
    source = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('still here')"
    executor = runners["fork"]
    if executor.sandbox.uid is not None:
        # as `nobody` a solution cannot signal the server at all: the kill fails, the server lives
        ex = run(executor, source, b"")
        assert ex.verdict is Verdict.RE and "PermissionError" in ex.reason
        assert executor.forks.server is not None and executor.forks.server.pid is not None
        executor = LocalExecutor(jailed=False)  # a solution running as our own user
    try:
        if executor.sandbox.uid is not None:
            pytest.skip("solutions always run as another user here: none can signal the server")
        ex = run(executor, source, b"")
        assert executor.forks.server is not None
        if executor.forks.server.processes == 2:
            # the server is its PID namespace's init: the kernel drops the signal, as for a
            # program on a Piston server (isolate's init); the program goes on
            assert ex.verdict is Verdict.AC and ex.stdout == b"still here\n"
        else:
            assert ex.verdict is Verdict.RE and "killed the judge's process" in ex.reason
        # either way the next solution is judged by a live server
        assert run(executor, "print(5)", b"").stdout == b"5\n"
        assert executor.forks.server is not None and executor.forks.server.proc is not None
        os.kill(executor.forks.server.proc.pid, 0)
    finally:
        if executor is not runners["fork"]:
            executor.close()


def test_runner_is_recorded_in_the_environment(runners: dict[str, LocalExecutor]) -> None:
    assert runners["fork"].describe()["python_runner"] == "fork"
    assert runners["process"].describe()["python_runner"] == "process"


def test_process_path_stays_available_from_the_cli() -> None:
    from batch_eval.cli.judge import check
    from batch_eval.cli.options import config_from

    ctx = check.make_context("check", ["s", "-o", "o", "--problems", "p", "--python-runner", "process"])
    params = {k: v for k, v in ctx.params.items() if k not in ("solutions", "output_dir", "quiet", "stem")}
    assert config_from(params).python_runner == "process"


def test_real_solutions_get_the_same_verdicts_with_the_fast_path_on_and_off(
    tmp_path: Path, data_dir: Path
) -> None:
    import json

    from batch_eval.config import CheckConfig
    from batch_eval.judging.check import check_file
    from tests.conftest import read_jsonl

    root = data_dir / "e2h_codeforces"
    small = {p["id"] for p in read_jsonl(root / "problems.jsonl") if len(p["official_tests"]) <= 15}
    # one sample of each small problem from a strong and a weak model
    picked: list[str] = []
    per_problem: dict[tuple[str, str], int] = {}
    for model in ("gpt-5-mini-2025-08-07", "deepseek-r1-llama-8b"):
        for line in (root / "checkpoints" / model / "solutions.jsonl").read_text().splitlines():
            record = json.loads(line)
            if record["id"] in small and per_problem.get((model, record["id"]), 0) < 1:
                per_problem[(model, record["id"])] = 1
                picked.append(line)
    sols = tmp_path / "sample.jsonl"
    sols.write_text("\n".join(picked) + "\n")
    verdicts = {}
    for runner in ("fork", "process"):
        config = CheckConfig(problems=root / "problems.jsonl", python_runner=runner, cache=False)
        outcome = check_file(config, sols, tmp_path / runner)
        verdicts[runner] = [(line["key"], line["verdict"]) for line in read_jsonl(outcome.results_path)]
    assert len(verdicts["fork"]) >= 10
    assert verdicts["fork"] == verdicts["process"]


def test_a_cpp_compile_between_python_programs_keeps_the_fork_server(
    runners: dict[str, LocalExecutor],
) -> None:
    executor = runners["fork"]
    run(executor, "print(1)", b"")
    server = executor.forks.server
    assert server is not None and server.pid is not None
    pid = server.pid
    built = executor.run(Program("cpp", "int main(){return 0;}"), [b""], LIMITS, lambda i, e: True)
    assert built.runs[0].verdict is Verdict.AC
    assert run(executor, "print(2)", b"").stdout == b"2\n" and server.pid == pid


def test_the_next_test_runs_while_one_is_judged_and_is_cancelled_on_an_early_stop(
    runners: dict[str, LocalExecutor],
) -> None:
    executor = runners["fork"]
    run(executor, "print(1)", b"")  # the server is up
    server = executor.forks.server
    assert server is not None
    outcomes: list[Execution | None] = []
    collect = server.collect

    def recording(test: Submitted) -> Execution | None:
        outcomes.append(collect(test))
        return outcomes[-1]

    server.collect = recording  # type: ignore[method-assign]
    try:
        source = "import time\nif input() == 'slow':\n    time.sleep(60)\nprint(0)"
        result = executor.run(
            Program("python", source), [b"x\n", b"slow\n", b"y\n"], LIMITS, lambda i, e: False
        )
    finally:
        del server.collect
    assert [r.stdout for r in result.runs] == [b"0\n"]  # the judge stopped after the first
    # the second was already queued: cancelled (killed), never waited for to its time limit
    assert len(outcomes) == 2 and outcomes[1] is None
    assert run(executor, "print(2)", b"").stdout == b"2\n"  # and the server goes on


def _kill_server_when_running(executor: LocalExecutor, name: str, times: int) -> threading.Thread:
    """From the host: SIGKILL the fork server (its outermost process) each time a test of the
    program called `name` runs, `times` times over (each time on the fresh server)."""

    def killer() -> None:
        killed: set[int] = set()
        deadline = time.monotonic() + 60
        while len(killed) < times and time.monotonic() < deadline:
            server = executor.forks.server
            proc = server.proc if server is not None else None
            if proc is not None and proc.pid not in killed and named(name):
                os.kill(proc.pid, signal.SIGKILL)
                killed.add(proc.pid)
            time.sleep(0.005)

    thread = threading.Thread(target=killer)
    thread.start()
    return thread


def _sleepy_sum(name: str) -> str:
    return name_self(name) + "import time\ntime.sleep(0.5)\na, b = map(int, input().split())\nprint(a + b)\n"


def test_a_server_killed_from_the_host_mid_test_runs_the_test_again_on_a_fresh_one(
    runners: dict[str, LocalExecutor],
) -> None:
    executor = runners["fork"]
    run(executor, "print(1)", b"")
    assert executor.forks.server is not None and executor.forks.server.proc is not None
    first = executor.forks.server.proc.pid
    name = f"hk1{os.getpid() % 10**6}"
    killer = _kill_server_when_running(executor, name, times=1)
    result = executor.run(
        Program("python", _sleepy_sum(name)), [b"1 2\n", b"3 4\n"], LIMITS, lambda i, e: True
    )
    killer.join()
    # the test in flight (and the one queued behind it) judged on the fresh server, as if nothing happened
    assert [(r.verdict, r.stdout) for r in result.runs] == [(Verdict.AC, b"3\n"), (Verdict.AC, b"7\n")]
    assert executor.forks.server.proc is not None and executor.forks.server.proc.pid != first
    assert named(name) == []


def test_a_server_killed_on_every_try_is_an_internal_error_never_the_programs_verdict(
    runners: dict[str, LocalExecutor],
) -> None:
    executor = runners["fork"]
    name = f"hk2{os.getpid() % 10**6}"
    killer = _kill_server_when_running(executor, name, times=2)
    result = executor.run(Program("python", _sleepy_sum(name)), [b"1 2\n"], LIMITS, lambda i, e: True)
    killer.join()
    (ex,) = result.runs
    if executor.sandbox.uid is None:
        # solutions run as our own user here: they could have killed the server themselves
        assert ex.verdict is Verdict.RE and "killed the judge's process" in ex.reason
    else:
        assert ex.verdict is Verdict.IE and "died twice" in ex.reason
    assert run(executor, "print(5)", b"").stdout == b"5\n"  # and the next program is judged


def test_a_child_that_cannot_be_set_up_is_ie_by_the_servers_answer(
    runners: dict[str, LocalExecutor], tmp_path: Path
) -> None:
    executor = runners["fork"]
    run(executor, "print(1)", b"")
    server = executor.forks.server
    assert server is not None
    box = tmp_path / "box"
    box.mkdir()
    box.chmod(0o755)
    (box / "in").write_bytes(b"")
    (box / "in").chmod(0o644)
    script = box / "main.py"
    script.write_text("print(1)\n")
    script.chmod(0o644)
    files = (box / "in", box / "out", box / "err")
    uid = executor.sandbox.uid
    missing = server.submit(script, box / "no-such-folder", files, LIMITS, uid, None)
    ex = server.collect(missing)
    assert ex is not None and ex.verdict is Verdict.IE
    assert ex.reason.startswith("fork server: child setup failed: FileNotFoundError")
    # a binary that cannot be exec'd (a text file) fails in setup too: IE, not the program's 127
    not_binary = server.submit(script, executor.forks.work, files, LIMITS, uid, None, binary=True)
    ex = server.collect(not_binary)
    assert ex is not None and ex.verdict is Verdict.IE and "child setup failed" in ex.reason
    assert run(executor, "print(2)", b"").stdout == b"2\n"  # the server goes on


@pytest.mark.parametrize(
    "source",
    [
        "import os\nos.write(2, b'batch-eval fork server: child setup failed\\n')\nos._exit(127)\n",
        "import os\nos.write(2, b'batch-eval fork server: OSError: [Errno 5] no\\n')\nos._exit(127)\n",
        "import os\nos._exit(127)\n",
    ],
    ids=["setup-text", "setup-error-text", "silent-127"],
)
@pytest.mark.parametrize("runner", ["fork", "process"])
def test_a_program_exiting_127_with_the_servers_words_is_its_runtime_error(
    source: str, runner: str, runners: dict[str, LocalExecutor]
) -> None:
    ex = run(runners[runner], source, b"")
    assert ex.verdict is Verdict.RE and ex.exit_code == 127
