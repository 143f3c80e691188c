"""The Piston executor against a Piston-compatible server on 127.0.0.1, and faults via responses."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from batch_eval.api import check_file
from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import Execution, Limits, Program
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.piston import bodies
from batch_eval.executors.piston.executor import PistonExecutor
from batch_eval.executors.piston.mapping import launcher_cut
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.judge import JudgeOptions, judge
from batch_eval.judging.problems import parse_problem
from batch_eval.verdict import Verdict
from tests.conftest import SUM_PROBLEM, write_jsonl
from tests.fake_piston import FakePiston, FakePistonConfig

LIMITS = Limits(time_s=1.0, memory_mb=256)

PROGRAMS = {
    "ac": "a, b = map(int, input().split())\nprint(a + b)",
    "wa": "print(0)",
    "re": "raise ValueError('no')",
    "ce": "def f(:\n  pass",
    "tle": "while True: pass",
    "mle": "x = bytearray(800 * 1024 * 1024)",
    "fstat": "import os\nn = os.fstat(0).st_size\na, b = map(int, os.read(0, n).split())\nprint(a + b)",
    "exit": "a, b = map(int, input().split())\nprint(a + b)\nexit()",
    "cpp_ac": "#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<std::endl;}",
    "cpp_ce": "int main(){ return x; }",
}
EXPECTED = {
    "ac": "AC",
    "wa": "WA",
    "re": "RE",
    "ce": "CE",
    "tle": "TLE",
    "mle": "MLE",
    "fstat": "AC",
    "exit": "AC",
    "cpp_ac": "AC",
    "cpp_ce": "CE",
}


def piston(server: FakePiston, **kwargs: object) -> PistonExecutor:
    executor = PistonExecutor([server.url], backoff=0.01, **kwargs)  # type: ignore[arg-type]
    executor.preflight(LIMITS)
    return executor


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_verdict_as_the_local_executor(
    name: str, piston_server: FakePiston, local: LocalExecutor
) -> None:
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    language = "cpp" if name.startswith("cpp") else "python"
    program = Program(language, PROGRAMS[name])
    verdicts = []
    for executor in (local, piston(piston_server)):
        result = judge(problem, problem.tests[:1], program, executor, LIMITS, JudgeOptions(Comparison()))
        verdicts.append(result.verdict.value)
    assert verdicts == [EXPECTED[name], EXPECTED[name]]


def test_large_python_input_arrives_whole_as_a_file(piston_server: FakePiston) -> None:
    data = b"".join(b"%d\n" % i for i in range(100_000))  # ~590 kB: stdin would be cut at 219,264
    program = Program(
        "python", "import sys\ndata = sys.stdin.buffer.read()\nprint(len(data), data.count(b'\\n'))"
    )
    run = piston(piston_server).run(program, [data], LIMITS, lambda i, e: True)
    assert run.runs[0].stdout == f"{len(data)} 100000\n".encode()
    sent = piston_server.requests[-1]
    # stdin is the seal's secret alone (64 hex digits: never cut), the input a sealed file
    assert len(sent["stdin"]) == 64 and any(f["name"] == "in0.txt" for f in sent["files"])


def test_large_cpp_input_is_ie_not_truncated(piston_server: FakePiston) -> None:
    run = piston(piston_server).run(
        Program("cpp", PROGRAMS["cpp_ac"]), [b"1 " * 200_000], LIMITS, lambda i, e: True
    )
    assert run.runs[0].verdict is Verdict.IE and "truncate" in run.runs[0].reason


def test_stock_output_limit_is_refused_at_preflight(stock_piston: FakePiston) -> None:
    with pytest.raises(BatchEvalError, match="PISTON_OUTPUT_MAX_SIZE"):
        PistonExecutor([stock_piston.url]).preflight(LIMITS)


def test_body_limit_is_learned_and_big_requests_are_ie(piston_server: FakePiston) -> None:
    piston_server.config.body_limit = 100_000
    try:
        executor = PistonExecutor([piston_server.url])
        warnings = executor.preflight(LIMITS)
        assert any("JSON body limit" in w for w in warnings)
        run = executor.run(Program("python", "print(1)"), [b"x" * 200_000], LIMITS, lambda i, e: True)
        assert run.runs[0].verdict is Verdict.IE and "body limit" in run.runs[0].reason
    finally:
        piston_server.config.body_limit = 10_000_000


def test_limit_over_the_server_maximum_is_refused(piston_server: FakePiston) -> None:
    with pytest.raises(BatchEvalError, match="run_timeout"):
        PistonExecutor([piston_server.url]).preflight(Limits(time_s=30.0, memory_mb=256))


def test_transient_errors_are_retried_then_succeed(piston_server: FakePiston) -> None:
    executor = piston(piston_server)
    piston_server.config.fail_next = [503, 502, 500]
    run = executor.run(Program("python", "print(7)"), [b""], LIMITS, lambda i, e: True)
    assert run.runs[0].verdict is Verdict.AC and run.runs[0].stdout == b"7\n"


def test_unknown_runtime_language_is_ie(piston_server: FakePiston) -> None:
    executor = piston(piston_server)
    executor.runtimes.pop("cpp")
    run = executor.run(Program("cpp", "int main(){}"), [b""], LIMITS, lambda i, e: True)
    assert run.compile is not None and run.compile.verdict is Verdict.IE


# -- faults a live server cannot easily produce: responses -------------------------------------

URL = "http://piston.test"
RUNTIMES = [{"language": "python", "version": "3.12.0", "aliases": ["py"]}]


def ok_stage(stdout: str = "3\n") -> dict[str, object]:
    return {
        "stdout": stdout,
        "stderr": "",
        "output": stdout,
        "code": 0,
        "signal": None,
        "message": None,
        "status": None,
        "cpu_time": 8,
        "wall_time": 20,
        "memory": 9_000_000,
    }


def fault_executor(retries: int = 2) -> PistonExecutor:
    executor = PistonExecutor([URL], retries=retries, backoff=0.0, timeout=1.0)
    executor.runtimes["python"] = ("python", "3.12.0")
    return executor


def run_once(executor: PistonExecutor) -> Execution:
    return executor.run(Program("python", "print(3)"), [b""], LIMITS, lambda i, e: True).runs[0]


@responses.activate
def test_503_503_200_is_retried_to_success() -> None:
    for status in (503, 503):
        responses.add(responses.POST, f"{URL}/api/v2/execute", status=status)
    responses.add(responses.POST, f"{URL}/api/v2/execute", json={"language": "python", "run": ok_stage()})
    ex = run_once(fault_executor())
    assert ex.verdict is Verdict.AC and len(responses.calls) == 3


@responses.activate
def test_persistent_errors_are_ie_never_wrong_answers() -> None:
    responses.add(responses.POST, f"{URL}/api/v2/execute", status=503)
    ex = run_once(fault_executor(retries=2))
    assert ex.verdict is Verdict.IE and "3 attempts" in ex.reason and len(responses.calls) == 3


@responses.activate
def test_timeouts_and_garbage_and_truncated_json_are_ie() -> None:
    responses.add(responses.POST, f"{URL}/api/v2/execute", body=requests.exceptions.ReadTimeout("slow"))
    responses.add(responses.POST, f"{URL}/api/v2/execute", body="<html>proxy error</html>")
    responses.add(responses.POST, f"{URL}/api/v2/execute", body='{"run": {"stdout": "3')
    ex = run_once(fault_executor(retries=2))
    assert ex.verdict is Verdict.IE and "not JSON" in ex.reason


@responses.activate
def test_validation_errors_are_ie_without_retry() -> None:
    responses.add(
        responses.POST,
        f"{URL}/api/v2/execute",
        status=400,
        json={"message": "python-3.10.0 runtime is unknown"},
    )
    ex = run_once(fault_executor())
    assert ex.verdict is Verdict.IE and "runtime is unknown" in ex.reason and len(responses.calls) == 1


@responses.activate
def test_sandbox_failure_status_is_ie() -> None:
    stage = dict(ok_stage(), status="XX", code=None, message="box error")
    responses.add(responses.POST, f"{URL}/api/v2/execute", json={"run": stage})
    assert run_once(fault_executor()).verdict is Verdict.IE


@responses.activate
def test_memory_kill_reported_as_re_137_is_mle() -> None:
    stage = dict(
        ok_stage(""),
        status="RE",
        code=137,
        message="Exited with error status 137",
        stderr="Killed",
        memory=256 * 1024 * 1024,
    )
    responses.add(responses.POST, f"{URL}/api/v2/execute", json={"run": stage})
    assert run_once(fault_executor()).verdict is Verdict.MLE


@responses.activate
def test_output_cut_at_our_limit_is_ole_and_below_it_by_the_server_is_ie() -> None:
    """The server keeps what came before the pipe chunk that crossed its limit: cut near our
    own limit it is the program's OLE; cut far below it (a server's PISTON_OUTPUT_MAX_SIZE
    under --output-limit) the output may have been right: IE, saying what to raise."""
    limits = Limits(time_s=1.0, memory_mb=256, output_bytes=1 << 20)
    for kept, verdict in (((1 << 20) - 60_000, Verdict.OLE), (64 * 1024, Verdict.IE), (0, Verdict.IE)):
        stage = dict(ok_stage("x" * kept), status="OL", code=None, signal="SIGKILL")
        responses.add(responses.POST, f"{URL}/api/v2/execute", json={"run": stage})
        ex = fault_executor().run(Program("python", "print(3)"), [b""], limits, lambda i, e: True).runs[0]
        assert ex.verdict is verdict, kept
        assert verdict is Verdict.OLE or "raise PISTON_OUTPUT_MAX_SIZE" in ex.reason


@responses.activate
def test_unreachable_server_at_preflight_names_the_url() -> None:
    responses.add(
        responses.GET,
        f"{URL}/api/v2/runtimes",
        body=requests.exceptions.ConnectionError("Connection refused"),
    )
    expected = r"cannot reach Piston at http://piston\.test: connection refused"
    with pytest.raises(BatchEvalError, match=expected):
        PistonExecutor([URL]).preflight(LIMITS)


@responses.activate
def test_request_body_follows_the_api_contract() -> None:
    responses.add(responses.POST, f"{URL}/api/v2/execute", json={"run": ok_stage()})
    run_once(fault_executor())
    body = json.loads(responses.calls[0].request.body or b"")
    assert responses.calls[0].request.headers["Content-Type"] == "application/json"
    assert body["language"] == "python" and body["version"] == "3.12.0"
    assert body["files"][0]["name"] == "entry.py"  # the first file is the entry point
    assert body["run_memory_limit"] == 256 * 1024 * 1024  # bytes
    assert body["run_timeout"] == int(LIMITS.wall * 1000) and body["run_cpu_time"] >= 1000


def test_requests_are_spread_over_several_endpoints() -> None:
    with FakePiston() as a, FakePiston() as b:
        a.config.body_limit = b.config.body_limit = 10_000_000
        executor = PistonExecutor([a.url, b.url], backoff=0.01, batch=False)
        executor.preflight(LIMITS)
        before = (len(a.requests), len(b.requests))
        run = executor.run(Program("python", "print(1)"), [b""] * 4, LIMITS, lambda i, e: True)
        assert [r.verdict for r in run.runs] == [Verdict.AC] * 4
        assert (len(a.requests) - before[0], len(b.requests) - before[1]) == (2, 2)


def test_one_request_judges_a_whole_solution(piston_server: FakePiston) -> None:
    executor = piston(piston_server)
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    before = len(piston_server.requests)
    result = judge(
        problem,
        problem.tests,
        Program("python", PROGRAMS["ac"]),
        executor,
        LIMITS,
        JudgeOptions(Comparison()),
    )
    assert result.verdict is Verdict.AC and len(result.tests) == 3
    assert len(piston_server.requests) - before == 1


def test_a_batch_stops_at_the_first_failing_run(piston_server: FakePiston) -> None:
    executor = piston(piston_server)
    source = "import sys\nn = int(input().split()[0])\nsys.exit(3 if n == 10 else 0)\nprint(n)"
    inputs = [b"1 2\n", b"10 20\n", b"5 5\n", b"7 7\n"]
    before = len(piston_server.requests)
    run = executor.run(Program("python", source), inputs, LIMITS, lambda i, e: e.verdict is Verdict.AC)
    assert [r.verdict for r in run.runs] == [Verdict.AC, Verdict.RE]
    assert run.runs[1].exit_code == 3 and len(piston_server.requests) - before == 1


def test_a_batch_stops_at_the_first_wrong_answer_inside_the_sandbox(piston_server: FakePiston) -> None:
    """The launcher compares outputs as the judge does: a wrong answer on the second test ends
    the request there (the tests after it never run: counted as the launcher's result lines in
    the server's answers), with early stop; with --all-tests every test runs. Non-ASCII output
    arrives byte for byte."""
    source = "a, b = map(int, input().split())\nprint('✓ ' + str(a + b if a != 10 else 0))"
    tests = [{"input": f"{a} {a}\n", "output": f"✓ {2 * a}\n"} for a in (1, 10, 2, 3, 4, 5)]
    problem = parse_problem({**SUM_PROBLEM, "official_tests": tests}, Path("p.jsonl"), 1)
    executor = piston(piston_server)
    counts = {}
    for early_stop in (True, False):
        before, answered = len(piston_server.requests), len(piston_server.run_stdouts)
        options = JudgeOptions(Comparison(), early_stop=early_stop, test_order="given")
        result = judge(problem, problem.tests, Program("python", source), executor, LIMITS, options)
        assert result.verdict is Verdict.WA
        assert [t.verdict for t in result.tests][:2] == [Verdict.AC, Verdict.WA]  # '✓ 2' was right
        ran = sum(out.count('"wall_killed"') for out in piston_server.run_stdouts[answered:])
        counts[early_stop] = (ran, len(piston_server.requests) - before)
    # without their expected outputs, each test may print up to the 64 MB output limit: two
    # to a request, what a server's answer can hold
    assert counts == {True: (2, 1), False: (6, 3)}


def test_a_batch_the_server_cuts_is_judged_a_request_per_test() -> None:
    with FakePiston() as server:
        server.config.output_max = 9000  # enough for one test's output, not for ten
        server.config.body_limit = 10_000_000
        executor = PistonExecutor([server.url], backoff=0.01)
        # a 1 MB output limit: ten tests' answers fit what a server holds, in one request
        limits = Limits(time_s=1.0, memory_mb=256, output_bytes=1 << 20)
        executor.preflight(limits)
        before = len(server.requests)
        run = executor.run(Program("python", "print('x' * 2000)"), [b""] * 10, limits, lambda i, e: True)
        assert [r.verdict for r in run.runs] == [Verdict.AC] * 10
        assert all(r.stdout == b"x" * 2000 + b"\n" for r in run.runs)
        assert executor.max_run_timeout_ms == 20000  # learnt at preflight
        assert len(server.requests) - before == 1 + 10  # the batch, cut; then a request per test


def test_a_dead_endpoint_is_dropped_and_the_live_one_does_the_work(piston_server: FakePiston) -> None:
    executor = PistonExecutor(["http://127.0.0.1:9", piston_server.url], backoff=0.01)
    warnings = executor.preflight(LIMITS)
    assert any("cannot reach Piston at http://127.0.0.1:9" in w for w in warnings)
    assert executor.endpoints == [piston_server.url]
    run = executor.run(Program("python", "print(1)"), [b""] * 3, LIMITS, lambda i, e: True)
    assert [r.verdict for r in run.runs] == [Verdict.AC] * 3


def test_a_stock_server_s_compile_time_and_file_size_caps_never_make_a_wrong_verdict(tmp_path: Path) -> None:
    """What a stock server showed (piston-api.md): it checks compile_timeout for every language
    (10 s), and its box's hard RLIMIT_FSIZE (10 MB) cannot be raised."""
    config = FakePistonConfig(body_limit=10_000_000, max_file_size=1 << 20, output_max=1 << 20)
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    big = "import sys\nsys.stdout.write('3\\n' + ' ' * (2 << 20))\n"  # right, 2 MB of trailing blanks
    with FakePiston(config) as server:
        for batch in (True, False):
            executor = piston(server, batch=batch)
            assert executor.compile_ms == 10_000  # learnt from the server's refusal of 30 s
            for source, language, verdict in (
                (PROGRAMS["ac"], "python", "AC"),
                (PROGRAMS["cpp_ac"], "cpp", "AC"),
                (big, "python", "IE"),  # cut by the server's caps, below our 64 MB: not OLE
            ):
                result = judge(
                    problem,
                    problem.tests[:1],
                    Program(language, source),
                    executor,
                    LIMITS,
                    JudgeOptions(Comparison()),
                )
                assert result.verdict.value == verdict, (batch, language, result.reason)
                assert verdict == "AC" or "raise PISTON_" in result.reason
    # a server that takes our compile time gets it; the client waits longer than the longest batch
    with FakePiston(
        FakePistonConfig(compile_timeout_max=60_000, run_timeout_max=60_000, run_cpu_time_max=60_000)
    ) as server:
        executor = piston(server, batch=True, timeout=20.0)
        assert executor.compile_ms == 30_000 and executor.client.timeout >= 60 + 30


def judged_on(
    server: FakePiston, sols: Path, problems: Path, out: Path, concurrency: int, **settings: Any
) -> list[dict[str, Any]]:
    """The results lines of one check on `server` with `concurrency` records in flight."""
    outcome = check_file(
        sols,
        problems,
        out,
        progress=False,
        executor="piston",
        endpoints=(server.url,),
        piston_concurrency=concurrency,
        cache_dir=out / "cache",
        all_tests=True,
        **settings,
    )
    return [json.loads(x) for x in outcome.results_path.read_text().splitlines()]


def test_one_check_keeps_the_budget_s_requests_in_flight_and_writes_lines_in_file_order(
    tmp_path: Path,
) -> None:
    """A check on Piston judges several records at once, never more than the shared budget
    (4 here), and writes their lines in file order, with the verdicts a one-at-a-time check
    gives; copies of a program in flight wait for it and take its verdict from the cache."""
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    right, wrong = PROGRAMS["ac"], PROGRAMS["wa"]
    records = [{"id": "1/A", "code": (right if i % 3 else wrong) + f"\n# {i}"} for i in range(12)]
    records += [{"id": "1/A", "code": right + "\n# copy"}] * 4  # one program four times
    sols = write_jsonl(tmp_path / "s.jsonl", records)
    lines = {}
    with FakePiston(FakePistonConfig(body_limit=10_000_000, delay_s=0.3)) as server:
        for concurrency in (1, 4):
            server.max_in_flight = 0
            sent = len(server.requests)
            # a 1 MB output limit: a program's three tests (all of them run) in one request
            out = tmp_path / f"out{concurrency}"
            lines[concurrency] = judged_on(server, sols, problems, out, concurrency, output_limit_mb=1)
            assert server.max_in_flight == concurrency
            programs = [
                f["content"] for r in server.requests[sent:] for f in r["files"] if f["name"] == "main.py"
            ]
            assert sum(p.endswith("# copy") for p in programs) == 1
    assert [x["line"] for x in lines[4]] == list(range(1, 17))
    assert [(x["verdict"], x.get("cached", False)) for x in lines[4]] == [
        (x["verdict"], x.get("cached", False)) for x in lines[1]
    ]
    assert [x["verdict"] for x in lines[4][:3]] == ["WA", "AC", "AC"]
    assert [x.get("cached", False) for x in lines[4][12:]] == [False, True, True, True]


def test_records_in_flight_share_their_problem_s_checker_without_mixing_outputs(tmp_path: Path) -> None:
    """Many records of one problem with a checker, judged at once: each test's checker call
    sees its own output (the verdicts of one at a time)."""
    from tests.conformance.cases import split

    problems = write_jsonl(tmp_path / "p.jsonl", [split("s/1")])
    programs = [f"n = int(input())\nprint({'n - 1, 1' if i % 3 else 'n, 1'})  # {i}" for i in range(24)]
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "s/1", "code": code} for code in programs])
    verdicts = {}
    with FakePiston(FakePistonConfig(body_limit=10_000_000, delay_s=0.05)) as server:
        for concurrency in (1, 8):
            lines = judged_on(
                server, sols, problems, tmp_path / f"out{concurrency}", concurrency, cache=False
            )
            verdicts[concurrency] = [x["verdict"] for x in lines]
    assert verdicts[8] == verdicts[1] == ["WA" if i % 3 == 0 else "AC" for i in range(24)]


