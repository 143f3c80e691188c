"""The Piston executor: `POST /api/v2/execute` on one or more servers, as piston-api.md says.

A thin composition: the HTTP client (client.py: retries, waits for a server that stopped
answering, endpoints, budget), the requests (bodies.py) and the verdicts of the answers
(mapping.py). A Python program, and on servers with our package (package/, found at
preflight) a C, C++, Rust or Java program compiled once per request with the local
executor's flags, runs through our launcher: many tests a request (one with
--piston-per-test), inputs as files, each test's output capped at our limit, so no request
lets a program's output reach the server unbounded; batches are sized to the server's
maximums, read at preflight. Other languages, and everything when a server's maximums leave
the launcher no room, are a stock request per test: Python through a small entry program
that puts input.txt on fd 0 (Piston cuts large stdin silently and feeds it through a pipe),
C++ with its input on stdin (Piston's C++ compile stage compiles every file it is sent), and
only inputs small enough to arrive intact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import requests

from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import (
    INTERACTOR_BROKEN,
    Execution,
    Executor,
    Expected,
    Limits,
    OnResult,
    Program,
    ProgramRun,
)
from batch_eval.executors.piston import bodies, preflight
from batch_eval.executors.piston.budget import SharedBudget
from batch_eval.executors.piston.client import WAIT_S, PistonClient, PistonUnavailable
from batch_eval.executors.piston.mapping import (
    COMPILE_MS,
    compile_stage,
    interactive_execution,
    launcher_cut,
    launcher_execution,
    to_execution,
)
from batch_eval.executors.sandbox import seal
from batch_eval.executors.testlib import header as testlib_header
from batch_eval.executors.testlib import is_cpp
from batch_eval.verdict import Verdict

PROBE_OUTPUT_BYTES = 8192
#: the preflight's test run: a few kB of output (does the server keep them?), and the box's
#: hard file size cap (PISTON_MAX_FILE_SIZE) on stderr
PROBE_SOURCE = f"""import resource, sys
sys.stdout.write("x" * {PROBE_OUTPUT_BYTES})
sys.stderr.write(str(resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
"""
T = TypeVar("T")
#: servers a preflight asks at once
PREFLIGHT_THREADS = 32
#: the most programs one check judges at once on Piston (threads waiting on answers)
MAX_THREADS = 128
#: the client waits this much longer than the largest run a request may take (queueing, set-up)
ANSWER_MARGIN_S = 30.0
PROBE_PADDING_BYTES = 150_000
#: the CPU time (ms) the probe asks: it prints a little, whatever the problems' limits
PROBE_CPU_MS = 1000
#: the longest run_timeout a launcher request asks for (the client waits for it)
BATCH_MS = 60_000


@dataclass
class BatchAnswer:
    """What one batched request gave: the compile stage's outcome (our package's; None for
    Python), the launcher's tests in order up to where it stopped, and, when the request
    as a whole failed (unreachable, or the box stopped the batch), the server's verdict on
    it; `unanswered` when no server answered. No tests: each test is judged again in a
    request of its own."""

    compiled: Execution | None = None
    runs: list[Execution] = field(default_factory=list)
    whole: Execution | None = None
    unanswered: Execution | None = None  # IE: no server answered the request


class PistonExecutor(Executor):
    """Programs on Piston servers: a Python program's tests batched into few requests (the
    launcher runs them in the sandbox) when the server's run_timeout maximum is known, and so
    are a C, C++, Rust or Java program's when the servers have our package (compiled once per
    request), else one request per test; requests spread over the healthy endpoints within
    the shared budget, retried with backoff."""

    name = "piston"

    def __init__(
        self,
        endpoints: Sequence[str],
        retries: int = 4,
        timeout: float = 60.0,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        batch: bool = True,
        budget: SharedBudget | None = None,
        per_endpoint: int = 8,
        fleet: Callable[[], list[str]] | None = None,
        wait: float = WAIT_S,
        testlib: str | None = None,
    ) -> None:
        """`fleet`: lists the endpoints as they are now (an endpoints file, squeue), read again
        while the check runs; a new one joins once it serves the runtimes the preflight found.
        `wait`: how long a server that stopped answering is waited for before a request is IE.
        `testlib`: the testlib.h problems' C++ interactors are built against (ours unless named)."""
        if not endpoints:
            raise BatchEvalError("the piston executor needs at least one --endpoint URL")
        self.endpoints = [e.rstrip("/") for e in endpoints]
        # programs judged at once by one check: enough to fill every endpoint's share of the
        # budget (the shared budget, not this number, bounds the requests in flight)
        self.concurrency = min(MAX_THREADS, max(1, per_endpoint) * len(self.endpoints))
        self.client = PistonClient(
            self.endpoints, retries, timeout, backoff, session, budget, self.concurrency, wait
        )
        self.runtimes: dict[str, tuple[str, str]] = {}  # our language -> (piston language, version)
        self.body_limit: int | None = None
        self.warnings: list[str] = []
        # one request runs many tests of a Python program (see launcher.py); needs the server's
        # run_timeout maximum, learnt at preflight
        self.batch = batch
        self.max_run_timeout_ms: int | None = None
        self.max_run_cpu_ms: int | None = None  # the server's run_cpu_time maximum (None: none)
        self.max_memory: int | None = None  # its run_memory_limit maximum (bytes; None: none)
        # the compile_timeout compiled languages' requests ask for: a local compile's time, or
        # the server's maximum when it is lower (learnt at preflight)
        self.compile_ms = bodies.STOCK_COMPILE_MS
        self.testlib = testlib_header(testlib)
        if fleet is not None:
            self.client.fleet = (fleet, self._serves_our_runtimes)

    # -- preflight -------------------------------------------------------------------------

    def preflight(self, limits: Limits) -> list[str]:
        # a dead endpoint among live ones is dropped (its share goes to the others); all
        # dead is the first one's error
        alive: list[str] = []
        errors: list[BatchEvalError] = []
        listed: list[dict[str, tuple[str, str]]] = []
        for url, found in zip(self.endpoints, self._each(lambda url: preflight.runtimes(self.client, url))):
            if isinstance(found, BatchEvalError):
                errors.append(found)
                continue
            for ours, runtime in found.items():
                self.runtimes.setdefault(ours, runtime)
            listed.append(found)
            alive.append(url)
        if not alive:
            raise errors[0]
        self.warnings += [f"{err}; going on without it" for err in errors]
        self._package_everywhere(listed)
        self.endpoints = alive
        self.client.use(self.endpoints)
        probe = Program("python", PROBE_SOURCE)
        body = self._body(probe, b"", limits)
        body["files"].append({"name": "padding.txt", "content": "p" * PROBE_PADDING_BYTES})
        # a CPU maximum below the limits is learned below and costs what it costs (capped_cpu),
        # it does not refuse the run: the probe asks little CPU time
        body["run_cpu_time"] = min(body["run_cpu_time"], PROBE_CPU_MS)
        answers = self._each(lambda url: preflight.probe(self.client, url, body, limits))
        for url, answer in zip(self.endpoints, answers):
            if isinstance(answer, BatchEvalError):
                raise answer
            if answer is None:  # body limit: learned, probe again without the padding
                self.body_limit = PROBE_PADDING_BYTES
                self.warnings.append(
                    f"Piston at {url} rejects request bodies over ~100 kB (the stock JSON limit): "
                    "tests with larger inputs will be IE; raise the server's JSON body limit"
                )
                again = self._body(probe, b"", limits)
                again["run_cpu_time"] = body["run_cpu_time"]
                answer = preflight.probe(self.client, url, again, limits)
            run = (answer or {}).get("run") or {}
            if run.get("status") == "OL" or len(run.get("stdout") or "") < PROBE_OUTPUT_BYTES:
                raise BatchEvalError(
                    f"Piston at {url} cuts program output below {PROBE_OUTPUT_BYTES} bytes "
                    "(stock PISTON_OUTPUT_MAX_SIZE is 1024): nearly every test would be judged OLE; "
                    "raise PISTON_OUTPUT_MAX_SIZE on the server (e.g. to 67108864)"
                )
            self._file_size_cap(url, str(run.get("stderr") or ""))
        self._learn_caps(limits)
        return self.warnings

    def _file_size_cap(self, url: str, said: str) -> None:
        """Warn of a server set as open-r1 sets its workers, read from its box's hard
        RLIMIT_FSIZE (PISTON_MAX_FILE_SIZE, which the probe prints on stderr): its output cap
        (PISTON_OUTPUT_MAX_SIZE, which no request can read) is then likely as high, and a
        stock request's flood kills the server (our launcher's requests never flood it)."""
        cap = int(said.strip()) if said.strip().lstrip("-").isdigit() else None
        if cap is not None and (cap < 0 or cap > bodies.SERVER_OUTPUT_BUDGET):
            shown = "no" if cap < 0 else f"a {cap}-byte"
            self.warnings.append(
                f"Piston at {url} has {shown} file size cap (PISTON_MAX_FILE_SIZE): if its "
                "PISTON_OUTPUT_MAX_SIZE is as high, a program's output flood in a stock request "
                "(compiled languages without our package) kills the server; keep both at most "
                "268435456 (docs/piston.md)"
            )

    def _learn_caps(self, limits: Limits) -> None:
        """The server's time maximums, and what they cost: the compile_timeout compiled
        languages ask for, and the run_timeout and run_cpu_time our launcher's requests may
        take (it runs every Python and packaged program, batched or a test a request, and caps
        each test's output at ours, which a stock request leaves to the server: issue 26)."""
        plain = self._body(Program("python", "pass\n"), b"", limits)
        url = self.endpoints[0]
        found = preflight.caps(self.client, url, plain)
        if not found:
            self.warnings.append(
                f"Piston at {url} did not say its time maximums: every test is a stock request of "
                "its own, whose output only the server's PISTON_OUTPUT_MAX_SIZE bounds (docs/piston.md)"
            )
            return
        self.compile_ms = min(COMPILE_MS, found["compile_timeout"] or COMPILE_MS)
        wall_cap = min(found["run_timeout"] or BATCH_MS, BATCH_MS)
        self.max_run_cpu_ms = found["run_cpu_time"]
        self.max_memory = found["run_memory_limit"]
        per_request = bodies.per_request(limits, wall_cap, self.max_run_cpu_ms)
        if per_request == 0:
            needs = int(limits.wall * 1000 + 50 + bodies.LAUNCHER_SPARE_MS)
            self.warnings.append(
                f"Piston at {url} allows run_timeout {found['run_timeout']} ms and run_cpu_time "
                f"{self.max_run_cpu_ms} ms: our launcher needs {needs} ms (and the time limit's CPU + "
                f"{bodies.LAUNCHER_CPU_MS} ms) for one test, so every test is a stock request of its own, "
                "whose output only the server's PISTON_OUTPUT_MAX_SIZE bounds; raise PISTON_RUN_TIMEOUT "
                "and PISTON_RUN_CPU_TIME (docs/piston.md)"
            )
            return
        if self.batch and per_request < bodies.BATCH_TESTS:
            wanted = int(bodies.BATCH_TESTS * (limits.time_s * 1000 + 50) + bodies.LAUNCHER_CPU_MS)
            self.warnings.append(
                f"Piston at {url} caps CPU time at {self.max_run_cpu_ms} ms a request "
                f"(PISTON_RUN_CPU_TIME): batches of more than {per_request} tests of "
                f"{limits.time_s:g} s cannot run, so requests carry {per_request} (slower); "
                f"set PISTON_RUN_CPU_TIME to {wanted} to batch {bodies.BATCH_TESTS}"
            )
        self.max_run_timeout_ms = wall_cap
        # a batch may take all of it, and wait in the server's queue
        self.client.timeout = max(self.client.timeout, wall_cap / 1000 + ANSWER_MARGIN_S)

    def _package_everywhere(self, listed: list[dict[str, tuple[str, str]]]) -> None:
        """Our package is used only when every live server has it at the same version: a
        compiled program's verdict must not depend on which server (and build) judged it."""
        partial: dict[str, int] = {}  # language -> the servers that have its package runtime
        for language in self._packaged():
            key = preflight.packaged(language)
            having = sum(found.get(key) == self.runtimes[key] for found in listed)
            if having < len(listed):
                partial[language] = having
                del self.runtimes[key]
        if partial:
            languages = ", ".join(partial)
            self.warnings.append(
                f"our Piston package is on {min(partial.values())} of {len(listed)} servers: {languages} "
                "judged a request per test on the stock runtimes; install it on every server "
                "(docs/piston.md)"
            )

    def _each(self, ask: Callable[[str], T]) -> list[T | BatchEvalError]:
        """`ask(url)` of every endpoint, all at once (a fleet's preflight must not take a
        round trip per server in a row), in the endpoints' order; a BatchEvalError in its place."""

        def one(url: str) -> T | BatchEvalError:
            try:
                return ask(url)
            except BatchEvalError as err:
                return err

        with ThreadPoolExecutor(max_workers=min(PREFLIGHT_THREADS, len(self.endpoints))) as pool:
            return list(pool.map(one, self.endpoints))

    def _serves_our_runtimes(self, url: str) -> bool:
        """Whether a server that joined the fleet runs our languages at the versions found at
        preflight (a verdict must not depend on which server ran it)."""
        try:
            found = preflight.runtimes(self.client, url)
        except BatchEvalError:
            return False
        return all(found.get(name) == runtime for name, runtime in self.runtimes.items())

    def describe(self) -> dict[str, Any]:
        return {
            "executor": self.name,
            "endpoints": self.endpoints,
            "runtimes": {k: f"{lang}-{ver}" for k, (lang, ver) in self.runtimes.items()},
            "python_argv": ["python", "main.py"],
            "stdin": "python: input files through our launcher"
            + ("; through our package: input files" if self._packaged() else "")
            + "; stock requests: pypy input.txt on fd 0 via an entry program, c, c++, java: stdin",
            "isolation": "piston (isolate sandbox on the server)",
            # a Python program's tests (and, with our package, a compiled program's): many to a
            # request through our launcher, or one a request
            "batch": self.batch,
            "requests_sent": self.client.requests_sent,
        }

    def _packaged(self) -> list[str]:
        """Our languages the servers run through our package (compiled once per request)."""
        return [preflight.language_of(key) for key in self.runtimes if key != preflight.language_of(key)]

    # -- running -----------------------------------------------------------------------------

    def run(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        input_mode: str = "stdio",
        expected: Expected | None = None,
    ) -> ProgramRun:
        package = self.runtimes.get(preflight.packaged(program.language))
        if program.language not in self.runtimes and package is None:
            ie = Execution(Verdict.IE, reason=f"no {program.language} runtime on the Piston servers")
            return ProgramRun(compile=ie, runs=[])
        launched = program.language == "python" or package is not None
        if launched and self._per_request(limits):
            return self._run_batched(program, inputs, limits, on_result, input_mode == "file", expected)
        runs: list[Execution] = []
        compile_ex: Execution | None = None
        for i, data in enumerate(inputs):
            answer = self._execute(program, data, limits, input_mode == "file")
            if isinstance(answer, Execution):
                ex = answer
            else:
                compile_ex = compile_stage(answer.get("compile"), self.compile_ms)
                if compile_ex is not None and compile_ex.verdict is not Verdict.AC:
                    return ProgramRun(compile=compile_ex, runs=[])
                ex = to_execution(answer.get("run"), limits)
                cap = self.max_run_cpu_ms
                if ex.verdict is Verdict.TLE and cap is not None and cap <= limits.time_s * 1000:
                    ex = Execution(Verdict.IE, reason=bodies.cpu_cap_reason(limits, cap))
            runs.append(ex)
            if not on_result(i, ex):
                break
        return ProgramRun(compile=compile_ex, runs=runs)

    interactive = True

    def cannot_interact(self, language: str, interactor: str) -> str:
        """An interactive test runs through our launcher, program and interactor in one box
        (launcher.py): a Python program on the server's Python, a compiled one on our package;
        a C++ interactor is built by our package's compile stage (a Python program against one
        goes to our package's C++ runtime, and runs on its Python)."""
        if not self.max_run_timeout_ms:
            return "the Piston servers' time maximums leave our launcher no room (the preflight's warning)"
        if language != "python" and preflight.packaged(language) not in self.runtimes:
            return f"a {language} program meets an interactor only through our Piston package"
        if language == "python" and "python" not in self.runtimes:
            return "no python runtime on the Piston servers"
        if is_cpp(interactor) and preflight.packaged("cpp") not in self.runtimes:
            return "its C++ interactor is built only by our Piston package (docs/piston.md)"
        return ""

    def run_interactive(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        interactor: str,
        answers: Sequence[bytes] = (),
    ) -> ProgramRun:
        """As run, each test's program talking to `interactor` in one launcher request with it
        (many tests a request, as any launcher run)."""
        why = self.cannot_interact(program.language, interactor)
        if why:
            return ProgramRun(compile=Execution(Verdict.IE, reason=why), runs=[])
        testlib = self.testlib.read_text(encoding="utf-8", errors="replace") if is_cpp(interactor) else ""
        interaction = bodies.Interaction(interactor, list(answers), testlib)
        return self._run_batched(program, inputs, limits, on_result, False, None, interaction)

    def _run_batched(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        file_mode: bool,
        expected: Expected | None = None,
        interaction: bodies.Interaction | None = None,
    ) -> ProgramRun:
        """Tests in chunks that fit the server's limits (one test a chunk with --piston-per-test),
        one request per chunk through our launcher (with the expected outputs when given: the
        launcher stops at the first wrong answer); a chunk the server could not run whole is
        run again a request per test, still through the launcher. A compiled program (our
        package) is compiled once per chunk; a compile that fails ends it; a server that did
        not answer ends it IE. With `interaction`, the tests are interactive (its answers
        travel as the expected outputs do)."""
        runs: list[Execution] = []
        compiled: Execution | None = None
        start = 0
        outputs = bodies.sendable(expected) if interaction is None else list(interaction.answers)
        sized = bodies.interactive_limits(limits) if interaction is not None else limits
        while start < len(inputs):
            most = self._per_request(sized) if self.batch else 1
            chunk = bodies.chunk(inputs, start, self.body_limit, outputs, most, limits.output_bytes)
            compare = bodies.Compare([outputs[i] for i in chunk], expected) if outputs and expected else None
            part = replace(interaction, answers=[outputs[i] for i in chunk]) if interaction else None
            sent = [inputs[i] for i in chunk]
            answer = self._execute_chunk(program, sent, limits, file_mode, compare, part)
            compiled = answer.compiled or compiled
            if compiled is not None and compiled.reason.startswith(INTERACTOR_BROKEN):
                # the problem's interactor did not build: its first test's IE, as locally
                on_result(chunk[0], compiled)
                return ProgramRun(compile=None, runs=[*runs, compiled])
            if compiled is not None and compiled.verdict is not Verdict.AC:
                return ProgramRun(compile=compiled, runs=[])
            executions = answer.runs
            if answer.unanswered is not None:  # the judge hears it, with its reason
                on_result(chunk[0], answer.unanswered)
                return ProgramRun(compile=compiled, runs=[*runs, answer.unanswered])
            if not executions:  # cut by the server, or no room for a test: a request per test
                for i in chunk:
                    alone = replace(interaction, answers=[outputs[i]]) if interaction else None
                    ex = self._alone(program, inputs[i], limits, file_mode, alone)
                    executions.append(ex)
                    if ex.verdict is not Verdict.AC:
                        break
            for offset, ex in enumerate(executions):
                runs.append(ex)
                if not on_result(chunk[offset], ex):
                    return ProgramRun(compile=compiled, runs=runs)
            start = chunk[0] + len(executions)
        return ProgramRun(compile=compiled, runs=runs)

    def _per_request(self, limits: Limits) -> int:
        """How many tests of these limits one launcher request may carry (0: not one fits the
        server's maximums, or they are unknown)."""
        if not self.max_run_timeout_ms:
            return 0
        return bodies.per_request(limits, self.max_run_timeout_ms, self.max_run_cpu_ms)

    def _alone(
        self,
        program: Program,
        data: bytes,
        limits: Limits,
        file_mode: bool,
        interaction: bodies.Interaction | None = None,
    ) -> Execution:
        """One test in a request of its own through the launcher, after its batch was stopped
        as a whole (by the box's memory, time or output): the launcher's line when it gave one,
        else the server's verdict on the run (mapping.launcher_cut). Never a stock request: the
        launcher keeps the program's output within our limit, which the server alone may not
        (a flood crashes a server whose output cap is high: issue 26). A compiled program stays
        on our package (the same build as its batch)."""
        batch = self._execute_chunk(program, [data], limits, file_mode, None, interaction)
        if batch.unanswered is not None:
            return batch.unanswered
        if batch.runs:
            return batch.runs[0]
        return batch.whole or Execution(Verdict.IE, reason="the Piston launcher gave no answer for the test")

    def _execute_chunk(
        self,
        program: Program,
        inputs: list[bytes],
        limits: Limits,
        file_mode: bool,
        compare: bodies.Compare | None = None,
        interaction: bodies.Interaction | None = None,
    ) -> BatchAnswer:
        """One batched request's answer (see BatchAnswer)."""
        package = self.runtimes.get(preflight.packaged(program.language))
        argv = package is not None
        if package is None and interaction is not None and interaction.compiled:
            package = self.runtimes[preflight.packaged("cpp")]  # builds the interactor
        runtime = package or self.runtimes["python"]
        max_ms = self.max_run_timeout_ms or 0
        compile_ms = self.compile_ms if package else None
        secret = os.urandom(seal.SECRET_BYTES)
        body = bodies.batch_body(
            program,
            inputs,
            limits,
            runtime,
            max_ms,
            file_mode,
            secret,
            compare,
            compile_ms,
            self.max_run_cpu_ms,
            self.max_memory,
            interaction,
            argv,
        )
        try:
            answer = self.client.post(json.dumps(body))
        except PistonUnavailable as exc:
            return BatchAnswer(unanswered=Execution(Verdict.IE, reason=str(exc)))
        compiled = compile_stage(answer.get("compile"), self.compile_ms)
        if compiled is not None and compiled.verdict is not Verdict.AC:
            return BatchAnswer(compiled)
        run = answer.get("run") or {}
        if run.get("status") is not None or run.get("code") != 0:
            # the batch itself was stopped (time, output, memory): judge per test
            sized = bodies.interactive_limits(limits) if interaction is not None else limits
            # stopped at its wall clock, it was held (never by the server's CPU maximum)
            wall_out = (
                isinstance(run.get("wall_time"), (int, float)) and run["wall_time"] >= body["run_timeout"]
            )
            if (
                run.get("status") == "TO"
                and not wall_out
                and bodies.capped_cpu(sized, len(inputs), self.max_run_cpu_ms)
            ):
                reason = bodies.cpu_cap_reason(limits, self.max_run_cpu_ms or 0)
                return BatchAnswer(compiled, whole=Execution(Verdict.IE, reason=reason))
            return BatchAnswer(compiled, whole=launcher_cut(run, limits))
        # only the launcher knows the secret, so only its lines carry the tag; a line without
        # it (none can reach the launcher's stdout but the launcher's own) is not a result
        tag = seal.tag(secret) + " "
        executions = []
        read = interactive_execution if interaction is not None else launcher_execution
        for line in str(run.get("stdout") or "").splitlines():
            if not line.startswith(tag):
                continue
            try:
                executions.append(read(json.loads(line[len(tag) :]), limits))
            except (ValueError, KeyError, TypeError):
                return BatchAnswer(compiled)
        return BatchAnswer(compiled, executions)

    def _body(self, program: Program, data: bytes, limits: Limits, file_mode: bool = False) -> dict[str, Any]:
        runtime = self.runtimes.get(program.language, (program.language, "*"))
        cap = self.max_run_cpu_ms
        return bodies.test_body(program, data, limits, runtime, file_mode, self.compile_ms, cap)

    def _execute(
        self, program: Program, data: bytes, limits: Limits, file_mode: bool = False
    ) -> dict[str, Any] | Execution:
        refused = bodies.cannot_send(program, data, file_mode)
        if refused is not None:
            return refused
        try:
            payload = json.dumps(self._body(program, data, limits, file_mode))
        except UnicodeDecodeError:
            return Execution(Verdict.IE, reason="test input is not UTF-8: Piston's stdin takes text")
        if self.body_limit is not None and len(payload) > self.body_limit:
            return Execution(
                Verdict.IE,
                reason=(
                    f"request of {len(payload)} bytes is over the Piston server's JSON body limit: "
                    "raise the server's JSON body limit"
                ),
            )
        try:
            return self.client.post(payload)
        except PistonUnavailable as exc:
            return Execution(Verdict.IE, reason=str(exc))

    def close(self) -> None:
        self.client.close()
