"""Piston's answers as Executions: the run stage by the table of piston-api.md, the
compile stage, and our launcher's per-test lines (classified exactly as local runs are, by
executors.outcome)."""

from __future__ import annotations

import base64
import signal
from dataclasses import replace
from typing import Any

from batch_eval.executors.base import INTERACTOR_BROKEN, Execution, Limits, checker_limits, tail
from batch_eval.executors.languages import COMPILE_SECONDS
from batch_eval.executors.outcome import PROGRAM_LIMITS, classify, interactive_verdict
from batch_eval.verdict import Verdict

#: the most a Piston server reads from a program's pipe at once (what an OL answer may lack)
PIPE_CHUNK = 64 * 1024
#: the time a compile gets, as on the local executor
COMPILE_MS = int(COMPILE_SECONDS * 1000)


def launcher_execution(result: dict[str, Any], limits: Limits) -> Execution:
    """One launcher result line as an Execution, classified exactly as local runs are. IE
    only from what the launcher says out of band (a child it could not set up, a spawner that
    failed by itself, a box that caps files below our output limit), never from how the
    program ended: an exit 127 with nothing on stderr is the program's runtime error."""
    if result.get("error"):
        return Execution(Verdict.IE, reason=f"the Piston launcher: {result['error']}")
    if result.get("setup_error"):
        return Execution(
            Verdict.IE, reason=f"the Piston launcher could not start the program: {result['setup_error']}"
        )
    if result.get("lost"):
        # the spawner runs as the program's user: only the program can kill or stop it
        return Execution(Verdict.RE, reason=f"the program {result['lost']}")
    stdout = base64.b64decode(result["stdout"])
    ex = _measured(result, stdout[: limits.output_bytes])
    cap = result.get("file_size_cap")
    # stopped at the box's cap: killed by SIGXFSZ, or (Python ignores it) told EFBIG, and
    # then ended as it chose, with exactly the cap written
    if cap and (ex.signal == "SIGXFSZ" or len(stdout) >= cap):
        return Execution(
            Verdict.IE,
            reason=f"the Piston box caps files at {cap} bytes, below the {limits.output_bytes}-byte output "
            "limit: raise PISTON_MAX_FILE_SIZE on the server or lower --output-limit",
        )
    classify(ex, limits, bool(result["wall_killed"]), len(stdout) > limits.output_bytes)
    hard = result.get("cpu_cap")
    if hard and ex.verdict is Verdict.TLE and not ex.wall_killed and (ex.cpu_time or 0) <= limits.time_s:
        # stopped by the box's own CPU rlimit, under the test's limit: the server's setting
        ex.verdict = Verdict.IE
        ex.reason = (
            f"the Piston box caps CPU time at {hard} s, below this test's {limits.time_s:g} s limit, "
            "and stopped it there: raise PISTON_RUN_CPU_TIME on the server"
        )
    if result.get("stopped") and ex.verdict not in PROGRAM_LIMITS:
        # it stopped the runtime's run script above the launcher (the launcher continued it)
        ex.verdict, ex.reason = Verdict.RE, f"the program {result['stopped']}"
    return ex


def interactive_execution(result: dict[str, Any], limits: Limits) -> Execution:
    """An interactive test's launcher line as an Execution: the program's side classified as
    any test's, the interactor's under its own limits (the checker's, its wall clock after the
    program's, as locally), then the rule every executor applies (outcome.interactive_verdict).
    An interactor the program stopped or killed (it runs as the program's user; the launcher
    sent neither) is the program's runtime error, unless it was over its own limits first."""
    program = launcher_execution(result, limits)
    side = result.get("interactor")
    if side is None or program.verdict is Verdict.IE or result.get("stopped"):
        return program  # the launcher's own word (no interactor ran, the box's cap, a stop)
    if side.get("attacked"):
        if program.verdict not in PROGRAM_LIMITS:
            program.verdict, program.reason = Verdict.RE, f"the program {side['attacked']}"
        return program
    own = checker_limits(limits)
    interactor = _measured(side)
    classify(interactor, replace(own, wall_s=own.wall + limits.wall), bool(side["killed"]), False)
    return interactive_verdict(program, interactor)


