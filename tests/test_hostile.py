"""Hostile programs on the local executor, each checked from the host side: no process
left, no file written outside, no secret seen, the judge itself unharmed.

Every program names its process (prctl) so the host can look for survivors without the
program having to write anything the host sees (a jailed one cannot).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from batch_eval.executors.base import Execution, Limits, Program
from batch_eval.executors.local import jail
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.verdict import Verdict
from tests.conformance.cases import stdio
from tests.conformance.redteam_jail import (
    ENV_ANSWER,
    ENVIRON_PY,
    NEXT_INPUT_PY,
    STEAL_CPP,
    STEAL_PY,
    WALK_PY,
    planted,
)
from tests.conftest import SUM_PROBLEM, loopback_listener, name_self, named, write_jsonl

LIMITS = Limits(time_s=1.0, memory_mb=256, output_bytes=1 << 20, processes=32, wall_s=2.0)
SECRET = "sk-batch-eval-test-secret-4242"


@pytest.fixture(scope="module", params=["fork", "process"])
def executor(request: pytest.FixtureRequest) -> Iterator[LocalExecutor]:
    made = LocalExecutor(python_runner=request.param)
    yield made
    made.close()


#: for the programs whose verdict is not about time: a wall clock no machine's load reaches
PATIENT = replace(LIMITS, wall_s=20.0)


def hostile(
    executor: LocalExecutor, name: str, body: str, inputs: int = 1, limits: Limits = LIMITS
) -> list[Execution]:
    """Run `body` as a named solution; afterwards no process of that name may be alive."""
    name = f"{name[:8]}{os.getpid() % 10**6}"
    source = name_self(name) + body
    run = executor.run(Program("python", source), [b"1 2\n"] * inputs, limits, lambda i, e: True)
    assert named(name) == [], f"{name}: processes left behind"
    return run.runs


def require_jail(executor: LocalExecutor) -> None:
    if not executor.sandbox.jailed:
        pytest.skip("no mount namespaces here: the file system is not contained (see the warning)")


def test_fork_bomb_stops_at_the_process_limit(executor: LocalExecutor) -> None:
    body = """
import os, time
n = 0
while True:
    try:
        if os.fork() == 0:
            time.sleep(100)
            os._exit(0)
        n += 1
    except OSError:
        break
print(n, flush=True)
time.sleep(100)
"""
    (ex,) = hostile(executor, "bomb", body)
    assert ex.verdict is Verdict.TLE and 0 < int(ex.stdout) <= LIMITS.processes


def test_double_forked_daemon_in_its_own_session_dies(executor: LocalExecutor) -> None:
    body = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.chdir("/")
        time.sleep(100)
    os._exit(0)
print(3)
"""
    (ex,) = hostile(executor, "daemon", body)
    # a test ends when all its processes have: the daemon keeps it to the wall clock (as on
    # Piston, which waits for the output it holds), then dies with it
    assert ex.verdict is Verdict.TLE and ex.stdout == b"3\n"


def test_sigterm_ignoring_sleeper_is_killed(executor: LocalExecutor) -> None:
    body = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(100)\n"
    (ex,) = hostile(executor, "stubborn", body)
    assert ex.verdict is Verdict.TLE and ex.wall_time is not None and ex.wall_time < 10


def test_killing_the_parent_is_never_an_internal_error_and_the_judge_goes_on(executor: LocalExecutor) -> None:
    body = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint(3)\n"
    ex, again = hostile(executor, "parricide", body, inputs=2)
    assert ex.verdict is not Verdict.IE and again.verdict is not Verdict.IE
    assert hostile(executor, "after", "print(3)")[0].stdout == b"3\n"


def test_memory_hog_is_mle_and_the_host_is_fine(executor: LocalExecutor) -> None:
    body = "blocks = []\nwhile True:\n    blocks.append(bytearray(16 << 20))\n"
    (ex,) = hostile(executor, "hog", body, limits=PATIENT)
    assert ex.verdict is Verdict.MLE, ex