# -- red team: what a program in a batched request can reach (the launcher runs as its user) --

LOOKS_AROUND = """
import json, os, stat, sys
me = sys.stdin.read()
mine = {os.getpid()}
found, pid = [], os.getppid()
while pid > 1:  # the launcher's processes: the spawner, then the launcher
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        if b"launcher.py" in cmdline and not cmdline.startswith(b"bash"):  # not the run script
            found.append(pid)
        pid = int(open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[1])
    except OSError:
        break
opened = []
for pid in found:
    for name in ("mem", "environ", "fd/0", "fd/1", "fd/3", "maps"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                f.read(1)
            opened.append(f"{pid}/{name}")
        except OSError:
            pass
print(json.dumps({
    "input": me,
    "launchers": len(found),
    "opened": opened,
    "files": sorted(os.listdir(".")),
    "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
    "stdin_regular": stat.S_ISREG(os.fstat(0).st_mode),
}))
"""


def test_a_batched_program_finds_no_answer_no_other_input_and_cannot_look_into_the_launcher(
    piston_server: FakePiston,
) -> None:
    """Expected outputs and the other tests' inputs are nowhere the program can read them: not
    in its folder, not through the launcher's memory, descriptors or environment (it runs as
    the launcher's user); its descriptors are its own three, stdin a regular file."""
    inputs = [b"first\n", b"second\n", b"third\n"]
    executor = piston(piston_server)
    code_files = ["compare.py", "launcher.py", "main.py", "sandboxlib.py"]
    code_files += ["seal.py", "tests.json", "zygote.py"]
    runs = executor.run(Program("python", LOOKS_AROUND), inputs, LIMITS, lambda i, e: True)
    for data, ex in zip(inputs, runs.runs):
        seen = json.loads(ex.stdout)
        assert seen["input"] == data.decode()
        assert seen["launchers"] == 2  # the spawner and the launcher, both out of reach
        assert seen["opened"] == []
        assert seen["files"] == code_files  # no input, no expected output
        assert seen["fds"] == [0, 1, 2, 3]  # 3: the listing's own
        assert seen["stdin_regular"]
    assert piston_server.requests[-1]["files"][0]["name"] == "launcher.py"


