"""A small Piston-compatible server for tests, answering as ../shared/piston-api.md describes.

It really runs the programs it is sent (Python, and C++ with Piston's compile rule), and
reproduces the server's observed behaviour: HTTP 200 for every program outcome, stages
with stdout/stderr/output/code/signal/message/status/cpu_time/wall_time/memory, a memory
cgroup's kill as RE 137 (a program's own MemoryError is its exit 1, untouched), CPU time
watched in milliseconds (TO), stdout over the cap as OL and stderr over its cap as EL, each
keeping the 64 kB reads before the one that crossed it, output decoded read by read (a
character split across two reads is U+FFFD), stdin cut at 219,264 bytes and given
a final newline, a 100 kB JSON body limit, 400 for unknown runtimes and limits over the
configured maxima, 415 without a JSON content type, 500 for file names escaping the box.
Jobs run at once (`jobs`, as PISTON_MAX_CONCURRENT_JOBS; the others wait), each in a box of
its own: its own memory and cpuacct cgroups (run_memory_limit is real use; the CPU time of
all its processes, reaped or not, as isolate counts it; its peak memory reported), and,
started as root, its own unprivileged runner uid, as Piston gives each job one.

A stock runtime's run stage is its `run` script, as Piston's packages have it: bash runs the
program as its child (`python3.12 "$@"`), so a program dead of a signal is bash's exit 128+N
(a segfault: RE 139) and a program may signal that bash.
Installed packages (`install_package`, as Piston's package manager installs one: build.sh,
pkg-info.json, the environment cached as .env) are listed with their `provides` and run as
Piston runs every package: `bash compile <the utf8 files>`, then `bash run <the first utf8
file>`, in the submission folder, with the package's environment and PISTON_LANGUAGE.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import functools
import itertools
import json
import os
import queue
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

STDIN_CUT = 219_264
#: as Piston runs every job as an unprivileged runner uid of its own: started as root, the
#: server runs each box as a uid of its own (one per job slot), so a program cannot ptrace or
#: read a non-dumpable process of its box (root could), nor signal the server or another
#: job. It keeps CAP_DAC_READ_SEARCH alone, to reach the host's tools under /root.
AS_ROOT = os.geteuid() == 0
_UIDS = itertools.count(200_000 + os.getpid() % 10_000 * 100)
_JOB = threading.local()  # the uid the request this thread answers runs as (None: ours)
_LIBC = ctypes.CDLL(None, use_errno=True)


@dataclass
class FakePistonConfig:
    output_max: int = 1 << 20  # PISTON_OUTPUT_MAX_SIZE (stock: 1024)
    stderr_max: int | None = None  # the stderr's own cap (None: output_max, as Piston's)
    body_limit: int = 100_000  # the stock JSON body limit
    run_timeout_max: int = 20_000
    compile_timeout_max: int = 10_000  # PISTON_COMPILE_TIMEOUT: checked for every language
    max_file_size: int = 10 << 20  # PISTON_MAX_FILE_SIZE: the box's hard RLIMIT_FSIZE
    run_cpu_time_max: int = 20_000
    memory_max: int = -1
    runtimes: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"language": "python", "version": "3.12.0", "aliases": ["py", "py3", "python3"]},
            {"language": "c++", "version": "10.2.0", "aliases": ["cpp", "g++"], "runtime": "gcc"},
            {"language": "c", "version": "10.2.0", "aliases": ["gcc"], "runtime": "gcc"},
            {"language": "java", "version": "15.0.2", "aliases": []},
            {"language": "pypy", "version": "3.9.16", "aliases": ["pypy3"]},
            {"language": "javascript", "version": "20.11.1", "aliases": ["node-javascript", "node-js", "js"]},
            {"language": "rust", "version": "1.68.2", "aliases": ["rs"]},
        ]
    )
    # fault injection: a list of HTTP statuses to answer before behaving (e.g. [503, 503])
    fail_next: list[int] = field(default_factory=list)
    # gone: every request's connection is dropped unanswered (a server going away);
    # down_after: gone once this many more solutions (batched requests) have been answered
    gone: bool = False
    down_after: int | None = None
    delay_s: float = 0.0  # each /execute answer waits this long (to see requests overlap)
    jobs: int = 4  # PISTON_MAX_CONCURRENT_JOBS (stock: 64): jobs run at once, each its own uid
    packages: list[Path] = field(default_factory=list)  # installed package folders (install_package)

    def listed(self) -> list[dict[str, Any]]:
        """GET /api/v2/runtimes: the built-in runtimes, then each installed package's."""
        return [*self.runtimes, *(r for pkgdir in self.packages for r in _package_runtimes(pkgdir))]


