#!/usr/bin/env python3
"""Throughput of `check` with the local executor next to a naive baseline, in the same run.

    python scripts/bench.py [--problems N] [--data DIR]

Workload: the accepted human solutions of codecontests_cf300 (real Codeforces programs,
real tests), every test run (`--all-tests`). Baseline: what simple scripts do — one
`python3` subprocess per test found through PATH, stdin through a pipe, output captured.
Prints tests per second of both and their ratio (higher is better for batch-eval).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batch_eval.check import check_file
from batch_eval.config import CheckConfig

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "codecontests"


def subset(root: Path, n: int, tmp: Path) -> tuple[Path, Path]:
    problems = [json.loads(line) for line in open(root / "problems.jsonl")]
    problems = [p for p in problems if not p.get("checker_note")][:n]
    ids = {p["id"] for p in problems}
    sols_dir = root / "checkpoints"
    sols_file = next(sols_dir.glob("*/solutions.jsonl"))
    sols = [json.loads(line) for line in open(sols_file) if json.loads(line)["id"] in ids]
    p_path, s_path = tmp / "problems.jsonl", tmp / "solutions.jsonl"
    p_path.write_text("".join(json.dumps(p) + "\n" for p in problems))
    s_path.write_text("".join(json.dumps(s) + "\n" for s in sols))
    return p_path, s_path


def naive(problems: Path, solutions: Path, timeout: float) -> tuple[int, float, int]:
    """One `python3` through PATH per test, stdin piped: the way simple scripts do it."""
    by_id = {json.loads(line)["id"]: json.loads(line) for line in open(problems)}
    tests = passed = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for line in open(solutions):
            sol = json.loads(line)
            main = Path(tmp) / "main.py"
            main.write_text(sol["code"])
            for test in by_id[sol["id"]]["official_tests"]:
                tests += 1
                try:
                    out = subprocess.run(
                        ["python3", str(main)],
                        input=test["input"].encode(),
                        capture_output=True,
                        timeout=timeout,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    continue
                passed += out.stdout.decode().split() == test["output"].split()
    return tests, time.perf_counter() - start, passed


def ours(problems: Path, solutions: Path, time_limit: float) -> tuple[int, float, int]:
    config = CheckConfig(problems=problems, time_limit=time_limit, all_tests=True)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        outcome = check_file(config, solutions, Path(out))
        seconds = time.perf_counter() - start
    m = outcome.metrics
    return m["tests_run"], seconds, m["passed"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=30, help="how many problems of the set")
    ap.add_argument("--data", type=Path, default=DATA / "codecontests_cf300")
    ap.add_argument("--time-limit", type=float, default=5.0)
    args = ap.parse_args()
    root = args.data if args.data.is_dir() else EXAMPLE
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, python3 on PATH = {shutil.which('python3')}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        problems, solutions = subset(root, args.problems, Path(tmp))
        print(f"workload: {root.name}, {args.problems} problems, every test")
        n_tests, t_ours, p_ours = ours(problems, solutions, args.time_limit)
        b_tests, t_base, p_base = naive(problems, solutions, args.time_limit)
    ours_rate, base_rate = n_tests / t_ours, b_tests / t_base
    print(f"{'runner':34} {'tests':>6} {'seconds':>8} {'tests/s':>8} {'ratio':>6}")
    print(
        f"{'naive (python3 via PATH, per test)':34} {b_tests:>6} {t_base:>8.2f} {base_rate:>8.1f} {1.0:>6.2f}"
    )
    print(
        f"{'batch-eval check (local)':34} {n_tests:>6} {t_ours:>8.2f} {ours_rate:>8.1f} "
        f"{ours_rate / base_rate:>6.2f}"
    )
    print(f"solutions accepted: naive {p_base} tests passed / batch-eval {p_ours} solutions AC")
    return 0


if __name__ == "__main__":
    sys.exit(main())
