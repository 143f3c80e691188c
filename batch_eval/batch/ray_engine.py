"""`run --ray [ADDRESS]`: the run's checks (whole files, or record shards of them) as tasks
on a Ray cluster, for more cores than one machine has.

Each task runs on a node what `run` runs on this machine: a `check` subprocess with the local
executor (its sandbox and preflight on that node), killed with everything it started when
its time is up. Nothing is shared through a file system: the driver puts the problems file
and each solutions file in Ray's object store once, a task writes them into a scratch folder
on its node (the problems once per node), and sends back the results, metrics and log, which
the driver writes where a local check would have. So shards merge, and a rerun resumes, as
on one machine: a finished shard is kept on the driver's disk. Every node runs the driver's
own batch-eval code (shipped with the job as a Ray `py_modules` package); a node whose
results carry another settings fingerprint is refused. A task whose node or worker dies is
run again elsewhere (Ray's task retries).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import batch_eval
from batch_eval.batch.plan import Unit
from batch_eval.batch.pool import FileOutcome, Job, run_job
from batch_eval.config import CheckConfig, file_sha256
from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import last_line
from batch_eval.executors.sandbox import sandboxlib
from batch_eval.files import AtomicFile, write_json_atomic
from batch_eval.judging.journal import journal_path

if TYPE_CHECKING:  # run.py imports this module when --ray is given
    from batch_eval.batch.run import RunOptions

#: times a task is run again when its worker or node dies
MAX_RETRIES = 3
#: seconds to wait for the cluster's head to take a connection
REACH_S = 10.0
PACKAGE = Path(batch_eval.__file__).resolve().parent
#: on each node: problems files by content, and a scratch folder per task
NODE_ROOT = Path(tempfile.gettempdir()) / "batch-eval-ray"


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BatchEvalError("--ray needs Ray: pip install 'batch-eval[ray]'") from None
    return ray


def connect(address: str) -> Any:
    """Ray, connected to the cluster at `address` ("": a local Ray started for this run)."""
    ray = _ray()
    if ray.is_initialized():
        return ray
    options: dict[str, Any] = {
        "runtime_env": {"py_modules": [str(PACKAGE)]},  # every node runs this very code
        "logging_level": logging.ERROR,
        "log_to_driver": False,
    }
    if address and address != "auto":
        _reachable(address)  # Ray itself waits for a cluster that is not there, forever
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(include_dashboard=False, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise BatchEvalError(f"cannot start or reach {where}: {last_line(str(exc))}") from None
    return ray


def _reachable(address: str) -> None:
    """The head's port takes a connection within REACH_S, else one line naming it."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=REACH_S).close()
    except (OSError, ValueError) as exc:
        raise BatchEvalError(
            f"cannot reach the Ray cluster at {address} ({exc}): give its head as HOST:PORT "
            "(ray start --head prints it), ray://HOST:10001, or auto on a node of the cluster"
        ) from None


def cluster_cpus(address: str) -> int:
    """The cores of the cluster at `address`: how many checks run at once there."""
    ray = connect(address)
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def disconnect() -> None:
    with contextlib.suppress(ImportError):
        import ray

        if ray.is_initialized():
            ray.shutdown()


def refuse_unshippable(config: CheckConfig) -> None:
    """What a node cannot be sent (it would judge without it): one line, before any work."""
    if config.generated_tests_dir is not None and config.max_generated_tests != 0:
        raise BatchEvalError(
            "--ray cannot send --generated-tests-dir to the nodes: run without --ray, or "
            "without the generated tests"
        )
    if not config.problems.is_file():
        raise BatchEvalError(
            f"--ray sends the problems file to the nodes: {config.problems} is not a file "
            "(save a Hugging Face dataset as a JSONL file first)"
        )


@dataclass(frozen=True)
class Order:
    """What a node needs besides the problems and solutions bytes."""

    stem: str
    shard: tuple[int, int] | None
    redo_ie: bool
    problems_name: str
    problems_key: str  # the problems file's sha256: written once per node
    solutions_name: str
    config_json: str
    timeout: float
    #: files of the driver's output folder the check goes on from (a journal; --redo-ie's
    #: earlier results and metrics), by name
    seeds: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Landed:
    """What a node sends back: how its check ended, its results and log, and its name."""

    outcome: FileOutcome
    results: str
    log: str
    node: str