def test_cpu_in_children_nobody_reaps_is_the_tests_on_piston(piston_server: FakePiston) -> None:
    """Four children doing 2 s of work under a 1 s limit, never reaped (the parent waits on a
    pipe): TLE, with their CPU time counted past the limit (the parent's own is a few
    hundredths), as on the local executor, batched and a request per test. The wall clock is
    long enough that even a loaded machine gives them more than the limit of CPU first."""
    from tests.conformance.cases import CASES  # loads the red team after the cases it builds on

    (source,) = [case.source for case in CASES if case.name == "rt-piston-cpu-in-unreaped-children"]
    limits = replace(LIMITS, wall_s=15.0)
    for batch in (True, False):
        run = piston(piston_server, batch=batch).run(
            Program("python", source), [b"1 2\n"], limits, lambda i, e: True
        )
        (ex,) = run.runs
        assert ex.verdict is Verdict.TLE and (ex.cpu_time or 0) > limits.time_s, (batch, ex)


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("exit 127, nothing on stderr", "import sys\nsys.exit(127)\n"),
        ("os._exit(127)", "import os\nprint(3)\nos._exit(127)\n"),
        ("kills its parent", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint(3)\n"),
        ("stops its parent", "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nprint(3)\n"),
    ],
)
def test_what_a_program_does_is_never_an_internal_error(
    name: str, source: str, piston_server: FakePiston
) -> None:
    """Exits that look like the judge's, and the judge's own process killed or stopped from
    inside: the program's runtime error, on both Piston paths."""
    for batch in (True, False):
        run = piston(piston_server, batch=batch).run(
            Program("python", source), [b"1 2\n", b"3 4\n"], LIMITS, lambda i, e: True
        )
        assert run.runs[0].verdict is Verdict.RE, (name, batch, run.runs[0])


