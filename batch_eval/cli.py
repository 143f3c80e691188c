"""The command line: parses options into a config, calls one core function, maps the exit code."""

from __future__ import annotations

import json
import math
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from batch_eval.batch.scan import SORT_ORDERS
from batch_eval.config import CheckConfig
from batch_eval.errors import MACHINE_ERRNOS, BatchEvalError, ExitCode, file_error
from batch_eval.judging.checker import CONVENTIONS
from batch_eval.judging.compare import MODES
from batch_eval.version import __version__

EXIT_MEANINGS = {
    ExitCode.OK: "everything asked for was judged",
    ExitCode.INCOMPLETE: "some records skipped, verdicts IE, or files failed (see the summary)",
    ExitCode.USAGE: "bad options or bad input, found before any work",
    ExitCode.INTERNAL: "a bug in batch-eval (the traceback is printed)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); a rerun resumes",
}
EXIT_CODES_HELP = "\n".join(f"  {code.value:>3}  {EXIT_MEANINGS[code]}" for code in ExitCode)


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


# "\b" keeps click from re-wrapping the table into one line
@click.group(
    epilog=f"\b\nExit codes:\n{EXIT_CODES_HELP}", context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="batch-eval")
def cli() -> None:
    """Judge generated programs of every checkpoint against their problems' tests."""


