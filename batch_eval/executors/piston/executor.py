"""The Piston executor: `POST /api/v2/execute` on one or more servers, as piston-api.md says.

Python programs reach their input as a file (`input.txt`) that a small entry program puts
on file descriptor 0 before it execs a normal interpreter on the solution: Piston cuts
large stdin silently and feeds it through a pipe, which breaks `os.fstat(0)` sizing.
Piston's C++ compile stage compiles every file it is sent, so C++ gets its input on
stdin, and only inputs small enough to arrive intact.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

import requests

from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import Execution, Executor, Limits, OnResult, Program, ProgramRun, tail
from batch_eval.executors.outcome import classify
from batch_eval.executors.piston.budget import SharedBudget
from batch_eval.executors.sandbox import SANDBOX
from batch_eval.verdict import Verdict

LAUNCHER_SOURCE = (SANDBOX / "launcher.py").read_text(encoding="utf-8")

#: stdin up to this size arrives whole (seen: 200 kB whole, 500 kB cut to 219,264 bytes)
SAFE_STDIN_BYTES = 64 * 1024
RETRY_STATUSES = frozenset({429, 502, 503, 504})
PROBE_OUTPUT_BYTES = 8192
PROBE_PADDING_BYTES = 150_000
PISTON_LANGUAGES = {"python": ("python", "python3", "py"), "cpp": ("c++", "cpp", "g++")}

ONLINE_JUDGE_HEADER = "#define ONLINE_JUDGE 1\n#line 1\n"

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


class PistonUnavailable(Exception):
    """A request that failed for reasons outside the program: becomes IE."""


DOWN_AFTER = 3  # consecutive connection failures that take an endpoint out of the rotation
MAX_COOLDOWN_S = 60.0


class Endpoints:
    """Round-robin over the endpoints, leaving out those that stopped answering.

    An endpoint that failed to connect (refused, reset, timed out) DOWN_AFTER times in a
    row is down: its work goes to the others, and it gets one request again after a
    cooldown that doubles up to a minute. Busy answers (429, 503) are not failures of the
    connection: they are retried with backoff on the same rotation. When every endpoint
    is down, requests fail at once (IE) instead of each waiting out its retries.
    """

    def __init__(self, urls: Sequence[str], clock: Any = time.monotonic) -> None:
        self.urls = list(urls)
        self.clock = clock
        self.failures = {url: 0 for url in self.urls}
        self.down_until: dict[str, float] = {}
        self._next = itertools.cycle(range(len(self.urls)))

    def pick(self) -> str | None:
        """The next endpoint to send to, or None when every one is down."""
        now = self.clock()
        for _ in range(len(self.urls)):
            url = self.urls[next(self._next)]
            if self.down_until.get(url, 0.0) <= now:
                return url
        return None

    def ok(self, url: str) -> None:
        if self.failures.get(url):
            if url in self.down_until:
                print(f"batch-eval: Piston at {url} answers again", file=sys.stderr, flush=True)
            self.failures[url] = 0
            self.down_until.pop(url, None)

    def failed(self, url: str) -> None:
        self.failures[url] = self.failures.get(url, 0) + 1
        n = self.failures[url]
        if n >= DOWN_AFTER:
            cooldown = min(MAX_COOLDOWN_S, 2.0 ** (n - DOWN_AFTER))
            self.down_until[url] = self.clock() + cooldown
            if n == DOWN_AFTER:
                others = "its work goes to the others" if len(self.urls) > 1 else "requests fail as IE"
                print(
                    f"batch-eval: Piston at {url} is down ({n} failed connections): {others}; "
                    "it is tried again now and then",
                    file=sys.stderr,
                    flush=True,
                )

    def status(self) -> str:
        return ", ".join(f"{url}: {self.failures[url]} failed connections" for url in self.urls)


class PistonExecutor(Executor):
    """Programs on Piston servers: a Python program's tests batched into few requests (the
    launcher runs them in the sandbox), else one request per test; requests spread over the
    healthy endpoints within the shared budget, retried with backoff."""

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
    ) -> None:
        if not endpoints:
            raise BatchEvalError("the piston executor needs at least one --endpoint URL")
        self.endpoints = [e.rstrip("/") for e in endpoints]
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers["Content-Type"] = "application/json"
        self.runtimes: dict[str, tuple[str, str]] = {}  # our language -> (piston language, version)
        self.body_limit: int | None = None
        self.warnings: list[str] = []
        self.requests_sent = 0
        # one request runs many tests of a Python program (see launcher.py); needs the server's
        # run_timeout maximum, learnt at preflight
        self.batch = batch
        self.max_run_timeout_ms: int | None = None
        self.health = Endpoints(self.endpoints)
        self.budget = budget  # requests in flight per endpoint, shared with the other checkers

    # -- preflight -------------------------------------------------------------------------

    def preflight(self, limits: Limits) -> list[str]:
        # a dead endpoint among live ones is dropped (its share goes to the others); all
        # dead is the first one's error
        alive: list[str] = []
        errors: list[BatchEvalError] = []
        for url in self.endpoints:
            try:
                self._resolve_runtimes(url)
                alive.append(url)
            except BatchEvalError as err:
                errors.append(err)
        if not alive:
            raise errors[0]
        self.warnings += [f"{err}; going on without it" for err in errors]
        self.endpoints = alive
        self.health = Endpoints(self.endpoints)
        probe = Program("python", f"import sys\nsys.stdout.write('x' * {PROBE_OUTPUT_BYTES})\n")
        body = self._body(probe, b"", limits)
        body["files"].append({"name": "padding.txt", "content": "p" * PROBE_PADDING_BYTES})
        for url in self.endpoints:
            answer = self._probe(url, body, limits)
            if answer is None:  # body limit: learned, probe again without the padding
                self.body_limit = PROBE_PADDING_BYTES
                self.warnings.append(
                    f"Piston at {url} rejects request bodies over ~100 kB (the stock JSON limit): "
                    "tests with larger inputs will be IE; raise the server's JSON body limit"
                )
                answer = self._probe(url, self._body(probe, b"", limits), limits)
            run = (answer or {}).get("run") or {}
            if run.get("status") == "OL" or len(run.get("stdout") or "") < PROBE_OUTPUT_BYTES:
                raise BatchEvalError(
                    f"Piston at {url} cuts program output below {PROBE_OUTPUT_BYTES} bytes "
                    "(stock PISTON_OUTPUT_MAX_SIZE is 1024): nearly every test would be judged OLE; "
                    "raise PISTON_OUTPUT_MAX_SIZE on the server (e.g. to 67108864)"
                )
        if self.batch:
            self.max_run_timeout_ms = self._probe_max_timeout(self.endpoints[0], limits)
        return self.warnings

    def _probe_max_timeout(self, url: str, limits: Limits) -> int | None:
        """The largest run_timeout the server accepts (Piston refuses, never clamps)."""
        probe = Program("python", "pass\n")
        for ms in (60000, 30000, 20000, 15000, 10000, 6000, 3000):
            body = self._body(probe, b"", limits)
            body["run_timeout"] = body["run_cpu_time"] = ms
            try:
                reply = self.session.post(
                    f"{url}/api/v2/execute", data=json.dumps(body), timeout=self.timeout
                )
            except requests.RequestException:
                return None
            if reply.status_code == 200:
                return ms
        return None

    def _resolve_runtimes(self, url: str) -> None:
        try:
            reply = self.session.get(f"{url}/api/v2/runtimes", timeout=min(self.timeout, 15))
        except requests.RequestException as exc:
            raise BatchEvalError(
                f"cannot reach Piston at {url}: {_why(exc)} — start it or pass --endpoint"
            ) from None
        if reply.status_code != 200:
            raise BatchEvalError(f"Piston at {url} answered {reply.status_code} to /api/v2/runtimes")
        try:
            runtimes = reply.json()
        except ValueError:
            raise BatchEvalError(f"Piston at {url}: /api/v2/runtimes is not JSON") from None
        for ours, names in PISTON_LANGUAGES.items():
            found = [
                r
                for r in runtimes
                if isinstance(r, dict)
                and (r.get("language") in names or set(names) & set(r.get("aliases", [])))
            ]
            if found:
                best = max(found, key=lambda r: _version_key(str(r.get("version", "0"))))
                self.runtimes.setdefault(ours, (str(best["language"]), str(best["version"])))
        if "python" not in self.runtimes:
            raise BatchEvalError(f"Piston at {url} has no python runtime installed")

    def _probe(self, url: str, body: dict[str, Any], limits: Limits) -> dict[str, Any] | None:
        try:
            reply = self.session.post(f"{url}/api/v2/execute", data=json.dumps(body), timeout=self.timeout)
        except requests.RequestException as exc:
            raise BatchEvalError(f"cannot reach Piston at {url}: {_why(exc)}") from None
        if reply.status_code == 400:
            message = _message(reply)
            if "PayloadTooLarge" in message:
                return None
            raise BatchEvalError(
                f"Piston at {url} refuses our limits ({message}): the problem limits need "
                f"run_timeout {int(limits.wall * 1000)} ms and run_memory_limit "
                f"{limits.memory_mb * 1024 * 1024} bytes; raise the server's maximums "
                "or lower --time-limit/--memory-limit"
            )
        if reply.status_code != 200:
            raise BatchEvalError(f"Piston at {url} answered HTTP {reply.status_code} to a test run")
        try:
            answer: dict[str, Any] = reply.json()
        except ValueError:
            raise BatchEvalError(f"Piston at {url} answered a test run with non-JSON") from None
        return answer

    def describe(self) -> dict[str, Any]:
        return {
            "executor": self.name,
            "endpoints": self.endpoints,
            "runtimes": {k: f"{lang}-{ver}" for k, (lang, ver) in self.runtimes.items()},
            "python_argv": ["python", "main.py"],
            "stdin": "python: input.txt on fd 0 via an entry program; c++: stdin",
            "isolation": "piston (isolate sandbox on the server)",
            # a Python program's tests: many to a request through our launcher, or one a request
            "batch": self.batch,
            "requests_sent": self.requests_sent,
        }

    # -- running -----------------------------------------------------------------------------

    def run(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        input_mode: str = "stdio",
    ) -> ProgramRun:
        if program.language not in self.runtimes:
            ie = Execution(Verdict.IE, reason=f"no {program.language} runtime on the Piston servers")
            return ProgramRun(compile=ie, runs=[])
        if program.language == "python" and self.batch and self.max_run_timeout_ms:
            return self._run_batched(program, inputs, limits, on_result, input_mode == "file")
        runs: list[Execution] = []
        compile_ex: Execution | None = None
        for i, data in enumerate(inputs):
            answer = self._execute(program, data, limits, input_mode == "file")
            if isinstance(answer, Execution):
                ex = answer
            else:
                compile_ex = _compile_stage(answer.get("compile"))
                if compile_ex is not None and compile_ex.verdict is not Verdict.AC:
                    return ProgramRun(compile=compile_ex, runs=[])
                ex = to_execution(answer.get("run"), limits)
            runs.append(ex)
            if not on_result(i, ex):
                break
        return ProgramRun(compile=compile_ex, runs=runs)

    def _run_batched(
        self, program: Program, inputs: Sequence[bytes], limits: Limits, on_result: OnResult, file_mode: bool
    ) -> ProgramRun:
        """Tests in chunks that fit the server's limits, one request per chunk; a chunk the
        server could not run whole is run again a request per test."""
        runs: list[Execution] = []
        start = 0
        while start < len(inputs):
            chunk = self._chunk(inputs, start, limits)
            executions = self._execute_chunk(program, [inputs[i] for i in chunk], limits, file_mode)
            if not executions:  # cut by the server, or no room for a test: a request per test
                executions = []
                for i in chunk:
                    answer = self._execute(program, inputs[i], limits, file_mode)
                    ex = answer if isinstance(answer, Execution) else to_execution(answer.get("run"), limits)
                    executions.append(ex)
                    if ex.verdict is not Verdict.AC:
                        break
            for offset, ex in enumerate(executions):
                runs.append(ex)
                if not on_result(chunk[offset], ex):
                    return ProgramRun(compile=None, runs=runs)
            start = chunk[0] + len(executions)
        return ProgramRun(compile=None, runs=runs)

    def _chunk(self, inputs: Sequence[bytes], start: int, limits: Limits) -> list[int]:
        """Up to 64 tests from `start` whose inputs fit the body limit; time is the launcher's
        business (it stops before a test that might not finish within the request's budget)."""
        body_budget = (self.body_limit or 50_000_000) * 0.8 - 20_000
        chunk: list[int] = []
        used_bytes = 0.0
        for i in range(start, len(inputs)):
            size = len(inputs[i]) * 4 / 3 + 200
            if chunk and (len(chunk) >= 64 or used_bytes + size > body_budget):
                break
            chunk.append(i)
            used_bytes += size
        return chunk

    def _execute_chunk(
        self, program: Program, inputs: list[bytes], limits: Limits, file_mode: bool
    ) -> list[Execution] | None:
        language, version = self.runtimes["python"]
        total_ms = min(self.max_run_timeout_ms or 0, int(sum(limits.wall * 1000 + 50 for _ in inputs)) + 2000)
        budget_s = total_ms / 1000 - 1.5  # the launcher's own start and the answer's way back
        tests = [
            {
                "stdin": f"in{i}.txt",
                "time_s": limits.time_s,
                "wall_s": limits.wall,
                "memory": limits.memory_mb * 1024 * 1024,
                "output": limits.output_bytes,
            }
            for i in range(len(inputs))
        ]
        files = [
            {"name": "launcher.py", "content": LAUNCHER_SOURCE},
            {"name": "main.py", "content": program.source},
            {
                "name": "tests.json",
                "content": json.dumps(
                    {"tests": tests, "stop_on_failure": True, "budget_s": budget_s, "file_mode": file_mode}
                ),
            },
            *(
                {"name": f"in{i}.txt", "content": base64.b64encode(data).decode(), "encoding": "base64"}
                for i, data in enumerate(inputs)
            ),
        ]
        body = {
            "language": language,
            "version": version,
            "files": files,
            "stdin": "",
            "args": [],
            "run_timeout": total_ms,
            "run_cpu_time": total_ms,
            "run_memory_limit": limits.memory_mb * 1024 * 1024,
        }
        try:
            answer = self._post(json.dumps(body))
        except PistonUnavailable:
            return None
        run = answer.get("run") or {}
        if run.get("status") is not None or run.get("code") != 0:
            return None  # the batch itself was stopped (time, output, memory): judge per test
        executions = []
        for line in str(run.get("stdout") or "").splitlines():
            try:
                executions.append(_launcher_execution(json.loads(line), limits))
            except (ValueError, KeyError, TypeError):
                return None
        return executions or None

    def _body(self, program: Program, data: bytes, limits: Limits, file_mode: bool = False) -> dict[str, Any]:
        language, version = self.runtimes.get(program.language, (program.language, "*"))
        if program.language == "python":
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
            files = [{"name": "main.cpp", "content": ONLINE_JUDGE_HEADER + program.source}]
            stdin = data.decode("utf-8")
        return {
            "language": language,
            "version": version,
            "files": files,
            "stdin": stdin,
            "args": [],
            "compile_timeout": 30000,
            "run_timeout": int(limits.wall * 1000),
            "run_cpu_time": int(limits.time_s * 1000) + 1,
            "run_memory_limit": limits.memory_mb * 1024 * 1024,
        }

    def _execute(
        self, program: Program, data: bytes, limits: Limits, file_mode: bool = False
    ) -> dict[str, Any] | Execution:
        if program.language != "python" and file_mode:
            return Execution(
                Verdict.IE,
                reason=(
                    "a file-mode problem (input.txt) in a compiled language: Piston compiles every "
                    "file it is sent, so input.txt cannot be given; use --executor local"
                ),
            )
        if program.language != "python" and len(data) > SAFE_STDIN_BYTES:
            return Execution(
                Verdict.IE,
                reason=(
                    f"input of {len(data)} bytes: Piston may truncate stdin this large and cannot "
                    "pass a file to a compiled program; use --executor local"
                ),
            )
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
            return self._post(payload)
        except PistonUnavailable as exc:
            return Execution(Verdict.IE, reason=str(exc))

    def _post(self, payload: str) -> dict[str, Any]:
        """The JSON answer of /execute, retried with backoff over the endpoints."""
        last = "no attempt"
        delay = 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(max(delay, self.backoff * 2 ** (attempt - 1)))
            delay = 0.0
            url = self.health.pick()
            if url is None:
                raise PistonUnavailable(
                    f"every Piston endpoint is down ({self.health.status()}); last: {last}"
                )
            self.requests_sent += 1
            try:
                with self.budget.slot(url) if self.budget else contextlib.nullcontext():
                    reply = self.session.post(f"{url}/api/v2/execute", data=payload, timeout=self.timeout)
            except requests.RequestException as exc:
                last = f"{url}: {_why(exc)}"
                self.health.failed(url)
                if self.budget is not None and isinstance(exc, requests.Timeout):
                    self.budget.overloaded(url)
                continue
            self.health.ok(url)
            if self.budget is not None:
                if reply.status_code in (429, 503):
                    self.budget.overloaded(url)
                elif reply.status_code == 200:
                    self.budget.succeeded(url)
            if reply.status_code == 200:
                try:
                    answer = reply.json()
                except ValueError:
                    last = f"{url}: answer is not JSON"
                    continue
                # a failed compile stage comes without a run stage
                if isinstance(answer, dict) and (
                    isinstance(answer.get("run"), dict) or isinstance(answer.get("compile"), dict)
                ):
                    return answer
                last = f"{url}: answer without a run stage"
                continue
            message = _message(reply)
            if reply.status_code in RETRY_STATUSES or (reply.status_code == 500 and not message):
                last = f"{url}: HTTP {reply.status_code}"
                delay = _retry_after(reply)
                continue
            if "PayloadTooLarge" in message:
                raise PistonUnavailable(
                    f"{url}: request over the server's JSON body limit: raise the server's JSON body limit"
                )
            raise PistonUnavailable(f"{url}: HTTP {reply.status_code}: {message[:200]}")
        raise PistonUnavailable(f"Piston failed after {self.retries + 1} attempts: {last}")

    def close(self) -> None:
        self.session.close()


def _launcher_execution(result: dict[str, Any], limits: Limits) -> Execution:
    """One launcher result line as an Execution, classified exactly as local runs are."""
    stdout = base64.b64decode(result["stdout"])
    ex = Execution(
        Verdict.AC,
        stdout=stdout[: limits.output_bytes],
        stderr=tail(str(result.get("stderr") or "")),
        wall_time=round(float(result["wall"]), 4),
        cpu_time=round(float(result["cpu"]), 4),
        memory_kb=int(result["memory_kb"]),
        exit_code=result.get("code"),
        signal=signal.Signals(result["signal"]).name if result.get("signal") else None,
    )
    if ex.exit_code == 127 and not ex.stderr:
        return Execution(Verdict.IE, reason="the Piston launcher could not start the interpreter")
    classify(ex, limits, bool(result["wall_killed"]), len(stdout) > limits.output_bytes)
    return ex


def _compile_stage(stage: dict[str, Any] | None) -> Execution | None:
    if not isinstance(stage, dict):
        return None
    stderr = tail(str(stage.get("stderr") or stage.get("output") or ""))
    status = stage.get("status")
    if status == "XX":
        return Execution(Verdict.IE, stderr=stderr, reason="Piston sandbox failure while compiling")
    if status is None and stage.get("code") == 0:
        return Execution(Verdict.AC, stderr=stderr)
    first = next((ln for ln in stderr.splitlines() if "error" in ln), stderr.strip()[:300])
    return Execution(Verdict.CE, stderr=stderr, reason=first or f"compile stage {status}")


def to_execution(stage: Any, limits: Limits) -> Execution:
    """Piston's run stage as an Execution, by the table of piston-api.md."""
    if not isinstance(stage, dict):
        return Execution(Verdict.IE, reason="Piston answer has no run stage")
    status, code = stage.get("status"), stage.get("code")
    cpu = _seconds(stage.get("cpu_time"))
    wall = _seconds(stage.get("wall_time"))
    memory = stage.get("memory")
    memory_kb = int(memory) // 1024 if isinstance(memory, (int, float)) else None
    stderr = tail(str(stage.get("stderr") or ""))
    ex = Execution(
        Verdict.AC,
        stdout=str(stage.get("stdout") or "").encode("utf-8", "surrogateescape"),
        stderr=stderr,
        exit_code=code if isinstance(code, int) else None,
        signal=stage.get("signal"),
        wall_time=wall,
        cpu_time=cpu,
        memory_kb=memory_kb,
    )
    limit_kb = limits.memory_mb * 1024
    # the server decodes stdout as text: a byte that is not UTF-8 (or a character split across
    # two of its reads) comes back as U+FFFD, and the output's real bytes are unknown
    ex.stdout_lossy = "\ufffd" in str(stage.get("stdout") or "")
    if status is None and code == 0:
        if cpu is not None and cpu > limits.time_s:
            ex.verdict, ex.reason = Verdict.TLE, f"{cpu:.2f} s CPU over the {limits.time_s:g} s limit"
        elif len(ex.stdout) > limits.output_bytes:  # the server's own output limit may be higher
            ex.verdict, ex.reason = Verdict.OLE, f"output over {limits.output_bytes} bytes"
            ex.stdout = ex.stdout[: limits.output_bytes]
    elif status == "TO":
        ex.verdict, ex.reason = Verdict.TLE, str(stage.get("message") or "time limit")
        ex.wall_killed = "wall" in ex.reason
    elif status in ("OL", "EL"):
        ex.verdict, ex.reason = Verdict.OLE, str(stage.get("message") or "output limit")
    elif status == "RE" and code == 137 and memory_kb is not None and memory_kb >= 0.9 * limit_kb:
        # Piston reports a memory-limit kill as exit 137 with peak memory at the limit
        ex.verdict, ex.reason = Verdict.MLE, f"memory limit {limits.memory_mb} MB"
    elif status == "RE" and "MemoryError" in stderr:
        ex.verdict, ex.reason = Verdict.MLE, f"memory limit {limits.memory_mb} MB (MemoryError)"
    elif status in ("RE", "SG") or (status is None and code != 0):
        last = stderr.strip().splitlines()[-1][:200] if stderr.strip() else ""
        ex.verdict = Verdict.RE
        ex.reason = str(stage.get("message") or f"exit code {code}") + (f": {last}" if last else "")
    else:  # XX: sandbox failure, or a status this client does not know
        ex.verdict, ex.reason = Verdict.IE, f"Piston status {status!r}: {stage.get('message')}"
    return ex


def _seconds(ms: Any) -> float | None:
    return round(float(ms) / 1000, 4) if isinstance(ms, (int, float)) else None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def _message(reply: requests.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("stack") or "")[:300]
    return str(body)[:300]


def _retry_after(reply: requests.Response) -> float:
    """The wait a busy server asks for (Retry-After in seconds), at most half a minute."""
    try:
        return min(30.0, max(0.0, float(reply.headers.get("Retry-After", 0))))
    except ValueError:
        return 0.0


def _why(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "refused" in text.lower():
            return "connection refused"
        return "connection failed"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return type(exc).__name__