def test_no_request_lets_a_flood_reach_the_server_past_our_output_limit() -> None:
    """A server set as open-r1 sets it (output cap 1e9) holds whatever a program prints; a
    real one dies near 2^29 characters. Batched or a test a request, the program runs under
    our launcher's output cap, so no answer carries more than our limit (in base64)."""
    limits = Limits(time_s=2.0, memory_mb=256, output_bytes=1 << 20)
    flood = "import sys\nsys.stdout.write('x' * (40 << 20))\n"
    with FakePiston(FakePistonConfig(output_max=10**9, body_limit=10**7)) as server:
        for batch in (True, False):
            executor = PistonExecutor([server.url], backoff=0.01, batch=batch)
            executor.preflight(limits)
            run = executor.run(Program("python", flood), [b"1 2\n"] * 3, limits, lambda i, e: False)
            assert [r.verdict for r in run.runs] == [Verdict.OLE], (batch, run.runs)
        assert server.largest_stdout < 3 * (1 << 20) * 4 // 3 + 64 * 1024
    # a box that caps files below our limit (PISTON_MAX_FILE_SIZE): the flood stopped there
    # says nothing of the program (Python is told EFBIG and exits 1): IE, never RE
    with FakePiston(FakePistonConfig(output_max=10**9, max_file_size=4 << 20)) as server:
        executor = PistonExecutor([server.url], backoff=0.01)
        executor.preflight(LIMITS)
        streamed = "import sys\nfor _ in range(40):\n    sys.stdout.write('x' * (1 << 20))\n"
        (ex,) = executor.run(Program("python", streamed), [b""], LIMITS, lambda i, e: True).runs
        assert ex.verdict is Verdict.IE and "PISTON_MAX_FILE_SIZE" in ex.reason, ex


