"""The `batch-eval` command group and the single error boundary every command runs inside."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

import click

from batch_eval.errors import MACHINE_ERRNOS, BatchEvalError, ExitCode, file_error
from batch_eval.version import __version__

EXIT_MEANINGS = {
    ExitCode.OK: "everything asked for was judged",
    ExitCode.INCOMPLETE: "some records skipped, verdicts IE, or files failed (see the summary)",
    ExitCode.USAGE: "bad options or bad input, found before any work",
    ExitCode.INTERNAL: "a bug in batch-eval (the traceback is printed)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); a rerun resumes",
}
EXIT_CODES_HELP = "\n".join(f"  {code.value:>3}  {EXIT_MEANINGS[code]}" for code in ExitCode)


#: help sections: a title and the parameter names (click's `name`) it lists, in order
Sections = Sequence[tuple[str, Sequence[str]]]


def renamed(old_names: dict[str, str], sections: Sections = ()) -> type[click.Command]:
    """A command class whose options still answer to their old names (`old_names`: old ->
    new), kept out of --help: a release's grace for scripts written before a rename. Its
    --help lists the options in `sections`, the common ones first; any option no section
    names comes last, under "Other options"."""

    class Renamed(click.Command):
        def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            records = {
                "help" if p is self.get_help_option(ctx) else p.name: p.get_help_record(ctx)
                for p in self.get_params(ctx)
                if isinstance(p, click.Option)  # arguments are in the usage line
            }
            groups = [(title, [records.pop(n) for n in names if n in records]) for title, names in sections]
            groups.append(("Other options", list(records.values())))
            shown = [(title, [r for r in rows if r is not None]) for title, rows in groups]
            # one column width for every section, so that they line up as one table
            width = min(max((len(r[0]) for _, rows in shown for r in rows), default=0), 30)
            for title, rows in shown:
                if rows:
                    with formatter.section(title):
                        formatter.write_dl([(name.ljust(width), text) for name, text in rows])

        def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
            new: list[str] = []
            for i, arg in enumerate(args):
                if arg == "--":  # what follows is an argument, whatever it looks like
                    new += args[i:]
                    break
                name, eq, value = arg.partition("=")
                new.append(old_names[name] + eq + value if name in old_names else arg)
            return super().parse_args(ctx, new)

    return Renamed


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


# "\b" keeps click from re-wrapping the table into one line
@click.group(
    epilog=f"\b\nExit codes:\n{EXIT_CODES_HELP}",
    # wider than click's 80 where the terminal is: the judging options' help is long
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="batch-eval")
def cli() -> None:
    """Judge generated programs of every checkpoint against their problems' tests."""


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
