"""What people read on stderr: summaries, the dry-run plan, and progress while a batch runs.

Progress is pluggable: live on a terminal (rich), one plain line per finished file when
not (pipes, nohup, CI), silent in tests. NO_COLOR is respected by rich.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from batch_eval.batch.plan import judged_so_far
from batch_eval.reporting.status import clock, pace
from batch_eval.text import plural

if TYPE_CHECKING:  # the pool (multiprocessing) is not imported by a check's summary line
    from batch_eval.batch.plan import FileTask, Plan
    from batch_eval.batch.pool import FileOutcome
    from batch_eval.batch.summary import Summary


def pass_text(metrics: dict[str, Any]) -> str:
    """`pass@1 0.412`, and each k asked for with --k: `, pass@10 0.700 (40/52 problems)` when
    only 40 of the 52 problems have 10 samples; `n/a` where no problem has k; and EvalPlus's
    base score when there are EvalPlus problems."""
    scores = metrics.get("pass_at_k") or {}
    partial = metrics.get("pass_at_k_problems") or {}
    parts = []
    for k in sorted({1, *(int(k) for k in metrics.get("ks") or ())}):
        value = scores.get(str(k))
        shown = f"{value:.3f}" if value is not None else "n/a"
        used = partial.get(str(k))
        parts.append(f"pass@{k} {shown}" + (f" ({used}/{metrics['problems']} problems)" if used else ""))
    base = ((metrics.get("base") or {}).get("pass_at_k") or {}).get("1")
    if base is not None:  # EvalPlus: pass@1 above is on base + plus inputs
        parts.append(f"base pass@1 {base:.3f}")
    return ", ".join(parts)


def summary_line(path: Path, metrics: dict[str, Any]) -> str:
    """`file: pass@1 0.412 (170/413 AC) WA 120 TLE 3 | 2 skipped, 0 IE, 12.3 s`, and the
    time limits' scale when `--time-multiplier auto` changed them (`, time limits x0.65 (auto)`)."""
    head = pass_text(metrics)
    verdicts = " ".join(f"{k} {v}" for k, v in metrics["verdicts"].items() if k != "AC")
    scale = ((metrics.get("environment") or {}).get("calibration") or {}).get("time_scale")
    scaled = f", time limits x{scale:.2f} (auto)" if scale not in (None, 1.0) else ""
    return (
        f"{path}: {head} ({metrics['passed']}/{metrics['judged']} AC) {verdicts} | "
        f"{metrics['skipped_records']} skipped, {metrics['ie']} IE, {metrics['seconds']:.1f} s{scaled}"
    ).replace("  ", " ")


def plan_text(plan: Plan) -> str:
    """The dry-run plan for people: checkpoints in order, each file and what run would do."""
    lines = [f"output: {plan.output_dir}"]
    for c in plan.checkpoints:
        step = f"step {c.step}" if c.step is not None else "no step"
        lines.append(f"{c.name} ({step}) -> {plan.output_dir / c.output_name}")
        indices = plan.tasks_of(c)
        if not indices:
            lines.append("  (no JSONL files: nothing to do)")
        for i in indices:
            task = plan.tasks[i]
            lines.append(f"  {plan.action(i):11} {task.solutions} -> {task.results_path}")
    redo = f" ({len(plan.redo_ie)} only for their IE records)" if plan.redo_ie else ""
    lines.append(f"{plural(len(plan.tasks), 'file')}: {len(plan.done)} done, {len(plan.todo)} to check{redo}")
    return "\n".join(lines)


def not_judged(metrics: dict[str, Any]) -> str:
    """`5 skipped (unknown problem id: 5), 2 IE` for what a file's check left undecided."""
    parts = []
    skipped = int(metrics.get("skipped_records") or 0)
    if skipped:
        reasons = "; ".join(f"{why}: {n}" for why, n in (metrics.get("skipped_by_reason") or {}).items())
        parts.append(f"{skipped} skipped" + (f" ({reasons})" if reasons else ""))
    if metrics.get("ie"):
        parts.append(f"{metrics['ie']} IE (not judged: run again)")
    return ", ".join(parts)


def _outcome_word(outcome: FileOutcome) -> str:
    return {"ok": "OK", "timeout": "TIMEOUT", "interrupted": "INTERRUPTED"}.get(outcome.status, "FAILED")


