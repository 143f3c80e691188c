"""`batch-eval status`, `watch` and `report`: reading what a run wrote, while it runs and after."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from batch_eval.cli.app import cli, renamed, warn
from batch_eval.cli.types import Finite, KList
from batch_eval.errors import ExitCode


@cli.command(
    epilog="""Examples:

\b
  batch-eval status evals/exp1
  batch-eval status evals/exp1 --k 10
  batch-eval status evals/exp1 --json | jq .checkpoints"""
)
@click.argument("output_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The same data, machine-readable, on stdout.")
@click.option(
    "--k",
    "ks",
    type=KList(),
    default=None,
    help="pass@k columns beside pass@1, e.g. 10,100 (default: the run's --k), as far as the metrics "
    "hold them (1, 5, 10, 25, 50, 100 and the run's --k); `report --k` computes any k.",
)
def status(output_dir: Path, as_json: bool, ks: list[int] | None) -> None:
    """Where the run writing OUTPUT_DIR stands (running, finished, interrupted or dead)."""
    from batch_eval.reporting.status import read_status, status_text

    state = read_status(output_dir)
    click.echo(json.dumps(state, indent=2) if as_json else status_text(state, ks))
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
    from batch_eval.reporting.watch import watch_status

    sys.exit(watch_status(output_dir, interval))


@cli.command(
    cls=renamed({"--compare": "--diff"}),
    epilog="""Examples:

\b
  batch-eval report evals/exp1
  batch-eval report evals/exp1 --plot pass_at_k.png
  batch-eval report evals/exp1 --k 1,10 --plot curve.pdf --title 'exp1 on CodeContests'
  batch-eval report evals/exp1 --per-sample samples.parquet""",
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
    "compare",
    nargs=2,
    metavar="A B",
    default=None,
    help="Per-problem gains and losses of B over A, with a paired test. A and B: a checkpoint "
    "name or step of OUTPUT_DIR, a run folder with one checkpoint, or DIR:NAME.",
)
@click.option(
    "--plot",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the learning curve here: pass@k per step with 95% bands, the best marked (.png, .svg, .pdf).",
)
@click.option(
    "--k",
    "ks",
    type=KList(),
    default=None,
    help="The k of pass@k shown (table columns and plot lines), e.g. 1,10,100; each over the problems "
    "with at least k samples. Default: 1 and the largest k every problem has.",
)
@click.option("--title", default=None, help="The plot's title (default: the run folder's name).")
@click.option(
    "--per-sample",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write one row per judged sample of every checkpoint (checkpoint, step, file, problem, "
    "sample, language, verdict, tests passed/total, time, memory, cached) to this .csv, .jsonl or "
    ".parquet file, for pandas.",
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
    ks: list[int] | None,
    title: str | None,
    per_sample: Path | None,
    run_metadata: Path | None,
    use_mlflow: bool,
    mlflow_uri: str | None,
    mlflow_experiment: str,
) -> None:
    """One row per checkpoint of OUTPUT_DIR: pass@1 with its interval, pass@k, verdicts; the best marked."""
    from batch_eval.reporting import report as reporting

    if plot is not None:
        from batch_eval.reporting.plot import check_path

        check_path(plot)
    if per_sample is not None:
        from batch_eval.reporting import samples

        samples.check_path(per_sample)
    if compare is not None:
        from batch_eval.reporting import diff

        result = diff.compare(diff.resolve(compare[0], output_dir), diff.resolve(compare[1], output_dir))
        click.echo(json.dumps(result, indent=2) if fmt == "json" else diff.compare_text(result))
        sys.exit(ExitCode.OK)
    rows = reporting.load_rows(output_dir, reporting.load_metadata(run_metadata))
    click.echo(reporting.render(rows, fmt, ks))
    for row in rows:
        if row.incomplete:
            click.echo(f"warning: {row.name} is incomplete ({row.incomplete}): not ranked", err=True)
    speeds = reporting.speed_warning(rows)
    if speeds:
        click.echo(f"warning: {speeds}", err=True)
    if plot is not None:
        from batch_eval.reporting.plot import plot_curve

        for note in plot_curve(rows, plot, ks, title, output_dir.resolve().name):
            warn(note)
        click.echo(f"plot: {plot}", err=True)
    if per_sample is not None:
        written = samples.write_samples(output_dir, per_sample)
        click.echo(f"per-sample table: {written} rows in {per_sample}", err=True)
    if use_mlflow:
        from batch_eval.reporting.tracking import log_to_mlflow

        run_id = log_to_mlflow(rows, mlflow_uri, mlflow_experiment, output_dir.resolve().name)
        click.echo(f"mlflow: logged {len(rows)} checkpoints to run {run_id}", err=True)
    sys.exit(ExitCode.INCOMPLETE if any(row.incomplete for row in rows) else ExitCode.OK)
