"""batch-eval: judge generated programs of every checkpoint against their problems' tests.

The Python API (see api.py): check_file, run_batch, load_problems; CheckConfig for settings.
Packages, bottom to top: the core (errors, files, identity, verdict, version), executors
(sandbox, local, piston), config and judging, batch, reporting, then cli.py and this API.
"""

from batch_eval.api import BatchOutcome, check_file, load_problems, run_batch
from batch_eval.config import CheckConfig
from batch_eval.errors import BatchEvalError
from batch_eval.judging.check import CheckOutcome
from batch_eval.version import SCHEMA_VERSION, __version__

__all__ = [
    "SCHEMA_VERSION",
    "BatchEvalError",
    "BatchOutcome",
    "CheckConfig",
    "CheckOutcome",
    "__version__",
    "check_file",
    "load_problems",
    "run_batch",
]
