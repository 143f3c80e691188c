"""Every way batch-eval can judge a program, as one list: a new runner, executor, language
or batching mode joins the conformance suite by adding one line here."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

from batch_eval.executors import Executor
from batch_eval.executors.languages import LANGUAGES
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.local.jail import works as jail_works
from batch_eval.executors.piston.executor import PistonExecutor
from batch_eval.executors.piston.preflight import PACKAGE_DIR, PACKAGE_LANGUAGES
from tests.fake_piston import FakePiston, FakePistonConfig, install_package

#: a real Piston server to run the suite against as well (e.g. http://127.0.0.1:2000)
REAL_PISTON = os.environ.get("BATCH_EVAL_PISTON_URL", "")


@dataclass(frozen=True)
class JudgePath:
    """One path: how to make its executor, the check options it runs with, and its tags
    (cases name the tags of paths that cannot judge them)."""

    name: str
    make: Callable[[str], Executor]  # from the Piston URL (unused by local paths)
    tags: frozenset[str]
    options: dict[str, Any] = field(default_factory=dict)  # CheckConfig fields
    warm_cache: bool = False  # judged twice through one cache: cold, then warm (all hits); both count
    rerun_all: bool = False  # every accepted test is timed again (the judge's re-run, forced)
    shards: int = 0  # the file judged in this many record shards, then merged (as `run` does)
    ray: bool = False  # the shards judged as tasks on a local Ray cluster (`run --ray`)
    fleet: bool = False  # several servers at once
    languages: frozenset[str] = frozenset()  # judges only these languages' cases (none: all)
    needs_jail: bool = False
    needs_ray: bool = False

    @property
    def is_switch(self) -> bool:
        """Whether this path is an executor path run again under a switch (options, re-runs,
        a file in shards, a fleet of servers): it judges the cases every switch must keep."""
        return bool(self.options) or self.rerun_all or bool(self.shards) or self.fleet


def _local(**kw: Any) -> Callable[[str], Executor]:
    return lambda url: LocalExecutor(**kw)


def _piston(batch: bool) -> Callable[[str], Executor]:
    return lambda url: PistonExecutor([url], batch=batch, retries=2, timeout=120)


#: the settings of the Piston-compatible servers the suite starts
SERVER = FakePistonConfig(body_limit=50_000_000, output_max=64 << 20, max_file_size=64 << 20)


def _fleet(size: int) -> Callable[[str], Executor]:
    """A fleet: the suite's server and size - 1 more like it, started in the judging process
    (they live as long as it does), the requests spread over them as over a real fleet."""

    def make(url: str) -> Executor:
        others = [FakePiston(SERVER).__enter__().url for _ in range(size - 1)]
        return PistonExecutor([url, *others], batch=True, retries=2, timeout=120)

    return make


def _packaged() -> Callable[[str], Executor]:
    """A server like the suite's with our Piston package installed (package/, built with the
    host's compilers), started in the judging process."""

    def make(url: str) -> Executor:
        root = Path(tempfile.mkdtemp(prefix="batch-eval-package-"))
        pkgdir = install_package(PACKAGE_DIR, root)
        server = FakePiston(replace(SERVER, packages=[pkgdir])).__enter__()
        return PistonExecutor([server.url], batch=True, retries=2, timeout=120)

    return make


LOCAL = frozenset({"local"})
PISTON = frozenset({"piston", "piston-stock"})
PACKAGE = frozenset({"piston", "piston-package"})
COMPILED = frozenset({"c", "cpp", "rust", "java"})
FORKED = frozenset({"python", "c", "cpp", "rust"})