def test_gigabytes_of_output_stop_at_the_output_limit(executor: LocalExecutor) -> None:
    body = "import os\nwhile True:\n    os.write(1, b'x' * (1 << 20))\n"
    (ex,) = hostile(executor, "printer", body)
    assert ex.verdict is Verdict.OLE and len(ex.stdout) <= LIMITS.output_bytes


def test_nothing_is_written_outside_the_private_tmp(executor: LocalExecutor, tmp_path: Path) -> None:
    require_jail(executor)
    visible = Path("/run") / f"batch-eval-hostile-{os.getpid()}"  # world-writable, on the host
    visible.mkdir(mode=0o777, exist_ok=True)
    visible.chmod(0o777)
    targets = [visible / "x", Path.home() / "x-batch-eval", Path("/tmp") / "x-batch-eval", tmp_path / "x"]
    body = f"""
import os
wrote = []
for path in {[str(t) for t in targets]!r} + [os.path.abspath("main.py"), __file__]:
    try:
        with open(path, "w") as f:
            f.write("pwned")
        wrote.append(path)
    except OSError:
        pass
print(len(wrote), sorted(os.listdir("/tmp")))
"""
    try:
        first, second = hostile(executor, "writer", body, inputs=2)
        for target in targets:
            assert not target.exists(), f"{target} written from inside"
        # /tmp is private, writable and starts empty for every test: nothing reaches the next one
        assert first.stdout == second.stdout == b"2 ['main.py', 'x-batch-eval']\n"
    finally:
        for leftover in visible.iterdir():
            leftover.unlink()
        visible.rmdir()


def test_disk_writes_stop_at_the_cap(executor: LocalExecutor) -> None:
    require_jail(executor)
    body = """
import os
written = 0
for i in range(10000):
    try:
        with open(f"f{i}", "wb") as f:
            f.write(b"x" * (1 << 20))
        written += 1
    except OSError:
        break
print(written)
"""
    (ex,) = hostile(executor, "filler", body)
    # the private /tmp is memory: with a memory cgroup its files count toward the memory limit
    assert ex.verdict in (Verdict.AC, Verdict.MLE), ex
    if ex.verdict is Verdict.AC:
        assert 0 < int(ex.stdout) <= executor.sandbox.disk_bytes >> 20
    assert hostile(executor, "after", "print(3)")[0].stdout == b"3\n"  # and the judge goes on


def test_no_network_to_the_hosts_loopback(executor: LocalExecutor) -> None:
    if not executor.sandbox.no_network:
        pytest.skip("no network namespaces here")
    with loopback_listener(4) as (port, received):
        body = (
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'leak')\n"
            "    print('sent')\nexcept OSError:\n    print('blocked')\n"
        )
        (ex,) = hostile(executor, "caller", body)
    assert ex.stdout == b"blocked\n" and received == []


