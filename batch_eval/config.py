"""The frozen configuration of a check, and its fingerprint over what can change a verdict."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import Limits
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.files import default_cache_dir
from batch_eval.identity import judging_code
from batch_eval.judging.solutions import Shape


@dataclass(frozen=True)
class CheckConfig:
    """Everything `check` needs besides the solutions file. Built once, passed explicitly."""

    problems: Path
    executor: str = "local"
    endpoints: tuple[str, ...] = ()  # Piston: URLs or `slurm` (none: PISTON_ENDPOINTS)
    endpoints_file: Path | None = None  # Piston: a URL a line, read again while running
    time_limit: float = 2.0  # seconds, for problems without one
    memory_limit: int = 256  # MB, for problems without one
    time_multiplier: float = 1.0
    # --time-multiplier auto: limits scaled by this judge's benchmark figure (calibrate.py)
    time_scale_auto: bool = False
    output_limit_mb: int = 64
    process_limit: int = 64
    compare: str = "default"
    float_tolerance: float = 1e-6
    checker_convention: str = "open-r1"
    generated_tests_dir: Path | None = None
    max_generated_tests: int = 0
    all_tests: bool = False
    mbpp_challenge: bool = False  # MBPP: challenge_test_list's asserts too (papers score test_list only)
    test_order: str = "size"  # with early stop: smallest inputs first ("given": file order)
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    after: str | None = None  # YYYY-MM-DD: only problems published on or after it (a model's cut-off)
    # where records keep their problem id and program when not in the usual fields
    id_field: str | None = None
    code_field: str | None = None
    python: str | None = None
    piston_batch: bool = True  # one Piston request runs many tests of a Python solution
    python_runner: str = "fork"  # fork: forked from a started interpreter; process: fresh per test
    cxx_flags: str | None = None  # local C++ flags (shell words); None: Codeforces' (local.CXX_FLAGS)
    testlib: str | None = None  # the testlib.h problems' C++ interactors and checkers build with (None: ours)
    # runtime-only knobs: they never change a verdict
    ks: tuple[int, ...] = ()  # the k of pass@k the metrics and output show besides the usual ones
    piston_retries: int = 4
    piston_timeout: float = 60.0
    piston_wait: float = 120.0  # how long servers that stopped answering are waited for
    piston_concurrency: int = 8  # requests in flight per endpoint, shared by every checker
    jobs: int = 0  # local: programs at once in one check (0: one per core this process may use)
    cache: bool = True  # the verdict cache, keyed by everything that can change a verdict
    cache_dir: Path | None = None  # None: $XDG_CACHE_HOME/batch-eval

    #: fields that cannot change a verdict (everything else is in the fingerprint)
    RUNTIME_ONLY = frozenset(
        {
            "piston_retries",
            "piston_timeout",
            "piston_wait",
            "piston_concurrency",
            "jobs",
            "endpoints",
            "endpoints_file",
            "cache",
            "cache_dir",
            "ks",
        }
    )

    #: fields that choose which records are judged, not how: in the resume fingerprint only
    SELECTION = frozenset({"limit", "sample", "seed", "after", "id_field", "code_field"})

    def verdict_settings(self) -> dict[str, Any]:
        """Every setting that can change the verdict of one program (the verdict cache's share
        of this config): all fields but the runtime-only knobs, the record selection and the
        problems file's path (its content is keyed by the tests themselves)."""
        skip = self.RUNTIME_ONLY | self.SELECTION | {"problems"}
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in skip}

    def limits_for(self, time_limit: float | None, memory_limit: int | None, scale: float = 1.0) -> Limits:
        """A problem's limits (the defaults where it has none); `scale`: the calibration's
        factor under --time-multiplier auto."""
        seconds = (time_limit or self.time_limit) * self.time_multiplier * scale
        return Limits(
            time_s=round(seconds, 3),
            memory_mb=int(memory_limit or self.memory_limit),
            output_bytes=self.output_limit_mb * 1024 * 1024,
            processes=self.process_limit,
        )

    def local_jobs(self) -> int:
        """How many programs one check's local executor runs at once: `jobs`, else one per
        core this process may use (its CPU affinity: `taskset -c 0` makes it one)."""
        return self.jobs or len(os.sched_getaffinity(0))

    def shape(self) -> Shape:
        """Where the solutions' records keep their id and program (--id-field, --code-field)."""
        return Shape(self.id_field, self.code_field)

    def comparison(self) -> Comparison:
        return Comparison(self.compare, self.float_tolerance)

    def settings(self) -> dict[str, Any]:
        """The user's settings that can change a verdict or the records judged, as plain JSON
        values (kept in every metrics file, so a changed one can be named)."""
        keep = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in self.RUNTIME_ONLY and f.name != "problems"
        }
        loaded: dict[str, Any] = json.loads(json.dumps(keep, sort_keys=True, default=str))
        return loaded

    def fingerprint(self, problems_digest: str = "") -> str:
        """A hash of the settings, the problems' content and the judging code's identity (a
        resume never keeps verdicts of other judging code)."""
        keep = {**self.settings(), "problems_digest": problems_digest, "judging_code": judging_code()}
        blob = json.dumps(keep, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def of(cls, problems: Path, **settings: Any) -> CheckConfig:
        """A config from keywords named as its fields or as the command line's options
        (`output_compare="lines"` as `--output-compare lines`, `max_records=` as
        `--max-records`); an unknown keyword is a BatchEvalError naming the closest one."""
        known = {f.name for f in fields(cls)} - {"problems"}
        values: dict[str, Any] = {}
        for key, value in settings.items():
            name = OPTION_NAMES.get(key, key)
            if name not in known:
                close = difflib.get_close_matches(key, sorted(known | set(OPTION_NAMES)), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise BatchEvalError(f"no setting is named {key!r}{hint}")
            if name in values:
                raise BatchEvalError(f"{key!r} and {name!r} are the same setting: give one of them")
            as_tuple = name in ("endpoints", "ks") and not isinstance(value, str)
            values[name] = tuple(value) if as_tuple else value
        return cls(problems=problems, **values)

    def to_json(self) -> str:
        """This config as JSON, which `from_json` turns back into an equal config: how `run`
        hands its settings to each checker process (`check --config-json`), whole."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CheckConfig:
        values = json.loads(text)
        for name in PATH_FIELDS:
            if values.get(name) is not None:
                values[name] = Path(values[name])
        values["endpoints"] = tuple(values["endpoints"])
        values["ks"] = tuple(values.get("ks", ()))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


#: the command line's option names (as keywords) of the fields named otherwise here
OPTION_NAMES = {
    "output_compare": "compare",
    "max_records": "limit",
    "sample_records": "sample",
    "output_limit": "output_limit_mb",
    "endpoint": "endpoints",
    "k": "ks",
}
PATH_FIELDS = ("problems", "generated_tests_dir", "cache_dir", "endpoints_file")


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def problems_index_dir(config: CheckConfig) -> Path:
    """Where the index of a problems file is kept for the checkers (beside the verdict cache)."""
    return (config.cache_dir or default_cache_dir()) / "problems"


def problems_digest(config: CheckConfig) -> str:
    """What the problems and generated tests are now: content of the problems file, and the
    names, sizes and times of the parquet files (hashing gigabytes of tests would be slow)."""
    from batch_eval.judging import hub  # the library is imported only for a dataset

    if hub.is_dataset(config.problems):
        h = hashlib.sha256(hub.fingerprint(config.problems).encode())
    else:
        h = hashlib.sha256(file_sha256(config.problems).encode() if config.problems.is_file() else b"-")
    folder = config.generated_tests_dir
    if folder is not None and config.max_generated_tests != 0 and folder.is_dir():
        for p in sorted(folder.glob("*.parquet")):
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]
