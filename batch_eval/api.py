"""The Python API: what the command line does, for a training script or a notebook.

    import batch_eval
    outcome = batch_eval.check_file("step-400/solutions.jsonl", "problems.jsonl", "evals/step-400")
    print(outcome.metrics["pass_at_k"]["1"])
    batch = batch_eval.run_batch("runs/exp1", "problems.jsonl", "evals/exp1", max_workers=4)
    print(batch.pass_at_1)  # {"checkpoint-100": 0.31, ...}

Settings are the command line's options as keywords (`time_limit=1.0`,
`output_compare="lines"`, `max_records=10`, `executor="piston"`, `endpoint=("http://…",)`, …;
CheckConfig's own field names are taken too). Progress shows as a tqdm bar (a widget in
a notebook) unless `progress=False`; warnings go through `warn` (default: printed above the
bar). Bad input raises BatchEvalError with the file and line, as the command line prints it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from batch_eval.batch.plan import FileTask, Plan
from batch_eval.batch.pool import FileOutcome
from batch_eval.batch.run import RunOptions
from batch_eval.batch.run import run_batch as _run_batch
from batch_eval.batch.summary import Summary
from batch_eval.config import CheckConfig
from batch_eval.errors import ExitCode
from batch_eval.judging.check import CheckOutcome
from batch_eval.judging.check import check_file as _check_file
from batch_eval.judging.problems import ProblemSet
from batch_eval.judging.problems import load_problems as _load_problems
from batch_eval.judging.solutions import count_records

Warn = Callable[[str], None]


def load_problems(path: str | Path, checker_convention: str = "open-r1") -> ProblemSet:
    """The problems of a file by id (read on demand: see ProblemSet)."""
    return _load_problems(Path(path), checker_convention)


def check_file(
    solutions: str | Path,
    problems: str | Path,
    output_dir: str | Path,
    *,
    progress: bool = True,
    warn: Warn | None = None,
    config: CheckConfig | None = None,
    **settings: Any,
) -> CheckOutcome:
    """Judge one solutions file as `batch-eval check` does: `<stem>.results.jsonl` and
    `<stem>.metrics.json` written in `output_dir`; returns their paths, the metrics and the
    exit code the command line would give."""
    config = config or CheckConfig.of(Path(problems), **settings)
    path = Path(solutions)
    total = count_records(path)
    if config.limit is not None or config.sample is not None:
        total = min(total, *(n for n in (config.limit, config.sample) if n is not None))
    with tqdm(total=total, unit="record", desc=path.name, disable=not progress) as bar:

        def judged(line: dict[str, Any]) -> None:
            bar.update(1)

        return _check_file(config, path, Path(output_dir), warn=warn or tqdm.write, on_record=judged)


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch produced: the exit code `run` would give, the summary as written to
    `batch_eval_results.json`, and pass@1 by checkpoint (None where nothing was judged)."""

    exit_code: ExitCode
    summary_path: Path
    summary: dict[str, Any]

    @property
    def pass_at_1(self) -> dict[str, float | None]:
        return {
            c["name"]: (c.get("metrics") or {}).get("pass_at_k", {}).get("1")
            for c in self.summary.get("checkpoints", [])
        }


def run_batch(
    solutions_dir: str | Path,
    problems: str | Path,
    output_dir: str | Path,
    *,
    max_workers: int = 2,
    ray: str | None = None,
    progress: bool = True,
    warn: Warn | None = None,
    config: CheckConfig | None = None,
    options: RunOptions | None = None,
    **settings: Any,
) -> BatchOutcome:
    """Judge every checkpoint folder under `solutions_dir` as `batch-eval run` does (resuming
    what is done; `ray`: a Ray cluster's address as `run --ray` takes it, "" for a local Ray;
    `options` for the rest of run's choices: filters, order, timeout, …)."""
    config = config or CheckConfig.of(Path(problems), **settings)
    options = options or RunOptions(
        output_dir=Path(output_dir), solutions_dir=Path(solutions_dir), max_workers=max_workers, ray=ray
    )
    display = _TqdmDisplay(progress, warn or tqdm.write)
    try:
        code = _run_batch(options, config, display)
    finally:
        display.close()
    summary_path = options.output_dir / "batch_eval_results.json"
    return BatchOutcome(code, summary_path, json.loads(summary_path.read_text(encoding="utf-8")))


class _TqdmDisplay:
    """run's display as a tqdm bar of files."""

    def __init__(self, enabled: bool, warn: Warn) -> None:
        self.enabled = enabled
        self._warn = warn
        self.bar: Any = None

    def start(self, plan: Plan, isolation: str = "", records: dict[int, int] | None = None) -> None:
        self.bar = tqdm(total=len(plan.todo), unit="file", desc="batch-eval", disable=not self.enabled)

    def file_done(self, task: FileTask, outcome: FileOutcome, summary: Summary) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if not outcome.ok:
                self._warn(f"{task.solutions}: {outcome.status}: {outcome.reason}")

    def finish(self, summary: Summary) -> None:
        self.close()

    def warn(self, message: str) -> None:
        self._warn(f"warning: {message}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
