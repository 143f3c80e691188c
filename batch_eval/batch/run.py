"""`run`: scan → plan → (dry run stops here) → preflight → execute → report → exit code."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from batch_eval.batch.heartbeat import Heartbeat, lock_output_folder
from batch_eval.batch.plan import FileTask, Plan, Unit, make_plan
from batch_eval.batch.pool import FileOutcome, Job, run_jobs, shared_cores
from batch_eval.batch.scan import find_checkpoints
from batch_eval.batch.shards import finished_shard, merge, shard_counts, shard_task
from batch_eval.batch.summary import Summary
from batch_eval.config import CheckConfig, problems_digest, problems_index_dir
from batch_eval.errors import BatchEvalError, ExitCode, file_error
from batch_eval.files import ensure_folder
from batch_eval.judging.check import by_row, file_mistake
from batch_eval.judging.problems import load_problems
from batch_eval.judging.records import make_executor
from batch_eval.judging.solutions import extract_program, read_records
from batch_eval.text import plural


@dataclass(frozen=True)
class RunOptions:
    """How to find the checkpoints and how to run the batch (not what a verdict depends on)."""

    output_dir: Path
    solutions_dir: Path | None = None
    solutions_pattern: str | None = None
    solutions_list: Path | None = None
    checkpoint_filter: tuple[str, ...] = ()
    sort_order: str = "step"
    max_workers: int = 2
    timeout: float = 3600.0
    fail_fast: bool = False
    force: bool = False
    #: a Ray cluster's address to judge on ("": a local Ray started for the run; None: no Ray)
    ray: str | None = None
    # the argv seam: what runs `check` (tests put misbehaving fakes here)
    checker_command: tuple[str, ...] = ()
    #: training parameters by checkpoint name (--run-metadata), carried into the summary
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """How the batch was run, for the summary (status uses max_workers for its ETA)."""
        source = self.solutions_dir or self.solutions_pattern or self.solutions_list
        return {
            "solutions": str(source),
            "checkpoint_filter": list(self.checkpoint_filter),
            "sort_order": self.sort_order,
            "max_workers": self.max_workers,
            "timeout": self.timeout,
            "fail_fast": self.fail_fast,
            "force": self.force,
            **({"ray": self.ray or "local"} if self.ray is not None else {}),
            "metadata": self.metadata,
        }


class Display(Protocol):
    def start(self, plan: Plan, isolation: str = "", records: dict[int, int] | None = None) -> None: ...
    def file_done(self, task: FileTask, outcome: FileOutcome, summary: Summary) -> None: ...
    def finish(self, summary: Summary) -> None: ...
    def warn(self, message: str) -> None: ...


def plan_run(options: RunOptions, config: CheckConfig) -> tuple[Plan, str]:
    """The plan and the fingerprint it was made against; nothing is written."""
    checkpoints = find_checkpoints(
        options.solutions_dir,
        options.solutions_pattern,
        options.solutions_list,
        options.checkpoint_filter,
        options.sort_order,
    )
    source = options.solutions_dir or options.solutions_pattern or options.solutions_list
    if not checkpoints:
        chosen = (
            f" matching --checkpoint-filter {' '.join(options.checkpoint_filter)}"
            if options.checkpoint_filter
            else ""
        )
        raise BatchEvalError(f"no checkpoint folders{chosen} found (looked in {source})")
    if not any(c.files for c in checkpoints):
        raise BatchEvalError(
            f"no solutions files (*.jsonl, *.jsonl.gz, *.json holding a list) in any of the "
            f"{len(checkpoints)} checkpoint folders (looked in {source})"
        )
    fingerprint = config.fingerprint(problems_digest(config))
    plan = make_plan(checkpoints, options.output_dir, fingerprint, options.force, config.settings())
    workers = options.max_workers
    if options.ray is not None:  # as many checks at once as the cluster has cores
        from batch_eval.batch.ray_engine import cluster_cpus, refuse_unshippable

        refuse_unshippable(config)
        workers = cluster_cpus(options.ray)
    whole = {i: plan.tasks[i] for i in plan.todo if i not in plan.redo_ie}
    records = {i: t.records for i, t in whole.items()} if len(whole) < workers else {}
    plan.shards = shard_counts(whole, records, workers)
    return plan, fingerprint


def refuse_other_settings(plan: Plan, config: CheckConfig) -> None:
    """Results judged with other settings are not replaced silently: a run into a folder
    holding them stops, naming what differs (--force, or another output folder, to go on)."""
    settings = config.settings()
    changed = {i: plan.tasks[i].changed_settings(settings) for i in plan.todo}
    changed = {i: c for i, c in changed.items() if c}
    if changed:
        first = next(iter(changed.values()))
        was, them = ("was", "it") if len(changed) == 1 else ("were", "them")
        raise BatchEvalError(
            f"{plural(len(changed), 'file')} here {was} judged with other settings ({'; '.join(first)}): "
            f"pass --force to judge {them} again with these, or choose another --output-dir",
            plan.output_dir,
        )


def preflight(config: CheckConfig, output_dir: Path, display: Display) -> dict[str, Any]:
    """Before any work: problems load, the output folder is writable, the executor works
    (problems first: a bad problems file leaves no empty output folder behind)."""
    # every problem checked here, once; the index it makes is what the checkers read
    load_problems(config.problems, config.checker_convention, problems_index_dir(config))
    ensure_folder(output_dir, "the output folder")
    executor = make_executor(config)
    try:
        for message in executor.preflight(config.limits_for(None, None)):
            display.warn(message)
        return executor.describe()
    finally:
        executor.close()


def dry_run_checks(plan: Plan, config: CheckConfig, display: Display) -> bool:
    """What the real run would meet, found without writing anything: the output folder can
    be made and written, every problem is valid, the executor works (a compiler when a file
    holds C++), and the records that would be skipped, with why. BatchEvalError for what
    would stop the run; warnings for what it would skip. False when a file would be judged
    wrongly as given (empty, or most of its ids unknown: a mistake, not data)."""
    _writable_without_making(plan.output_dir)
    # every problem checked
    problems = load_problems(config.problems, config.checker_convention, None, config.mbpp_challenge)
    executor = make_executor(config)
    try:
        for message in executor.preflight(config.limits_for(None, None)):
            display.warn(message)
        sound = True
        for i in plan.todo:
            task = plan.tasks[i]
            skipped: Counter[str] = Counter()
            languages: set[str] = set()
            records = 0
            unknown: dict[str, None] = {}
            for record in by_row(read_records(task.solutions, shape=config.shape()), problems):
                records += 1
                program = extract_program(record.fields) if not record.error else None
                if record.error:
                    skipped[record.error.split(" (")[0]] += 1
                elif record.problem_id not in problems:
                    skipped["unknown problem id"] += 1
                    unknown.setdefault(record.problem_id)
                elif program is not None and not isinstance(program, str):
                    languages.add(program.language)
            if skipped:
                why = "; ".join(f"{reason}: {n}" for reason, n in skipped.most_common())
                n = plural(sum(skipped.values()), "record")
                display.warn(f"{task.solutions}: {n} would be skipped ({why})")
            mistake = file_mistake(records, skipped["unknown problem id"], list(unknown), problems)
            if mistake:
                display.warn(f"{task.solutions}: {mistake}")
                sound = False
            if "cpp" in languages and config.executor == "local" and shutil.which("g++") is None:
                raise BatchEvalError(
                    "holds C++ solutions and no g++ is installed: install g++", task.solutions
                )
    finally:
        executor.close()
    return sound


def _writable_without_making(folder: Path) -> None:
    """The output folder, or the nearest folder above it that exists, takes a new file."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise BatchEvalError(f"cannot create the output folder: {existing} is a file", folder)
    try:
        fd, probe = tempfile.mkstemp(prefix=".batch-eval-probe-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise file_error(exc, "write in the output folder", existing) from None


def job_for(unit: Unit, config: CheckConfig, options: RunOptions) -> Job:
    """The checker process of `unit` on this machine."""
    command = list(options.checker_command) or [sys.executable, "-m", "batch_eval"]
    task = unit.task
    argv = check_argv(command, task.solutions, task.out_dir, task.stem, unit.shard, unit.redo_ie, config)
    registry = options.output_dir / ".batch_eval" / "running"
    return Job(argv, task.metrics_path, task.log_path, options.timeout, registry)


def check_argv(
    command: list[str],
    solutions: Path,
    out_dir: Path,
    stem: str,
    shard: tuple[int, int] | None,
    redo_ie: bool,
    config: CheckConfig,
) -> list[str]:
    """`check` of `solutions` (shard k of n of it, or all) into `out_dir`/`stem`.*."""
    return [
        *command,
        "check",
        str(solutions),
        "-o",
        str(out_dir),
        "--stem",
        stem,
        "-q",
        *(["--redo-ie"] if redo_ie else []),
        *(["--shard", f"{shard[0] + 1}/{shard[1]}"] if shard is not None else []),
        "--config-json",
        config.to_json(),
    ]


def execute(
    plan: Plan, summary: Summary, config: CheckConfig, options: RunOptions, display: Display, fingerprint: str
) -> None:
    """Check every file to check: a check per file, or per shard of a file judged in shards
    (its shards an earlier run finished are not judged again; the last one merges them), on
    this machine's workers or as tasks on a Ray cluster."""
    units: list[Unit] = []
    left: dict[int, int] = {}  # sharded file -> shards still to judge
    shard_failed: set[int] = set()
    started = time.monotonic()

    def file_done(i: int, outcome: FileOutcome) -> None:
        summary.record(i, outcome)
        summary.write()
        display.file_done(plan.tasks[i], outcome, summary)

    def merged(i: int, codes: list[int]) -> None:
        try:
            metrics = merge(plan.tasks[i], plan.shards[i], config.ks)
        except (BatchEvalError, OSError, ValueError, KeyError, TypeError) as exc:
            file_done(i, FileOutcome("failed", f"merging its shards: {exc}", time.monotonic() - started))
            return
        code = max(codes, default=ExitCode.OK)
        file_done(i, FileOutcome("ok", "", time.monotonic() - started, code, metrics))

    for i in plan.todo:
        n = plan.shards.get(i, 1)
        if n == 1:
            units.append(Unit(i, plan.tasks[i], redo_ie=i in plan.redo_ie))
            continue
        pending = [
            k for k in range(n) if options.force or finished_shard(plan.tasks[i], k, n, fingerprint) is None
        ]
        left[i] = len(pending)
        if not pending:  # an earlier run judged every shard and was stopped before the merge
            merged(i, [])
        units += [Unit(i, shard_task(plan.tasks[i], k, n), (k, n)) for k in pending]
    codes: dict[int, list[int]] = {}

    def on_done(j: int, outcome: FileOutcome) -> None:
        unit = units[j]
        i = unit.index
        if unit.shard is None:
            file_done(i, outcome)
            return
        left[i] -= 1
        codes.setdefault(i, []).append(int(outcome.exit_code or 0))
        if not outcome.ok and i not in shard_failed:
            shard_failed.add(i)  # the file failed; its other shards' work is kept for a rerun
            reason = f"shard {unit.shard[0] + 1} of {unit.shard[1]}: {outcome.reason}"
            file_done(i, FileOutcome(outcome.status, reason, outcome.duration, outcome.exit_code))
        elif left[i] == 0 and i not in shard_failed:
            merged(i, codes[i])

    if options.ray is not None:
        from batch_eval.batch.ray_engine import run_units

        # a task has one core of its node (unless --jobs says otherwise)
        run_units(units, replace(config, jobs=config.jobs or 1), options, fingerprint, on_done)
    else:
        shared = shared_cores(config, options.max_workers)
        jobs = [job_for(u, shared, options) for u in units]
        run_jobs(jobs, options.max_workers, on_done, options.fail_fast)


def run_batch(options: RunOptions, config: CheckConfig, display: Display) -> ExitCode:
    """The whole batch. The summary is on disk at every step, also after Ctrl-C."""
    plan, fingerprint = plan_run(options, config)
    if not options.force:
        refuse_other_settings(plan, config)
    environment = preflight(config, options.output_dir, display)
    lock = lock_output_folder(options.output_dir)  # the kernel frees it if we die
    try:
        return _run_held(plan, fingerprint, environment, options, config, display)
    finally:
        os.close(lock)
        if options.ray is not None:
            from batch_eval.batch.ray_engine import disconnect

            disconnect()


def _run_held(
    plan: Plan,
    fingerprint: str,
    environment: dict[str, Any],
    options: RunOptions,
    config: CheckConfig,
    display: Display,
) -> ExitCode:
    summary = Summary(plan, config, environment, plan_fingerprint=fingerprint, run=options.to_dict())
    display.start(plan, str(environment.get("isolation") or ""), summary.records_total)
    summary.write()
    try:
        with Heartbeat(options.output_dir):
            execute(plan, summary, config, options, display, fingerprint)
    except KeyboardInterrupt:
        summary.status = "interrupted"
        summary.write()
        display.finish(summary)
        return ExitCode.INTERRUPTED
    failed = summary.failures()
    summary.status = "finished" if not failed and len(summary.outcomes) == len(plan.tasks) else "incomplete"
    summary.write()
    display.finish(summary)
    incomplete = any(
        o.metrics.get("skipped_records") or o.metrics.get("ie") for o in summary.outcomes.values()
    )
    return ExitCode.OK if summary.status == "finished" and not incomplete else ExitCode.INCOMPLETE