def check_on_node(order: Order, problems: bytes, solutions: bytes) -> Landed:
    """On a node (a Ray task): the check of one file or shard, as `run` runs it locally."""
    from batch_eval.batch.run import check_argv

    _clean_abandoned()
    problems_path = NODE_ROOT / "problems" / order.problems_key / order.problems_name
    if not problems_path.exists():
        problems_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=problems_path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(problems)
        os.replace(tmp, problems_path)
    work = Path(tempfile.mkdtemp(prefix=f"check-{os.getpid()}-", dir=NODE_ROOT))
    try:
        sols = work / order.solutions_name
        sols.write_bytes(solutions)
        out = work / "out"
        out.mkdir()
        (work / "running").mkdir()  # the checker's marker, as a local run keeps them
        for name, data in order.seeds.items():
            (out / name).write_bytes(data)
        config = replace(CheckConfig.from_json(order.config_json), problems=problems_path)
        argv = check_argv(
            [sys.executable, "-m", "batch_eval"], sols, out, order.stem, order.shard, order.redo_ie, config
        )
        # the checker imports the code this task was shipped with
        os.environ["PYTHONPATH"] = os.pathsep.join([str(PACKAGE.parent), os.environ.get("PYTHONPATH", "")])
        metrics, log = out / f"{order.stem}.metrics.json", out / f"{order.stem}.log"
        outcome = run_job(Job(argv, metrics, log, order.timeout, work / "running"))
        results = out / f"{order.stem}.results.jsonl"
        text = results.read_text(encoding="utf-8") if outcome.ok else ""
        logged = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        return Landed(outcome, text, logged, socket.gethostname())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _clean_abandoned() -> None:
    """Scratch folders of tasks whose worker was killed (a cancelled run): removed."""
    with contextlib.suppress(OSError):
        NODE_ROOT.mkdir(parents=True, exist_ok=True)
        for folder in NODE_ROOT.glob("check-*-*"):
            pid = folder.name.split("-")[1]
            if pid.isdigit() and not sandboxlib.alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def run_units(
    units: list[Unit],
    config: CheckConfig,
    options: RunOptions,
    fingerprint: str,
    on_done: Callable[[int, FileOutcome], None],
) -> None:
    """Judge `units` as Ray tasks (a core each); write what each sends back where a local
    check would, then call `on_done(index, outcome)`. Ctrl-C cancels every task (their
    checkers die with their workers) and reports them interrupted."""
    assert options.ray is not None, "run_units is for a run with --ray"
    ray = connect(options.ray)
    refuse_unshippable(config)
    check = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(check_on_node)
    problems = ray.put(config.problems.read_bytes())
    key = file_sha256(config.problems)
    solutions: dict[Path, Any] = {}
    running: dict[Any, int] = {}
    for j, unit in enumerate(units):
        task = unit.task
        if task.solutions not in solutions:
            solutions[task.solutions] = ray.put(task.solutions.read_bytes())
        order = Order(
            task.stem,
            unit.shard,
            unit.redo_ie,
            config.problems.name,
            key,
            task.solutions.name,
            config.to_json(),
            options.timeout,
            _seeds(unit),
        )
        running[check.remote(order, problems, solutions[task.solutions])] = j
    try:
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                j = running.pop(ref)
                outcome = _land(ray, ref, units[j], config, fingerprint)
                on_done(j, outcome)
                if options.fail_fast and not outcome.ok:
                    for other in running:
                        ray.cancel(other, force=True)
                    return  # the rest stay pending, as a local run's never started
    except KeyboardInterrupt:
        for ref, j in running.items():
            ray.cancel(ref, force=True)
            on_done(j, FileOutcome("interrupted", "interrupted"))
        raise


def _seeds(unit: Unit) -> dict[str, bytes]:
    task = unit.task
    paths = [journal_path(task.out_dir, task.stem)]
    if unit.redo_ie:
        paths += [task.results_path, task.metrics_path]
    seeds = {}
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            seeds[path.name] = path.read_bytes()
    return seeds


def _land(ray: Any, ref: Any, unit: Unit, config: CheckConfig, fingerprint: str) -> FileOutcome:
    """A task's answer, written into the driver's output folder: results first, metrics
    last (their presence says the check is done)."""
    try:
        landed: Landed = ray.get(ref)
    except ray.exceptions.RayError as exc:
        return FileOutcome("failed", f"on the Ray cluster: {last_line(str(exc))}")
    outcome, task = landed.outcome, unit.task
    if landed.log:
        task.log_path.parent.mkdir(parents=True, exist_ok=True)
        task.log_path.write_text(landed.log, encoding="utf-8")
    if not outcome.ok:
        return replace(outcome, reason=f"{outcome.reason} (on node {landed.node})")
    if outcome.metrics.get("config_fingerprint") != fingerprint:
        return FileOutcome(
            "failed",
            f"node {landed.node} judged with other settings or judging code (fingerprint "
            f"{outcome.metrics.get('config_fingerprint')}, here {fingerprint}): give every node "
            "this batch-eval and its toolchains",
            outcome.duration,
        )
    with AtomicFile(task.results_path) as f:
        f.write(landed.results)
    metrics = {
        **outcome.metrics,
        "solutions_file": str(task.solutions),
        "problems_file": str(config.problems),
        "node": landed.node,
    }
    write_json_atomic(task.metrics_path, metrics)
    journal_path(task.out_dir, task.stem).unlink(missing_ok=True)
    return replace(outcome, metrics=metrics)