def test_one_test_cut_by_the_server_is_ole_only_past_our_limit() -> None:
    """A launcher request of one test that the server's own output cap stopped: OLE when what
    came back proves the program printed over our limit, IE (the setting to raise) when not."""
    limits = Limits(time_s=1.0, memory_mb=256, output_bytes=1 << 20)
    small_cap = {"status": "OL", "stdout": "x" * 200_000, "code": None, "signal": "SIGKILL"}
    assert launcher_cut(small_cap, limits).verdict is Verdict.IE
    assert "PISTON_OUTPUT_MAX_SIZE" in launcher_cut(small_cap, limits).reason
    assert launcher_cut({**small_cap, "stdout": "x" * (2 << 20)}, limits).verdict is Verdict.OLE


def test_a_batch_s_answer_stays_within_what_a_server_holds() -> None:
    """Tests whose expected outputs travel with the batch stop the launcher at a wrong answer:
    64 to a request. Without them (a checker decides) each may print up to our limit, so a
    request takes only as many as a server's answer can hold."""
    inputs = [b"1 2\n"] * 100
    limit = 64 << 20
    assert len(bodies.chunk(inputs, 0, None, [b"3\n"] * 100, output_bytes=limit)) == 64
    unknown = bodies.chunk(inputs, 0, None, [], output_bytes=limit)
    assert len(unknown) >= 1 and len(unknown) * limit * 4 / 3 <= bodies.SERVER_OUTPUT_BUDGET
    assert len(bodies.chunk(inputs, 0, None, [], output_bytes=1 << 20)) == 64


