"""Red team, the jail's family: programs that try to read the answers (the problems file a
checker names on its command line, any copy of it under /, another process's environment,
the next test's input) or to pass data and memory from one test or program to the next
through System V IPC. None may be AC; each case is judged on the paths that jail a program
(`needs_jail`): elsewhere (`--no-jail`, the suite's Piston server, which runs programs as
it is) the host is open to them by design.

`planted` makes the answers findable the way a real run does: a world-readable copy of
the corpus's problems file under /, named by a process's `--problems` argument (a sibling
checker's), with an answer in its environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conformance.cases import AC, WA, Case, codecontests_files, stdio

ENV_KEY = "BATCH_EVAL_REDTEAM_ANSWER"


def token(name: str) -> str:
    """An answer no program can compute: only reading it somewhere finds it."""
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def _secret(name: str, **problem: Any) -> dict[str, Any]:
    """One test: a random-looking question, a random-looking answer."""
    return stdio(name, [(f"q-{token(name + 'q')}\n", f"{token(name)}\n")], **problem)


#: the answer the decoy checker's environment carries (the environ case's)
ENV_ANSWER = token("redteam-py-environ")

STEAL_PY = r"""
import json, os, sys
data = sys.stdin.read()

def answer(path):
    with open(path) as f:
        for line in f:
            for test in json.loads(line).get("official_tests") or []:
                if test["input"] == data:
                    return test["output"]

found = None
for pid in os.listdir("/proc"):
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        found = answer(argv[argv.index(b"--problems") + 1].decode())
    except (OSError, ValueError, IndexError):
        continue
    if found:
        break
print(found.strip() if found else "none")
"""

STEAL_CPP = r"""
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>
static std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
int main() {
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::string needle = "\"input\": \"";
    for (char c : data) needle += c == '\n' ? std::string("\\n") : std::string(1, c);
    needle += "\"";
    DIR *proc = opendir("/proc");
    for (dirent *e; proc && (e = readdir(proc));) {
        std::string argv = slurp(std::string("/proc/") + e->d_name + "/cmdline");
        std::vector<std::string> args;
        std::stringstream ss(argv);
        for (std::string a; std::getline(ss, a, '\0');) args.push_back(a);
        for (size_t i = 0; i + 1 < args.size(); i++) {
            if (args[i] != "--problems") continue;
            std::string text = slurp(args[i + 1]);
            size_t at = text.find(needle);
            if (at == std::string::npos) continue;
            size_t out = text.find("\"output\": \"", at);
            if (out == std::string::npos) continue;
            out += 11;
            std::string answer = text.substr(out, text.find('"', out) - out);
            size_t nl = answer.find("\\n");
            std::cout << answer.substr(0, nl) << "\n";
            return 0;
        }
    }
    std::cout << "none\n";
}
"""

WALK_PY = r"""
import json, os, sys
data = sys.stdin.read()
needle = json.dumps(data).encode()
skip = {"/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/bin", "/sbin", sys.prefix, sys.base_prefix}
found = None
for folder, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skip]
    for name in files:
        if not name.endswith((".jsonl", ".json", ".txt")):
            continue
        try:
            with open(os.path.join(folder, name), "rb") as f:
                chunk = f.read(1 << 22)
        except OSError:
            continue
        if needle not in chunk:
            continue
        for line in chunk.decode("utf-8", "replace").splitlines():
            try:
                tests = json.loads(line).get("official_tests") or []
            except (ValueError, AttributeError):
                continue
            found = found or next((t["output"] for t in tests if t["input"] == data), None)
print(found.strip() if found else "none")
"""

ENVIRON_PY = f"""
import os
found = None
for pid in os.listdir("/proc"):
    try:
        env = open(f"/proc/{{pid}}/environ", "rb").read().split(b"\\0")
    except OSError:
        continue
    for entry in env:
        if entry.startswith(b"{ENV_KEY}="):
            found = entry.split(b"=", 1)[1].decode()
