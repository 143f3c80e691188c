"""Entry point for `python -m batch_eval`."""

from batch_eval.cli import main

main()
