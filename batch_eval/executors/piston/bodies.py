"""The requests the Piston executor sends: a test per request (Python through a small entry
program that puts input.txt on fd 0, C++ with its input on stdin), or a program's tests in
one request through our launcher (sandbox/launcher.py): a Python program on the server's
Python, a C, C++, Rust or Java program on our package (package/: compiled once per
request); and what cannot be sent."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from batch_eval.executors.base import Execution, Expected, Limits, Program, checker_limits
from batch_eval.executors.languages import JAVA_FLAGS, LANGUAGES, java_class, run_argv, source_file
from batch_eval.executors.sandbox import SANDBOX, compare, seal
from batch_eval.verdict import Verdict

# the entry file of a batched request and the modules it imports, sent with every such
# request: the fork server's child code, the judge's own output comparison, and the seal
# on the tests' files
LAUNCHER_FILES = [
    {"name": path.name, "content": path.read_text(encoding="utf-8")}
    for path in (
        SANDBOX / "launcher.py",
        SANDBOX / "sandboxlib.py",
        SANDBOX / "zygote.py",
        SANDBOX / "compare.py",
        SANDBOX / "seal.py",
    )
]
LAUNCHER_BYTES = sum(len(f["content"]) for f in LAUNCHER_FILES)

#: stdin up to this size arrives whole (seen: 200 kB whole, 500 kB cut to 219,264 bytes)
SAFE_STDIN_BYTES = 64 * 1024
#: not compiled: their requests send no compile_timeout
INTERPRETED = tuple(name for name, lang in LANGUAGES.items() if not lang.compiled)
#: run by our (Python) entry program that gives them input.txt on fd 0; the others take stdin
ENTRY = ("python", "pypy")
# Piston compiles without flags: -O2 as a pragma (as Codeforces builds), ONLINE_JUDGE defined
ONLINE_JUDGE_HEADER = '#pragma GCC optimize("O2")\n#define ONLINE_JUDGE 1\n#line 1\n'
#: a launcher request's time beyond its tests' wall limits: the launcher's start, its answer's
#: way back, and the 2 s it waits past a test's wall limit for a spawner that went silent
#: (launcher.ANSWER_GRACE_S), so that the launcher, not the server, says what happened
LAUNCHER_SPARE_MS = 4000
#: a launcher request's CPU beyond its tests' limits (the launcher's and its spawner's start)
LAUNCHER_CPU_MS = 1000
#: the most tests one request runs
BATCH_TESTS = 64
#: a stock server's largest compile_timeout (PISTON_COMPILE_TIMEOUT): sent until the preflight learns
#: the server's
STOCK_COMPILE_MS = 10_000

ENTRY_SOURCE = """\
import os, sys
fd = os.open("input.txt", os.O_RDONLY)
os.dup2(fd, 0)
os.close(fd)
os.environ["PYTHONINTMAXSTRDIGITS"] = "0"
os.execv(sys.executable, [sys.executable, "main.py"])
"""

#: file-mode problems: the program runs as a child with its stdout kept aside; the output is
#: output.txt when it wrote that regular file, else its stdout (the rule of every path)
FILE_ENTRY_SOURCE = """\
import os, stat, sys
pid = os.fork()
if pid == 0:
    for target, name, flags in ((0, "input.txt", os.O_RDONLY), (1, "stdout.txt", os.O_WRONLY | os.O_CREAT)):
        fd = os.open(name, flags, 0o600)
        os.dup2(fd, target)
        os.close(fd)
    os.environ["PYTHONINTMAXSTRDIGITS"] = "0"
    os.execv(sys.executable, [sys.executable, "main.py"])
_, status = os.waitpid(pid, 0)
try:
    name = "output.txt" if stat.S_ISREG(os.lstat("output.txt").st_mode) else "stdout.txt"
except OSError:
    name = "stdout.txt"
with open(name, "rb") as f:
    sys.stdout.buffer.write(f.read())
