"""The command line: parses options into a config, calls one core function, maps the exit code.

app.py: the `batch-eval` group and the error boundary (main); judge.py: `check` and `run`;
results.py: `status`, `watch` and `report`; options.py: the judging options shared by
`check` and `run`, and the config they make; types.py: option types of our own."""

from batch_eval.cli import judge, results  # noqa: F401 - registers the commands on the group
from batch_eval.cli.app import cli, main

__all__ = ["cli", "main"]