def _measured(run: dict[str, Any], stdout: bytes = b"") -> Execution:
    """What the launcher measured of one process's run (the program's or the interactor's),
    not yet judged."""
    return Execution(
        Verdict.AC,
        stdout=stdout,
        stderr=tail(str(run.get("stderr") or "")),
        wall_time=round(float(run["wall"]), 4),
        cpu_time=round(float(run["cpu"]), 4),
        memory_kb=int(run["memory_kb"]),
        exit_code=run.get("code"),
        signal=signal.Signals(run["signal"]).name if run.get("signal") else None,
    )


#: our package's compile script: the exit status and first stderr line of a missing toolchain
MISSING_TOOLCHAIN = 86
MISSING_LINE = "batch-eval package: toolchain missing: "
#: ... and of an interactor that does not compile (the problem's fault: IE, audit counts it)
INTERACTOR_UNBUILT = 87
UNBUILT_LINE = "batch-eval package: the problem's interactor does not compile"


def compile_stage(stage: dict[str, Any] | None, timeout_ms: int = COMPILE_MS) -> Execution | None:
    """The compile stage's outcome; `timeout_ms`: the compile_timeout the request had. A
    compile stopped by a server's shorter time than a local compile gets is IE, not CE, and
    so is one stopped at the wall clock having used under half of it as CPU (a starved
    compile); one that used its time compiling is the program's CE."""
    if not isinstance(stage, dict):
        return None
    stderr = tail(str(stage.get("stderr") or stage.get("output") or ""))
    status = stage.get("status")
    if status == "XX":
        return Execution(Verdict.IE, stderr=stderr, reason="Piston sandbox failure while compiling")
    if status == "TO" and timeout_ms < COMPILE_MS:
        return Execution(
            Verdict.IE,
            stderr=stderr,
            reason=f"the compile took over the server's {timeout_ms} ms (a local compile gets "
            f"{COMPILE_MS} ms): raise PISTON_COMPILE_TIMEOUT on the server",
        )
    cpu = stage.get("cpu_time")
    if (
        status == "TO"
        and isinstance(cpu, (int, float))
        and not isinstance(cpu, bool)
        and cpu * 2 < timeout_ms
    ):
        # stopped at the wall clock with most of its time unused as CPU: a busy server starved
        # it (64 JVMs on 2 cores), as a local compile killed from outside with CPU to spare
        return Execution(
            Verdict.IE,
            stderr=stderr,
            reason=f"the compile was stopped at the server's wall clock after only {cpu:.0f} ms of "
            "CPU: the server was too busy (it is judged again by the next run)",
        )
    if status is None and stage.get("code") == 0:
        return Execution(Verdict.AC, stderr=stderr)
    raw = str(stage.get("stderr") or "")
    if stage.get("code") == MISSING_TOOLCHAIN and raw.startswith(MISSING_LINE):
        # our package's compile script found no compiler: the server's fault (no compiler
        # exits 86, and the line comes before anything the compiler prints)
        return Execution(Verdict.IE, stderr=stderr, reason=raw.splitlines()[0])
    if stage.get("code") == INTERACTOR_UNBUILT and raw.startswith(UNBUILT_LINE):
        error = next((ln for ln in raw.splitlines()[1:] if "error" in ln), "")
        why = f"{INTERACTOR_BROKEN}: it does not compile with testlib.h ({error.strip()[:300]})"
        return Execution(Verdict.IE, stderr=stderr, reason=why)
    first = next((ln for ln in stderr.splitlines() if "error" in ln), stderr.strip()[:300])
    return Execution(Verdict.CE, stderr=stderr, reason=first or f"compile stage {status}")


#: Piston's run statuses (piston-api.md); any other is a status this client does not know
STATUSES = frozenset({None, "RE", "SG", "TO", "OL", "EL", "XX"})


