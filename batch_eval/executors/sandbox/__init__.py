"""The code that runs inside a sandbox (the fork server's program, Piston's launcher, and the
output comparison the launcher applies as the judge does): read as files and run by the
solutions' interpreter, stdlib-only, importing nothing of batch-eval."""

from pathlib import Path

SANDBOX = Path(__file__).resolve().parent