print(found or "none")
"""

NEXT_INPUT_PY = r"""
import os, sys
mine = sys.stdin.read()
number = int(mine.split("-")[-1])
seen = {}
roots = [os.path.dirname(os.path.abspath(__file__)), os.getcwd(), "/tmp", "/run"]
for root in roots:
    for folder, dirs, files in os.walk(root):
        for name in files:
            try:
                with open(os.path.join(folder, name)) as f:
                    text = f.read(100)
            except (OSError, UnicodeDecodeError):
                continue
            if text.startswith("redteam-next-"):
                seen[int(text.split("-")[-1])] = text.strip()
print(seen.get(number + 1, "end"))
"""

MSG_PY = r"""
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
key, size = 0x5EED23, 64
kind, value = sys.stdin.read().split()
buf = ctypes.create_string_buffer(8 + size)
if kind == "S":
    queue = libc.msgget(key, 0o1666)
    ctypes.memmove(ctypes.addressof(buf), (1).to_bytes(8, "little") + value.encode(), 8 + len(value))
    libc.msgsnd(queue, buf, len(value), 0)
    print("stored")
else:
    queue = libc.msgget(key, 0)
    got = libc.msgrcv(queue, buf, size, 0, 0o4000) if queue >= 0 else -1  # IPC_NOWAIT
    print(buf.raw[8 : 8 + got].decode() if got > 0 else "none")
"""

SHM_CPP = r"""
#include <sys/ipc.h>
#include <sys/shm.h>
#include <cstdio>
#include <cstring>
int main() {
    const size_t size = SIZE;
    int id = shmget(KEY, size, IPC_CREAT | 0666);
    if (id < 0) { puts("none"); return 0; }
    char *p = (char *)shmat(id, nullptr, 0);
    if (p == (char *)-1) { puts("none"); return 0; }
    if (WRITE) {
        for (size_t i = 0; i < size; i += 4096) p[i] = 1;
        strcpy(p + 1, "TOKEN");
        puts("written");
    } else {
        puts(p[1] ? p + 1 : "none");
    }
}
"""

SYMLINK_PY = """
import os
os.symlink("/etc/passwd", "output.txt")
"""


#: rewrites the judge's remembered probes (executors/local/probes.py) so the next check would
#: run solutions as root: the answer ("planted") is printed only when the write got through
PROBES_PY = """
import json, os
path = "/run/batch-eval/probes.json"
try:
    memo = json.load(open(path))
except (OSError, ValueError):
    memo = {"sandbox-uid": {"key": "", "value": None}}
for entry in memo.values():
    entry["value"] = None
try:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(memo, f)
    print("planted")
except OSError:
    print("refused")