class PlainDisplay:
    """One line per finished file: for pipes, nohup and CI logs."""

    def __init__(self, stream: IO[str] | None = None, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        # timing re-runs of the files judged by this run (a rerun that judged nothing has none)
        self.timing = {"timing_reruns": 0, "timing_flips": 0, "patient_reruns": 0}
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self.records: dict[Path, int] = {}
        self.records_done = 0
        self.records_cached = 0  # of records_done: answered by the verdict cache

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=self.stream, flush=True)

    def start(self, plan: Plan, isolation: str = "", records: dict[int, int] | None = None) -> None:
        self.total = len(plan.todo)
        # records per file to check, by results file: progress and ETA count records, not files
        self.records = {plan.tasks[i].results_path: n for i, n in (records or {}).items()}
        self.records_done = self.records_cached = 0
        print(
            f"batch-eval: {plural(len(plan.tasks), 'file')} in "
            f"{plural(len(plan.checkpoints), 'checkpoint')}, "
            f"{len(plan.done)} already done, {self.total} to check"
            # a limited isolation is a warning of its own (the executor's preflight)
            + (f"; isolation: {isolation}" if isolation and self.verbose else ""),
            file=self.stream,
            flush=True,
        )

    def records_progress(self, task: FileTask, outcome: FileOutcome) -> str:
        """`records 120/560, 3.1 judged/s, ETA 0:02:22` after `task` ended (its records counted:
        all when it finished, else those its journals kept; the rate and ETA as `status` gives
        them, without the records the verdict cache answered)."""
        whole = self.records.get(task.results_path, 0)
        self.records_done += whole if outcome.ok else min(judged_so_far(task.results_path, task.stem), whole)
        self.records_cached += int((outcome.metrics or {}).get("cache_hits") or 0) if outcome.ok else 0
        total = sum(self.records.values())
        if not total:
            return ""
        judged = self.records_done - min(self.records_cached, self.records_done)
        rate, eta = pace(judged, total - self.records_done, time.monotonic() - self.started)
        speed = f"{rate:.1f} judged/s" if rate else "none judged (cache)"
        return f" | records {self.records_done}/{total}, {speed}, ETA {clock(eta)}"

    def file_done(self, task: FileTask, outcome: FileOutcome, summary: Summary) -> None:
        self.done += 1
        for key in self.timing:
            self.timing[key] += int((outcome.metrics or {}).get(key) or 0)
        detail = outcome.reason
        if outcome.ok:
            detail = f"{pass_text(outcome.metrics)}, {plural(outcome.metrics.get('records', 0), 'record')}"
            if not_judged(outcome.metrics):
                detail += f"; {not_judged(outcome.metrics)}: see {task.log_path}"
        print(
            f"[{self.done}/{self.total}] {_outcome_word(outcome):11} {task.checkpoint.name} "
            f"{task.solutions.name} ({outcome.duration:.1f} s) {detail}"
            f"{self.records_progress(task, outcome)}",
            file=self.stream,
            flush=True,
        )

    def finish(self, summary: Summary) -> None:
        data = summary.to_dict()
        totals = data["totals"]
        print(
            f"batch-eval: {summary.status}: {totals['ok']} ok, {totals['failed']} failed, "
            f"{totals.get('timeout', 0)} timed out, {totals['interrupted']} interrupted, "
            f"{totals['pending']} not run; summary in {summary.path}",
            file=self.stream,
            flush=True,
        )
        for c in data["checkpoints"]:
            shown = pass_text(c["metrics"]) if c["metrics"] else "pass@1 n/a"
            left = not_judged(c["metrics"] or {})
            print(
                f"  {c['name']:30} {c['status']:10} {shown}" + (f"  ({left})" if left else ""),
                file=self.stream,
                flush=True,
            )
        counts = {
            key: sum(int((c["metrics"] or {}).get(key) or 0) for c in data["checkpoints"])
            for key in ("skipped_records", "ie")
        }
        if counts["skipped_records"] or counts["ie"]:
            print(
                f"batch-eval: {plural(counts['skipped_records'], 'record')} skipped and {counts['ie']} IE "
                "across the batch (reasons above): exit 1; everything else was judged",
                file=self.stream,
                flush=True,
            )
        if self.timing["timing_reruns"]:
            print(
                f"  timing: {plural(self.timing['timing_reruns'], 'test')} run again near or over the "
                f"time limit ({self.timing['timing_flips']} with another verdict the second time), "
                f"{self.timing['patient_reruns']} given more wall time after waiting for a core",
                file=self.stream,
                flush=True,
            )


class SilentDisplay(PlainDisplay):
    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def start(self, plan: Plan, isolation: str = "", records: dict[int, int] | None = None) -> None:
        pass

    def file_done(self, task: FileTask, outcome: FileOutcome, summary: Summary) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        pass


