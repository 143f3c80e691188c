"""The command line: parses options into a config, calls one core function, maps the exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from batch_eval import __version__
from batch_eval.checker import CONVENTIONS
from batch_eval.compare import MODES
from batch_eval.config import CheckConfig
from batch_eval.errors import BatchEvalError, ExitCode

EXIT_CODES_HELP = "\n".join(f"  {code.value:>3}  {code.name.lower().replace('_', ' ')}" for code in ExitCode)


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


@click.group(epilog=f"Exit codes:\n\n{EXIT_CODES_HELP}")
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
            multiple=True,
            metavar="URL",
            help="Piston server URL, repeatable (e.g. http://localhost:2000).",
        ),
        click.option(
            "--time-limit",
            type=click.FloatRange(min=0.01),
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
            type=click.FloatRange(min=0.1),
            default=1.0,
            show_default=True,
            help="Multiply every time limit (slow machines).",
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
            "--compare",
            type=click.Choice(MODES),
            default="default",
            show_default=True,
            help="Output comparison (see README).",
        ),
        click.option(
            "--float-tolerance",
            type=float,
            default=1e-6,
            show_default=True,
            help="Absolute/relative tolerance of --compare float.",
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
            type=int,
            default=0,
            show_default=True,
            help="Generated tests per problem: 0 none, -1 all.",
        ),
        click.option(
            "--all-tests", is_flag=True, help="Run every test (default: stop at the first failure)."
        ),
        click.option(
            "--limit", type=click.IntRange(min=1), default=None, help="Judge only the first N records."
        ),
        click.option(
            "--sample",
            type=click.IntRange(min=1),
            default=None,
            help="Judge N records drawn at random (reproducible with --seed).",
        ),
        click.option("--seed", type=int, default=0, show_default=True),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def config_from(options: dict[str, Any]) -> CheckConfig:
    if options["executor"] == "piston" and not options["endpoints"]:
        raise click.UsageError("--executor piston needs at least one --endpoint URL")
    return CheckConfig(
        problems=options["problems"],
        executor=options["executor"],
        endpoints=tuple(options["endpoints"]),
        time_limit=options["time_limit"],
        memory_limit=options["memory_limit"],
        time_multiplier=options["time_multiplier"],
        output_limit_mb=options["output_limit_mb"],
        compare=options["compare"],
        float_tolerance=options["float_tolerance"],
        checker_convention=options["checker_convention"],
        generated_tests_dir=options["generated_tests_dir"],
        max_generated_tests=options["max_generated_tests"],
        all_tests=options["all_tests"],
        limit=options["limit"],
        sample=options["sample"],
        seed=options["seed"],
    )


@cli.command()
@click.argument("solutions", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for <stem>.results.jsonl and <stem>.metrics.json.",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@check_options
def check(solutions: Path, output_dir: Path, quiet: bool, **options: Any) -> None:
    """Judge every record of one SOLUTIONS JSONL file."""
    from batch_eval.check import check_file
    from batch_eval.display import summary_line

    config = config_from(options)
    outcome = check_file(config, solutions, output_dir, warn=_warn)
    if not quiet:
        click.echo(summary_line(solutions, outcome.metrics), err=True)
    click.echo(str(outcome.results_path))
    sys.exit(outcome.exit_code)


def main() -> None:
    """The single error boundary: user errors are one line, bugs keep their traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except BatchEvalError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.USAGE)
    except SystemExit:
        raise
    except Exception:
        import traceback

        traceback.print_exc()
        click.echo("batch-eval: internal error (a bug): please report it with the traceback above", err=True)
        sys.exit(ExitCode.INTERNAL)
