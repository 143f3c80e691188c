"""The frozen configuration of a check, and its fingerprint over what can change a verdict."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from batch_eval import __version__
from batch_eval.compare import Comparison
from batch_eval.executors.base import Limits


@dataclass(frozen=True)
class CheckConfig:
    """Everything `check` needs besides the solutions file. Built once, passed explicitly."""

    problems: Path
    executor: str = "local"
    endpoints: tuple[str, ...] = ()
    time_limit: float = 2.0  # seconds, for problems without one
    memory_limit: int = 256  # MB, for problems without one
    time_multiplier: float = 1.0
    output_limit_mb: int = 64
    process_limit: int = 64
    compare: str = "default"
    float_tolerance: float = 1e-6
    checker_convention: str = "open-r1"
    generated_tests_dir: Path | None = None
    max_generated_tests: int = 0
    all_tests: bool = False
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    python: str | None = None
    # runtime-only knobs: they never change a verdict
    piston_retries: int = 4
    piston_timeout: float = 60.0

    #: fields that cannot change a verdict (everything else is in the fingerprint)
    RUNTIME_ONLY = frozenset({"piston_retries", "piston_timeout", "endpoints"})

    def limits_for(self, time_limit: float | None, memory_limit: int | None) -> Limits:
        seconds = (time_limit or self.time_limit) * self.time_multiplier
        return Limits(
            time_s=round(seconds, 3),
            memory_mb=int(memory_limit or self.memory_limit),
            output_bytes=self.output_limit_mb * 1024 * 1024,
            processes=self.process_limit,
        )

    def comparison(self) -> Comparison:
        return Comparison(self.compare, self.float_tolerance)

    def fingerprint(self, problems_digest: str = "") -> str:
        """A hash of every setting that can change a verdict, plus the tool version."""
        keep = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in self.RUNTIME_ONLY and f.name != "problems"
        }
        keep["problems_digest"] = problems_digest
        keep["version"] = __version__
        blob = json.dumps(keep, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}