"""


def _shm(write: bool, size: int, answer: str = "", key: int = 0x5EED24) -> str:
    source = SHM_CPP.replace("SIZE", str(size)).replace("WRITE", "1" if write else "0")
    return source.replace("KEY", hex(key)).replace("TOKEN", answer)


def _jailed(name: str, problem: dict[str, Any], source: str, *expect: str, language: str = "python") -> Case:
    return Case(name, problem, source, frozenset(expect), language, every_switch=False, needs_jail=True)


SHM_ANSWER = token("redteam-cpp-shm-reader")
HOG_MB = 80

CASES: list[Case] = [
    # the problems file a checker names on its command line (/proc/*/cmdline)
    _jailed("redteam-py-proc-cmdline", _secret("redteam-py-proc-cmdline"), STEAL_PY, WA),
    _jailed("redteam-cpp-proc-cmdline", _secret("redteam-cpp-proc-cmdline"), STEAL_CPP, WA, language="cpp"),
    # any world-readable copy of it under /
    _jailed("redteam-py-walk-root", _secret("redteam-py-walk-root", time_limit=2.0), WALK_PY, WA),
    # another process's environment
    _jailed("redteam-py-environ", _secret("redteam-py-environ"), ENVIRON_PY, WA),
    # the next test's input, written while this test runs: test 0's answer is test 1's input
    _jailed(
        "redteam-py-next-input",
        stdio(
            "redteam-py-next-input",
            [("redteam-next-0\n", "redteam-next-1\n"), ("redteam-next-1\n", "end\n")],
        ),
        NEXT_INPUT_PY,
        WA,
    ),
    # a message queue from one test to the next (test 1 must print what test 0 was given)
    _jailed(
        "redteam-py-msg-queue",
        stdio("redteam-py-msg-queue", [("S 7f3a9c\n", "stored\n"), ("L 000000\n", "7f3a9c\n")]),
        MSG_PY,
        WA,
    ),
    # the judge's remembered probes, rewritten to make the next check run solutions as root
    _jailed(
        "redteam-py-remembered-probes",
        stdio("redteam-py-remembered-probes", [("\n", "planted\n")]),
        PROBES_PY,
        WA,
    ),
    # a shared-memory segment from one program to the next
    _jailed(
        "redteam-cpp-shm-writer",
        stdio("redteam-cpp-shm-writer", [("\n", "written\n")]),
        _shm(True, 4096, SHM_ANSWER),
        AC,
        language="cpp",
    ),
    _jailed(
        "redteam-cpp-shm-reader", _secret("redteam-cpp-shm-reader"), _shm(False, 4096), WA, language="cpp"
    ),
    # a segment left behind is not charged to the next program's memory
    _jailed(
        "redteam-cpp-shm-hog",
        stdio("redteam-cpp-shm-hog", [("\n", "written\n")]),
        _shm(True, HOG_MB << 20, key=0x5EED25),
        AC,
        language="cpp",
    ),
    _jailed(
        "redteam-py-after-shm-hog",
        stdio("redteam-py-after-shm-hog", [("\n", "ok\n")]),
        f"x = bytearray({HOG_MB} << 20)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\nprint('ok')\n",
        AC,
    ),
]

#: on every path: output.txt that is a link is not the program's output (its stdout is)
SYMLINK_CASE = Case(
    "redteam-py-output-symlink",
    stdio("redteam-py-output-symlink", [("1 2\n", "3\n")], input_mode="file"),
    SYMLINK_PY,
    frozenset({WA}),
)
CASES.append(SYMLINK_CASE)
#: CodeContests' file problems alike: output.txt linked to input.txt (here the answer) is not output
CASES.append(
    Case(
        "redteam-cc-output-linked-to-input",
        codecontests_files("redteam-cc-output-linked-to-input", [("3\n", "3\n"), ("7\n", "7\n")]),
        "import os\nos.symlink('input.txt', 'output.txt')\n",
        frozenset({WA}),
    )
)


@contextlib.contextmanager
def planted(problems: Path) -> Iterator[Path]:
    """While the suite judges: a world-readable copy of `problems` under / (beside the
    system's folders, as users keep data) and a process whose command line names it with
    `--problems` and whose environment holds an answer, as a sibling checker's would (run as
    the solutions' user when we are root: nothing but the jail keeps them from it)."""
    base = Path("/opt") if os.access("/opt", os.W_OK) else Path(tempfile.gettempdir())
    folder = base / f"batch-eval-redteam-{os.getpid()}"
    folder.mkdir(mode=0o755, exist_ok=True)
    folder.chmod(0o755)
    bait = folder / "problems.jsonl"
    shutil.copyfile(problems, bait)
    bait.chmod(0o644)
    # a shell that stays (its argv is the command line shown), with a checker's arguments
    argv = ["/bin/sh", "-c", "sleep 3600; :", "batch-eval", "check", "s.jsonl", "--problems", str(bait)]
    env = {"PATH": "/usr/bin:/bin", ENV_KEY: ENV_ANSWER}
    user = 65534 if os.geteuid() == 0 else None
    decoy = subprocess.Popen(argv, env=env, user=user, start_new_session=True)
    try:
        yield bait
    finally:
        os.killpg(decoy.pid, signal.SIGKILL)
        decoy.wait()
        shutil.rmtree(folder, ignore_errors=True)