sys.stdout.flush()
if os.WIFSIGNALED(status):
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.WEXITSTATUS(status))
"""


def test_body(
    program: Program,
    data: bytes,
    limits: Limits,
    runtime: tuple[str, str],
    file_mode: bool = False,
    compile_ms: int = STOCK_COMPILE_MS,
    cpu_cap_ms: int | None = None,
) -> dict[str, Any]:
    """The request that runs `program` on one input (`runtime`: Piston's language and version;
    `compile_ms`: the compile_timeout a compiled language's request asks for — the server
    checks every field it is sent against its maximums, so an interpreted one sends none;
    `cpu_cap_ms`: the server's run_cpu_time maximum, asked at most)."""
    language, version = runtime
    if program.language in ENTRY:
        try:
            input_file = {"name": "input.txt", "content": data.decode("utf-8")}
        except UnicodeDecodeError:
            input_file = {
                "name": "input.txt",
                "content": base64.b64encode(data).decode(),
                "encoding": "base64",
            }
        files = [
            {"name": "entry.py", "content": FILE_ENTRY_SOURCE if file_mode else ENTRY_SOURCE},
            {"name": "main.py", "content": program.source},
            input_file,
        ]
        stdin = ""
    else:
        # Piston's compile stage takes no flags: ONLINE_JUDGE is defined in the source itself,
        # and line numbers stay the program's own
        header = ONLINE_JUDGE_HEADER if program.language in ("c", "cpp") else ""
        files = [{"name": source_file(program.language, program.source), "content": header + program.source}]
        stdin = data.decode("utf-8")
    return {
        "language": language,
        "version": version,
        "files": files,
        "stdin": stdin,
        "args": [],
        **({} if program.language in INTERPRETED else {"compile_timeout": compile_ms}),
        "run_timeout": int(limits.wall * 1000),
        # within the server's CPU maximum (a run it stops there is IE: capped_cpu)
        "run_cpu_time": min(int(limits.time_s * 1000) + 1, cpu_cap_ms or int(limits.time_s * 1000) + 1),
        "run_memory_limit": limits.memory_mb * 1024 * 1024,
    }


def cannot_send(program: Program, data: bytes, file_mode: bool) -> Execution | None:
    """Why a test cannot be judged on Piston at all (IE: ours, never the program's), or None."""
    if program.language not in ENTRY and file_mode:
        return Execution(
            Verdict.IE,
            reason=(
                f"a file-mode problem (input.txt) in {program.language}: on Piston only Python's "
                "entry program can give input.txt and take output.txt back; use --executor local"
            ),
        )
    if program.language not in ENTRY and len(data) > SAFE_STDIN_BYTES:
        return Execution(
            Verdict.IE,
            reason=(
                f"input of {len(data)} bytes: Piston may truncate stdin this large, and only "
                "Python's entry program can take it as a file; use --executor local"
            ),
        )
    return None


#: the most output one launcher request may give back: a real server's node process dies at a
#: string of ~2^29 characters, and its answer holds the run's stdout twice (stdout, output)
SERVER_OUTPUT_BUDGET = 200_000_000
#: expected outputs up to this size travel with a batch (the launcher compares them); a
#: larger one is left to the client, and the launcher goes on after that test
SEND_EXPECTED_BYTES = 256 * 1024


#: an interactive problem's C++ interactor as sent, and as our package's compile stage builds it
INTERACTOR_SOURCE = "interactor.cpp"
INTERACTOR_BINARY = "interactor.bin"
#: the memory a launcher request's box gets beyond the program's for an interactor (its Python
#: forked from the launcher, or its binary)
INTERACTOR_MEMORY = 256 << 20


@dataclass(frozen=True)
class Interaction:
    """An interactive problem's side of a launcher request: the interactor's source (Python,
    or testlib C++ that our package's compile stage builds against `testlib`, the header's
    text) and each test's answer (testlib's ANSWER file)."""

    source: str
    answers: list[bytes | None]
    testlib: str = ""

    @property
    def compiled(self) -> bool:
        return "#include" in self.source  # testlib.is_cpp: C++ rather than Python


def interactive_limits(limits: Limits) -> Limits:
    """What one interactive test may take of a request: the program's limits and, after
    them, its interactor's (checker_limits), as the launcher waits for both."""
    side = checker_limits(limits)
    return Limits(
        time_s=limits.time_s + side.time_s,
        memory_mb=limits.memory_mb,
        output_bytes=limits.output_bytes,
        wall_s=limits.wall + side.wall,
        processes=limits.processes,
    )


@dataclass(frozen=True)
class Compare:
    """A chunk's expected outputs (None: not sent) and the comparison the launcher applies."""

    outputs: list[bytes | None]
    rule: Expected


def sendable(expected: Expected | None) -> list[bytes | None]:
    """The expected outputs a batch carries (None for one too large to send); [] for none."""
    if expected is None or expected.mode not in compare.MODES:
        return []
    return [out if len(out) <= SEND_EXPECTED_BYTES else None for out in expected.outputs]


def chunk(
    inputs: Sequence[bytes],
    start: int,
    body_limit: int | None,
    outputs: Sequence[bytes | None] = (),
    most: int = 64,
    output_bytes: int = 0,
) -> list[int]:
    """Up to `most` tests from `start` whose inputs (and expected outputs sent) fit the body
    limit, and whose answer cannot grow past what a server holds (SERVER_OUTPUT_BUDGET: a
    test with its expected output sent prints at most that before the launcher stops at
    it, a test without one up to `output_bytes`, our limit, and the last one up to our limit);
    time is the launcher's business (it stops before a test that might not finish within
    the request's budget)."""
    body_budget = (body_limit or 50_000_000) * 0.8 - 20_000 - LAUNCHER_BYTES
    last = _line(output_bytes)  # the test the launcher stops at may print up to our limit
    tests: list[int] = []
    used_bytes = answered = 0.0  # answered: what the tests before this one may print
    for i in range(start, len(inputs)):
        sent = outputs[i] if i < len(outputs) else None
        size = (len(inputs[i]) + len(sent or b"")) * 4 / 3 + 300
        over = used_bytes + size > body_budget or answered + last > SERVER_OUTPUT_BUDGET
        if tests and (len(tests) >= most or over):
            break
        tests.append(i)
        used_bytes += size
        answered += _line(output_bytes if sent is None else len(sent))
    return tests


def _line(printed: int) -> float:
    """The most characters the launcher's result line of a test that printed `printed` bytes
    takes (its output in base64, the tail of its stderr, the fields)."""
    return printed * 4 / 3 + 3000


def per_request(limits: Limits, wall_cap_ms: int, cpu_cap_ms: int | None) -> int:
    """How many tests one launcher request can run within a server's maximum run_timeout and
    run_cpu_time (None: no CPU maximum), each test taking all its limits; 0 when the wall
    maximum cannot hold one. Time beyond it is never lost: the launcher stops before a test
    that might not finish within the request's wall budget, and the next request goes on. A
    CPU maximum below one test's limit still lets one test a request run (the program may
    finish under it); a box stopped at it says so (capped_cpu), never TLE."""
    if wall_cap_ms < limits.wall * 1000 + 50 + LAUNCHER_SPARE_MS:
        return 0
    if cpu_cap_ms is None:
        return BATCH_TESTS
    return max(1, min(BATCH_TESTS, int((cpu_cap_ms - LAUNCHER_CPU_MS) // (limits.time_s * 1000 + 50))))


def capped_cpu(limits: Limits, tests: int, cpu_cap_ms: int | None) -> bool:
    """Whether a request of `tests` tests of these limits asks less CPU time than they may
    take, because of the server's maximum: a box stopped for time then judged nothing."""
    return cpu_cap_ms is not None and cpu_cap_ms < tests * (limits.time_s * 1000 + 50) + LAUNCHER_CPU_MS


def cpu_cap_reason(limits: Limits, cpu_cap_ms: int) -> str:
    """Why a run the server stopped at its CPU maximum is IE: the setting to raise."""
    wanted = int(limits.time_s * 1000 + 50 + LAUNCHER_CPU_MS)
    return (
        f"the Piston server caps CPU time at {cpu_cap_ms} ms a request, below this test's "
        f"{limits.time_s:g} s limit, and stopped it there: set PISTON_RUN_CPU_TIME to at least {wanted}"
    )


def package_argv(program: Program, limits: Limits) -> list[str]:
    """The command our package's launcher runs a compiled program with, on each test: the
    binary its compile stage built, or Java's classes with the local executor's JVM flags."""
    if program.language == "java":
        return run_argv(["java", *JAVA_FLAGS, "-cp", ".", java_class(program.source)], limits.memory_mb)
    return ["./a.out"]


def batch_body(
    program: Program,
    inputs: Sequence[bytes],
    limits: Limits,
    runtime: tuple[str, str],
    max_run_timeout_ms: int,
    file_mode: bool,
    secret: bytes,
    compare: Compare | None = None,
    compile_ms: int | None = None,
    cpu_cap_ms: int | None = None,
    memory_cap: int | None = None,
    interaction: Interaction | None = None,
    argv: bool = True,
) -> dict[str, Any]:
    """The request that runs a program on many inputs through our launcher, which stops at
    the first test that fails (exits badly, or prints other than its expected output when
    `compare` gives it) and before one that might not fit the request's time. The inputs and
    expected outputs travel sealed with `secret` (seal.py), which is the run stage's stdin
    alone: the program, compiled or run, never reads them. A Python program runs on the
    server's Python runtime; with `compile_ms`, a C, C++, Rust or Java program goes to our
    package's runtime (`runtime`), whose compile stage builds ./a.out once (within
    `compile_ms`; Java: its classes) and whose run stage is the launcher running it on every
    input. With `interaction`, each test's program talks to the problem's interactor (a
    Python one sealed as the tests are; a C++ one built by the compile stage beside the
    program: `argv` False for a Python program sent to our package for that)."""
    language, version = runtime
    packaged = compile_ms is not None
    sized = interactive_limits(limits) if interaction is not None else limits
    total_ms = min(max_run_timeout_ms, int(sum(sized.wall * 1000 + 50 for _ in inputs)) + LAUNCHER_SPARE_MS)
    budget_s = total_ms / 1000 - 1.5  # the launcher's own start and the answer's way back
    answers = interaction.answers if interaction is not None else None
    outputs = answers if answers is not None else (compare.outputs if compare is not None else [])
    tests = [
        {
            "stdin": f"in{i}.txt",
            "time_s": limits.time_s,
            "wall_s": limits.wall,
            "memory": limits.memory_mb * 1024 * 1024,
            "output": limits.output_bytes,
            "processes": limits.processes,
            **({"expected": f"exp{i}.txt"} if i < len(outputs) and outputs[i] is not None else {}),
        }
        for i in range(len(inputs))
    ]
    rule = {"mode": compare.rule.mode, "tolerance": compare.rule.tolerance} if compare is not None else None
    sealed = [(f"in{i}.txt", data) for i, data in enumerate(inputs)] + [
        (f"exp{i}.txt", out) for i, out in enumerate(outputs) if out is not None
    ]
    plain: list[dict[str, str]] = []
    plan: dict[str, Any] = {
        "tests": tests,
        "stop_on_failure": True,
        "budget_s": budget_s,
        "file_mode": file_mode,
        "compare": None if interaction is not None else rule,
        **({"argv": package_argv(program, limits)} if packaged and argv else {}),
    }
    if interaction is not None:
        side = checker_limits(limits)
        if interaction.compiled:  # built by the compile stage, never seen by the program
            plain = [
                {"name": INTERACTOR_SOURCE, "content": interaction.source},
                {"name": "testlib.h", "content": interaction.testlib},
            ]
            spec = {"kind": "binary", "file": INTERACTOR_BINARY}
        else:
            sealed.append(("interactor.py", interaction.source.encode("utf-8")))
            spec = {"kind": "python", "file": "interactor.py"}
        plan["interactor"] = {"spec": {**spec, "time_s": side.time_s, "wall_s": side.wall}}
    files = [
        *LAUNCHER_FILES,
        {"name": source_file(program.language, program.source), "content": program.source},
        *plain,
        {"name": "tests.json", "content": json.dumps(plan)},
        *(
            {
                "name": name,
                "content": base64.b64encode(seal.xor(secret, name, data)).decode(),
                "encoding": "base64",
            }
            for name, data in sealed
        ),
    ]
    memory = launcher_memory(limits) + (INTERACTOR_MEMORY if interaction is not None else 0)
    return {
        "language": language,
        "version": version,
        "files": files,
        "stdin": secret.hex(),
        "args": [],
        **({"compile_timeout": compile_ms} if packaged else {}),
        "run_timeout": total_ms,
        # within the server's CPU maximum, which per_request sized the chunk for
        "run_cpu_time": min(cpu_cap_ms or total_ms, total_ms),
        "run_memory_limit": min(memory_cap or memory, memory),
    }


def launcher_memory(limits: Limits) -> int:
    """The memory (bytes) a launcher request's box gets: the program's limit, and room for
    what the launcher holds of one test (its output in an anonymous file, then base64 and the
    result line: ~4x our output limit). A program over its own limit is MLE by its measured
    peak (outcome.classify), as on every path, and the box's kill, which comes later, takes
    the program (the largest) rather than the launcher, whose line then says so; without the
    room, a program that printed much and used a fair share of its memory took the launcher
    down with it."""
    return limits.memory_mb * 1024 * 1024 + 4 * limits.output_bytes + (64 << 20)


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode()