def test_secrets_in_the_judges_environment_are_not_visible(tmp_path: Path) -> None:
    """End to end: `batch-eval check` started with an API key in its environment; the
    solution looks where it could (its environment, every process's)."""
    body = f"""
import os
found = [k for k, v in os.environ.items() if {SECRET!r} in v]
for pid in os.listdir("/proc"):
    try:
        if {SECRET!r}.encode() in open(f"/proc/{{pid}}/environ", "rb").read():
            found.append(pid)
    except OSError:
        pass
a, b = map(int, input().split())
print(a + b if not found and "PATH" in os.environ else found)
"""
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"problem_id": "1/A", "code": body}])
    out = tmp_path / "out"
    env = dict(os.environ, OPENAI_API_KEY=SECRET)
    argv = [sys.executable, "-m", "batch_eval", "check", str(sols), "--problems", str(problems)]
    proc = subprocess.run([*argv, "-o", str(out), "--all-tests"], env=env, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    line = json.loads((out / "s.results.jsonl").read_text())
    metrics = json.loads((out / "s.metrics.json").read_text())
    isolation = metrics["environment"]["isolation"]
    assert line["isolation"] == isolation
    if "user-nobody" not in isolation:
        pytest.skip(f"solutions run as our own user here ({isolation}): other processes are readable")
    assert line["verdict"] == "AC", line["tests"]  # right answers: nothing found


USER_PROBE = """
import os, socket
for p in ('/work/x-be', '/tmp/x-be'):
    try:
        open(p, 'w').write('1')
        print('wrote', p)
    except OSError:
        print('refused', p)
try:
    socket.create_connection(('127.0.0.1', 9), timeout=1)
except OSError as exc:
    print('network', exc.errno)
"""
AS_A_USER = f"""
import json, os
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.base import Program, Limits
e = LocalExecutor()
run = e.run(Program("python", {USER_PROBE!r}), [b""], Limits(2, 256), lambda i, x: True)
print(json.dumps({{"isolation": e.isolation, "uid": os.getuid(), "out": run.runs[0].stdout.decode()}}))
e.close()
"""


def test_a_normal_user_gets_the_jail_through_a_user_namespace() -> None:
    """Not root: the same jail (a root of its own, a private /tmp, no network), made in a user
    namespace of the user's own (where the kernel allows it unprivileged)."""
    system_python = Path("/usr/bin/python3")
    if os.geteuid() != 0 or not system_python.exists() or shutil.which("su") is None:
        pytest.skip("needs root to become another user, and a system Python that user can run")
    repo = Path(__file__).resolve().parents[1]
    env = f"PYTHONPATH={repo} HOME=/tmp XDG_CACHE_HOME=/tmp/batch-eval-nobody-cache"
    done = subprocess.run(
        ["su", "nobody", "-s", "/bin/sh", "-c", f"cd /tmp && {env} {system_python} -"],
        input=AS_A_USER,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "No module named 'batch_eval'" in done.stderr or "Permission denied" in done.stderr:
        pytest.skip(f"the checkout is not readable by nobody here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["uid"] != 0
    if "own-root" not in report["isolation"]:
        pytest.skip(f"no unprivileged user namespaces here: {report['isolation']}")
    assert report["out"].splitlines() == ["refused /work/x-be", "wrote /tmp/x-be", "network 101"]
    assert not Path("/tmp/x-be").exists() and not Path("/work/x-be").exists()


JUNK = """
import os, sys
start = sorted(os.listdir("."))
if sys.stdin.read().strip() == "junk":
    for i in range(20000):
        open(f"f{i}", "w").close()
    os.mkfifo("fifo")
    os.symlink("/etc/passwd", "link")
    os.makedirs("locked/inner")
    open("locked/inner/x", "w").close()
    os.chmod("locked/inner", 0)
    os.chmod("locked", 0)
    os.mkdir("deep")
    os.chdir("deep")
    for _ in range(3000):  # deeper than any recursive clean-up goes
        os.mkdir("d")
        os.chdir("d")
print(start)
"""


def test_what_a_test_leaves_in_its_folder_never_reaches_the_next(executor: LocalExecutor) -> None:
    """20,000 files, a fifo, a link, folders without permissions, 3,000 nested folders: the
    next test starts in the same empty folder, is not billed for the clean-up, and no
    later test is IE."""
    source = name_self(f"junk{os.getpid() % 10**6}") + JUNK
    inputs = [b"clean", b"junk", b"clean", b"junk", b"clean"]
    run = executor.run(Program("python", source), inputs, PATIENT, lambda i, e: True)
    assert [ex.verdict for ex in run.runs] == [Verdict.AC] * 5, [ex.reason for ex in run.runs]
    assert len({ex.stdout for ex in run.runs}) == 1, [ex.stdout for ex in run.runs]
    for after_junk in (run.runs[2], run.runs[4]):
        # a bare start lists one folder; 20,000 files' clean-up would be tenths of a second
        assert after_junk.cpu_time is not None and after_junk.cpu_time < 0.2, after_junk
    assert hostile(executor, "after", "print(3)")[0].stdout == b"3\n"


def test_a_folder_the_server_cannot_empty_retires_it_and_is_never_a_verdict() -> None:
    """Between two programs something appears in the tests' folder that no clean-up can
    remove (a mount point, made here by the host): a fresh server runs the next test in a
    fresh folder (AC, as if nothing happened); where even a fresh server's folder cannot be
    emptied (not jailed: the folder is the host's), the test is IE, never the program's."""
    if os.geteuid() != 0 or shutil.which("nsenter") is None:
        pytest.skip("needs root and nsenter to mount in the server's namespace")
    source = "import os\nprint(sum(map(int, input().split())), sorted(os.listdir('.')))\n"
    for jailed in (True, False):
        executor = LocalExecutor(python_runner="fork", jailed=jailed)
        if jailed and not executor.sandbox.jailed:
            executor.close()
            continue
        stuck = Path(jail.TMP if jailed else executor.home / "run") / "stuck"
        try:
            first = executor.run(Program("python", source), [b"1 2\n"], LIMITS, lambda i, e: True)
            assert first.runs[0].verdict is Verdict.AC
            server = executor.forks.server.pid if executor.forks.server is not None else None
            assert server is not None
            mount = f"mkdir {stuck} && mount -t tmpfs none {stuck}"
            namespace = ["nsenter", "-t", str(server), "-m"] if jailed else []
            subprocess.run([*namespace, "sh", "-c", mount], check=True)
            again = executor.run(
                Program("python", source + "#2\n"), [b"1 2\n"] * 2, LIMITS, lambda i, e: True
            )
            if jailed:
                assert [(ex.verdict, ex.stdout) for ex in again.runs] == [
                    (Verdict.AC, first.runs[0].stdout)
                ] * 2
            else:
                assert again.runs[0].verdict is Verdict.IE, again.runs[0]
                assert "cannot be prepared" in again.runs[0].reason
        finally:
            if not jailed:
                subprocess.run(["umount", "-l", str(stuck)], check=False)
            executor.close()


def test_output_txt_pointing_at_a_judge_file_reveals_nothing(executor: LocalExecutor) -> None:
    """A file-mode program makes output.txt a link (symbolic or hard) to a file only root can
    read: the judge reads output.txt without following links and never as that file."""
    secret_file = Path("/run") / f"batch-eval-secret-{os.getpid()}"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o600)
    body = f"""
import os
for make in (os.symlink, os.link):
    try:
        if os.path.lexists("output.txt"):
            os.unlink("output.txt")
        make({str(secret_file)!r}, "output.txt")
        break
    except OSError:
        pass
"""
    source = name_self(f"linker{os.getpid() % 10**6}") + body
    try:
        run = executor.run(
            Program("python", source), [b"1 2\n"], LIMITS, lambda i, e: True, input_mode="file"
        )
        (ex,) = run.runs
        assert SECRET.encode() not in ex.stdout and SECRET not in ex.stderr and SECRET not in ex.reason
        # the link is no output.txt the program wrote: its (empty) stdout is its output, on both runners
        assert ex.verdict is Verdict.AC and ex.stdout == b"", ex
    finally:
        secret_file.unlink()


#: children that each burn `share` s of CPU, report it on a pipe and are never waited for;
#: the parent prints what they said they used
UNREAPED = """
import os, sys, time
share = {share}
readers = []
for _ in range({children}):
    r, w = os.pipe()
    if os.fork() == 0:
        while time.process_time() < share:
            pass
        os.write(w, repr(time.process_time()).encode())
        os._exit(0)
    os.close(w)
    readers.append(r)
print(sum(float(os.read(r, 100)) for r in readers), flush=True)
"""

#: the same work in threads of one child that is never waited for
THREADS_IN_CHILD = """
import os, threading, time
r, w = os.pipe()
if os.fork() == 0:
    def spin():
        while time.thread_time() < {share}:
            pass
    threads = [threading.Thread(target=spin) for _ in range({children})]
    [t.start() for t in threads]
    [t.join() for t in threads]
    os.write(w, repr(time.process_time()).encode())
    os._exit(0)
os.close(w)
print(float(os.read(r, 100)), flush=True)
"""


@pytest.mark.parametrize("template", [UNREAPED, THREADS_IN_CHILD], ids=["processes", "threads"])
def test_cpu_spent_in_children_never_reaped_is_the_tests(executor: LocalExecutor, template: str) -> None:
    if executor.sandbox.cpu is None:
        pytest.skip("no CPU-accounting cgroup here (see the warning): only reaped children count")
    roomy = Limits(time_s=1.0, memory_mb=256, output_bytes=1 << 20, processes=32, wall_s=20.0)
    name = f"cpu{os.getpid() % 10**6}"
    source = name_self(name) + template.format(share=0.4, children=4)
    (ex,) = executor.run(Program("python", source), [b""], roomy, lambda i, e: True).runs
    assert named(name) == []
    # 1.6 s of CPU in four children (or threads) under a 1 s limit: each under it, the test over it
    assert ex.verdict is Verdict.TLE and not ex.wall_killed, ex
    assert ex.cpu_time is not None and ex.cpu_time >= float(ex.stdout) > roomy.time_s
    under = name_self(name) + template.format(share=0.15, children=4)
    (ex,) = executor.run(Program("python", under), [b""], roomy, lambda i, e: True).runs
    assert ex.verdict is Verdict.AC and ex.cpu_time is not None and ex.cpu_time >= float(ex.stdout) >= 0.6


def test_tmpfs_filled_by_several_processes_is_the_programs_and_the_judge_goes_on(
    executor: LocalExecutor,
) -> None:
    require_jail(executor)  # else the files would land in the host's /tmp and /dev/shm
    # each process small, the memory they fill (files in /tmp and /dev/shm: memory) large: the
    # out-of-memory killer must pick them, never the judge's server
    body = """
import os, time
for k in range(6):
    if os.fork() == 0:
        try:
            with open(f"/{'dev/shm' if k % 2 else 'tmp'}/fill{k}", "wb") as f:
                while True:
                    f.write(b"x" * (1 << 20))
        except OSError:
            pass
        time.sleep(100)
        os._exit(0)
time.sleep(100)
"""
    before = executor.forks.running()
    (ex,) = hostile(executor, "tmpfs", body)
    assert ex.verdict in (Verdict.MLE, Verdict.RE, Verdict.TLE), ex
    right = Program("python", "a, b = map(int, input().split())\nprint(a + b)\n")
    sum_ok = executor.run(right, [b"1 2\n"], LIMITS, lambda i, e: True).runs
    assert [(r.verdict, r.stdout) for r in sum_ok] == [(Verdict.AC, b"3\n")]
    if before is not None:  # the fork runner: the same server judged both
        assert executor.forks.running() == before


@pytest.mark.parametrize(
    "body",
    [
        "import os\nos.write(2, b'batch-eval fork server: child setup failed\\n')\nos._exit(127)\n",
        "import os\nos._exit(127)\n",
    ],
    ids=["setup-text", "silent"],
)
def test_exit_127_is_the_programs_runtime_error_never_an_internal_one(
    executor: LocalExecutor, body: str
) -> None:
    (ex,) = hostile(executor, "x127", body)
    assert ex.verdict is Verdict.RE and ex.exit_code == 127


def test_a_tests_processes_are_the_out_of_memory_killers_first_pick(executor: LocalExecutor) -> None:
    body = "print(open('/proc/self/oom_score_adj').read().strip())\n"
    (ex,) = hostile(executor, "oomadj", body)
    assert ex.verdict is Verdict.AC and ex.stdout == b"1000\n"
    judge = int(Path("/proc/self/oom_score_adj").read_text())
    assert judge in (0, -1000)  # protected where this machine lets us, never more likely than default


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A problem whose answer to "1 2" is SECRET, findable as in a real run: a world-readable
    problems file under /, named by a checker-like process's --problems, whose environment
    holds ENV_ANSWER (redteam_jail.planted)."""
    problems = tmp_path_factory.mktemp("answers") / "problems.jsonl"
    problems.write_text(json.dumps(stdio("stolen", [("1 2\n", f"{SECRET}\n")])) + "\n")
    with planted(problems) as bait:
        yield bait


@pytest.mark.parametrize("language", ["python", "cpp"])
def test_the_problems_file_named_on_a_command_line_is_not_found(
    executor: LocalExecutor, answers: Path, language: str
) -> None:
    require_jail(executor)
    if language == "python":
        (ex,) = hostile(executor, "stealer", STEAL_PY)
    else:
        run = executor.run(Program("cpp", STEAL_CPP), [b"1 2\n"], LIMITS, lambda i, e: True)
        (ex,) = run.runs
    assert (ex.verdict, ex.stdout) == (Verdict.AC, b"none\n"), ex


def test_proc_shows_the_jails_processes_alone(executor: LocalExecutor, answers: Path) -> None:
    require_jail(executor)
    body = """
import json, os
seen = {}
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            seen[pid] = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            seen[pid] = None
print(json.dumps(seen))
"""
    (ex,) = hostile(executor, "procfs", body)
    seen = json.loads(ex.stdout)
    assert len(seen) <= 2, seen  # the program (and its interpreter's fork parent, hidden)
    assert not [c for c in seen.values() if c and ("--problems" in c or "pytest" in c)], seen


def test_a_walk_of_the_root_finds_no_copy_of_the_answers(executor: LocalExecutor, answers: Path) -> None:
    require_jail(executor)
    (ex,) = hostile(executor, "walker", WALK_PY)
    assert (ex.verdict, ex.stdout) == (Verdict.AC, b"none\n"), ex


def test_other_processes_environments_are_out_of_sight(executor: LocalExecutor, answers: Path) -> None:
    require_jail(executor)
    (ex,) = hostile(executor, "environ", ENVIRON_PY)
    assert ENV_ANSWER.encode() not in ex.stdout and ex.stdout == b"none\n", ex


def test_the_next_tests_input_is_never_readable(executor: LocalExecutor) -> None:
    """The next test's input is written while this one runs: never where this one can read it."""
    source = name_self(f"peeker{os.getpid() % 10**6}") + NEXT_INPUT_PY
    inputs = [f"redteam-next-{i}\n".encode() for i in range(3)]
    run = executor.run(Program("python", source), inputs, LIMITS, lambda i, e: True)
    assert [(ex.verdict, ex.stdout) for ex in run.runs] == [(Verdict.AC, b"end\n")] * 3, run.runs


SYSV = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
seen = [libc.shmget(0x5EED31, 0, 0) >= 0, libc.msgget(0x5EED32, 0) >= 0]
shm = libc.shmget(0x5EED31, 150 << 20, 0o1666)
libc.shmat.restype = ctypes.c_void_p
at = libc.shmat(shm, None, 0)
ctypes.memset(at, 1, 150 << 20)  # touched: 150 MB of the memory cgroup while the segment lives
queue = libc.msgget(0x5EED32, 0o1666)
msg = ctypes.create_string_buffer((1).to_bytes(8, "little") + b"left", 12)
libc.msgsnd(queue, msg, 4, 0)
print(seen, shm >= 0 and queue >= 0)
"""


def test_system_v_ipc_dies_with_the_test(executor: LocalExecutor) -> None:
    """A 150 MB segment and a message queue left behind: the next test and the next program
    see neither, and the segment's memory is not theirs (under a 256 MB limit, an identical
    program after it would be MLE)."""
    require_jail(executor)
    first = hostile(executor, "sysv", SYSV, inputs=2)
    again = hostile(executor, "sysv2", SYSV)
    for ex in [*first, *again]:
        assert (ex.verdict, ex.stdout) == (Verdict.AC, b"[False, False] True\n"), ex
