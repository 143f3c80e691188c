"""Piston faults mid-run: endpoints that stop answering are dropped, busy servers are waited
for, every fault is IE (never a wrong answer), and a rerun judges only the IE records."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import responses

from batch_eval.executors.base import Limits, Program
from batch_eval.executors.piston.budget import SharedBudget
from batch_eval.executors.piston.executor import PistonExecutor
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.calibrate import BENCHMARK, RUNS
from batch_eval.judging.judge import JudgeOptions, judge
from batch_eval.judging.problems import parse_problem
from batch_eval.verdict import Verdict
from tests.conftest import SUM_PROBLEM, run_argv, write_jsonl
from tests.fake_piston import FakePiston

LIMITS = Limits(time_s=1.0, memory_mb=256)
A, B = "http://piston-a.test", "http://piston-b.test"
STAGE = {"stdout": "3\n", "stderr": "", "code": 0, "signal": None, "status": None, "cpu_time": 5}


def executor_for(*urls: str, retries: int = 4, wait: float = 0.0) -> PistonExecutor:
    executor = PistonExecutor(list(urls), retries=retries, backoff=0.0, timeout=1.0, batch=False, wait=wait)
    executor.runtimes["python"] = ("python", "3.12.0")
    return executor


def verdicts(executor: PistonExecutor, tests: int) -> list[Verdict]:
    run = executor.run(Program("python", "print(3)"), [b""] * tests, LIMITS, lambda i, e: True)
    return [r.verdict for r in run.runs]


@responses.activate
def test_an_endpoint_that_stops_answering_is_dropped_and_the_others_do_its_work() -> None:
    responses.add(responses.POST, f"{A}/api/v2/execute", body=requests.ConnectionError("refused"))
    responses.add(responses.POST, f"{B}/api/v2/execute", json={"run": STAGE})
    assert verdicts(executor_for(A, B), 10) == [Verdict.AC] * 10
    calls_a = [c for c in responses.calls if (c.request.url or "").startswith(A)]
    assert len(calls_a) == 3  # down after three failed connections: no request wasted on it after


@responses.activate
def test_when_every_endpoint_is_down_requests_wait_for_it_then_are_ie() -> None:
    responses.add(responses.POST, f"{A}/api/v2/execute", body=requests.ConnectionError("refused"))
    executor = executor_for(A, retries=4, wait=1.5)
    started = time.monotonic()
    assert verdicts(executor, 1) == [Verdict.IE]
    waited = time.monotonic() - started
    # down after three failures, then asked again after each cooldown until --piston-wait ran out
    assert 1.5 <= waited < 4 and len(responses.calls) > 3
    run = executor.run(Program("python", "print(3)"), [b""], LIMITS, lambda i, e: True)
    assert run.runs[0].verdict is Verdict.IE and "no Piston endpoint answered for 1.5 s" in run.runs[0].reason


@responses.activate
def test_a_busy_server_is_given_the_time_it_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("batch_eval.executors.piston.client.time.sleep", slept.append)
    responses.add(responses.POST, f"{A}/api/v2/execute", status=429, headers={"Retry-After": "2"})
    responses.add(responses.POST, f"{A}/api/v2/execute", status=503)
    responses.add(responses.POST, f"{A}/api/v2/execute", json={"run": STAGE})
    assert verdicts(executor_for(A), 1) == [Verdict.AC]
    assert slept[0] == 2.0 and len(responses.calls) == 3  # 429 and 503 do not take it down


def sources_sent(server: FakePiston, since: int) -> list[str]:
    """The solutions sent to the server from request `since` on (batched requests: the
    preflight's probes and the judge's speed benchmark are not solutions)."""
    found = []
    for body in server.requests[since:]:
        files = {f.get("name"): f.get("content") for f in body.get("files", [])}
        if "launcher.py" in files and files["main.py"] != BENCHMARK:
            found.append(files["main.py"])
    return found


def test_a_server_going_away_mid_run_gives_ie_and_the_rerun_judges_only_those(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    ac = "a, b = map(int, input().split())\nprint(a + b)\n"
    sols = tmp_path / "sols"
    for step in (100, 200):
        records = [
            {"problem_id": "1/A", "code": ac + f"# {step} {i}" if i % 3 else f"print({i})  # {step}"}
            for i in range(6)
        ]
        write_jsonl(sols / f"checkpoint-{step}" / "solutions.jsonl", records)
    options = ["--executor", "piston", "--piston-retries", "1", "--piston-wait", "1", "--no-cache"]
    with FakePiston() as server:
        server.config.body_limit = 10_000_000
        clean = tmp_path / "clean"
        url = ["--endpoint", server.url]
        done = subprocess.run(run_argv(sols, problems, clean, *options, *url), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

        out = tmp_path / "out"
        # answers the speed benchmark's runs and four solutions, then drops every connection
        server.config.down_after = RUNS + 4
        faulty = subprocess.run(run_argv(sols, problems, out, *options, *url), capture_output=True, text=True)
        assert faulty.returncode == 1, faulty.stderr  # incomplete: IE records, the batch went on
        summary = json.loads((out / "batch_eval_results.json").read_text())
        files = [f for c in summary["checkpoints"] for f in c["files"]]
        # the first file met the fault mid-way: its unjudged records are IE; the next checker
        # found the server gone before judging anything: a failed file with the reason, no results
        assert files[0]["status"] == "ok" and files[1]["status"] == "failed"
        assert "cannot reach Piston" in files[1]["reason"]
        first = out / "eval_checkpoint_100" / "solutions.results.jsonl"
        lines = [json.loads(text) for text in first.read_text().splitlines()]
        ie = [line for line in lines if line["verdict"] == "IE"]
        assert len(ie) == 2 and all(
            line["verdict"] in ("AC", "WA", "IE") for line in lines
        )  # no fault is a WA

        server.config.gone, server.config.down_after = False, None
        plan = subprocess.run(
            run_argv(sols, problems, out, *options, *url, "--dry-run"), capture_output=True, text=True
        )
        assert "redo 2 IE" in plan.stdout + plan.stderr, plan.stdout + plan.stderr
        before = len(server.requests)
        rerun = subprocess.run(run_argv(sols, problems, out, *options, *url), capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr
        # only the IE records of the first file ran again, and all of the second
        assert len(sources_sent(server, before)) == len(ie) + 6

    for step in (100, 200):
        name = f"eval_checkpoint_{step}/solutions.results.jsonl"
        again = [json.loads(t) for t in (out / name).read_text().splitlines()]
        reference = [json.loads(t) for t in (clean / name).read_text().splitlines()]
        assert [(x["line"], x["verdict"]) for x in again] == [(x["line"], x["verdict"]) for x in reference]
        metrics = json.loads((out / f"eval_checkpoint_{step}" / "solutions.metrics.json").read_text())
        assert metrics["ie"] == 0 and metrics["reused"] == (4 if step == 100 else 0)


def test_checkers_share_one_budget_per_endpoint(tmp_path: Path) -> None:
    """Four checkers (each its own executor, as separate processes would be) with a budget
    of two: the server never sees more than two requests at once."""
    with FakePiston() as server:
        server.config.body_limit = 10_000_000
        server.config.delay_s = 0.05
        executors = []
        for _ in range(4):
            executor = PistonExecutor(
                [server.url], backoff=0.01, batch=False, budget=SharedBudget(tmp_path, 2)
            )
            executor.preflight(LIMITS)
            executors.append(executor)
        server.max_in_flight = 0

        def judge(executor: PistonExecutor) -> list[Verdict]:
            run = executor.run(Program("python", "print(3)"), [b""] * 5, LIMITS, lambda i, e: True)
            return [r.verdict for r in run.runs]

        with ThreadPoolExecutor(4) as pool:
            verdict_lists = list(pool.map(judge, executors))
    assert verdict_lists == [[Verdict.AC] * 5] * 4
    assert server.max_in_flight == 2  # the budget was used, and never exceeded


@responses.activate
def test_a_busy_answer_halves_the_shared_budget_and_successes_grow_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("batch_eval.executors.piston.client.time.sleep", lambda s: None)
    budget = SharedBudget(tmp_path, 8)
    executor = executor_for(A)
    executor.client.budget = budget
    responses.add(responses.POST, f"{A}/api/v2/execute", status=429)
    responses.add(responses.POST, f"{A}/api/v2/execute", json={"run": STAGE})
    assert verdicts(executor, 1) == [Verdict.AC]
    assert budget.limit(A) == 4  # halved for every checker (it is a file)
    assert SharedBudget(tmp_path, 8).limit(A) == 4
    assert verdicts(executor, 12) == [Verdict.AC] * 12
    assert budget.limit(A) == 6  # one more after as many successes in a row as there are slots


def _serve(port: int) -> subprocess.Popen[str]:
    """The test server in a process of its own on `port`, once it listens."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_piston", "--port", str(port), "--log"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert server.stdout is not None and server.stdout.readline().startswith("http://")
    return server