def test_the_preflight_reads_the_server_s_caps_and_says_what_they_cost() -> None:
    """Current Piston caps CPU time per request (PISTON_RUN_CPU_TIME, stock 3 s): the preflight
    reads every maximum from the server's refusals, says how many tests a request can carry
    under it and what to set, and sizes the batches to it (never a request the server refuses)."""
    config = FakePistonConfig(run_cpu_time_max=5000, run_timeout_max=30_000, body_limit=10**7)
    limits = Limits(time_s=1.0, memory_mb=256, output_bytes=1 << 20)  # no output bound on batches
    with FakePiston(config) as server:
        executor = PistonExecutor([server.url], backoff=0.01)
        warnings = executor.preflight(limits)
        assert (executor.max_run_timeout_ms, executor.max_run_cpu_ms) == (30_000, 5000)
        (cost,) = [w for w in warnings if "PISTON_RUN_CPU_TIME" in w]
        assert "batches of more than 3 tests of 1 s cannot run" in cost and "to 68200" in cost
        before = len(server.requests)
        source = "a, b = map(int, input().split())\nprint(a + b)\n"
        run = executor.run(Program("python", source), [b"1 2\n"] * 7, limits, lambda i, e: True)
        assert [r.stdout for r in run.runs] == [b"3\n"] * 7
        sent = server.requests[before:]
        assert len(sent) == 3 and all(r["run_cpu_time"] <= 5000 for r in sent)