@functools.cache
def _package_runtimes(pkgdir: Path) -> list[dict[str, Any]]:
    """An installed package's runtimes, as Piston loads them once from its pkg-info.json
    (`_pkgdir`: ours, never sent)."""
    info = json.loads((pkgdir / "pkg-info.json").read_text())
    return [
        {
            "language": lang["language"],
            "version": info["version"],
            "aliases": lang.get("aliases", []),
            "runtime": info["language"],
            "_pkgdir": str(pkgdir),
        }
        for lang in info.get("provides") or [info]
    ]


def install_package(source: Path, root: Path, python: str = sys.executable) -> Path:
    """A Piston package folder (metadata.json, build.sh, compile, run, environment) built and
    installed under `root` as Piston's repository build and package manager do: build.sh run in
    it (with BATCH_EVAL_HOST_TOOLS=1: the host's compilers and `python`, linked), metadata.json
    kept as pkg-info.json, and the environment's variables cached as .env."""
    info = json.loads((source / "metadata.json").read_text())
    pkgdir: Path = root / str(info["language"]) / str(info["version"])
    shutil.copytree(source, pkgdir)
    env = {**os.environ, "BATCH_EVAL_HOST_TOOLS": "1", "BATCH_EVAL_PYTHON": python}
    subprocess.run(["bash", "build.sh"], cwd=pkgdir, env=env, check=True, capture_output=True)
    (pkgdir / "pkg-info.json").write_text(json.dumps({**info, "build_platform": "batch-eval-tests"}))
    shown = subprocess.run(
        ["env", "-i", "bash", "-c", f"cd {pkgdir}; source environment; env"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    dropped = ("PWD", "OLDPWD", "_", "SHLVL")
    kept = [line for line in shown.splitlines() if line.split("=", 1)[0] not in dropped]
    (pkgdir / ".env").write_text("\n".join(kept))
    return pkgdir


class FakePiston:
    def __init__(self, config: FakePistonConfig | None = None, port: int = 0, log: bool = False) -> None:
        self.config = config or FakePistonConfig()
        self.log = log  # a line on stdout per /execute answered
        self.requests: list[dict[str, Any]] = []
        # the job slots: a runner uid each (the others wait, as in Piston's queue)
        self.slots: queue.Queue[int | None] = queue.Queue()
        for _ in range(self.config.jobs):
            self.slots.put(next(_UIDS) if AS_ROOT else None)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0  # the most /execute requests ever open at once
        self.largest_stdout = 0  # the most stdout (characters) any answer's run stage carried
        self.run_stdouts: list[str] = []  # every answer's run stage stdout, in order
        handler = type("Handler", (_Handler,), {"piston": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakePiston:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    piston: FakePiston

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.piston.config.gone:
            self.close_connection = True
            return
        if self.path == "/":
            self._send(200, {"message": "Piston v3.1.1"})
        elif self.path == "/api/v2/runtimes":
            listed = [{k: v for k, v in r.items() if k != "_pkgdir"} for r in self.piston.config.listed()]
            self._send(200, listed)
        else:
            self._send(404, {"message": "Not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        cfg = self.piston.config
        with self.piston.lock:
            if cfg.down_after is not None and b'"launcher.py"' in raw:
                cfg.gone = cfg.gone or cfg.down_after <= 0
                cfg.down_after -= 1
            if cfg.gone:
                self.close_connection = True  # no answer at all: the client sees a dropped connection
                return
            if cfg.fail_next:
                self._send(cfg.fail_next.pop(0), None)
                return
        if self.path != "/api/v2/execute":
            self._send(404, {"message": "Not found"})
            return
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            self._send(415, {"message": "requests must be of type application/json"})
            return
        if length > cfg.body_limit:
            self._send(400, {"stack": "PayloadTooLargeError: request entity too large\n    at readStream"})
            return
        try:
            body = json.loads(raw)
        except ValueError as exc:
            self._send(400, {"stack": f"SyntaxError: {exc}"})
            return
        with self.piston.lock:
            self.piston.requests.append(body)
        error = _validate(body, cfg)
        if error:
            self._send(400, {"message": error})
            return
        if any(".." in f.get("name", "") or f.get("name", "").startswith("/") for f in body["files"]):
            self._send(500)
            return
        with self.piston.lock:
            self.piston.in_flight += 1
            self.piston.max_in_flight = max(self.piston.max_in_flight, self.piston.in_flight)
        try:
            time.sleep(cfg.delay_s)
            _JOB.uid = self.piston.slots.get()
            try:
                answer = _execute(body, cfg)
            finally:
                self.piston.slots.put(_JOB.uid)
        finally:
            with self.piston.lock:
                self.piston.in_flight -= 1
                printed = str((answer.get("run") or {}).get("stdout") or "")
                self.piston.run_stdouts.append(printed)
                self.piston.largest_stdout = max(self.piston.largest_stdout, len(printed))
        self._send(200, answer)
        if self.piston.log:
            print("answered", flush=True)


def _validate(body: dict[str, Any], cfg: FakePistonConfig) -> str:
    lang, version = body.get("language"), body.get("version", "*")
    runtime = next((r for r in cfg.listed() if lang == r["language"] or lang in r["aliases"]), None)
    if runtime is None or (
        version not in ("*", runtime["version"])
        and not (version.endswith(".x") and runtime["version"].startswith(version[:-1]))
    ):
        return f"{lang}-{version} runtime is unknown"
    if not isinstance(body.get("files"), list) or not body["files"]:
        return "files is required as an array"
    caps = (
        ("compile_timeout", cfg.compile_timeout_max),
        ("compile_cpu_time", cfg.compile_timeout_max),
        ("run_timeout", cfg.run_timeout_max),
        ("run_cpu_time", cfg.run_cpu_time_max),
    )
    for key, cap in caps:
        value = body.get(key)
        if value is not None and value > cap:
            return f"{key} cannot exceed the configured limit of {cap}"
    mem = body.get("run_memory_limit")
    if mem is not None and cfg.memory_max >= 0 and mem > cfg.memory_max:
        return f"run_memory_limit cannot exceed the configured limit of {cfg.memory_max}"
    body["_runtime"] = runtime
    return ""


def _content(f: dict[str, Any]) -> bytes:
    enc = f.get("encoding", "utf8")
    if enc == "base64":
        return base64.b64decode(f["content"])
    if enc == "hex":
        return bytes.fromhex(f["content"])
    return str(f["content"]).encode()


#: what Piston reads from a program's pipe at once: it decodes each read as UTF-8 by itself,
#: and checks its output cap read by read
PIPE_CHUNK = 64 * 1024


def _decoded(data: bytes) -> str:
    """`data` as Piston's stream handling makes it text: read by read, so a character split
    across two reads comes back as two U+FFFD."""
    return "".join(
        data[i : i + PIPE_CHUNK].decode("utf-8", "replace") for i in range(0, len(data), PIPE_CHUNK)
    )


def _kept(data: bytes, cap: int) -> bytes:
    """What Piston keeps of a stream over its cap: the reads before the one that crossed it."""
    return data[: cap // PIPE_CHUNK * PIPE_CHUNK]


def _stage(
    stdout: bytes,
    stderr: bytes,
    code: int | None,
    sig: str | None,
    message: str | None,
    status: str | None,
    cpu_ms: int,
    wall_ms: int,
    memory: int,
) -> dict[str, Any]:
    out, err = _decoded(stdout), _decoded(stderr)
    return {
        "stdout": out,
        "stderr": err,
        "output": out + err,
        "code": code,
        "signal": sig,
        "message": message,
        "status": status,
        "cpu_time": cpu_ms,
        "wall_time": wall_ms,
        "memory": memory,
    }


def _run(
    argv: list[str],
    cwd: Path,
    stdin: bytes,
    timeout_ms: int,
    cpu_ms: int,
    mem: int,
    cfg: FakePistonConfig,
    env: dict[str, str] | None = None,
    runner: bool = True,
) -> dict[str, Any]:
    """One stage in `cwd`; `runner`: as the runner uid (a compile stage is not: the host's
    compilers look for their tools under /root with access(2), which ignores the runner's
    one capability; it runs only the compiler on the program's source)."""
    box = _Box.make(mem)
    uid = getattr(_JOB, "uid", None)

    def limits() -> None:
        os.setsid()
        if box is not None:
            box.join()  # run_memory_limit is a memory cgroup: real use, not address space
        cpu_s = (cpu_ms + 999) // 1000 + 1  # a backstop: the box's CPU is watched in ms
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        resource.setrlimit(resource.RLIMIT_FSIZE, (cfg.max_file_size, cfg.max_file_size))
        if runner:
            _seal_box(str(cwd))
        if uid is not None and runner:
            _become_runner(uid)

    start = time.monotonic()
    # the stage's standard streams are sockets, as node's child_process gives them (so a
    # program that opens another process's through /proc meets ENXIO, as on a real server)
    ours, theirs = zip(*(socket.socketpair() for _ in range(3)))
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, stdin=theirs[0], stdout=theirs[1], stderr=theirs[2], preexec_fn=limits, env=env
        )
    finally:
        for end in theirs:
            end.close()
    streams = _Streams(ours[0], ours[1], ours[2], stdin)
    timed_out = False
    cpu_killed = threading.Event()
    done = threading.Event()

    def watch_cpu() -> None:
        """Isolate's CPU limit, in ms: the box's CPU time (its group's, reaped or not) checked
        every 10 ms, the box killed past it."""
        while not done.wait(0.01):
            used = box.cpu_s() if box is not None else _proc_cpu(proc.pid)
            if used * 1000 > cpu_ms:
                cpu_killed.set()
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                return

    watcher = threading.Thread(target=watch_cpu, daemon=True)
    watcher.start()
    try:
        stdout, stderr = streams.communicate(proc, timeout_ms / 1000)
    except subprocess.TimeoutExpired:
        timed_out = not cpu_killed.is_set()
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = streams.communicate(proc, None)
    done.set()
    watcher.join()
    wall_ms = int((time.monotonic() - start) * 1000)
    if box is not None:  # the box's group counts, as isolate's does, what nobody reaped too
        oom, cpu_used, memory = box.oom_killed(), int(box.cpu_s() * 1000), box.peak()
        box.close()
    else:
        oom, cpu_used, memory = False, int(_proc_cpu(proc.pid) * 1000), 10 << 20
    code = proc.returncode
    if timed_out:
        return _stage(
            stdout,
            stderr,
            None,
            "SIGKILL",
            "Time limit exceeded (wall clock)",
            "TO",
            cpu_used,
            wall_ms,
            memory,
        )
    if len(stdout) > cfg.output_max:
        kept = _kept(stdout, cfg.output_max)
        return _stage(
            kept, stderr, None, "SIGKILL", "stdout length exceeded", "OL", cpu_used, wall_ms, memory
        )
    stderr_max = cfg.output_max if cfg.stderr_max is None else cfg.stderr_max
    if len(stderr) > stderr_max:
        kept = _kept(stderr, stderr_max)
        return _stage(
            stdout, kept, None, "SIGKILL", "stderr length exceeded", "EL", cpu_used, wall_ms, memory
        )
    if oom:
        # the real server's cgroup kills the box: exit 137, peak memory at the limit
        return _stage(
            stdout, b"Killed\n", 137, None, "Exited with error status 137", "RE", cpu_used, wall_ms, mem
        )
    if code is not None and code < 0:
        sig = signal.Signals(-code).name
        if sig == "SIGXCPU" or (sig == "SIGKILL" and (cpu_killed.is_set() or cpu_used >= cpu_ms)):
            # the real server kills at run_cpu_time and says TO, whichever signal did it
            return _stage(
                stdout, stderr, None, "SIGKILL", "Time limit exceeded", "TO", cpu_used, wall_ms, memory
            )
        if sig == "SIGSEGV":
            return _stage(
                stdout, stderr, 139, None, "Exited with error status 139", "RE", cpu_used, wall_ms, memory
            )
        return _stage(stdout, stderr, None, sig, None, "SG", cpu_used, wall_ms, memory)
    if code:
        return _stage(
            stdout, stderr, code, None, f"Exited with error status {code}", "RE", cpu_used, wall_ms, memory
        )
    return _stage(stdout, stderr, 0, None, None, None, cpu_used, wall_ms, memory)


def _proc_cpu(pid: int) -> float:
    """A process's CPU seconds so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Streams:
    """A stage's stdin written and its stdout and stderr read over sockets, as Popen's
    communicate does over pipes: to the end of both outputs and the process's exit."""

    def __init__(self, stdin: socket.socket, stdout: socket.socket, stderr: socket.socket, data: bytes):
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.readers = [
            threading.Thread(target=self._read, args=(sock, into), daemon=True)
            for sock, into in ((stdout, self.out), (stderr, self.err))
        ]
        self.writer = threading.Thread(target=self._write, args=(stdin, data), daemon=True)
        for thread in (*self.readers, self.writer):
            thread.start()

    @staticmethod
    def _read(sock: socket.socket, into: list[bytes]) -> None:
        with sock:
            while chunk := sock.recv(65536):
                into.append(chunk)

    @staticmethod
    def _write(sock: socket.socket, data: bytes) -> None:
        with sock, contextlib.suppress(OSError):
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)

    def communicate(self, proc: subprocess.Popen[bytes], timeout: float | None) -> tuple[bytes, bytes]:
        """Both outputs once they ended and the process exited; TimeoutExpired after `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for reader in self.readers:
            reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if reader.is_alive():
                raise subprocess.TimeoutExpired(proc.args, timeout or 0.0)
        proc.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return b"".join(self.out), b"".join(self.err)


@functools.cache
def _run_script() -> str:
    """A stock runtime's `run` script, as Piston's packages have it (`python3.12 "$@"`,
    `./a.out "$@"`): bash runs the program as its child, not by exec, so the box's first
    process is bash (a program may signal it, as on a real server)."""
    folder = Path(tempfile.mkdtemp(prefix="fake-piston-run-"))
    folder.chmod(0o755)
    script = folder / "run"
    script.write_text('#!/bin/bash\n"$@"\n')
    script.chmod(0o755)
    atexit.register(shutil.rmtree, folder, True)
    return str(script)


def _stock(argv: list[str]) -> list[str]:
    """A stock runtime's run stage: `argv` run by its `run` script."""
    return ["bash", _run_script(), *argv]


def _seal_box(box: str) -> None:
    """In a run stage's first process, before exec: a mount namespace of its own where the
    host's file system is read-only (its root mount and /dev/shm) and only the box's folder is
    writable, as isolate's box lets a program write nothing of the host (so no test can count
    runs through a host file). Nothing changes where this machine gives no mount namespace."""
    clone_newns, ms_rdonly, ms_remount = 0x20000, 1, 0x20
    ms_bind, ms_rec, ms_private = 0x1000, 0x4000, 0x40000
    if _LIBC.unshare(clone_newns) != 0:
        return
    _LIBC.mount(None, b"/", None, ms_rec | ms_private, None)
    if _LIBC.mount(box.encode(), box.encode(), None, ms_bind, None) != 0:
        raise OSError(ctypes.get_errno(), f"cannot keep the box {box} writable")
    for mount in (b"/", b"/dev/shm"):
        _LIBC.mount(None, mount, None, ms_bind | ms_remount | ms_rdonly, None)
    os.chdir(box)


def _become_runner(uid: int) -> None:
    """In a box's first process, before exec: uid `uid`, no capability but
    CAP_DAC_READ_SEARCH (kept across exec as an ambient one)."""
    pr_set_keepcaps, pr_cap_ambient, raise_, cap_dac_read_search = 8, 47, 2, 2
    _LIBC.prctl(pr_set_keepcaps, 1)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    bit = 1 << cap_dac_read_search
    data = (ctypes.c_uint32 * 6)(bit, bit, bit, 0, 0, 0)  # effective, permitted, inheritable
    if _LIBC.capset(header, data) != 0 or _LIBC.prctl(pr_cap_ambient, raise_, cap_dac_read_search, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "cannot keep CAP_DAC_READ_SEARCH for the runner")


class _Box:
    """A job's own cgroups (v1 memory and cpuacct), as isolate makes one per box: its memory
    limit (real use, no swap), its peak and out-of-memory kills, and the CPU time of all its
    processes, reaped or not. None where this machine gives none (no memory limit then, and
    the CPU time of the box's first process alone)."""

    ROOT = Path("/sys/fs/cgroup")
    _names = itertools.count()

    def __init__(self, groups: list[Path], memory: int) -> None:
        self.groups = groups
        for group in self.groups:
            group.mkdir()
        if memory > 0:
            for knob in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"):
                if (self.groups[0] / knob).exists():  # memory first: memory + swap may not be below it
                    (self.groups[0] / knob).write_text(str(memory))

    @classmethod
    def make(cls, memory: int) -> _Box | None:
        _remove_stale()
        name = f"fake-piston-{os.getpid()}-{next(cls._names)}"
        groups = [cls.ROOT / "memory" / name, cls.ROOT / "cpuacct" / name]
        try:
            return cls(groups, memory)
        except OSError:
            _STALE.extend(groups)
            return None

    def join(self) -> None:
        """Move the calling process (a box's first, forked) into the box's groups."""
        for group in self.groups:
            fd = os.open(group / "cgroup.procs", os.O_WRONLY)
            os.write(fd, b"0")
            os.close(fd)

    def cpu_s(self) -> float:
        return int((self.groups[1] / "cpuacct.usage").read_text() or 0) / 1e9

    def peak(self) -> int:
        return int((self.groups[0] / "memory.max_usage_in_bytes").read_text() or 0)

    def oom_killed(self) -> bool:
        for line in (self.groups[0] / "memory.oom_control").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value) > 0
        return False

    def close(self) -> None:
        """Kill what is left of the box (a forking loop needs a few rounds), then its groups."""
        for _ in range(100):
            members = (self.groups[0] / "cgroup.procs").read_text().split()
            members += (self.groups[1] / "cgroup.procs").read_text().split()
            for pid in members:
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
            if not members:
                break
            time.sleep(0.01)
        _STALE.extend(self.groups)
        _remove_stale()


_STALE: list[Path] = []  # boxes' groups to remove: killed processes leave once reaped


@atexit.register
def _remove_stale() -> None:
    for group in list(_STALE):
        with contextlib.suppress(OSError, ValueError):
            group.rmdir()
            _STALE.remove(group)


_BOXES: list[Path] = []


def _boxes() -> Path:
    """Where the jobs' folders are made: a folder the runner may pass through but not list,
    as a real box shows nothing around it (the host's /tmp, other jobs' folders)."""
    if not _BOXES:
        folder = Path(tempfile.mkdtemp(prefix="fake-piston-boxes-"))
        folder.chmod(0o711)
        atexit.register(shutil.rmtree, folder, True)
        _BOXES.append(folder)
    return _BOXES[0]


def _execute(body: dict[str, Any], cfg: FakePistonConfig) -> dict[str, Any]:
    runtime = body.pop("_runtime")
    box = Path(tempfile.mkdtemp(prefix="job-", dir=_boxes()))
    try:
        names = []
        for i, f in enumerate(body["files"]):
            name = f.get("name") or f"file{i}.code"
            (box / name).write_bytes(_content(f))
            names.append(name)
        uid = getattr(_JOB, "uid", None)
        if uid is not None:  # as Piston hands the job's folder to its runner
            for path in (box, *(box / name for name in names)):
                os.chown(path, uid, uid)
        stdin = str(body.get("stdin", "")).encode()
        if not stdin.endswith(b"\n"):
            stdin += b"\n"
        stdin = stdin[:STDIN_CUT]
        timeout = body.get("run_timeout") or 3000
        cpu = body.get("run_cpu_time") or timeout
        mem = body.get("run_memory_limit") or -1
        answer: dict[str, Any] = {"language": runtime["language"], "version": runtime["version"]}
        language = runtime["language"]
        if "_pkgdir" in runtime:
            return _execute_package(body, runtime, box, names, stdin, cfg, answer)
        if language in ("python", "pypy"):
            python = sys.executable if language == "python" else shutil.which("pypy3") or "pypy3"
            answer["run"] = _run(_stock([python, names[0]]), box, stdin, timeout, cpu, mem, cfg)
            return answer
        if language == "javascript":  # Piston's node package: node runs the first file
            answer["run"] = _run(_stock(["node", names[0]]), box, stdin, timeout, cpu, mem, cfg)
            return answer
        if language == "rust":  # Piston's rust package: the first file compiled, without flags
            compile_argv, run_argv = ["rustc", "-o", "binary", names[0]], ["./binary"]
        elif language == "java":  # every .java file compiled, the first file's class run
            compile_argv = ["javac", "-encoding", "UTF-8", *names]
            run_argv = ["java", "-cp", ".", Path(names[0]).stem]
        else:
            # Piston's gcc package: every file gets the language's suffix and all are compiled together
            suffix = ".c" if language == "c" else ".cpp"
            for name in names:
                (box / name).rename(box / f"{name}{suffix}")
            sources = [f"{n}{suffix}" for n in names]
            compiler = (
                ["gcc", "-std=c11", *sources, "-lm"] if language == "c" else ["g++", "-std=c++17", *sources]
            )
            compile_argv, run_argv = compiler, ["./a.out"]
        compile_stage = _run(
            compile_argv, box, b"", body.get("compile_timeout") or 10000, 10000, -1, cfg, runner=False
        )
        answer["compile"] = compile_stage
        if compile_stage["code"] != 0:
            return answer
        answer["run"] = _run(_stock(run_argv), box, stdin, timeout, cpu, mem, cfg)
        return answer
    finally:
        shutil.rmtree(box, ignore_errors=True)


def _execute_package(
    body: dict[str, Any],
    runtime: dict[str, Any],
    box: Path,
    names: list[str],
    stdin: bytes,
    cfg: FakePistonConfig,
    answer: dict[str, Any],
) -> dict[str, Any]:
    """An installed package's request, as Piston runs one: `compile` (when the package has
    one) with the utf8 files as its arguments, then `run` with the first of them, each a
    `bash` script of the package run in the submission folder with the package's cached
    environment, HOME=/tmp and PISTON_LANGUAGE."""
    pkgdir = Path(runtime["_pkgdir"])
    env = dict(line.split("=", 1) for line in (pkgdir / ".env").read_text().splitlines() if "=" in line)
    env.update(HOME="/tmp", PISTON_LANGUAGE=runtime["language"])
    code = [name for f, name in zip(body["files"], names) if f.get("encoding", "utf8") == "utf8"]
    timeout = body.get("run_timeout") or 3000
    if (pkgdir / "compile").exists():
        compile_ms = body.get("compile_timeout") or 10000
        argv = ["bash", str(pkgdir / "compile"), *code]
        stage = _run(argv, box, stdin, compile_ms, compile_ms, -1, cfg, env, runner=False)
        answer["compile"] = stage
        if stage["code"] != 0:
            return answer
    answer["run"] = _run(
        ["bash", str(pkgdir / "run"), code[0], *body.get("args", [])],
        box,
        stdin,
        timeout,
        body.get("run_cpu_time") or timeout,
        body.get("run_memory_limit") or -1,
        cfg,
        env,
    )
    return answer


def main(argv: list[str]) -> None:
    """A server in a process of its own (`python -m tests.fake_piston [--port N] [--log]`),
    to kill and start again: it prints its URL, and with --log a line per /execute answered."""
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 0
    with FakePiston(port=port, log="--log" in argv) as piston:
        print(piston.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
