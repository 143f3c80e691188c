"""batch-eval: judge generated programs of every checkpoint against their problems' tests.

The Python API (see api.py): check_file, run_batch, load_problems; CheckConfig for settings.
Packages, bottom to top: the core (errors, files, identity, verdict, version), executors
(sandbox, local, piston), config and judging, batch, reporting, then cli/ and this API.
The API is imported when first used: the executors run under interpreters that have none
of the API's dependencies (a jailed user's system Python, a Piston runtime).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from batch_eval.version import SCHEMA_VERSION, __version__

if TYPE_CHECKING:  # what __getattr__ gives, for type checkers
    from batch_eval.api import BatchOutcome as BatchOutcome
    from batch_eval.api import check_file as check_file
    from batch_eval.api import load_problems as load_problems
    from batch_eval.api import run_batch as run_batch
    from batch_eval.config import CheckConfig as CheckConfig
    from batch_eval.errors import BatchEvalError as BatchEvalError
    from batch_eval.judging.check import CheckOutcome as CheckOutcome

_API = {
    "BatchOutcome": "batch_eval.api",
    "check_file": "batch_eval.api",
    "load_problems": "batch_eval.api",
    "run_batch": "batch_eval.api",
    "CheckConfig": "batch_eval.config",
    "BatchEvalError": "batch_eval.errors",
    "CheckOutcome": "batch_eval.judging.check",
}

__all__ = ["SCHEMA_VERSION", "__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'batch_eval' has no attribute {name!r}")