def test_a_cpu_cap_below_one_test_s_limit_judges_what_finishes_under_it_and_ie_the_rest() -> None:
    """open-r1's servers keep Piston's stock 3 s CPU cap; a call-based problem's run takes a
    limit per call (4 s for three calls of 1 s): the request asks the cap, never more (the
    server refuses it: every record was IE), a program done under the cap gets its verdict,
    and one the box stops at the cap is IE naming the setting, never TLE."""
    config = FakePistonConfig(run_cpu_time_max=1500, run_timeout_max=30_000, body_limit=10**7)
    limits = Limits(time_s=4.0, memory_mb=256, output_bytes=1 << 20)
    with FakePiston(config) as server:
        executor = PistonExecutor([server.url], backoff=0.01)
        executor.preflight(limits)
        before = len(server.requests)
        quick = Program("python", "a, b = map(int, input().split())\nprint(a + b)\n")
        spin = Program("python", "while True:\n    pass\n")
        for batch in (True, False):
            executor.batch = batch
            if not batch:
                executor.max_run_timeout_ms = None  # stock requests, a test each
            run = executor.run(quick, [b"1 2\n"] * 2, limits, lambda i, e: True)
            assert [(r.verdict, r.stdout) for r in run.runs] == [(Verdict.AC, b"3\n")] * 2, batch
            (ex,) = executor.run(spin, [b""], limits, lambda i, e: True).runs
            assert ex.verdict is Verdict.IE and "PISTON_RUN_CPU_TIME" in ex.reason, (batch, ex)
        assert all(r["run_cpu_time"] <= 1500 for r in server.requests[before:])