PATHS: list[JudgePath] = [
    # judged twice through one verdict cache: cold, then warm (every verdict from the cache)
    JudgePath(
        "fork-jailed", _local(python_runner="fork", jailed=True), LOCAL, warm_cache=True, needs_jail=True
    ),
    # without the jail (where this machine, as root, runs the program as root: see needs_a_user)
    JudgePath("fork-open", _local(python_runner="fork", jailed=False), LOCAL | {"open"}),
    # records in flight (`--jobs 3`): three lanes, each its own fork server, jail and cgroups,
    # judging neighbouring records side by side (the neighbours' red team among them)
    JudgePath("fork-lanes-jailed", _local(python_runner="fork", jailed=True, jobs=3), LOCAL, needs_jail=True),
    # the runner decides how Python and native binaries (C, C++, Rust) run; PyPy, Java and
    # JavaScript start a process per test on every path
    JudgePath(
        "process-jailed",
        _local(python_runner="process", jailed=True),
        LOCAL,
        needs_jail=True,
        languages=FORKED,
    ),
    JudgePath(
        "process-open", _local(python_runner="process", jailed=False), LOCAL | {"open"}, languages=FORKED
    ),
    JudgePath("piston-batched", _piston(batch=True), PISTON),
    JudgePath("piston-per-test", _piston(batch=False), PISTON),
    # the same executors through the other switches that must not change a verdict
    JudgePath("fork-all-tests", _local(python_runner="fork"), LOCAL, {"all_tests": True}),
    JudgePath("fork-given-order", _local(python_runner="fork"), LOCAL, {"test_order": "given"}),
    JudgePath("fork-failures-order", _local(python_runner="fork"), LOCAL, {"test_order": "failures"}),
    JudgePath("fork-rerun-all", _local(python_runner="fork"), LOCAL, rerun_all=True),
    JudgePath("piston-batched-rerun-all", _piston(batch=True), PISTON, rerun_all=True),
    # several servers at once, as a fleet is judged: records in flight spread over them
    *([] if REAL_PISTON else [JudgePath("piston-fleet", _fleet(3), PISTON, fleet=True)]),
    # C, C++, Rust and Java through our Piston package: compiled once, every test in one request
    JudgePath("piston-package", _packaged(), PACKAGE, languages=COMPILED),
    # one file on several cores: shards judged apart, merged into one results file
    JudgePath("fork-sharded", _local(python_runner="fork"), LOCAL, shards=3),
    # the same on a Ray cluster: each shard a task, its results sent back to the driver
    JudgePath("ray-sharded", _local(), LOCAL, shards=2, ray=True, needs_ray=True),
]


def _real_server(url: str) -> tuple[frozenset[str], frozenset[str]]:
    """A real server's tags (`piston-package` when our package is installed, else
    `piston-stock`) and the languages it has runtimes for; BATCH_EVAL_PISTON_LANGUAGES (a comma
    list) names them instead, for a runtime listed whose toolchain the box lacks (the cases of
    a language it cannot run would all be IE: a server's setup, not a verdict to check)."""
    listed = requests.get(f"{url.rstrip('/')}/api/v2/runtimes", timeout=30).json()
    names = {r.get("language") for r in listed} | {a for r in listed for a in r.get("aliases", [])}
    packaged = {ours for ours, name in PACKAGE_LANGUAGES.items() if name in names}
    stock = {ours for ours, lang in LANGUAGES.items() if set(lang.piston) & names}
    given = os.environ.get("BATCH_EVAL_PISTON_LANGUAGES", "")
    languages = {part.strip() for part in given.split(",") if part.strip()} or packaged | stock
    tags = {"piston", "real", "piston-package" if packaged else "piston-stock"}
    return frozenset(tags), frozenset(languages)


if REAL_PISTON:
    REAL_TAGS, REAL_LANGUAGES = _real_server(REAL_PISTON)
    PATHS += [
        JudgePath("real-piston-batched", _piston(batch=True), REAL_TAGS, languages=REAL_LANGUAGES),
        JudgePath("real-piston-per-test", _piston(batch=False), REAL_TAGS, languages=REAL_LANGUAGES),
    ]


def available(path: JudgePath) -> str:
    """Why this machine cannot take `path` ('' when it can)."""
    if path.needs_jail and not jail_works():
        return "this machine cannot make the jail (mount namespaces)"
    if path.needs_ray and importlib.util.find_spec("ray") is None:
        return "Ray is not installed (pip install 'batch-eval[ray]')"
    return ""
