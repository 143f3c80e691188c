"""The judging options `check` and `run` share (every one passes through `run` to its
checkers as itself), and the config they make."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from batch_eval.cli.types import EndpointURL, Finite, KList, Multiplier, ShellWords
from batch_eval.config import CheckConfig
from batch_eval.executors.local.testlib import HEADER_ENV
from batch_eval.executors.sandbox.compare import MODES
from batch_eval.judging.checker import CONVENTIONS

#: the judging options' names before they said what they are (still accepted, not shown)
OLD_NAMES = {"--compare": "--output-compare", "--limit": "--max-records", "--sample": "--sample-records"}


#: --help's sections of check, run and audit, the common options first (parameter names;
#: a command shows those it has, and any it has that no section names under "Other options")
SECTIONS = (
    (
        "Inputs",
        (
            "solutions_dir",
            "problems",
            "output_dir",
            "solutions_pattern",
            "solutions_list",
            "reference",
            "checkpoint_filter",
            "sort_order",
        ),
    ),
    (
        "Running",
        ("max_workers", "jobs", "timeout", "executor", "dry_run", "as_json", "force", "fail_fast", "redo_ie"),
    ),
    ("Limits", ("time_limit", "memory_limit", "time_multiplier", "output_limit_mb", "process_limit")),
    (
        "Judging",
        (
            "compare",
            "float_tolerance",
            "checker_convention",
            "all_tests",
            "mbpp_challenge",
            "test_order",
            "generated_tests_dir",
            "max_generated_tests",
        ),
    ),
    ("Records", ("id_field", "code_field", "limit", "sample", "seed", "after")),
    ("Output", ("ks", "run_metadata", "quiet", "verbose")),
    (
        "Piston",
        (
            "endpoints",
            "endpoints_file",
            "piston_per_test",
            "piston_concurrency",
            "piston_retries",
            "piston_timeout",
            "piston_wait",
        ),
    ),
    ("Ray", ("ray_address",)),
    ("Advanced", ("python", "python_runner", "cxx_flags", "testlib", "no_cache", "cache_dir", "help")),
)


def check_options(f: Any) -> Any:
    """The options of `check`, shared by `run` so that everything passes through."""
    options = [
        click.option(
            "-p",
            "--problems",
            "problems",
            metavar="FILE",
            type=click.Path(path_type=Path),
            default=None,
            help="Problems JSONL, JSON list, Parquet or hf:NAME[@SPLIT], in the schema the benchmark "
            "ships: open-r1/codeforces, CodeContests, APPS/TACO, LiveCodeBench, HumanEval/EvalPlus, MBPP "
            "(docs/inputs.md). Required.",
        ),
        click.option(
            "-e",
            "--executor",
            type=click.Choice(["local", "piston"]),
            default="local",
            show_default=True,
            help="Run programs here (sandboxed) or on Piston.",
        ),
        click.option(
            "--endpoint",
            "endpoints",
            type=EndpointURL(),
            multiple=True,
            metavar="URL",
            help="Piston server URL, repeatable (e.g. http://localhost:2000), or `slurm`: the running "
            "Slurm jobs named piston-worker-PORT. Default: $PISTON_ENDPOINTS (a comma list, or slurm).",
        ),
        click.option(
            "--endpoints-file",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            metavar="FILE",
            help="Piston server URLs, one a line, read again every 30 s while judging: a fleet that "
            "grows and shrinks (a new server joins once it serves the same runtimes).",
        ),
        click.option(
            "--time-limit",
            metavar="S",
            type=Finite(min=0.01),
            default=2.0,
            show_default=True,
            help="Seconds per test when a problem has none.",
        ),
        click.option(
            "--memory-limit",
            metavar="MB",
            type=click.IntRange(min=16),
            default=256,
            show_default=True,
            help="MB per test when a problem has none.",
        ),
        click.option(
            "--time-multiplier",
            metavar="X",
            type=Multiplier(),
            default="1.0",
            show_default=True,
            help="Multiply every time limit by this number, or `auto`: by how much slower than the "
            "reference judge this machine and interpreter run a fixed benchmark (measured once per "
            "node and remembered in the cache folder), so checkpoints judged on different machines "
            "are judged alike.",
        ),
        click.option(
            "--output-limit",
            "output_limit_mb",
            metavar="MB",
            type=click.IntRange(min=1),
            default=64,
            show_default=True,
            help="MB of output per test before OLE.",
        ),
        click.option(
            "--output-compare",
            "compare",
            type=click.Choice(MODES),
            default="default",
            show_default=True,
            help="How a program's output is compared with the expected one (docs/inputs.md).",
        ),
        click.option(
            "--float-tolerance",
            metavar="E",
            type=Finite(min=0),
            default=1e-6,
            show_default=True,
            help="Absolute/relative tolerance of --output-compare float.",
        ),
        click.option(
            "--checker-convention",
            type=click.Choice(CONVENTIONS),
            default="open-r1",
            show_default=True,
            help="How checker programs are called and read.",
        ),
        click.option(
            "--generated-tests-dir",
            metavar="DIR",
            type=click.Path(path_type=Path),
            default=None,
            help="Folder of test_cases_{contest_id}.parquet (open-r1).",
        ),
        click.option(
            "--max-generated-tests",
            metavar="N",
            type=click.IntRange(min=-1),
            default=0,
            show_default=True,
            help="Generated tests per problem: 0 none, -1 all.",
        ),
        click.option(
            "--all-tests", is_flag=True, help="Run every test (default: stop at the first failure)."
        ),
        click.option(
            "--mbpp-challenge",
            is_flag=True,
            help="MBPP: also run each problem's challenge_test_list asserts (default: test_list only, "
            "as papers score MBPP).",
        ),
        click.option(
            "--max-records",
            "limit",
            metavar="N",
            type=click.IntRange(min=1),
            default=None,
            help="Judge only the first N records of each file.",
        ),
        click.option(
            "--sample-records",
            "sample",
            metavar="N",
            type=click.IntRange(min=1),
            default=None,
            help="Judge N records of each file drawn at random, reproducibly with --seed.",
        ),
        click.option(
            "--seed",
            type=int,
            default=0,
            show_default=True,
            metavar="N",
            help="The seed of --sample-records.",
        ),
        click.option(
            "--after",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            default=None,
            metavar="YYYY-MM-DD",
            help="Only problems published on or after this date (LiveCodeBench's contest_date, "
            "TACO's date): the problems after a model's training cut-off. Others are left out, not skipped.",
        ),
        click.option(
            "--id-field",
            default=None,
            metavar="NAME",
            help="The records' field naming their problem (default: id, problem_id, task_id, question_id).",
        ),
        click.option(
            "--code-field",
            default=None,
            metavar="NAME",
            help="The records' field holding the program (default: code, solution, completion, "
            "raw_response; a field with a fenced block gives its last block).",
        ),
        click.option(
            "--k",
            "ks",
            type=KList(),
            default=None,
            help="The k of pass@k to show and keep in the metrics besides 1, 5, 10, 25, 50, 100 "
            "(e.g. 1,20), each over the problems with at least k samples.",
        ),
        click.option(
            "--process-limit",
            metavar="N",
            type=click.IntRange(min=1),
            default=64,
            show_default=True,
            help="Processes/threads a solution may run at once.",
        ),
        click.option(
            "--python",
            default=None,
            metavar="PATH",
            help="Interpreter for Python solutions (default: this one's real binary).",
        ),
        click.option(
            "--no-cache",
            "no_cache",
            is_flag=True,
            help="Judge every program even if the same one was judged on the same tests before.",
        ),
        click.option(
            "--cache-dir",
            metavar="DIR",
            type=click.Path(path_type=Path),
            default=None,
            help="Where the verdict cache lives (default: $XDG_CACHE_HOME/batch-eval).",
        ),
        click.option(
            "--piston-per-test",
            is_flag=True,
            help="One Piston request per test (default: one request runs many tests of a Python solution).",
        ),
        click.option(
            "--test-order",
            type=click.Choice(["size", "given", "failures"]),
            default="size",
            show_default=True,
            help="With early stop: run the smallest inputs first (size), in the file's order (given), "
            "or the tests earlier solutions of the problem failed most first, then the smallest "
            "(failures: shared through the verdict cache; which failure a solution is reported with, "
            "e.g. WA or TLE, may then depend on what was judged before — pass/fail never does).",
        ),
        click.option(
            "--jobs",
            metavar="N",
            type=click.IntRange(min=0),
            default=0,
            help="Local executor: programs judged at once by one check, each on a fork server and "
            "cgroups of its own, results still in file order. Default: one per core this process may "
            "use (`run`: the cores shared between its checkers).",
        ),
        click.option(
            "--python-runner",
            type=click.Choice(["fork", "process"]),
            default="fork",
            show_default=True,
            help="Local Python: fork an already-started interpreter per test, or start a fresh one.",
        ),
        click.option(
            "--cxx-flags",
            type=ShellWords(),
            default=None,
            metavar="FLAGS",
            help="Local C++ compiler flags instead of Codeforces' `-std=gnu++17 -O2 -pipe -DONLINE_JUDGE` "
            "(one string, split like a shell; part of every verdict's cache key).",
        ),
        click.option(
            "--testlib",
            type=click.Path(exists=True, dir_okay=True),
            default=None,
            metavar="PATH",
            help="The real testlib.h (or its folder) to build problems' C++ interactors and checkers "
            f"with, instead of batch-eval's own compatible header (also ${HEADER_ENV}).",
        ),
        click.option(
            "--piston-retries",
            metavar="N",
            type=click.IntRange(min=0),
            default=4,
            show_default=True,
            help="Retries of a failed Piston request (with backoff) before IE.",
        ),
        click.option(
            "--piston-timeout",
            metavar="S",
            type=Finite(min=1),
            default=60.0,
            show_default=True,
            help="Seconds to wait for one Piston answer (queueing included).",
        ),
        click.option(
            "--piston-wait",
            metavar="S",
            type=Finite(min=0),
            default=120.0,
            show_default=True,
            help="Seconds a Piston server that stopped answering (restarting, crashed) is waited "
            "for before its records are IE; a fleet's others take its work meanwhile.",
        ),
        click.option(
            "--piston-concurrency",
            metavar="N",
            type=click.IntRange(min=1),
            default=8,
            show_default=True,
            help="Most requests in flight per Piston endpoint, shared by every checker of this "
            "machine; halved when the server answers 429/503 or times out, grown back one at a time.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def config_from(options: dict[str, Any]) -> CheckConfig:
    if options["problems"] is None:  # not click's `required`: a checker gets it in --config-json
        raise click.UsageError("Missing option '--problems'.")
    if options["executor"] == "piston" and not (
        options["endpoints"] or options["endpoints_file"] or os.environ.get("PISTON_ENDPOINTS", "").strip()
    ):
        raise click.UsageError(
            "--executor piston needs a server: --endpoint URL (or slurm), --endpoints-file FILE, "
            "or PISTON_ENDPOINTS"
        )
    if options["executor"] == "local" and (options["endpoints"] or options["endpoints_file"]):
        raise click.UsageError("--endpoint is for --executor piston (the local executor needs no server)")
    return CheckConfig(
        problems=options["problems"],
        executor=options["executor"],
        endpoints=tuple(options["endpoints"]),
        endpoints_file=options["endpoints_file"],
        time_limit=options["time_limit"],
        memory_limit=options["memory_limit"],
        time_multiplier=options["time_multiplier"][1],
        time_scale_auto=options["time_multiplier"][0],
        output_limit_mb=options["output_limit_mb"],
        compare=options["compare"],
        float_tolerance=options["float_tolerance"],
        checker_convention=options["checker_convention"],
        generated_tests_dir=options["generated_tests_dir"],
        max_generated_tests=options["max_generated_tests"],
        all_tests=options["all_tests"],
        mbpp_challenge=options["mbpp_challenge"],
        test_order=options["test_order"],
        limit=options["limit"],
        sample=options["sample"],
        seed=options["seed"],
        after=options["after"].strftime("%Y-%m-%d") if options["after"] is not None else None,
        id_field=options["id_field"],
        code_field=options["code_field"],
        process_limit=options["process_limit"],
        python=options["python"],
        python_runner=options["python_runner"],
        cxx_flags=options["cxx_flags"],
        # named here, not only read by the executor: a changed header re-judges a resumed run
        testlib=options["testlib"] or os.environ.get(HEADER_ENV) or None,
        cache=not options["no_cache"],
        piston_batch=not options["piston_per_test"],
        cache_dir=options["cache_dir"],
        piston_retries=options["piston_retries"],
        piston_timeout=options["piston_timeout"],
        piston_wait=options["piston_wait"],
        piston_concurrency=options["piston_concurrency"],
        jobs=options["jobs"],
        ks=tuple(options["ks"] or ()),
    )
