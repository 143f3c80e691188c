"""Shared fixtures: the real data sets, a Piston-compatible server, small JSONL builders."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from batch_eval.executors.local.executor import LocalExecutor
from tests.fake_piston import FakePiston, FakePistonConfig

# the fake Piston server runs packages on the host, with no sandbox: every host folder is
# "in the box" for our package's host-tool build (build.sh checks tools against this list)
os.environ.setdefault("BATCH_EVAL_BOX_DIRS", "/")
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_argv(sols: Path, problems: Path, out: Path | None, *extra: str, workers: int = 1) -> list[str]:
    """`python -m batch_eval run` over a checkpoint folder, as a user types it."""
    argv = [
        sys.executable,
        "-m",
        "batch_eval",
        "run",
        "--solutions-dir",
        str(sols),
        "--problems",
        str(problems),
    ]
    if out is not None:
        argv += ["-o", str(out)]
    return [*argv, "--max-workers", str(workers), "-q", *extra]


def as_from_a_terminal() -> None:
    """A child's Ctrl-C as a terminal's: SIGINT at its default even when these tests run as a
    background job (a shell starts those with SIGINT ignored, and children inherit that)."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def shared_rows(dataset: str, name: str) -> list[dict[str, Any]]:
    """Rows of a file of ../shared/data; the test is skipped, with why, when it is not there
    (a user's clone has no ../shared)."""
    if not (DATA / dataset / name).is_file():
        pytest.skip(f"../shared/data/{dataset}/{name} is not beside the checkout")
    return read_jsonl(DATA / dataset / name)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    return DATA


@pytest.fixture(scope="session")
def local() -> Iterator[LocalExecutor]:
    executor = LocalExecutor()
    yield executor
    executor.close()


@pytest.fixture(scope="session")
def piston_server() -> Iterator[FakePiston]:
    with FakePiston(FakePistonConfig(body_limit=10_000_000)) as server:
        yield server


@pytest.fixture
def stock_piston() -> Iterator[FakePiston]:
    """A server with the stock limits: 1024-byte output, 100 kB bodies."""
    with FakePiston(FakePistonConfig(output_max=1024)) as server:
        yield server


SUM_PROBLEM = {
    "id": "1/A",
    "contest_id": 1,
    "index": "A",
    "title": "Sum",
    "time_limit": 1.0,
    "memory_limit": 256,
    "official_tests": [
        {"input": "1 2\n", "output": "3\n"},
        {"input": "10 20\n", "output": "30\n"},
        {"input": "-5 5\n", "output": "0\n"},
    ],
    "generated_checker": None,
    "input_mode": "stdio",
}


@pytest.fixture(autouse=True)
def private_verdict_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test (and the processes it starts) gets its own empty verdict cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture(scope="session", autouse=True)
def shared_pch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One precompiled bits/stdc++.h for the whole session (building it takes seconds)."""
    os.environ["BATCH_EVAL_PCH_DIR"] = str(tmp_path_factory.mktemp("pch"))
    yield
    os.environ.pop("BATCH_EVAL_PCH_DIR", None)


@pytest.fixture(scope="session", autouse=True)
def shared_testlib_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The problems' C++ interactors compiled once for the whole session (each takes seconds)."""
    os.environ["BATCH_EVAL_TESTLIB_BUILDS"] = str(tmp_path_factory.mktemp("testlib"))
    yield
    os.environ.pop("BATCH_EVAL_TESTLIB_BUILDS", None)


def name_self(name: str) -> str:
    """Python that gives the solution's process (and what it forks) a name the host can find:
    a jailed solution cannot write anything the host sees."""
    return f"import ctypes\nctypes.CDLL(None).prctl(15, {name.encode()!r}, 0, 0, 0)\n"


def named(name: str) -> list[int]:
    """Live (not zombie) processes called `name`, seen from the host."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if comm == name and state != "Z":
            found.append(int(entry))
    return found


@contextmanager
def loopback_listener(timeout: float) -> Iterator[tuple[int, list[bytes]]]:
    """A listener on the host's 127.0.0.1: its port, and what anybody managed to send it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(timeout)
    received: list[bytes] = []

    def accept() -> None:
        try:
            conn, _ = listener.accept()
            received.append(conn.recv(100))
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        yield listener.getsockname()[1], received
    finally:
        listener.close()
        thread.join()


#: programs for the sum problem (SUM_PROBLEM): right, right but slow, wrong
RIGHT = "a, b = map(int, input().split())\nprint(a + b)"
SLOW = "import time\ntime.sleep(0.15)\n" + RIGHT
WRONG = "print(3)"
#: what a results line says of its verdict, beside the timings that differ run to run
VERDICT_KEYS = ("line", "id", "verdict", "passed", "reason", "program_sha256")
#: what a metrics file counts, the same however the file was split
COUNTS = ("pass_at_k", "pass_at_k_problems", "verdicts", "per_problem", "undecided", "records", "tests_run")


def verdicts_of(path: Path) -> list[tuple[Any, ...]]:
    """A results file's verdicts, line by line, without the timings."""
    return [
        (*(line.get(k) for k in VERDICT_KEYS), [t["verdict"] for t in line.get("tests") or []])
        for line in read_jsonl(path)
    ]


def counts_of(path: Path) -> dict[str, Any]:
    """A metrics file's counts."""
    metrics = json.loads(path.read_text())
    return {k: metrics.get(k) for k in COUNTS}


#: the bundled example: real CodeGen-16B samples of 10 HumanEval problems (examples/README.md)
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "humaneval"


def humaneval_run(tmp_path: Path, records: int) -> tuple[Path, Path]:
    """`records` real HumanEval samples as one checkpoint's one file: (solutions dir,
    problems): gpt-4's from ../shared/data, else the bundled example's (a user's clone)."""
    folder = DATA / "humaneval"
    samples = folder / "checkpoints" / "gpt-4" / "solutions.jsonl"
    if not samples.is_file():
        folder = EXAMPLE
        samples = folder / "checkpoints" / "checkpoint-100" / "solutions.jsonl"
        more = folder / "checkpoints" / "checkpoint-200" / "solutions.jsonl"
        lines = (samples.read_text() + more.read_text()).splitlines()[:records]
    else:
        lines = samples.read_text().splitlines()[:records]
    sols = tmp_path / "sols"
    write_jsonl(sols / "checkpoint-7" / "solutions.jsonl", lines)
    return sols, folder / "problems.jsonl"


@contextmanager
def one_crowded_core(hogs: int) -> Iterator[None]:
    """This process (and what it starts from here on) on core 0 beside `hogs` busy loops,
    each in a session of its own (the kernel shares a core between sessions, autogroups):
    a program started now gets a share of one core."""
    busy = [
        subprocess.Popen(
            [sys.executable, "-c", "import os; os.sched_setaffinity(0, {0})\nwhile True: pass"],
            start_new_session=True,
        )
        for _ in range(hogs)
    ]
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
        for hog in busy:
            hog.kill()
            hog.wait()