def check_options(f: Any) -> Any:
    """The options of `check`, shared by `run` so that everything passes through."""
    options = [
        click.option(
            "--problems",
            "problems",
            type=click.Path(path_type=Path),
            required=True,
            help="Problems JSONL (open-r1/codeforces schema or HumanEval).",
        ),
        click.option(
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
            help="Piston server URL, repeatable (e.g. http://localhost:2000).",
        ),
        click.option(
            "--time-limit",
            type=Finite(min=0.01),
            default=2.0,
            show_default=True,
            help="Seconds per test when a problem has none.",
        ),
        click.option(
            "--memory-limit",
            type=click.IntRange(min=16),
            default=256,
            show_default=True,
            help="MB per test when a problem has none.",
        ),
        click.option(
            "--time-multiplier",
            type=Multiplier(),
            default="1.0",
            show_default=True,
            help="Multiply every time limit by this number, or `auto`: by how much slower than the "
            "reference judge this machine and interpreter run a fixed benchmark (measured at the "
            "start of each check), so checkpoints judged on different machines are judged alike.",
        ),
        click.option(
            "--output-limit",
            "output_limit_mb",
            type=click.IntRange(min=1),
            default=64,
            show_default=True,
            help="MB of output per test before OLE.",
        ),
        click.option(
            "--output-compare",
            "--compare",
            "compare",
            type=click.Choice(MODES),
            default="default",
            show_default=True,
            help="How a program's output is compared with the expected one (see README; "
            "--compare is the old name).",
        ),
        click.option(
            "--float-tolerance",
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
            type=click.Path(path_type=Path),
            default=None,
            help="Folder of test_cases_{contest_id}.parquet (open-r1).",
        ),
        click.option(
            "--max-generated-tests",
            type=click.IntRange(min=-1),
            default=0,
            show_default=True,
            help="Generated tests per problem: 0 none, -1 all.",
        ),
        click.option(
            "--all-tests", is_flag=True, help="Run every test (default: stop at the first failure)."
        ),
        click.option(
            "--max-records",
            "--limit",
            "limit",
            type=click.IntRange(min=1),
            default=None,
            help="Judge only the first N records of each file (--limit is the old name).",
        ),
        click.option(
            "--sample-records",
            "--sample",
            "sample",
            type=click.IntRange(min=1),
            default=None,
            help="Judge N records of each file drawn at random, reproducibly with --seed "
            "(--sample is the old name).",
        ),
        click.option("--seed", type=int, default=0, show_default=True),
        click.option(
            "--process-limit",
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
            "--piston-retries",
            type=click.IntRange(min=0),
            default=4,
            show_default=True,
            help="Retries of a failed Piston request (with backoff) before IE.",
        ),
        click.option(
            "--piston-timeout",
            type=Finite(min=1),
            default=60.0,
            show_default=True,
            help="Seconds to wait for one Piston answer (queueing included).",
        ),
        click.option(
            "--piston-concurrency",
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


class ShellWords(click.ParamType):  # type: ignore[type-arg]
    """A string split like a shell's words (kept whole; refused when it cannot be split)."""

    name = "words"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import shlex

        try:
            shlex.split(str(value))
        except ValueError as exc:
            self.fail(f"{value!r} cannot be split into words like a shell's ({exc})", param, ctx)
        return str(value)


class Finite(click.FloatRange):
    """A float range that also refuses nan and infinity (which every comparison lets through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class Multiplier(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A number of at least 0.1, `auto`, or `auto*NUMBER`: (auto, number)."""

    name = "FLOAT|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        auto = text == "auto" or text.startswith("auto*")
        number_text = text[len("auto*") :] if text.startswith("auto*") else ("1" if auto else text)
        try:
            number = float(number_text)
        except ValueError:
            self.fail(f"{value!r} is not a number, auto or auto*NUMBER", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if number < 0.1:
            self.fail(f"{number} is below 0.1", param, ctx)
        return auto, number


class EndpointURL(click.ParamType):  # type: ignore[type-arg]
    """A Piston server's address: http(s)://host[:port][/path]."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from urllib.parse import urlsplit

        text = str(value).strip()
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            self.fail(f"{text!r} is not a URL ({exc})", param, ctx)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            hint = f": write http://{text}" if "://" not in text else ""
            self.fail(f"{text!r} is not an http(s) URL{hint}", param, ctx)
        return text.rstrip("/")


def config_from(options: dict[str, Any]) -> CheckConfig:
    if options["executor"] == "piston" and not options["endpoints"]:
        raise click.UsageError("--executor piston needs at least one --endpoint URL")
    if options["executor"] == "local" and options["endpoints"]:
        raise click.UsageError("--endpoint is for --executor piston (the local executor needs no server)")
    return CheckConfig(
        problems=options["problems"],
        executor=options["executor"],
        endpoints=tuple(options["endpoints"]),
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
        test_order=options["test_order"],
        limit=options["limit"],
        sample=options["sample"],
        seed=options["seed"],
        process_limit=options["process_limit"],
        python=options["python"],
        python_runner=options["python_runner"],
        cxx_flags=options["cxx_flags"],
        cache=not options["no_cache"],
        piston_batch=not options["piston_per_test"],
        cache_dir=options["cache_dir"],
        piston_retries=options["piston_retries"],
        piston_timeout=options["piston_timeout"],
        piston_concurrency=options["piston_concurrency"],
    )


@cli.command(
    epilog="""Examples:

\b
  batch-eval check runs/exp1/checkpoint-400/solutions.jsonl --problems problems.jsonl -o evals/step-400
  batch-eval check sols.jsonl --problems problems.jsonl -o out --output-compare lines --all-tests
  batch-eval check sols.jsonl --problems problems.jsonl -o out --executor piston --endpoint http://gpu-box:2000"""
)
@click.argument("solutions", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for <stem>.results.jsonl and <stem>.metrics.json.",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@click.option(
    "--stem", default=None, hidden=True, help="Name of the output files (default: the file's stem)."
)
@click.option(
    "--redo-ie",
    is_flag=True,
    help="Keep the verdicts of an earlier check of this same file with the same settings and "
    "judge again only its IE records (those the infrastructure failed).",
)
@check_options
def check(
    solutions: Path, output_dir: Path, quiet: bool, stem: str | None, redo_ie: bool, **options: Any
) -> None:
    """Judge every record of one SOLUTIONS JSONL file."""
    from batch_eval.judging.check import check_file
    from batch_eval.reporting.display import summary_line

    config = config_from(options)
    outcome = check_file(config, solutions, output_dir, stem=stem, warn=_warn, redo_ie=redo_ie)
    if not quiet:
        click.echo(summary_line(solutions, outcome.metrics), err=True)
    click.echo(str(outcome.results_path))
    sys.exit(outcome.exit_code)


@cli.command(
    epilog="""Examples:

\b
  batch-eval run --solutions-dir runs/exp1 --problems problems.jsonl -o evals/exp1 --dry-run
  batch-eval run --solutions-dir runs/exp1 --problems problems.jsonl -o evals/exp1 --max-workers 4
  batch-eval run --solutions-dir runs/exp1 --problems p.jsonl -o out --checkpoint-filter 'checkpoint-{1,2}00'
"""
)
@click.option(
    "--solutions-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder whose subfolders are checkpoints (checkpoint-196/, global_step_392/, ...).",
)
@click.option(
    "--solutions-pattern",
    default=None,
    metavar="GLOB",
    help="Glob of checkpoint folders, braces allowed: 'runs/*/checkpoint-{196,392}'.",
)
@click.option(
    "--solutions-list",
    type=click.Path(path_type=Path),
    default=None,
    help="File listing checkpoint folders, one per line.",
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Where eval_checkpoint_<step>/ folders and batch_eval_results.json go.",
)
@click.option(
    "--checkpoint-filter",
    multiple=True,
    metavar="GLOB",
    help="Only checkpoints whose name matches (repeatable; braces: checkpoint-{196,392}).",
)
@click.option("--sort-order", type=click.Choice(SORT_ORDERS), default="step", show_default=True)
@click.option(
    "--max-workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default=True,
    help="Files checked at once.",
)
@click.option(
    "--timeout",
    type=Finite(min=1),
    default=3600.0,
    show_default=True,
    help="Seconds per file before its checker is killed with its children.",
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first file that fails.")
@click.option("--force", is_flag=True, help="Redo every file, even those already done.")
@click.option("--dry-run", is_flag=True, help="Print the plan and write nothing.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: the plan as JSON on stdout.")
@click.option(
    "--run-metadata",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON/YAML mapping checkpoint names to training parameters, carried into the summary.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@check_options
def run(
    solutions_dir: Path | None,
    solutions_pattern: str | None,
    solutions_list: Path | None,
    output_dir: Path,
    checkpoint_filter: tuple[str, ...],
    sort_order: str,
    max_workers: int,
    timeout: float,
    fail_fast: bool,
    force: bool,
    dry_run: bool,
    as_json: bool,
    run_metadata: Path | None,
    quiet: bool,
    **options: Any,
) -> None:
    """Check every JSONL file of every checkpoint, in parallel, resumably."""
    from batch_eval.batch.run import RunOptions, dry_run_checks, plan_run, refuse_other_settings, run_batch
    from batch_eval.reporting.display import PlainDisplay, make_display, plan_text
    from batch_eval.reporting.report import load_metadata

    if as_json and not dry_run:
        raise click.UsageError(
            "--json goes with --dry-run (the run's results are in batch_eval_results.json)"
        )
    cores = os.cpu_count() or 1
    if options["executor"] == "local" and max_workers > cores:
        _warn(
            f"--max-workers {max_workers} on {cores} cores: checkers will wait for a core (verdicts "
            f"stay right, through patient re-runs, but the run is slower than with {cores})"
        )
    config = config_from(options)
    metadata = load_metadata(run_metadata)
    run_options = RunOptions(
        output_dir=output_dir,
        solutions_dir=solutions_dir,
        solutions_pattern=solutions_pattern,
        solutions_list=solutions_list,
        checkpoint_filter=checkpoint_filter,
        sort_order=sort_order,
        max_workers=max_workers,
        timeout=timeout,
        fail_fast=fail_fast,
        force=force,
        metadata=metadata,
    )
    if dry_run:
        plan, _ = plan_run(run_options, config)
        click.echo(json.dumps(plan.to_dict(), indent=2) if as_json else plan_text(plan))
        # then what the real run would meet, so that exit 0 means it would start
        if not force:
            refuse_other_settings(plan, config)
        dry_run_checks(plan, config, make_display(quiet=False) if not as_json else PlainDisplay())
        sys.exit(ExitCode.OK)
    sys.exit(run_batch(run_options, config, make_display(quiet)))


@cli.command(
    epilog="""Examples:

\b
  batch-eval status evals/exp1
  batch-eval status evals/exp1 --json | jq .checkpoints"""
)
@click.argument("output_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The same data, machine-readable, on stdout.")
def status(output_dir: Path, as_json: bool) -> None:
    """Where the run writing OUTPUT_DIR stands (running, finished, interrupted or dead)."""
    from batch_eval.reporting.status import read_status, status_text

    state = read_status(output_dir)
    click.echo(json.dumps(state, indent=2) if as_json else status_text(state))
    sys.exit(ExitCode.OK if state["state"] in ("running", "finished") else ExitCode.INCOMPLETE)


@cli.command(
    epilog="""Examples:

\b
  batch-eval watch evals/exp1
  batch-eval watch evals/exp1 --interval 10"""
)
@click.argument("output_dir", type=click.Path(path_type=Path))
@click.option(
    "--interval",
    type=Finite(min=0.2),
    default=2.0,
    show_default=True,
    help="Seconds between refreshes.",
)
def watch(output_dir: Path, interval: float) -> None:
    """Follow the status of OUTPUT_DIR until its run finishes (waiting for a run to start, and
    for the rerun of an interrupted one)."""
    from batch_eval.reporting.display import watch_status

    sys.exit(watch_status(output_dir, interval))


@cli.command(
    epilog="""Examples:

\b
  batch-eval report evals/exp1
  batch-eval report evals/exp1 --plot pass_at_k.png"""
)
@click.argument("output_dir", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--diff",
    "--compare",
    "compare",
    nargs=2,
    metavar="A B",
    default=None,
    help="Per-problem gains and losses of B over A, with a paired test. A and B: a checkpoint "
    "name or step of OUTPUT_DIR, a run folder with one checkpoint, or DIR:NAME (--compare is "
    "the old name).",
)
@click.option(
    "--plot", type=click.Path(path_type=Path), default=None, help="Write the learning curve here (PNG)."
)
@click.option(
    "--run-metadata",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON/YAML mapping checkpoint names to training parameters, shown as columns.",
)
@click.option(
    "--mlflow", "use_mlflow", is_flag=True, help="Log each checkpoint's metrics to MLflow at its step."
)
@click.option("--mlflow-uri", default=None, help="MLflow tracking URI (default: MLFLOW_TRACKING_URI).")
@click.option("--mlflow-experiment", default="batch-eval", show_default=True)
def report(
    output_dir: Path,
    fmt: str,
    compare: tuple[str, str] | None,
    plot: Path | None,
    run_metadata: Path | None,
    use_mlflow: bool,
    mlflow_uri: str | None,
    mlflow_experiment: str,
) -> None:
    """One row per checkpoint of OUTPUT_DIR: pass@1 with its interval, pass@k, verdicts; the best marked."""
    from batch_eval.reporting import report as reporting

    if compare is not None:
        result = reporting.compare(
            reporting.resolve(compare[0], output_dir), reporting.resolve(compare[1], output_dir)
        )
        click.echo(json.dumps(result, indent=2) if fmt == "json" else reporting.compare_text(result))
        sys.exit(ExitCode.OK)
    rows = reporting.load_rows(output_dir, reporting.load_metadata(run_metadata))
    click.echo(reporting.render(rows, fmt))
    for row in rows:
        if row.incomplete:
            click.echo(f"warning: {row.name} is incomplete ({row.incomplete}): not ranked", err=True)
    speeds = reporting.speed_warning(rows)
    if speeds:
        click.echo(f"warning: {speeds}", err=True)
    if plot is not None:
        from batch_eval.reporting.plot import plot_curve

        plot_curve(rows, plot)
        click.echo(f"plot: {plot}", err=True)
    if use_mlflow:
        from batch_eval.reporting.tracking import log_to_mlflow

        run_id = log_to_mlflow(rows, mlflow_uri, mlflow_experiment, output_dir.resolve().name)
        click.echo(f"mlflow: logged {len(rows)} checkpoints to run {run_id}", err=True)
    sys.exit(ExitCode.INCOMPLETE if any(row.incomplete for row in rows) else ExitCode.OK)


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM (a timeout or Ctrl-C of `run`) unwinds like Ctrl-C: temp files, sandboxes
    # and cgroups are cleaned, partial files are never renamed into place
    raise KeyboardInterrupt


def main() -> None:
    """The single error boundary: user errors are one line, bugs keep their traceback."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.UsageError as exc:
        # one line, as every other user error: what is wrong and where the help is
        where = exc.ctx.command_path if exc.ctx is not None else "batch-eval"
        click.echo(f"error: {exc.format_message().rstrip('.')} (see '{where} --help')", err=True)
        sys.exit(ExitCode.USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except BatchEvalError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.USAGE)
    except SystemExit:
        raise
    except OSError as exc:
        if exc.errno not in MACHINE_ERRNOS:
            _bug()
        # the machine's, not ours (a full disk, a read-only folder): one line, exit 2
        click.echo(f"error: {file_error(exc, 'write')}", err=True)
        sys.exit(ExitCode.USAGE)
    except Exception:
        _bug()


def _bug() -> None:
    """Inside an `except`: the traceback, a request to report it, exit 3."""
    import traceback

    traceback.print_exc()
    click.echo("batch-eval: internal error (a bug): please report it with the traceback above", err=True)
    sys.exit(ExitCode.INTERNAL)