def to_execution(stage: Any, limits: Limits) -> Execution:
    """Piston's run stage as an Execution: the statuses only Piston has by the table of
    piston-api.md (XX and unknown ones IE, TO TLE, OL/EL OLE or, when the server's own cap
    cut below ours, IE), then how the program ended by the one rule every executor shares
    (outcome.classify), a memory-limit kill being Piston's exit 137 at the limit."""
    if not isinstance(stage, dict):
        return Execution(Verdict.IE, reason="Piston answer has no run stage")
    status, code = stage.get("status"), stage.get("code")
    memory = stage.get("memory")
    text = str(stage.get("stdout") or "")
    ex = Execution(
        Verdict.AC,
        stdout=text.encode("utf-8", "surrogateescape"),
        stderr=tail(str(stage.get("stderr") or "")),
        exit_code=code if isinstance(code, int) else None,
        signal=stage.get("signal"),
        wall_time=_seconds(stage.get("wall_time")),
        cpu_time=_seconds(stage.get("cpu_time")),
        memory_kb=int(memory) // 1024 if isinstance(memory, (int, float)) else None,
    )
    # the server decodes stdout as text: a byte that is not UTF-8 (or a character split across
    # two of its reads) comes back as U+FFFD, and the output's real bytes are unknown
    ex.stdout_lossy = "\ufffd" in text
    if status == "XX" or status not in STATUSES:
        ex.verdict, ex.reason = Verdict.IE, f"Piston status {status!r}: {stage.get('message')}"
    elif status == "TO":
        ex.verdict, ex.reason = Verdict.TLE, str(stage.get("message") or "time limit")
        ex.wall_killed = "wall" in ex.reason
    elif status == "OL" and len(ex.stdout) + PIPE_CHUNK < limits.output_bytes:
        # the server's own output limit (PISTON_OUTPUT_MAX_SIZE) is below ours (it keeps what
        # came before the pipe chunk that crossed its limit): the output it cut may have been
        # right, and a right answer is never judged OLE for a server's setting
        ex.verdict, ex.reason = Verdict.IE, server_output_cap(len(ex.stdout), limits)
    elif status in ("OL", "EL"):
        ex.verdict, ex.reason = Verdict.OLE, str(stage.get("message") or "output limit")
    else:
        # Piston reports a memory-limit kill as exit 137 with peak memory at the limit
        oom = status == "RE" and code == 137 and (ex.memory_kb or 0) >= 0.9 * limits.memory_mb * 1024
        over = len(ex.stdout) > limits.output_bytes  # the server's own output limit may be higher
        classify(ex, limits, False, over, oom)
    if len(ex.stdout) > limits.output_bytes:
        ex.stdout = ex.stdout[: limits.output_bytes]
    return ex


def server_output_cap(kept: int, limits: Limits) -> str:
    """Why output a server cut below our output limit is IE: the setting to raise."""
    return (
        f"the Piston server keeps at most ~{kept} bytes of output, below the "
        f"{limits.output_bytes}-byte output limit: raise PISTON_OUTPUT_MAX_SIZE on the server "
        "or lower --output-limit"
    )


def launcher_cut(stage: dict[str, Any], limits: Limits) -> Execution:
    """A one-test request through our launcher that the server stopped as a whole. Its output
    cap cut the launcher's line: the program printed at least three quarters of what came
    back (the line carries its output in base64), which is OLE only when that is over our
    limit; else the server's cap is too low to judge it (IE). Any other stop is the server's
    verdict on the run."""
    if stage.get("status") != "OL":
        return to_execution(stage, limits)
    printed = len(str(stage.get("stdout") or "")) * 3 // 4 - 4096
    if printed > limits.output_bytes:
        return Execution(Verdict.OLE, reason=f"output over {limits.output_bytes} bytes")
    needs = f" (through our launcher: ~{limits.output_bytes * 4 // 3} bytes)"
    return Execution(Verdict.IE, reason=server_output_cap(printed, limits) + needs)


def _seconds(ms: Any) -> float | None:
    return round(float(ms) / 1000, 4) if isinstance(ms, (int, float)) else None
