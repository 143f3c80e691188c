"""`batch-eval check` (one solutions file) and `batch-eval run` (every file of every checkpoint)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from batch_eval.batch.scan import SORT_ORDERS
from batch_eval.cli.app import cli, renamed, warn
from batch_eval.cli.options import OLD_NAMES, SECTIONS, check_options, config_from
from batch_eval.cli.types import Finite
from batch_eval.errors import ExitCode


@cli.command(
    cls=renamed(OLD_NAMES, SECTIONS),
    epilog="""Examples:

\b
  batch-eval check runs/exp1/checkpoint-400/solutions.jsonl --problems problems.jsonl -o evals/step-400
  batch-eval check sols.jsonl --problems problems.jsonl -o out --output-compare lines --all-tests
  batch-eval check sols.jsonl --problems problems.jsonl -o out --executor piston --endpoint http://gpu-box:2000""",
)
@click.argument("solutions", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    required=True,
    help="Folder for <stem>.results.jsonl and <stem>.metrics.json.",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@click.option(
    "--stem", default=None, hidden=True, help="Name of the output files (default: the file's stem)."
)
@click.option(
    "--shard",
    default=None,
    hidden=True,
    help="K/N: judge only every N-th record from the K-th (how `run` judges one file on "
    "several cores; `run` merges the shards).",
)
@click.option(
    "--redo-ie",
    is_flag=True,
    help="Keep the verdicts of an earlier check of this same file with the same settings and "
    "judge again only its IE records (those the infrastructure failed).",
)
@click.option(
    "--config-json",
    default=None,
    hidden=True,
    help="The whole config as CheckConfig.to_json() writes it (how `run` starts its checkers); "
    "the judging options are then ignored.",
)
@check_options
def check(
    solutions: Path,
    output_dir: Path,
    quiet: bool,
    stem: str | None,
    shard: str | None,
    redo_ie: bool,
    config_json: str | None,
    **options: Any,
) -> None:
    """Judge every record of one SOLUTIONS file (.jsonl, .jsonl.gz or a .json list; Python,
    PyPy, C, C++, Java, Rust or JavaScript programs, in the benchmarks' own record formats:
    docs/inputs.md)."""
    from batch_eval.config import CheckConfig
    from batch_eval.judging.check import check_file
    from batch_eval.reporting.display import summary_line

    if config_json:
        try:
            config = CheckConfig.from_json(config_json)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise click.UsageError("--config-json is not a config that batch-eval wrote") from None
    else:
        from batch_eval.batch.heartbeat import refuse_while_a_run_writes

        config = config_from(options)
        refuse_while_a_run_writes(output_dir.resolve())  # a user's check, not a run's checker
    part = None
    if shard is not None:
        from batch_eval.batch.shards import parse_shard

        part = parse_shard(shard)
    outcome = check_file(config, solutions, output_dir, stem=stem, warn=warn, redo_ie=redo_ie, shard=part)
    if not quiet:
        click.echo(summary_line(solutions, outcome.metrics), err=True)
    click.echo(str(outcome.results_path))
    sys.exit(outcome.exit_code)


@cli.command(
    cls=renamed(OLD_NAMES, SECTIONS),
    epilog="""Examples:

\b
  batch-eval run --solutions-dir runs/exp1 --problems problems.jsonl -o evals/exp1 --dry-run
  batch-eval run --solutions-dir runs/exp1 --problems problems.jsonl -o evals/exp1 --max-workers 4
  batch-eval run --solutions-dir runs/exp1 --problems p.jsonl -o out --checkpoint-filter 'checkpoint-{1,2}00'
  batch-eval run --solutions-dir runs/exp1 --problems problems.jsonl -o evals/exp1 --ray auto
""",
)
@click.option(
    "-s",
    "--solutions-dir",
    metavar="DIR",
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
    metavar="FILE",
    type=click.Path(path_type=Path),
    default=None,
    help="File listing checkpoint folders, one per line.",
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
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
    "-w",
    "--max-workers",
    metavar="N",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default=True,
    help="Checkers at once: files, or record shards of a file when fewer files than this are "
    "left to check (the shards are merged into the file's one results file).",
)
@click.option(
    "-t",
    "--timeout",
    metavar="S",
    type=Finite(min=1),
    default=3600.0,
    show_default=True,
    help="Seconds per file before its checker is killed with its children.",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[ADDRESS]",
    help="Judge on a Ray cluster: ADDRESS as ray.init takes it (auto, ray://head:10001), or none "
    "for a local Ray started for the run. As many checks at once as the cluster has cores "
    "(--max-workers is not used); every node needs batch-eval's dependencies and toolchains. "
    "Needs the ray extra.",
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first file that fails.")
@click.option("--force", is_flag=True, help="Redo every file, even those already done.")
@click.option("--dry-run", is_flag=True, help="Print the plan and write nothing.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: the plan as JSON on stdout.")
@click.option(
    "--run-metadata",
    metavar="FILE",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON/YAML mapping checkpoint names to training parameters, carried into the summary.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option(
    "--verbose", "-v", is_flag=True, help="Also say the sandbox's isolation level when the run starts."
)
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
    ray_address: str | None,
    fail_fast: bool,
    force: bool,
    dry_run: bool,
    as_json: bool,
    run_metadata: Path | None,
    quiet: bool,
    verbose: bool,
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
    if ray_address is not None and options["executor"] != "local":
        raise click.UsageError("--ray runs the local executor on the cluster's nodes: drop --executor")
    if options["executor"] == "local" and max_workers > cores and ray_address is None:
        warn(
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
        ray=ray_address,
        metadata=metadata,
    )
    if dry_run:
        plan, _ = plan_run(run_options, config)
        click.echo(json.dumps(plan.to_dict(), indent=2) if as_json else plan_text(plan))
        # then what the real run would meet, so that exit 0 means it would start
        if not force:
            refuse_other_settings(plan, config)
        sound = dry_run_checks(plan, config, make_display(quiet=False) if not as_json else PlainDisplay())
        sys.exit(ExitCode.OK if sound else ExitCode.INCOMPLETE)
    sys.exit(run_batch(run_options, config, make_display(quiet, verbose)))


@cli.command(
    cls=renamed(OLD_NAMES, SECTIONS),
    epilog="""Examples:

\b
  batch-eval audit --problems code_contests.jsonl -o audit/
  batch-eval audit --problems problems.jsonl --reference human.jsonl -o audit/ --output-compare tokens""",
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    required=True,
    help="Folder for audit.json, problems.audited.jsonl and the references' results.",
)
@click.option(
    "--reference",
    metavar="FILE",
    type=click.Path(path_type=Path),
    default=None,
    help="A solutions file of programs known to be correct (default: the solutions the problems "
    "ship: CodeContests/APPS/TACO `solutions`, HumanEval `canonical_solution`, MBPP `code`).",
)
@check_options
def audit(output_dir: Path, reference: Path | None, **options: Any) -> None:
    """Test each problem's checker on its tests' expected outputs and run a dataset's
    reference solutions on its tests: list the problems whose checker is broken or whose
    tests or checker reject every correct program, and write a problems file without them."""
    from dataclasses import replace

    from batch_eval.judging.audit import audit as run_audit

    config = replace(config_from(options), all_tests=True)
    result, outcome, clean = run_audit(config, output_dir, reference, warn=warn)
    click.echo(
        f"tested {result.checkers} checkers on their expected outputs: {len(result.broken_checkers)} broken",
        err=True,
    )
    for pid, why in sorted(result.broken_checkers.items()):
        click.echo(f"  broken checker {pid}: {why}", err=True)
    if outcome is not None:
        click.echo(
            f"audited {len(result.problems)} problems with {outcome.metrics['records']} reference "
            f"solutions: {len(result.rejected)} reject every reference, {len(result.disputed)} reject some",
            err=True,
        )
        for pid in result.rejected:
            click.echo(f"  rejected {pid}: {result.problems[pid]['failure']}", err=True)
        if result.unjudged:
            named = ", ".join(result.unjudged[:5]) + (" …" if len(result.unjudged) > 5 else "")
            click.echo(
                f"  {len(result.unjudged)} problems could not be judged on our side (IE, kept): "
                f"{named}: run the audit again",
                err=True,
            )
    click.echo(f"problems without them: {clean} (details: {output_dir / 'audit.json'})", err=True)
    click.echo(str(clean))
    sys.exit(outcome.exit_code if outcome is not None else ExitCode.OK)