def test_a_stock_request_s_output_cut_by_the_server_keeps_its_prefix() -> None:
    """A real server cuts stdout at its cap and keeps the reads before it: OLE when that proves
    the output over our limit, IE (the setting to raise) when its cap is below our limit."""
    flood = Program(
        "cpp", "#include <cstdio>\nint main(){ for (int i = 0; i < 400000; i++) putchar('x'); }\n"
    )
    with FakePiston(FakePistonConfig(output_max=200_000)) as server:
        executor = piston(server)
        for limit, verdict in ((100_000, Verdict.OLE), (1 << 20, Verdict.IE)):
            limits = Limits(time_s=1.0, memory_mb=256, output_bytes=limit)
            (ex,) = executor.run(flood, [b""], limits, lambda i, e: True).runs
            assert ex.verdict is verdict, (limit, ex)
        assert server.largest_stdout == 3 * 65536  # the three reads before the cut


def test_an_answer_the_server_mangled_across_its_reads_is_ie_never_wa(tmp_path: Path) -> None:
    """Piston decodes stdout read by read: a character split across two reads comes back as
    U+FFFD. A right non-ASCII answer so mangled is IE (no verdict on unknown bytes)."""
    answer = "x" + "é" * 40_000  # a 2-byte character across the 64 kB read boundary
    problem = parse_problem(
        {**SUM_PROBLEM, "official_tests": [{"input": "1 2\n", "output": answer + "\n"}]}, Path("p.jsonl"), 1
    )
    program = Program(
        "cpp",
        "#include <cstdio>\nint main(){ putchar(120); for (int i = 0; i < 40000; i++) "
        'fputs("\\xc3\\xa9", stdout); putchar(10); }\n',
    )
    with FakePiston() as server:
        options = JudgeOptions(Comparison())
        result = judge(problem, problem.tests, program, piston(server), LIMITS, options)
    assert result.verdict is Verdict.IE and "characters lost" in result.reason


def test_a_program_s_own_memory_error_reaches_the_client_as_it_was() -> None:
    """The test server no longer rewrites a Python MemoryError as a box kill: the client's one
    outcome rule makes it MLE, on a stock request too (a real server passes exit 1 through)."""
    with FakePiston() as server:
        executor = piston(server)
        executor.max_run_timeout_ms = None  # a stock request per test
        (ex,) = executor.run(Program("python", "raise MemoryError"), [b""], LIMITS, lambda i, e: True).runs
    assert ex.verdict is Verdict.MLE and ex.exit_code == 1
    assert server.requests[-1]["files"][0]["name"] == "entry.py"


def test_the_server_s_cpu_limit_is_in_milliseconds() -> None:
    """isolate's CPU limit is in ms: a program over a 300 ms run_cpu_time is TO by CPU (not
    by the wall clock, which is far off)."""
    with FakePiston() as server:
        body: dict[str, Any] = {
            "language": "python",
            "version": "*",
            "files": [{"content": "while True: pass"}],
        }
        body |= {"run_cpu_time": 300, "run_timeout": 10_000}
        run = requests.post(f"{server.url}/api/v2/execute", json=body, timeout=30).json()["run"]
    assert run["status"] == "TO" and run["message"] == "Time limit exceeded"
    assert 300 <= run["cpu_time"] < 1000 and run["wall_time"] < 5000


def test_the_preflight_warns_of_a_server_set_to_hold_floods() -> None:
    """open-r1 sets PISTON_MAX_FILE_SIZE and PISTON_OUTPUT_MAX_SIZE to 1e9: the box's file size
    cap, which the preflight can read, says so; a stock server's 10 MB says nothing."""
    for size, warned in ((10**9, True), (10 << 20, False)):
        with FakePiston(FakePistonConfig(max_file_size=size, body_limit=10**7)) as server:
            warnings = PistonExecutor([server.url], backoff=0.01).preflight(LIMITS)
        assert any("PISTON_MAX_FILE_SIZE" in w and "kills the server" in w for w in warnings) is warned


def test_the_process_limit_is_ours_on_piston_as_locally(
    piston_server: FakePiston, local: LocalExecutor
) -> None:
    """A box allows more processes than --process-limit (a real server's, 64 by default): a
    test run through our launcher gets our limit, as the local executor gives it, so a program
    forking workers gets the same count, and the same verdict, on either executor."""
    limits = Limits(time_s=2.0, memory_mb=256, processes=8)
    forker = (
        "import os, time\nn = 0\nfor _ in range(20):\n    try:\n        if os.fork() == 0:\n"
        "            time.sleep(1)\n            os._exit(0)\n        n += 1\n    except OSError:\n"
        "        break\nprint(n)\n"
    )
    counts = set()
    for executor in (local, piston(piston_server), piston(piston_server, batch=False)):
        (ex,) = executor.run(Program("python", forker), [b""], limits, lambda i, e: True).runs
        counts.add(ex.stdout)
    assert counts == {b"7\n"}, counts
