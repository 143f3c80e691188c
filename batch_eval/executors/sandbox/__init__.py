"""The code that runs inside a sandbox (the fork server's program, Piston's launcher): read as
files and run by the solutions' interpreter, stdlib-only, importing nothing of batch-eval."""

from pathlib import Path

SANDBOX = Path(__file__).resolve().parent