def test_a_server_restarted_in_the_middle_of_a_check_changes_no_verdict(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    ac = "a, b = map(int, input().split())\nprint(a + b)\n"
    records = [{"problem_id": "1/A", "code": ac + f"# {i}" if i % 4 else f"print({i})"} for i in range(24)]
    sols = write_jsonl(tmp_path / "sols.jsonl", records)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = _serve(port)
    argv = [sys.executable, "-m", "batch_eval", "check", str(sols), "--problems", str(problems)]
    argv += ["-o", str(tmp_path / "out"), "--executor", "piston", "--endpoint", f"http://127.0.0.1:{port}"]
    argv += ["--piston-per-test", "--piston-concurrency", "2", "--no-cache", "-q"]
    check = subprocess.Popen(
        argv,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        for _ in range(8):  # some records judged: the server dies as a crashed one does
            server.stdout.readline()
        server.kill()
        server.wait()
        time.sleep(1.5)  # a supervisor brings it back (a real server: ~1-2 s)
        server = _serve(port)
        _, err = check.communicate(timeout=120)
    finally:
        check.kill()
        server.kill()
        server.wait()
    assert check.returncode == 0, err
    assert "is down" in err and "answers again" in err
    lines = [json.loads(t) for t in (tmp_path / "out" / "sols.results.jsonl").read_text().splitlines()]
    assert [line["verdict"] for line in lines] == ["WA" if i % 4 == 0 else "AC" for i in range(24)]


@responses.activate
def test_a_batch_no_server_answered_is_ie_saying_so_in_the_judged_result() -> None:
    """Through our launcher (a batch a request): when no server answers for --piston-wait, the
    test's IE reaches the judge with its reason (not an executor that 'returned no result')."""
    responses.add(responses.POST, f"{A}/api/v2/execute", body=requests.ConnectionError("refused"))
    executor = PistonExecutor([A], retries=4, backoff=0.0, timeout=1.0, batch=True, wait=0.3)
    executor.runtimes["python"] = ("python", "3.12.0")
    executor.max_run_timeout_ms = 60_000  # as a preflight learns it: the launcher's requests
    problem = parse_problem(SUM_PROBLEM, Path("p.jsonl"), 1)
    result = judge(
        problem, problem.tests, Program("python", "print(3)"), executor, LIMITS, JudgeOptions(Comparison())
    )
    assert result.verdict is Verdict.IE
    assert "no Piston endpoint answered for 0.3 s" in result.reason, result.reason