class LiveDisplay(PlainDisplay):
    """Rich progress bars: records judged (moving while files run, with their rate, the run's
    elapsed time and its ETA: the figures `status` and `watch` give, read the same way) and
    files done, with tests run per second and the last pass@1."""

    def __init__(self, verbose: bool = False) -> None:
        super().__init__(verbose=verbose)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[last]}"),
            console=self.console,
        )
        self.task_id: Any = None
        self.tests = 0

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/] {message}", highlight=False)

    def start(self, plan: Plan, isolation: str = "", records: dict[int, int] | None = None) -> None:
        super().start(plan, isolation, records)
        self.progress.start()
        self.output_dir = plan.output_dir
        # records first: they move while files run (rate, elapsed and ETA: read_status's)
        total = sum(self.records.values())
        self.records_id = self.progress.add_task("records", total=total or None, rate="", last="")
        self.task_id = self.progress.add_task("files", total=self.total, rate="", last="")
        # a bar per running file, by solutions path: its records judged of its records
        self._file_totals = {
            str(plan.tasks[i].solutions): (plan.tasks[i], n) for i, n in (records or {}).items()
        }
        self._file_bars: dict[str, tuple[Any, float]] = {}
        self._polling = threading.Event()
        threading.Thread(target=self._poll, name="batch-eval-progress", daemon=True).start()

    def _poll(self) -> None:
        """Every second: the records judged in finished files plus those in running ones, their
        rate, the elapsed time and the ETA, as `status` reads them from the output folder."""
        from batch_eval.errors import BatchEvalError
        from batch_eval.reporting.status import read_status, running_files

        while not self._polling.wait(1.0):
            running = running_files(self.output_dir)
            try:
                status = read_status(self.output_dir)
            except BatchEvalError:  # no summary yet
                status = None
            if status is not None and status["state"] == "running":
                done = status["records"]["done"]
                rate, eta = status["records_per_second"], status["eta_seconds"]
                elapsed = status["elapsed_seconds"]
            else:
                done = self.records_done + sum(r["records_done"] for r in running.values())
                elapsed = time.monotonic() - self.started
                rate, eta = pace(done - self.records_cached, sum(self.records.values()) - done, elapsed)
            self.progress.update(
                self.records_id,
                completed=done,
                rate=f"{rate:.1f} judged/s" if rate else "",
                last=f"elapsed {clock(elapsed)}, ETA {clock(eta)}",
            )
            self._file_progress(running)

    def _file_progress(self, running: dict[str, dict[str, Any]]) -> None:
        """A bar per file a checker is judging now (records judged of its records), gone
        when the file is done."""
        for path in list(self._file_bars):
            if path not in running:
                self.progress.remove_task(self._file_bars.pop(path)[0])
        now = time.monotonic()
        for path, state in running.items():
            task, total = self._file_totals.get(path, (None, 0))
            if path not in self._file_bars:
                name = (
                    f"  {task.checkpoint.name}/{Path(path).name}"
                    if task is not None
                    else f"  {Path(path).name}"
                )
                bar = self.progress.add_task(name, total=total or None, rate="", last="")
                self._file_bars[path] = (bar, now)
            bar, since = self._file_bars[path]
            done = int(state["records_done"])
            speed = f"{done / max(now - since, 1e-6):.1f} records/s" if done else ""
            self.progress.update(bar, completed=done, rate=speed)

    def file_done(self, task: FileTask, outcome: FileOutcome, summary: Summary) -> None:
        self.done += 1
        self.records_progress(task, outcome)
        self.progress.update(self.records_id, completed=self.records_done)
        # tests run (cache hits run none); no rate before a test ran (after Ctrl-C: none)
        self.tests += int(outcome.metrics.get("tests_run", 0))
        rate = self.tests / max(time.monotonic() - self.started, 1e-6)
        if outcome.ok:
            last = f"{task.checkpoint.name} {pass_text(outcome.metrics)}"
            if not_judged(outcome.metrics):
                self.progress.console.print(
                    f"[yellow]{task.solutions}[/]: {not_judged(outcome.metrics)}: see {task.log_path}",
                    highlight=False,
                )
        else:
            last = f"{task.checkpoint.name} {_outcome_word(outcome)}"
            self.progress.console.print(
                f"[red]{_outcome_word(outcome)}[/] {task.solutions}: {outcome.reason}", highlight=False
            )
        shown = f"{rate:.1f} tests/s" if self.tests else ""
        self.progress.update(self.task_id, advance=1, rate=shown, last=last)

    def finish(self, summary: Summary) -> None:
        self._polling.set()
        self._file_progress({})
        self.progress.stop()
        super().finish(summary)


def make_display(quiet: bool = False, verbose: bool = False) -> PlainDisplay:
    if quiet:
        return SilentDisplay()
    if sys.stderr.isatty():
        return LiveDisplay(verbose)
    return PlainDisplay(verbose=verbose)
